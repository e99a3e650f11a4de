"""The register of decisions: what was evaluated, what people decided, and the audit chain.

Everything is appended: a submission adds the proposal and pack (when new),
the evaluation and one audit event; a human decision adds itself and one
event. Nothing is updated or deleted. Each write runs under the write lock
(database.writing), so the chain's head is read and extended by one writer
at a time, and a submission checks for its identical twin under that lock.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, Select, bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from techgate.errors import NotFoundError, single_problem
from techgate.model.criteria import CriteriaPack
from techgate.model.evaluation import Decision, Evaluation
from techgate.model.proposal import Proposal
from techgate.model.register import (
    MASKED,
    AuditEvent,
    AuditPage,
    DecisionStatus,
    EvaluationPage,
    Filters,
    History,
    HumanDecision,
    Outcome,
    Page,
    Shown,
    StoredEvaluation,
    Submitted,
    VerifyResult,
)
from techgate.model.waiver import Waiver, WaiverList, WaiverRequest
from techgate.register import chain
from techgate.register.database import translated, writing
from techgate.register.installs import Installs
from techgate.register.tables import (
    AuditEventRow,
    DecisionRow,
    EvaluationRow,
    IdempotencyKeyRow,
    PackRow,
    ProposalRow,
)
from techgate.register.tokens import Tokens
from techgate.vocabulary import LARGEST_ID

if TYPE_CHECKING:
    from techgate.register.webhooks import WebhookStore

Clock = Callable[[], dt.datetime]
AppendEvent = Callable[[Connection, str, str, dict[str, Any]], None]
"""Register._append_event: one audit event, in the caller's write transaction."""
MAX_NAME = 200
MAX_REASON = 10_000
PRUNE_EVERY_S = 60.0
"""How often, at most, a register forgets expired Idempotency-Keys."""
_T = TypeVar("_T")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """UTC ISO 8601 with microseconds and 'Z': one spelling, sorting as text sorts."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class IdempotencyClaim:
    """A submission sent with an Idempotency-Key: who sent it, the key, and what it carried."""

    caller: str
    """The token's name: keys are per caller, so two callers never share one."""
    key: str
    request_sha256: str
    """SHA-256 of the request's payload: the same key with another payload is refused."""
    lifetime: dt.timedelta
    """How long a key is remembered; after that it may be used again."""


@dataclass(frozen=True)
class StoredResponse:
    """The response first given to a request with an Idempotency-Key."""

    status_code: int
    body: str
    evaluation_id: int
    replayed: bool
    """True when this is the first response given again, not a new one."""


Respond = Callable[[Submitted, str], tuple[int, str]]
"""Builds the response (status, JSON body) to keep for a submission, inside its transaction,
from what was stored and the record's text."""


class Register(Tokens, Installs):
    """One register database. Open it with techgate.api.open_register."""

    def __init__(
        self,
        engine: Engine,
        url: str,
        clock: Clock = utc_now,
        *,
        max_waiver_days: int | None = None,
    ) -> None:
        self._engine = engine
        self.url = url
        """The database, as it may be printed (any password masked)."""
        self._clock = clock
        self._pruned_at = -float("inf")
        self._swept_on: dt.date | None = None
        # Packs this process has seen committed: a submission by one of them skips its
        # insert (rows are never deleted), one statement fewer inside the write lock.
        self._packs_stored: set[str] = set()
        if max_waiver_days is not None and max_waiver_days < 1:
            raise single_problem(
                "<register>", "must allow at least one day", field="max_waiver_days"
            )
        self.max_waiver_days = max_waiver_days
        """This register's own limit on how long a waiver may run (days), tighter than a
        pack's max_waiver_days when set; None leaves it to the pack."""

    def now(self) -> dt.datetime:
        """The register's clock (UTC): what it stamps rows with and judges waivers at."""
        return self._clock()

    def close(self) -> None:
        self._engine.dispose()

    @property
    def webhooks(self) -> WebhookStore:
        """Subscriptions, the outbox and delivery tries (see techgate.register.webhooks)."""
        from techgate.register.webhooks import WebhookStore

        return WebhookStore(self._engine, self.url, self._clock)

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------

    def submit(
        self,
        proposal: Proposal,
        pack: CriteriaPack,
        record: Evaluation,
        record_json: str,
        *,
        by: str | None = None,
        at: dt.datetime | None = None,
    ) -> Submitted:
        """Store an evaluation (and its proposal and pack when new); identical inputs store nothing.

        record_json is the record exactly as 'evaluate --json' writes it; its
        sha256 is the evaluation's identity. at is when it was judged (the
        moment its waivers were chosen at; default: the register's clock now).
        """
        if by is not None:
            by = _name(by, "by")

        def write(trust_pack: bool) -> Submitted:
            with writing(self._engine) as connection:
                return self._submit(
                    connection, proposal, pack, record, record_json, by, at, trust_pack
                )

        with translated(self.url):
            return self._with_packs_memo(pack.sha256, write)

    def submit_once(
        self,
        proposal: Proposal,
        pack: CriteriaPack,
        record: Evaluation,
        record_json: str,
        *,
        by: str,
        at: dt.datetime | None = None,
        claim: IdempotencyClaim,
        respond: Respond,
    ) -> StoredResponse:
        """submit() under an Idempotency-Key: the key is stored in the same transaction as the
        evaluation, with the response built by 'respond'; a key seen before gives its first
        response back (the same payload) or is refused (another payload)."""
        by = _name(by, "by")

        def write(trust_pack: bool) -> StoredResponse:
            with writing(self._engine) as connection:
                return self._submit_once(
                    connection,
                    proposal,
                    pack,
                    record,
                    record_json,
                    by,
                    at,
                    claim,
                    respond,
                    trust_pack,
                )

        with translated(self.url):
            return self._with_packs_memo(pack.sha256, write)

    def _submit_once(
        self,
        connection: Connection,
        proposal: Proposal,
        pack: CriteriaPack,
        record: Evaluation,
        record_json: str,
        by: str,
        at: dt.datetime | None,
        claim: IdempotencyClaim,
        respond: Respond,
        trust_pack: bool,
    ) -> StoredResponse:
        now = self._clock()
        # Expired keys are forgotten (the one table that may be pruned), once a minute
        # at most: a delete in every keyed submission lengthened the write lock's hold.
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            connection.execute(
                delete(IdempotencyKeyRow).where(
                    IdempotencyKeyRow.created_at < stamp(now - claim.lifetime)
                )
            )
            self._pruned_at = time.monotonic()
        earlier = _stored_response(connection, claim, now=now)
        if earlier is not None:
            return earlier
        submitted = self._submit(
            connection, proposal, pack, record, record_json, by, at, trust_pack
        )
        status_code, body = respond(submitted, record_json)
        row = {
            "caller": claim.caller,
            "key": claim.key,
            "request_sha256": claim.request_sha256,
            "evaluation_id": submitted.evaluation.id,
            "status_code": status_code,
            "response_json": body,
            "created_at": stamp(now),
        }
        # A row still there for this key has expired (a live one was answered above) and
        # not yet been pruned: the new first response takes its place.
        connection.execute(_upsert_key(connection.dialect.name), row)
        return StoredResponse(status_code, body, submitted.evaluation.id, replayed=False)

    def _with_packs_memo(self, sha256: str, write: Callable[[bool], _T]) -> _T:
        """write(trust_pack) in its own transaction, trusting the memo of packs seen stored.

        The memo can be wrong: the database restored from an older backup, or
        dropped and made again, while this process runs. The evaluation's
        foreign key then refuses the insert; the memo is forgotten and the
        submission written again with its pack, rather than refused until the
        process restarts.
        """
        trusted = sha256 in self._packs_stored
        try:
            result = write(trusted)
        except IntegrityError:
            if not trusted:
                raise
            self._packs_stored.clear()
            result = write(False)
        if len(self._packs_stored) >= 1024:
            self._packs_stored.clear()
        self._packs_stored.add(sha256)
        return result

    def earlier_response(self, claim: IdempotencyClaim) -> StoredResponse | None:
        """The first response to this caller's key, if it is remembered; refused if the key
        came with another payload. Checked before the work, and again inside submit_once."""
        with translated(self.url), self._engine.connect() as connection:
            return _stored_response(connection, claim, now=self._clock())

    def _submit(
        self,
        connection: Connection,
        proposal: Proposal,
        pack: CriteriaPack,
        record: Evaluation,
        record_json: str,
        by: str | None,
        at: dt.datetime | None,
        trust_pack: bool,
    ) -> Submitted:
        record_sha256 = chain.sha256_text(record_json)
        stamped = stamp(self._clock() if at is None else at)
        new_proposal = self._add_once(
            connection,
            ProposalRow,
            proposal.sha256,
            {
                "sha256": proposal.sha256,
                "proposal_id": proposal.id,
                "canonical_json": proposal.canonical_json,
                "stored_at": stamped,
            },
        )
        new_pack = not trust_pack and self._add_once(
            connection, PackRow, pack.sha256, pack_row(pack, stamped)
        )
        summary = record.proposal
        values: dict[str, Any] = {
            "record_sha256": record_sha256,
            "proposal_sha256": proposal.sha256,
            "pack_sha256": pack.sha256,
            "proposal_id": proposal.id,
            "title": summary.title,
            "category": summary.category.value,
            "owner": summary.owner,
            "decision": record.decision.value,
            "score": record.score,
            "confidence": record.confidence,
            "pack_id": record.pack.id,
            "pack_version": record.pack.version,
            "submitted_by": by,
            "submitted_at": stamped,
            "record_json": record_json,
        }
        # Values as execution parameters, not .values(): the statement is then the same
        # every time (compiled once), where .values() builds it anew around each value.
        # Identical inputs give an identical record: its hash is unique, so the insert
        # stores nothing and the evaluation stored first is returned. One round trip where a
        # look-up first took two, inside the write lock every writer waits on. (A proposal or
        # pack row stored just above for such a record was there already: record equal,
        # hashes equal.)
        evaluation_id = connection.execute(
            _insert_once(connection.dialect.name, EvaluationRow, "record_sha256", "id"), values
        ).scalar()
        if evaluation_id is None:
            existing = connection.execute(
                select(EvaluationRow).where(EvaluationRow.record_sha256 == record_sha256)
            ).one()
            return Submitted.trusted(evaluation=self._stored(connection, existing), created=False)
        self._append_event(
            connection,
            "evaluation.submitted",
            stamped,
            {
                **evaluation_event(evaluation_id, values),
                "new_proposal": new_proposal,
                "new_pack": new_pack,
            },
        )
        _notify(connection, "evaluation.created", stamped, created_message(evaluation_id, values))
        # The row just written, from the values written: no read back inside the lock.
        row = SimpleNamespace(id=evaluation_id, **values)
        return Submitted.trusted(evaluation=self._stored(connection, row), created=True)

    def decide(
        self, evaluation_id: int, outcome: Outcome, by: str, reason: str | None = None
    ) -> HumanDecision:
        """Record what people decided on an evaluation; an override needs a reason."""
        by = _name(by, "by")
        reason = _reason(reason)
        _check_id(evaluation_id)
        with translated(self.url), writing(self._engine) as connection:
            evaluation = connection.execute(
                select(EvaluationRow).where(EvaluationRow.id == evaluation_id)
            ).one_or_none()
            if evaluation is None:
                raise _no_evaluation(evaluation_id)
            engine_decision = Decision(evaluation.decision)
            override = outcome.overrides(engine_decision)
            if override and reason is None:
                raise single_problem(
                    "<decision>",
                    f"'{outcome.value}' overrides the engine's {engine_decision.value}, "
                    "and an override needs a reason",
                    "say why with --reason",
                    field="reason",
                )
            at = stamp(self._clock())
            values: dict[str, Any] = {
                "evaluation_id": evaluation_id,
                "record_sha256": evaluation.record_sha256,
                "outcome": outcome.value,
                "engine_decision": engine_decision.value,
                "override": override,
                "decided_by": by,
                "reason": reason,
                "decided_at": at,
            }
            decision_id = connection.execute(
                insert(DecisionRow).values(values).returning(DecisionRow.id)
            ).scalar_one()
            # The event says what was decided on, so the chain alone answers an audit: the
            # proposal and pack by id, version and hash (verify compares the decision's columns).
            judged = {
                "proposal_id": evaluation.proposal_id,
                "proposal_sha256": evaluation.proposal_sha256,
                "pack_id": evaluation.pack_id,
                "pack_version": evaluation.pack_version,
                "pack_sha256": evaluation.pack_sha256,
                "submitted_by": evaluation.submitted_by,
            }
            self._append_event(
                connection,
                "decision.recorded",
                at,
                {**decision_event(decision_id, values), **judged},
            )
            _notify(
                connection,
                "decision.recorded",
                at,
                {**decision_event(decision_id, values), "proposal_id": evaluation.proposal_id},
            )
            row = connection.execute(select(DecisionRow).where(DecisionRow.id == decision_id)).one()
            return _decision(row)

    def waive(
        self, request: WaiverRequest, *, by: str, max_waiver_days: int | None = None
    ) -> Waiver:
        """Grant a waiver of one gate for one proposal id, by an approver.

        Refused (InvalidInputError naming the field): an approver who asked for
        it or submitted the proposal's latest evaluation; a proposal id never
        evaluated; a gate not in the pack of its latest evaluation; an expiry
        in the past or beyond the tightest of the pack's max_waiver_days, this
        register's and max_waiver_days here; owner, reason or ticket that say
        nothing visible or hold control characters.
        """
        from techgate.register import waivers

        limits = [d for d in (self.max_waiver_days, max_waiver_days) if d is not None]
        return waivers.grant(
            self._engine,
            self.url,
            self._clock(),
            self._append_event,
            request,
            by,
            min(limits) if limits else None,
        )

    def revoke_waiver(self, waiver_id: int, by: str, reason: str | None = None) -> Waiver:
        """Withdraw a waiver before it expires: it no longer applies from now on."""
        from techgate.register import waivers

        return waivers.revoke(
            self._engine, self.url, self._clock(), self._append_event, waiver_id, by, reason
        )

    def waivers(
        self,
        proposal_id: str | None = None,
        include_inactive: bool = False,
        at: dt.datetime | None = None,
    ) -> WaiverList:
        """Waivers in force at 'at' (default: now), oldest first; with include_inactive, every
        one, expired and revoked included."""
        from techgate.register import waivers

        return waivers.listed(
            self._engine, self.url, at or self._clock(), proposal_id, include_inactive
        )

    def waivers_expired_between(self, start: dt.datetime, end: dt.datetime) -> WaiverList:
        """Waivers whose expiry fell in (start, end], not revoked before it: for a sweep that
        announces 'waiver.expired' (consecutive spans name each waiver once)."""
        from techgate.register import waivers

        return waivers.expired_between(self._engine, self.url, start, end)

    def announce_expired_waivers(self) -> tuple[Waiver, ...]:
        """Announce waivers that expired since the last sweep (an audit event and a
        'waiver.expired' webhook each); run before every delivery pass."""
        from techgate.register import waivers

        now = self._clock()
        # A waiver's last moment is the end of a UTC day (waivers.expires_stamp), and none is
        # granted already expired; so once a sweep here has found what expired up to today,
        # another today can find nothing. Skipping it keeps every delivery pass (one after each
        # change, under load) from taking the write lock for nothing.
        today = now.astimezone(dt.UTC).date()
        if self._swept_on == today:
            return ()
        expired = waivers.announce_expired(self._engine, self.url, now, self._append_event)
        self._swept_on = today
        return expired

    @staticmethod
    def _add_once(connection: Connection, table: Any, key: str, values: dict[str, Any]) -> bool:
        """Insert a content-addressed row unless its hash is there; whether it was new.

        One round trip (INSERT ... ON CONFLICT DO NOTHING RETURNING) where a
        look-up and an insert took two, inside the write lock every writer waits on.
        """
        assert values["sha256"] == key
        inserted = connection.execute(_insert_once(connection.dialect.name, table), values)
        return inserted.scalar() is not None

    @staticmethod
    def _append_event(connection: Connection, kind: str, at: str, data: dict[str, Any]) -> None:
        last = connection.execute(_chain_head()).one_or_none()
        seq, previous = (last.seq + 1, last.hash) if last else (1, chain.GENESIS)
        text = chain.event_json(seq, kind, at, data)
        connection.execute(
            _insert_event(),
            {
                "seq": seq,
                "kind": kind,
                "at": at,
                "prev_hash": previous,
                "hash": chain.event_hash(previous, text),
                "event_json": text,
            },
        )

    # -- reading -------------------------------------------------------------

    def list(self, filters: Filters | None = None, page: Page | None = None) -> EvaluationPage:
        """Stored evaluations, oldest first, filtered, one page at a time."""
        filters, page = filters or Filters(), page or Page()
        for field in ("proposal_id", "pack_id", "category", "owner"):
            _searchable(getattr(filters, field), field)
        limit = page.limit
        query: Select[Any] = select(EvaluationRow).where(EvaluationRow.id > page.after)
        for column, value in (
            (EvaluationRow.decision, filters.decision.value if filters.decision else None),
            (EvaluationRow.proposal_id, filters.proposal_id),
            (EvaluationRow.pack_id, filters.pack_id),
            (EvaluationRow.category, filters.category),
            (EvaluationRow.owner, filters.owner),
        ):
            if value is not None:
                query = query.where(column == value)
        if filters.since is not None:
            query = query.where(EvaluationRow.submitted_at >= stamp(filters.since))
        if filters.until is not None:
            query = query.where(EvaluationRow.submitted_at < stamp(filters.until))
        query = query.order_by(EvaluationRow.id).limit(limit + 1)
        with translated(self.url), self._engine.connect() as connection:
            rows = connection.execute(query).all()
            items = [self._stored(connection, row) for row in rows[:limit]]
        more = len(rows) > limit
        return EvaluationPage.trusted(
            items=tuple(items), next_after=items[-1].id if more and items else None
        )

    def show(self, evaluation_id: int) -> Shown:
        """One evaluation, the decisions bound to it, and its record."""
        _check_id(evaluation_id)
        with translated(self.url), self._engine.connect() as connection:
            row = connection.execute(
                select(EvaluationRow).where(EvaluationRow.id == evaluation_id)
            ).one_or_none()
            if row is None:
                raise _no_evaluation(evaluation_id)
            decisions = connection.execute(
                select(DecisionRow)
                .where(DecisionRow.evaluation_id == evaluation_id)
                .order_by(DecisionRow.id)
            ).all()
            stored = self._stored(connection, row)
        return Shown.trusted(
            evaluation=stored,
            decisions=tuple(_decision(d) for d in decisions),
            record=Evaluation.model_validate_json(row.record_json),
        )

    def record_json(self, evaluation_id: int) -> str:
        """The stored record's exact text, as 'evaluate --json' wrote it."""
        _check_id(evaluation_id)
        with translated(self.url), self._engine.connect() as connection:
            text = connection.scalar(
                select(EvaluationRow.record_json).where(EvaluationRow.id == evaluation_id)
            )
        if text is None:
            raise _no_evaluation(evaluation_id)
        return str(text)

    def history(self, proposal_id: str) -> History:
        """Every evaluation of a proposal id, and every decision taken on them, oldest first."""
        _searchable(proposal_id, "proposal_id")
        with translated(self.url), self._engine.connect() as connection:
            rows = connection.execute(
                select(EvaluationRow)
                .where(EvaluationRow.proposal_id == proposal_id)
                .order_by(EvaluationRow.id)
            ).all()
            evaluations = tuple(self._stored(connection, row) for row in rows)
            decisions = _decisions_of(connection, proposal_id)
        if not evaluations:
            raise NotFoundError(
                single_problem(
                    "<register>",
                    f"has no evaluation of proposal {proposal_id!r}",
                    "see 'techgate register list'",
                    field="proposal_id",
                ).problems
            )
        return History.trusted(
            proposal_id=proposal_id,
            evaluations=evaluations,
            decisions=tuple(_decision(d) for d in decisions),
        )

    def pair(
        self, proposal_id: str, before: int | None = None, after: int | None = None
    ) -> tuple[Evaluation, Evaluation]:
        """Two stored records of one proposal id, to be compared: by default its latest
        evaluation and the one before it; 'after' alone compares it with the one before it."""
        evaluations = self.history(proposal_id).evaluations
        ids = [stored.id for stored in evaluations]
        for number, field in ((before, "before"), (after, "after")):
            if number is not None and number not in ids:
                raise single_problem(
                    "<register>",
                    f"evaluation {number} is not an evaluation of proposal {proposal_id!r}",
                    f"its evaluations are {', '.join(map(str, ids))}",
                    field=field,
                )
        later = after if after is not None else ids[-1]
        if before is None:
            earlier = [number for number in ids if number < later]
            if not earlier:
                raise single_problem(
                    "<register>",
                    f"has no evaluation of proposal {proposal_id!r} before evaluation {later}",
                    "there is nothing to compare it with yet",
                    field="before",
                )
            before = earlier[-1]
        return (
            Evaluation.model_validate_json(self.record_json(before)),
            Evaluation.model_validate_json(self.record_json(later)),
        )

    def audit(self, page: Page | None = None, mask: Sequence[str] = ()) -> AuditPage:
        """The audit chain's events, oldest first, a page at a time; each field named in
        'mask' (at any depth of an event's data) reads '[masked]'."""
        page = page or Page()
        hidden = frozenset(mask)
        for field in hidden:
            _utf8(field, "mask")
        with translated(self.url), self._engine.connect() as connection:
            rows = connection.execute(
                select(AuditEventRow)
                .where(AuditEventRow.seq > page.after)
                .order_by(AuditEventRow.seq)
                .limit(page.limit + 1)
            ).all()
        items = []
        for row in rows[: page.limit]:
            data = json.loads(row.event_json)["data"]
            found: set[str] = set()
            items.append(
                AuditEvent.trusted(
                    seq=row.seq,
                    kind=row.kind,
                    at=parse_stamp(row.at),
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                    data=_masked(data, hidden, found),
                    masked=tuple(sorted(found)),
                )
            )
        more = len(rows) > page.limit
        return AuditPage.trusted(
            items=tuple(items), next_after=items[-1].seq if more and items else None
        )

    def ping(self) -> None:
        """Ask the database to answer; UnavailableError when it does not."""
        with translated(self.url), self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def verify(self) -> VerifyResult:
        """Walk the audit chain and check every stored row against it."""
        from techgate.register.verify import verify

        with translated(self.url), self._engine.connect() as connection:
            return verify(connection)

    def _stored(self, connection: Connection, row: Any) -> StoredEvaluation:
        decisions = _decisions_of(connection, row.proposal_id)
        latest = _decision(decisions[-1]) if decisions else None
        status = DecisionStatus.UNDECIDED
        if latest is not None:
            bound = connection.execute(
                _inputs_query(), {"evaluation_id": latest.evaluation_id}
            ).one()
            same_inputs = (bound.proposal_sha256, bound.pack_sha256) == (
                row.proposal_sha256,
                row.pack_sha256,
            )
            if latest.evaluation_id > row.id:
                # An earlier evaluation, seen after a later decision: it was
                # superseded if the decided one judged other inputs.
                status = DecisionStatus.DECIDED if same_inputs else DecisionStatus.UNDECIDED
            else:
                status = (
                    DecisionStatus.DECIDED if same_inputs else DecisionStatus.NEEDS_NEW_DECISION
                )
        return StoredEvaluation.trusted(
            id=row.id,
            proposal_id=row.proposal_id,
            title=row.title,
            category=row.category,
            owner=row.owner,
            decision=Decision(row.decision),
            score=row.score,
            confidence=row.confidence,
            pack_id=row.pack_id,
            pack_version=row.pack_version,
            proposal_sha256=row.proposal_sha256,
            pack_sha256=row.pack_sha256,
            record_sha256=row.record_sha256,
            submitted_by=row.submitted_by,
            submitted_at=parse_stamp(row.submitted_at),
            status=status,
            latest_decision=latest,
        )


def _masked(value: Any, hidden: frozenset[str], found: set[str]) -> Any:
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            if key in hidden:
                found.add(key)
                masked[key] = MASKED
            else:
                masked[key] = _masked(item, hidden, found)
        return masked
    if isinstance(value, list):
        return [_masked(item, hidden, found) for item in value]
    return value


def _stored_response(
    connection: Connection, claim: IdempotencyClaim, now: dt.datetime | None = None
) -> StoredResponse | None:
    values = {"caller": claim.caller, "key": claim.key}
    if now is not None:
        values["since"] = stamp(now - claim.lifetime)
    row = connection.execute(_key_query(now is not None), values).one_or_none()
    if row is None:
        return None
    if row.request_sha256 != claim.request_sha256:
        raise single_problem(
            "<request>",
            "this Idempotency-Key was first used with another payload",
            "use a new key for a new submission",
            field="Idempotency-Key",
        )
    return StoredResponse(row.status_code, row.response_json, row.evaluation_id, replayed=True)


# The statements every submission runs are built once, with bound parameters:
# building one (and the key SQLAlchemy caches its compiled form by) cost several
# times what running it takes, on CPU that every request shares.


@functools.cache
def _key_query(live_only: bool) -> Any:
    query = select(IdempotencyKeyRow).where(
        IdempotencyKeyRow.caller == bindparam("caller"), IdempotencyKeyRow.key == bindparam("key")
    )
    if live_only:
        query = query.where(IdempotencyKeyRow.created_at >= bindparam("since"))
    return query


@functools.cache
def _chain_head() -> Any:
    return select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)


@functools.cache
def _insert_event() -> Any:
    return insert(AuditEventRow)


@functools.cache
def _decisions_query() -> Any:
    return (
        select(DecisionRow)
        .join(EvaluationRow, EvaluationRow.id == DecisionRow.evaluation_id)
        .where(EvaluationRow.proposal_id == bindparam("proposal_id"))
        .order_by(DecisionRow.id)
    )


@functools.cache
def _inputs_query() -> Any:
    return select(EvaluationRow.proposal_sha256, EvaluationRow.pack_sha256).where(
        EvaluationRow.id == bindparam("evaluation_id")
    )


def _dialect_insert(dialect: str) -> Any:
    """INSERT with the dialect's ON CONFLICT clauses (PostgreSQL and SQLite spell them alike)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if dialect == "postgresql" else sqlite).insert


@functools.cache
def _insert_once(dialect: str, table: Any, unique: str = "sha256", returned: str = "sha256") -> Any:
    """Insert unless a row with the same 'unique' value is there; returns 'returned' when new."""
    return (
        _dialect_insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=[unique])
        .returning(table.__table__.c[returned])
    )


@functools.cache
def _upsert_key(dialect: str) -> Any:
    statement = _dialect_insert(dialect)(IdempotencyKeyRow)
    kept = ("request_sha256", "evaluation_id", "status_code", "response_json", "created_at")
    return statement.on_conflict_do_update(
        index_elements=["caller", "key"],
        set_={name: statement.excluded[name] for name in kept},
    )


def _decisions_of(connection: Connection, proposal_id: str) -> Sequence[Any]:
    return connection.execute(_decisions_query(), {"proposal_id": proposal_id}).all()


def _decision(row: Any) -> HumanDecision:
    return HumanDecision.trusted(
        id=row.id,
        evaluation_id=row.evaluation_id,
        record_sha256=row.record_sha256,
        outcome=Outcome(row.outcome),
        engine_decision=Decision(row.engine_decision),
        override=bool(row.override),
        by=row.decided_by,
        reason=row.reason,
        at=parse_stamp(row.decided_at),
    )


def pack_row(pack: CriteriaPack, at: str) -> dict[str, Any]:
    """A pack's row: content-addressed by the sha256 of its canonical JSON."""
    return {
        "sha256": pack.sha256,
        "pack_id": pack.id,
        "version": pack.version,
        "canonical_json": pack.canonical_json,
        "stored_at": at,
    }


def evaluation_event(evaluation_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit event of a submission says of the evaluation row (verify compares)."""
    return {
        "evaluation_id": evaluation_id,
        "proposal_id": values["proposal_id"],
        "proposal_sha256": values["proposal_sha256"],
        "pack_id": values["pack_id"],
        "pack_version": values["pack_version"],
        "pack_sha256": values["pack_sha256"],
        "record_sha256": values["record_sha256"],
        "decision": values["decision"],
        "submitted_by": values["submitted_by"],
        "submitted_at": values["submitted_at"],
    }


def created_message(evaluation_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The data of an evaluation.created webhook: the submission's event and the headline."""
    return {
        **evaluation_event(evaluation_id, values),
        "title": values["title"],
        "category": values["category"],
        "owner": values["owner"],
        "score": values["score"],
        "confidence": values["confidence"],
    }


def _notify(connection: Connection, event_type: str, at: str, data: dict[str, Any]) -> None:
    # Imported here: the webhooks module builds on this one.
    from techgate.register.webhooks import enqueue

    enqueue(connection, event_type, data, at)


def decision_event(decision_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit event of a human decision says of its row (verify compares)."""
    return {
        "decision_id": decision_id,
        "evaluation_id": values["evaluation_id"],
        "record_sha256": values["record_sha256"],
        "outcome": values["outcome"],
        "engine_decision": values["engine_decision"],
        "override": bool(values["override"]),
        "decided_by": values["decided_by"],
        "reason": values["reason"],
        "decided_at": values["decided_at"],
    }


def _utf8(value: str | None, field: str) -> None:
    # A byte that is not UTF-8 in an argument reaches Python as a lone surrogate,
    # which neither database driver can encode.
    if value is not None and _SURROGATE.search(value):
        raise single_problem(
            "<register>",
            "is not UTF-8 text (a lone surrogate, or a byte the terminal did not encode)",
            field=field,
        )


def _searchable(value: str | None, field: str) -> None:
    """A text looked up in the register: UTF-8, and no NUL. PostgreSQL cannot hold a NUL in
    text and refused the query (a problem naming the database, where SQLite found nothing);
    no stored text holds one, so both now say so the same way."""
    _utf8(value, field)
    if value is not None and "\x00" in value:
        raise single_problem(
            "<register>", "holds a NUL character, which no stored text does", field=field
        )


def _reason(value: str | None) -> str | None:
    """The reason, or None when it says nothing a reader could see."""
    if value is None:
        return None
    _utf8(value, "reason")
    value = value.strip()
    if len(value) > MAX_REASON:
        raise single_problem(
            "<decision>", f"is longer than {MAX_REASON:,} characters", field="reason"
        )
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        raise single_problem(
            "<decision>",
            "holds a control character (only lines and tabs may break the text)",
            field="reason",
        )
    # Only spaces, joiners, marks or bidi controls: nothing a reader could see, so
    # it cannot be the reason an override needs.
    visible = any(unicodedata.category(c)[0] in "LNPS" for c in value)
    return value if visible else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def checked_name(value: str, field: str) -> str:
    """A name (of a person, a board, a token): one printable line of 1 to 200 characters."""
    return _name(value, field)


def _name(value: str, field: str) -> str:
    _utf8(value, field)
    value = value.strip()
    if not value or len(value) > MAX_NAME or not value.isprintable():
        raise single_problem(
            "<decision>",
            f"must be a printable name of 1 to {MAX_NAME} characters",
            field=field,
        )
    return value


def _check_id(evaluation_id: int) -> None:
    # The driver raises OverflowError for a number past 64 bits; no row can have one.
    if not 1 <= evaluation_id <= LARGEST_ID:
        raise _no_evaluation(evaluation_id)


def _no_evaluation(evaluation_id: int) -> Exception:
    return NotFoundError(
        single_problem(
            "<register>",
            f"has no evaluation {evaluation_id}",
            "see 'techgate register list'",
            field="evaluation_id",
        ).problems
    )
