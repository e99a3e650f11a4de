"""What the register of decisions returns: stored evaluations, human decisions, the audit check.

Records built by the register from rows it wrote itself (Record.trusted);
the coming HTTP service serves the same models, so their JSON Schema is its
API's.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from techgate.model._base import Frozen, Record
from techgate.model.evaluation import Decision, Evaluation
from techgate.vocabulary import LARGEST_ID, MAX_PAGE


class Outcome(StrEnum):
    """What the people who decide made of an evaluation."""

    APPROVED = "approved"
    REJECTED = "rejected"
    APPROVED_WITH_CONDITIONS = "approved-with-conditions"

    def overrides(self, engine: Decision) -> bool:
        """Whether this outcome goes against the engine's recommendation.

        Approving (with or without conditions) a no-go, or rejecting a go, is
        an override; a conditional may be approved with conditions or
        rejected, but approving it outright skips its conditions and is one
        too.
        """
        if self is Outcome.REJECTED:
            return engine is Decision.GO
        if self is Outcome.APPROVED:
            return engine is not Decision.GO
        return engine is Decision.NO_GO


class DecisionStatus(StrEnum):
    """Where an evaluation stands with the people who decide."""

    UNDECIDED = "undecided"
    DECIDED = "decided"
    NEEDS_NEW_DECISION = "needs-new-decision"


class Filters(Frozen):
    """What a listing keeps; a filter left out (null) keeps everything."""

    decision: Decision | None = None
    """The engine's decision."""
    proposal_id: str | None = None
    """The proposal's id."""
    pack_id: str | None = None
    """The criteria pack's id."""
    category: str | None = None
    """The proposal's category."""
    owner: str | None = None
    """The proposal's sponsor, exactly."""
    since: dt.datetime | None = None
    """Submitted at or after this time (UTC when no zone is given)."""
    until: dt.datetime | None = None
    """Submitted before this time (UTC when no zone is given)."""


class Page(Frozen):
    """Which slice of a listing: up to 'limit' evaluations after the one numbered 'after'."""

    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    """At most this many."""
    after: Annotated[int, Field(ge=0, le=LARGEST_ID)] = 0
    """Only evaluations numbered above this (the previous page's next_after)."""


class HumanDecision(Record):
    """A decision people took on one stored evaluation; never changed, only followed by another."""

    id: int
    """The decision's number in the register."""
    evaluation_id: int
    """The evaluation decided on."""
    record_sha256: str
    """SHA-256 of the evaluation record's bytes: what the decision is bound to."""
    outcome: Outcome
    """approved, rejected or approved-with-conditions."""
    engine_decision: Decision
    """What the engine recommended."""
    override: bool
    """Whether the outcome goes against the engine's recommendation (then a reason is given)."""
    by: str
    """Who decided."""
    reason: str | None
    """Why; always given for an override."""
    at: dt.datetime
    """When it was recorded (UTC)."""


class StoredEvaluation(Record):
    """One evaluation in the register, with where it stands."""

    id: int
    """The evaluation's number in the register."""
    proposal_id: str
    """The proposal's id (every version of a proposal shares it)."""
    title: str
    """The proposal's title."""
    category: str
    """The proposal's category."""
    owner: str
    """The proposal's sponsor."""
    decision: Decision
    """The engine's decision: go, conditional or no-go."""
    score: float
    """Overall score 0-100."""
    confidence: float
    """Confidence 0-1."""
    pack_id: str
    """Criteria pack id."""
    pack_version: str
    """Criteria pack version."""
    proposal_sha256: str
    """SHA-256 of the proposal's canonical JSON."""
    pack_sha256: str
    """SHA-256 of the pack's canonical JSON."""
    record_sha256: str
    """SHA-256 of the stored record's bytes."""
    submitted_by: str | None
    """Who submitted it, when said."""
    submitted_at: dt.datetime
    """When it was stored (UTC)."""
    status: DecisionStatus
    """undecided; decided; or needs-new-decision when the proposal or pack changed since the
    last human decision on this proposal id."""
    latest_decision: HumanDecision | None
    """The last human decision on this proposal id (on this or an earlier evaluation)."""


class Submitted(Record):
    """What a submission stored, or found already stored."""

    evaluation: StoredEvaluation
    """The stored evaluation."""
    created: bool
    """False when identical inputs had been submitted before: nothing new was stored."""


class Shown(Record):
    """One evaluation, the decisions taken on it, and its record."""

    evaluation: StoredEvaluation
    """The stored evaluation."""
    decisions: tuple[HumanDecision, ...]
    """Decisions bound to this evaluation, oldest first."""
    record: Evaluation
    """The decision record, as 'techgate evaluate --json' wrote it."""


class History(Record):
    """Every evaluation of one proposal id over time, and every decision taken on them."""

    proposal_id: str
    """The proposal's id."""
    evaluations: tuple[StoredEvaluation, ...]
    """Oldest first."""
    decisions: tuple[HumanDecision, ...]
    """Oldest first."""


class EvaluationPage(Record):
    """One page of a listing."""

    items: tuple[StoredEvaluation, ...]
    """Evaluations, oldest first."""
    next_after: int | None
    """Pass as 'after' for the next page; null on the last."""


class BrokenLink(Record):
    """Something in the register that does not match what the audit chain says."""

    table: str
    """The table it was found in."""
    key: str
    """The row: its number or hash."""
    message: str
    """What does not match."""


class VerifyResult(Record):
    """The audit chain walked, and every stored row checked against it."""

    intact: bool
    """Whether nothing was found out of place."""
    events: int
    """Audit events walked."""
    head: str
    """Hash of the last event (64 zeros for an empty register): keep it elsewhere to detect a
    chain cut short at its end."""
    problems: tuple[BrokenLink, ...]
    """What was found out of place, the earliest event first."""


MASKED = "[masked]"
"""What a masked field's value reads as in an exported audit event."""


class AuditEvent(Record):
    """One event of the audit chain, as exported (with any masked fields replaced)."""

    seq: int
    """The event's number, from 1, with no gaps."""
    kind: str
    """What changed: evaluation.submitted, decision.recorded, ..."""
    at: dt.datetime
    """When (UTC)."""
    prev_hash: str
    """The hash of the event before (64 zeros for the first)."""
    hash: str
    """sha256(prev_hash + the event's canonical JSON), over the unmasked event."""
    data: dict[str, Any]
    """The event's data (see docs/register.md); masked fields read '[masked]'."""
    masked: tuple[str, ...]
    """The fields of data that were masked in this export, sorted."""


class AuditPage(Record):
    """One page of the audit chain."""

    items: tuple[AuditEvent, ...]
    """Events, oldest first."""
    next_after: int | None
    """Pass as 'after' for the next page; null on the last."""


# -- the service: tokens, installed packs, the audit log ---------------------------------------


class Role(StrEnum):
    """What an API token may do. Each role may do what the ones before it may; admin, all."""

    READER = "reader"
    SUBMITTER = "submitter"
    APPROVER = "approver"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether a token of this role may do what needs 'needed'."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


class Principal(Record):
    """Who a request's token says is calling."""

    token_id: int
    """The token's number in the register."""
    name: str
    """The token's name: what the register records as the submitter or decider."""
    role: Role
    """What the token may do."""


class TokenInfo(Record):
    """An API token as listed: never its secret, which is not kept."""

    id: int
    """The token's number in the register."""
    name: str
    """Who or what uses it; recorded as the submitter or decider of what it does."""
    role: Role
    """reader, submitter, approver or admin."""
    prefix: str
    """The secret's first characters, to tell tokens apart."""
    created_by: str
    """Who created it."""
    created_at: dt.datetime
    """When it was created (UTC)."""
    expires_at: dt.datetime | None
    """When it stops working (UTC); null: never."""
    revoked_at: dt.datetime | None
    """When it was revoked (UTC); null: it was not."""
    revoked_by: str | None
    """Who revoked it."""


class NewToken(Record):
    """A token just created, with its secret: shown this once and never again."""

    token: TokenInfo
    """The token as it will be listed."""
    secret: str
    """The bearer secret ('tg_' and 43 characters). Only its SHA-256 is kept."""


class PackInstall(Record):
    """A pack made available to the service by id, or an id withdrawn (pack_sha256 null)."""

    id: int
    """The install's number in the register."""
    pack_id: str
    """The id proposals name the pack by."""
    pack_sha256: str | None
    """SHA-256 of the pack's canonical JSON; null when the id was removed."""
    version: str | None
    """The pack's version; null when the id was removed."""
    installed_by: str
    """Who installed or removed it."""
    installed_at: dt.datetime
    """When (UTC)."""
