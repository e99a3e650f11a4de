"""A whole meeting through techgate.api: rounds, what-ifs, outcome, minutes, saving, register."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from techgate import api
from techgate.cli import cli
from techgate.errors import InvalidInputError
from techgate.meeting.session import MeetingSession

PANEL = EXAMPLES / "self-service-portal-panel.yaml"
MARIA, DANIEL, JOAN = "Ops – Maria Santos", "IT – Daniel Kim", "Panel – Joan Whitfield"
CHAIR = "Dana Chair"
HOSTILE = (
    "<script>alert(1)</script> [click](http://evil.example) # heading | cell @boss "
    "\u202eevil\n  pack: evil\u2028moderation: {}"
)


def clock() -> object:
    ticks = itertools.count()
    return lambda: dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=next(ticks))


@pytest.fixture
def proposal(tmp_path: Path) -> Path:
    path = tmp_path / "portal.yaml"
    shutil.copyfile(PANEL, path)
    return path


def meeting(proposal: Path, **options: object) -> MeetingSession:
    return api.open_meeting(proposal, chair=CHAIR, clock=clock(), **options)  # type: ignore[arg-type]


def held(proposal: Path, names: str = "shown") -> MeetingSession:
    """A meeting with one full blind round on the indicators the panel disagrees on most."""
    session = meeting(proposal, names=names)
    for name in (MARIA, DANIEL, JOAN):
        session.mark_present(name)
    state = session.open_round(spread_at_least=2, timer_seconds=300)
    picked = [i.id for i in state.rounds[0].indicators]
    assert picked == ["data-credibility", "transaction-fit", "channel-valued", "adapts-to-needs"]
    for name, level in ((MARIA, 1), (DANIEL, 3), (JOAN, 2)):
        for key in picked:
            state = session.answer(name, key, level, note=f"{name} on {key}")
    assert state.rounds[0].revealed
    session.note(HOSTILE, indicator="channel-valued")
    session.apply_whatif({"kind": "weight", "criterion": "customer", "weight": 30})
    session.apply_whatif({"kind": "fact", "path": "human_escalation.minutes", "value": 3})
    session.undo_whatif()
    return session


def comments_of(text: str) -> list[str]:
    """Every comment in a YAML text (none of these files has '#' inside a value)."""
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def test_a_full_meeting_saves_answers_and_notes_and_keeps_every_comment(proposal: Path) -> None:
    original = proposal.read_text(encoding="utf-8")
    with held(proposal) as session:
        engine = session.record().decision.value
        session.record_outcome(
            "approve-with-conditions",
            reason="the panel wants the accessibility audit first",
            conditions=[{"text": "Accessibility audit", "owner": JOAN, "due": "2026-06-30"}],
        )
        plan = session.save()
        assert [path.name for path, _ in plan.files] == [
            "portal.yaml",
            "portal.minutes.md",
            "portal.minutes.pdf",
        ]
        for path, data in plan.files:
            path.write_bytes(data)
        state = session.saved(plan)
    assert state.saves[-1].answers == plan.answers > 0
    saved = proposal.read_text(encoding="utf-8")
    assert all(comment in saved for comment in comments_of(original))
    # Lines the meeting did not change are as they were, byte for byte.
    changed = [line for line in saved.splitlines() if line not in original.splitlines()]
    assert all(
        re.search(r"(data-credibility|transaction-fit|channel-valued|adapts-to-needs): ", line)
        or line.startswith("#")
        for line in changed
    ), changed
    reloaded = api.load(proposal).proposal
    scores = {a.assessor: a.scores for a in reloaded.assessments}
    assert (
        scores[MARIA]["channel-valued"].score == 1 and scores[DANIEL]["adapts-to-needs"].score == 3
    )
    assert scores[JOAN]["transaction-fit"].note == f"{JOAN} on transaction-fit"
    # The hostile note stays a comment: nothing of it became YAML.
    assert reloaded.pack == api.load(PANEL).proposal.pack and reloaded.moderation is None
    assert "#       pack: evil" in saved and "\u2028" not in saved and "\u202e" not in saved
    assert engine in ("go", "conditional", "no-go")


def test_resuming_gives_the_same_state_and_a_changed_proposal_is_refused(proposal: Path) -> None:
    with held(proposal) as session:
        before = session.state
        journal = session.journal.path
    with api.open_meeting(proposal, clock=clock()) as resumed:
        assert resumed.state == before
        assert resumed.journal.path == journal == proposal.with_name("portal.meeting.jsonl")
    proposal.write_text(
        proposal.read_text(encoding="utf-8").replace("Self-service", "Self service", 1), "utf-8"
    )
    with pytest.raises(InvalidInputError, match="has changed since"):
        api.open_meeting(proposal, chair=CHAIR)
    with pytest.raises(InvalidInputError, match="chaired by Dana Chair, not Eve"):
        shutil.copyfile(PANEL, proposal)
        api.open_meeting(proposal, chair="Eve")


def test_the_minutes_say_what_happened_deterministically(proposal: Path) -> None:
    with held(proposal) as session:
        session.record_outcome("reject", reason="not now")
        markdown, html = session.minutes("md").decode(), session.minutes("html").decode()
        assert session.minutes("md").decode() == markdown  # the same journal, the same bytes
    with api.open_meeting(proposal, clock=clock()) as again:
        assert again.minutes("md").decode() == markdown and again.minutes("html").decode() == html
    for text in (markdown, html):
        for words in (
            CHAIR,
            "Round 1",
            "300 seconds",
            "channel-valued",
            "yes (RAND/UCLA)",
            "weight",
            "criterion=customer",
            "(undone)",
            "Rejected",
            "portal.meeting.jsonl, 22 events",
            api.load(PANEL).proposal.sha256,
        ):
            assert words in text.replace("\\", ""), words
    # User text is inert: no tag, link, heading or table cell comes of it.
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="http' not in html
    assert "<script>" not in markdown and "\\[click\\]" in markdown
    assert not any(line.startswith(("# heading", "  pack")) for line in markdown.splitlines())
    assert "\u202e" not in markdown and "\\u202e" in markdown
    row = next(line for line in markdown.splitlines() if "(data-credibility, 0-4)" in line)
    assert row.count(" | ") == 5  # six cells, none added by a name


def test_hidden_names_leave_no_assessor_beside_an_answer(proposal: Path) -> None:
    with held(proposal, names="hidden") as session:
        markdown = session.minutes("md").decode()
        shown = session.state
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and ": " in line]
    assert rows and all("Maria" not in r and "Daniel" not in r and "Joan" not in r for r in rows)
    assert "Assessor 1: 1; Assessor 2: 3; Assessor 3: 2" in markdown
    assert all(not g.assessor.startswith(("Ops", "IT", "Panel")) for g in shown.answers)


def test_outcome_rules_through_the_api(proposal: Path) -> None:
    with held(proposal) as session:
        engine = session.record().decision.value
        assert engine == "conditional"
        with pytest.raises(InvalidInputError, match="an override needs a reason"):
            session.record_outcome("approve")
        with pytest.raises(InvalidInputError, match="is not an outcome"):
            session.record_outcome("maybe")
        with pytest.raises(InvalidInputError, match="owner"):
            session.record_outcome("approve-with-conditions", conditions=[{"text": "x"}])
        session.open_round(["accuracy"])
        session.answer(MARIA, "accuracy", 2)
        with pytest.raises(InvalidInputError, match="reveal it first"):
            session.record_outcome("defer")
        with pytest.raises(InvalidInputError, match="only the chair"):
            session.reveal(by=MARIA)
        assert session.reveal().rounds[-1].revealed_by == CHAIR
        state = session.record_outcome("defer")
        assert state.outcome is not None and not state.outcome.override
        state = session.record_outcome("approve", reason="pilot first")
        assert state.outcome is not None and state.outcome.override


def test_picking_indicators_the_pack_lacks_or_computes_is_refused(proposal: Path) -> None:
    with meeting(proposal) as session:
        session.mark_present(MARIA)
        with pytest.raises(InvalidInputError) as caught:
            session.open_round(["acuracy", "nonsense"])
        assert [p.hint for p in caught.value.problems] == ["did you mean 'accuracy'?", ""]


def test_a_moderated_proposal_holds_no_round(proposal: Path) -> None:
    loaded = api.load(proposal)
    text, _ = api.start_moderation(loaded, CHAIR, dt.date(2026, 3, 1))
    proposal.write_text(text, "utf-8")
    with meeting(proposal) as session:
        session.mark_present(MARIA)
        with pytest.raises(InvalidInputError, match="moderation has started"):
            session.open_round(["accuracy"])


def test_the_meeting_journal_command(proposal: Path) -> None:
    with held(proposal) as session:
        session.mark_present("Late Larry")
        session.open_round(["accuracy"])
        session.answer(MARIA, "accuracy", 4, note="a secret reason")
        journal = session.journal.path
    for args in ((), ("-f", "json")):
        result = CliRunner().invoke(cli, ["meeting-journal", str(journal), *args])
        assert result.exit_code == 0, result.stderr
        assert "a secret reason" not in result.stdout
    data = json.loads(result.stdout)
    assert data["torn_line"] is None
    blind = data["state"]["rounds"][-1]
    assert blind["revealed"] is False and "hidden" not in blind
    assert blind["answered"] == [{"indicator": "accuracy", "assessors": [MARIA]}]
    text = CliRunner().invoke(cli, ["meeting-journal", str(journal)]).stdout
    assert "round 2 (blind): accuracy" in text and "accuracy: 1 answered" in text


def test_the_decision_goes_into_the_register(proposal: Path, register_url: str) -> None:
    with held(proposal) as session, api.open_register(register_url) as register:
        session.record_outcome("defer")
        assert api.record_meeting_decision(register, session) is None
        assert register.list(api.Filters(), api.Page()).items == ()
        session.record_outcome(
            "approve-with-conditions",
            conditions=[{"text": "Accessibility audit", "owner": JOAN, "due": "2026-06-30"}],
        )
        decision = api.record_meeting_decision(register, session)
        assert decision is not None
        assert decision.outcome is api.Outcome.APPROVED_WITH_CONDITIONS and decision.by == CHAIR
        assert decision.reason is not None and "Condition 1: Accessibility audit" in decision.reason
        shown = register.show(decision.evaluation_id)
        assert shown.evaluation.proposal_sha256 == session.proposal().sha256
        assert register.verify().intact


def test_the_register_entry_applies_the_waivers_in_force(proposal: Path, register_url: str) -> None:
    """The meeting's register entry is judged as any submission is: a waiver in force shows."""
    with held(proposal) as session, api.open_register(register_url) as register:
        first = api.submit(register, proposal, by="Sam Submitter").evaluation
        gate = "human-route-speed"  # failed on this proposal, severity conditional
        expires = (register.now() + dt.timedelta(days=30)).date()
        register.waive(
            api.waiver_request(
                {
                    "proposal_id": first.proposal_id,
                    "gate_id": gate,
                    "owner": "Head of Digital",
                    "reason": "callbacks cover the wait until the new queue lands",
                    "ticket": "RISK-9",
                    "expires": expires.isoformat(),
                    "requested_by": "Sam Submitter",
                }
            ),
            by="Change Board",
        )
        session.record_outcome(
            "approve-with-conditions",
            conditions=[{"text": "Queue live before launch", "owner": JOAN, "due": "2026-06-30"}],
        )
        decision = api.record_meeting_decision(register, session)
        assert decision is not None
        record = register.show(decision.evaluation_id).record
        waived = next(g for g in record.gates if g.id == gate)
        assert waived.status.value == "waived" and waived.waiver is not None
        assert register.verify().intact
