"""The service's own request and response bodies (the register's models are served as they are).

Requests are strict (unknown keys refused), like every input; responses are
built with Record.trusted from data the service holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from techgate.model._base import Frozen, Record
from techgate.model.evaluation import Evaluation
from techgate.model.register import Outcome, Role, StoredEvaluation
from techgate.vocabulary import WebhookEvent


class Located(Record):
    """One problem in an input, where the command line would print it."""

    file: str
    """The input: '<request body>', '<request>' (the URL or headers), or a pack's id."""
    line: int | None
    """Its line in the body (YAML or JSON), when known."""
    column: int | None
    """Its column, when known."""
    field: str
    """The field, as a dotted path ('assessments.0.scores.cost'); empty for the whole input."""
    message: str
    """What is wrong."""
    hint: str
    """What to do about it; may be empty."""


class Problem(Record):
    """An error, as RFC 9457 problem details (media type application/problem+json)."""

    type: str
    """A URI naming the kind of problem ('about:blank' for a plain HTTP status)."""
    title: str
    """The kind of problem, in a few words."""
    status: int
    """The HTTP status code."""
    detail: str
    """This occurrence, in a sentence."""
    instance: str
    """The request's path."""
    problems: tuple[Located, ...]
    """Every problem found in the input, located (empty when the input is not at fault)."""


class DecisionRequest(Frozen):
    """A human decision on a stored evaluation; the decider is the token's name."""

    outcome: Outcome
    """approved, rejected or approved-with-conditions."""
    reason: Annotated[str, Field(max_length=10_000)] | None = None
    """Why; required when the outcome overrides the engine."""


class TokenRequest(Frozen):
    """A token to create."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    """Who or what will use it; recorded as the submitter or decider of what it does."""
    role: Role
    """reader, submitter, approver or admin."""
    expires: dt.datetime | None = None
    """When it stops working (UTC when no zone is given); null: never."""


class PackEntry(Record):
    """A pack the service offers by id."""

    id: str
    """The id proposals name it by ('pack: ID')."""
    title: str
    """Its title."""
    version: str
    """Its version."""
    source: Literal["installed", "built-in"]
    """Installed in the register (wins over a built-in pack of the same id) or shipped."""
    sha256: str
    """SHA-256 of its canonical JSON (what records name as provenance.pack_sha256)."""


class PackList(Record):
    """The packs the service offers, by id."""

    items: tuple[PackEntry, ...]
    """Sorted by id."""


class JobStatus(Record):
    """A report being rendered in the background."""

    id: str
    """The job's id."""
    status: Literal["pending", "done", "failed"]
    """Where it stands."""
    evaluation_id: int
    """The evaluation whose record is rendered."""
    format: str
    """pdf or html."""
    result: str | None
    """Where to fetch the document once done."""
    problem: str | None
    """Why it failed, when it did."""


class Health(Record):
    """Liveness or readiness."""

    status: Literal["ok", "unavailable"]
    """ok, or unavailable when the database does not answer."""


class Submission(Record):
    """What POST /v1/evaluations stored (201), or found stored already (200)."""

    created: bool
    """False when identical inputs had been submitted before: nothing new was stored."""
    evaluation: StoredEvaluation
    """The stored evaluation."""
    record: Evaluation
    """The decision record, as 'techgate evaluate --json' writes it."""


class RevokeRequest(Frozen):
    """Why a waiver is withdrawn; the one withdrawing it is the token's name."""

    reason: Annotated[str, Field(max_length=10_000)] | None = None
    """Why, if said."""


class SubscriptionRequest(Frozen):
    """A receiver of webhook events; the subscriber is the token's name."""

    url: Annotated[str, Field(max_length=2_000)]
    """Where to POST: http or https, no credentials; private addresses only when the server
    allows them (techgate serve --allow-private-webhooks)."""
    events: Annotated[tuple[WebhookEvent, ...], Field(min_length=1, max_length=10)]
    """The events it is told of."""


class SubscriptionChangeRequest(Frozen):
    """Why a subscription is disabled or enabled again; the one changing it is the token's name."""

    why: Annotated[str, Field(min_length=1, max_length=1_000)] = "changed by an admin"
    """Why, kept with the change."""
