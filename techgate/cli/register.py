"""techgate register: the register of decisions, without a server.

Thin commands over techgate.api: open the register, call one method, print.
SQLAlchemy is imported when a command runs, never for 'techgate --help'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from techgate.cli.options import pack_option
from techgate.vocabulary import LARGEST_ID, MAX_PAGE

if TYPE_CHECKING:
    from pydantic import BaseModel

    from techgate.model.register import HumanDecision, StoredEvaluation
    from techgate.model.waiver import Waiver

F = TypeVar("F", bound=Callable[..., Any])

OUTCOMES = ("approved", "rejected", "approved-with-conditions")
DECISIONS = ("go", "conditional", "no-go")


def db_option(function: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        default=None,
        help="The register: an SQLite path or sqlite:///PATH, or "
        "postgresql+psycopg://USER@HOST/NAME. Default: $TECHGATE_DB, else ./techgate.db.",
    )(function)


def register_format_option(function: F) -> F:
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output format.",
    )(function)


def page_options(things: str, limit: int) -> Callable[[F], F]:
    """--limit and --after: one page of a listing, and where the next one starts."""

    def decorate(function: F) -> F:
        function = click.option(
            "--after",
            type=click.IntRange(0, LARGEST_ID),
            default=0,
            help=f"Only {things} numbered above this (the previous page's last).",
        )(function)
        return click.option(
            "--limit",
            type=click.IntRange(1, MAX_PAGE),
            default=limit,
            show_default=True,
            help=f"At most this many {things}.",
        )(function)

    return decorate


@click.group()
def register() -> None:
    """The register of decisions: what was evaluated, what people decided, and an audit chain.

    Everything is kept; nothing is changed or deleted (a correction is a new
    entry). See docs/register.md.
    """


@register.command()
@click.argument("proposal", type=click.Path(path_type=Path))
@pack_option
@click.option("--by", metavar="NAME", default=None, help="Who submits it (kept with it).")
@db_option
@register_format_option
def submit(
    proposal: Path,
    pack: str | None,
    pack_dirs: tuple[Path, ...],
    by: str | None,
    db: str | None,
    output_format: str,
) -> int:
    """Evaluate PROPOSAL and store the evaluation, its proposal and its pack.

    Submitting identical inputs again stores nothing and shows the evaluation
    stored first. Exit code as 'evaluate': 0 go, 3 conditional, 4 no-go,
    2 invalid input or an unusable database.
    """
    from techgate import api
    from techgate.cli.app import ExitCode
    from techgate.cli.output import show_notices

    loaded = api.load(proposal, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    with api.open_register(db) as opened:
        submitted = api.submit(opened, loaded, by=by)
    stored = submitted.evaluation
    if output_format == "json":
        _echo_json(submitted)
    else:
        verb = "stored as" if submitted.created else "already stored as"
        click.echo(f"{verb} evaluation {stored.id} in {opened.url}")
        click.echo(_line(stored))
        if stored.latest_decision is not None:
            click.echo(_status(stored))
    return ExitCode.for_decision(stored.decision.value)


@register.command(name="list")
@click.option("--decision", type=click.Choice(DECISIONS), default=None, help="Only this decision.")
@click.option("--proposal", "proposal_id", metavar="ID", default=None, help="Only this proposal.")
@click.option("--pack", "pack_id", metavar="ID", default=None, help="Only this pack.")
@click.option("--category", metavar="NAME", default=None, help="Only this category.")
@click.option("--owner", metavar="NAME", default=None, help="Only this sponsor.")
@click.option(
    "--since",
    type=click.DateTime(),
    default=None,
    help="Submitted at or after this date or time (UTC).",
)
@click.option(
    "--until", type=click.DateTime(), default=None, help="Submitted before this date or time (UTC)."
)
@page_options("evaluations", 50)
@db_option
@register_format_option
def list_(
    decision: str | None,
    proposal_id: str | None,
    pack_id: str | None,
    category: str | None,
    owner: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    after: int,
    db: str | None,
    output_format: str,
) -> int:
    """List stored evaluations, oldest first, one page at a time."""
    from techgate import api
    from techgate.model.evaluation import Decision

    filters = api.Filters(
        decision=Decision(decision) if decision else None,
        proposal_id=proposal_id,
        pack_id=pack_id,
        category=category,
        owner=owner,
        since=since,
        until=until,
    )
    with api.open_register(db) as opened:
        page = opened.list(filters, api.Page(limit=limit, after=after))
    if output_format == "json":
        _echo_json(page)
        return 0
    if not page.items:
        click.echo("no evaluations")
    for stored in page.items:
        click.echo(f"{_line(stored)}  [{stored.status.value}]")
    if page.next_after is not None:
        click.echo(f"more: --after {page.next_after}", err=True)
    return 0


@register.command()
@click.argument("evaluation_id", type=click.IntRange(1, LARGEST_ID))
@click.option(
    "--record",
    is_flag=True,
    help="Print only the stored decision record, byte for byte as 'evaluate --json' wrote it.",
)
@db_option
@register_format_option
def show(evaluation_id: int, record: bool, db: str | None, output_format: str) -> int:
    """Show one stored evaluation and the decisions taken on it."""
    from techgate import api

    with api.open_register(db) as opened:
        if record:
            click.echo(opened.record_json(evaluation_id), nl=False)
            return 0
        shown = opened.show(evaluation_id)
    if output_format == "json":
        _echo_json(shown)
        return 0
    stored = shown.evaluation
    click.echo(_line(stored))
    click.echo(f"  submitted {_time(stored.submitted_at)}" + _by(stored.submitted_by))
    click.echo(f"  proposal sha256 {stored.proposal_sha256}")
    click.echo(f"  pack {stored.pack_id} {stored.pack_version} sha256 {stored.pack_sha256}")
    click.echo(f"  record sha256 {stored.record_sha256}")
    click.echo(f"  {_status(stored)}")
    for decision in shown.decisions:
        click.echo(f"  {_decision(decision)}")
    return 0


@register.command()
@click.argument("proposal_id")
@db_option
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def history(proposal_id: str, db: str | None, output_format: str) -> int:
    """Every evaluation of PROPOSAL_ID over time, and the decisions taken on them."""
    from techgate import api

    with api.open_register(db) as opened:
        found = opened.history(proposal_id)
    if output_format == "json":
        _echo_json(found)
        return 0
    if output_format == "markdown":
        click.echo(api.render_history(found), nl=False)
        return 0
    decided: dict[int, list[HumanDecision]] = {}
    for decision in found.decisions:
        decided.setdefault(decision.evaluation_id, []).append(decision)
    for stored in found.evaluations:
        click.echo(f"{_line(stored)}  [{stored.status.value}]")
        click.echo(f"  submitted {_time(stored.submitted_at)}" + _by(stored.submitted_by))
        for decision in decided.get(stored.id, []):
            click.echo(f"  {_decision(decision)}")
    return 0


@register.command(name="diff")
@click.argument("proposal_id")
@click.option(
    "--before",
    type=click.IntRange(1, LARGEST_ID),
    default=None,
    help="The earlier evaluation's number (default: the one before --after).",
)
@click.option(
    "--after",
    type=click.IntRange(1, LARGEST_ID),
    default=None,
    help="The later evaluation's number (default: the latest).",
)
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@db_option
def diff_(
    proposal_id: str, before: int | None, after: int | None, output_format: str, db: str | None
) -> int:
    """What changed between two evaluations of PROPOSAL_ID (by default its last two).

    The same comparison as 'techgate diff' on two saved records, and the same
    exit codes: 0 the decision did not change, 5 it got better, 6 it got
    worse, 2 invalid input or an unusable database.
    """
    from techgate import api
    from techgate.cli.app import ExitCode

    with api.open_register(db) as opened:
        changes = api.register_diff(opened, proposal_id, before=before, after=after)
    click.echo(api.render_diff(changes, output_format), nl=False)
    return ExitCode.for_direction(changes.direction)


@register.command()
@click.argument("evaluation_id", type=click.IntRange(1, LARGEST_ID))
@click.option("--outcome", type=click.Choice(OUTCOMES), required=True, help="What was decided.")
@click.option("--by", metavar="NAME", required=True, help="Who decided (a person or a board).")
@click.option(
    "--reason",
    metavar="TEXT",
    default=None,
    help="Why. Required when the outcome overrides the engine (approving a no-go or a "
    "conditional outright, rejecting a go).",
)
@db_option
@register_format_option
def decide(
    evaluation_id: int,
    outcome: str,
    by: str,
    reason: str | None,
    db: str | None,
    output_format: str,
) -> int:
    """Record the human decision on a stored evaluation (bound to its record's hash)."""
    from techgate import api

    with api.open_register(db) as opened:
        decision = opened.decide(evaluation_id, api.Outcome(outcome), by, reason)
    if output_format == "json":
        _echo_json(decision)
    else:
        click.echo(_decision(decision))
    return 0


@register.command()
@click.option(
    "--mask",
    "masks",
    metavar="FIELD",
    multiple=True,
    help="Show this field of every event as '[masked]' (repeatable), e.g. submitted_by, "
    "decided_by, reason, owner, granted_by.",
)
@page_options("events", 100)
@db_option
@register_format_option
def audit(
    masks: tuple[str, ...], limit: int, after: int, db: str | None, output_format: str
) -> int:
    """Print the audit chain's events, oldest first, any field masked.

    A masked export is for sharing (with an auditor, a ticket): its hashes
    are those of the unmasked events, so the chain itself is checked with
    'register verify' on the register.
    """
    import json

    from techgate import api
    from techgate.cli.output import printable

    with api.open_register(db) as opened:
        page = opened.audit(api.Page(limit=limit, after=after), masks)
    if output_format == "json":
        _echo_json(page)
        return 0
    if not page.items:
        click.echo("no events")
    for event in page.items:
        data = json.dumps(event.data, sort_keys=True, ensure_ascii=False)
        click.echo(
            f"{event.seq} {_time(event.at)} {event.kind} {event.hash[:12]} {printable(data)}"
        )
    if page.next_after is not None:
        click.echo(f"more: --after {page.next_after}", err=True)
    return 0


@register.command()
@db_option
@register_format_option
def verify(db: str | None, output_format: str) -> int:
    """Walk the audit chain and check every stored row against it.

    Exit code: 0 intact; 7 something was changed or removed behind the
    register's back (the first problem is named); 2 the database cannot be
    opened.
    """
    from techgate import api
    from techgate.cli.app import ExitCode
    from techgate.cli.output import printable

    with api.open_register(db) as opened:
        result = opened.verify()
    if output_format == "json":
        _echo_json(result)
    elif result.intact:
        click.echo(f"intact: {result.events} events, head {result.head}")
    else:
        first = result.problems[0]
        click.echo(f"BROKEN: {printable(first.message)}")
        for problem in result.problems[1:]:
            click.echo(f"  also: {printable(problem.message)}")
    return ExitCode.GO if result.intact else ExitCode.TAMPERED


@register.command()
@click.argument("proposal_id")
@click.argument("gate_id")
@click.option("--owner", metavar="NAME", required=True, help="Who answers for the risk.")
@click.option("--reason", metavar="TEXT", required=True, help="Why the failure is accepted.")
@click.option("--ticket", metavar="REF", required=True, help="The ticket that tracks it.")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    metavar="YYYY-MM-DD",
    help="The last day it applies (through the end of that day, UTC); at most the pack's "
    "max_waiver_days (default 365) from today.",
)
@click.option("--condition", metavar="TEXT", default=None, help="What must hold meanwhile.")
@click.option("--by", metavar="NAME", required=True, help="The approver granting it.")
@click.option(
    "--requested-by", metavar="NAME", required=True, help="Who asked for it (not the approver)."
)
@click.option(
    "--max-days",
    type=click.IntRange(1, 3653),
    default=None,
    help="A tighter limit than the pack's on how far away --expires may be.",
)
@db_option
@register_format_option
def waive(
    proposal_id: str,
    gate_id: str,
    owner: str,
    reason: str,
    ticket: str,
    expires: dt.datetime,
    condition: str | None,
    by: str,
    requested_by: str,
    max_days: int | None,
    db: str | None,
    output_format: str,
) -> int:
    """Waive the failure of GATE_ID for PROPOSAL_ID until --expires.

    The approver (--by) may be neither the one who asked (--requested-by)
    nor the one who submitted the proposal's latest evaluation. The gate
    shows as waived (never passed) in every later submission while the
    waiver applies, and the decision is conditional at best.
    """
    from techgate import api

    request = api.waiver_request(
        {
            "proposal_id": proposal_id,
            "gate_id": gate_id,
            "owner": owner,
            "reason": reason,
            "ticket": ticket,
            "expires": expires.date(),
            "condition": condition,
            "requested_by": requested_by,
        }
    )
    with api.open_register(db) as opened:
        waiver = opened.waive(request, by=by, max_waiver_days=max_days)
    if output_format == "json":
        _echo_json(waiver)
    else:
        click.echo(f"granted {_waiver_lines(waiver, None)}")
    return 0


@register.command()
@click.argument("proposal_id", required=False)
@click.option("--all", "everything", is_flag=True, help="Expired and revoked waivers too.")
@db_option
@register_format_option
def waivers(proposal_id: str | None, everything: bool, db: str | None, output_format: str) -> int:
    """List the waivers in force (of PROPOSAL_ID, when given), oldest first.

    -f json writes the file 'evaluate --waivers' and 'batch --waivers' read.
    """
    from techgate import api

    with api.open_register(db) as opened:
        now = opened.now()
        found = opened.waivers(proposal_id, include_inactive=everything, at=now)
    if output_format == "json":
        _echo_json(found)
        return 0
    if not found.waivers:
        click.echo("no waivers" if everything else "no waivers in force")
    for waiver in found.waivers:
        click.echo(_waiver_lines(waiver, now if everything else None))
    return 0


@register.command(name="revoke-waiver")
@click.argument("waiver_id", type=click.IntRange(1, LARGEST_ID))
@click.option("--by", metavar="NAME", required=True, help="Who withdraws it.")
@click.option("--reason", metavar="TEXT", default=None, help="Why.")
@db_option
@register_format_option
def revoke_waiver(
    waiver_id: int, by: str, reason: str | None, db: str | None, output_format: str
) -> int:
    """Withdraw waiver WAIVER_ID: it no longer applies from now on."""
    from techgate import api

    with api.open_register(db) as opened:
        waiver = opened.revoke_waiver(waiver_id, by, reason)
    if output_format == "json":
        _echo_json(waiver)
    else:
        click.echo(f"revoked {_waiver_lines(waiver, None)}")
    return 0


def _waiver_lines(waiver: Waiver, now: dt.datetime | None) -> str:
    """The waiver in two or three lines, each printable (its text may hold line breaks)."""
    from techgate import api
    from techgate.cli.output import printable

    state = ""
    if waiver.revocation is not None:
        state = f"  [revoked by {waiver.revocation.by} at {_time(waiver.revocation.at)}]"
    elif now is not None:
        state = "  [in force]" if api.applies(waiver, now) else "  [expired]"
    lines = [
        f"waiver {waiver.id}: {waiver.proposal_id} gate {waiver.gate_id} until "
        f"{waiver.expires.isoformat()}, ticket {waiver.ticket}, owner {waiver.owner}; "
        f"granted by {waiver.granted_by} at {_time(waiver.created_at)}, asked by "
        f"{waiver.requested_by}{state}",
        f"  reason: {waiver.reason}",
    ]
    if waiver.condition:
        lines.append(f"  condition: {waiver.condition}")
    return "\n".join(printable(line) for line in lines)


def _echo_json(model: BaseModel) -> None:
    from techgate.render.json import json_text

    click.echo(json_text(model), nl=False)


def _line(stored: StoredEvaluation) -> str:
    from techgate.cli.output import printable

    return printable(
        f"{stored.id}  {stored.decision.value:<11} {stored.score:5.1f}  "
        f"{stored.proposal_id}: {stored.title}"
    )


def _status(stored: StoredEvaluation) -> str:
    latest = stored.latest_decision
    if latest is None:
        return "no human decision yet"
    if stored.status.value == "needs-new-decision":
        return (
            f"NEEDS A NEW DECISION: the inputs changed since decision {latest.id} "
            f"({latest.outcome.value}) on evaluation {latest.evaluation_id}"
        )
    return (
        f"decided: {latest.outcome.value} "
        f"(decision {latest.id} on evaluation {latest.evaluation_id})"
    )


def _decision(decision: HumanDecision) -> str:
    from techgate.cli.output import printable

    override = (
        f" OVERRIDES the engine's {decision.engine_decision.value}" if decision.override else ""
    )
    reason = f": {decision.reason}" if decision.reason else ""
    return printable(
        f"decision {decision.id}: {decision.outcome.value}{override} by {decision.by} "
        f"at {_time(decision.at)}{reason}"
    )


def _time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _by(name: str | None) -> str:
    from techgate.cli.output import printable

    return f" by {printable(name)}" if name else ""
