"""What export and import agree on: sheet names, columns, rows and the metadata's keys."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from techgate.model._base import replaced
from techgate.model.criteria import CriteriaPack, Criterion, Indicator
from techgate.model.proposal import Proposal

FORMAT = "techgate-scoresheet/1"
SCORES = "Scores"
EVIDENCE = "Evidence"
METADATA = "Metadata"
SHEET_NAMES = (SCORES, EVIDENCE, METADATA)

HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1

# Column letters of the Scores sheet; the answer columns are the only
# unlocked cells.
ID, CRITERION, TITLE, QUESTION, SCORE, EVIDENCE_IDS, NOTE, ALLOWED, LEVELS = "ABCDEFGHI"
HEADINGS = {
    ID: ("Indicator id", 22),
    CRITERION: ("Criterion", 20),
    TITLE: ("Indicator", 26),
    QUESTION: ("Question", 48),
    SCORE: ("Score", 11),
    EVIDENCE_IDS: ("Evidence ids (comma separated)", 24),
    NOTE: ("Note", 40),
    ALLOWED: ("Allowed answers", 18),
    LEVELS: ("What each level means here", 70),
}
ANSWER_COLUMNS = (SCORE, EVIDENCE_IDS, NOTE)

# Metadata sheet: key in column A, value in column B, one per row, in this
# order; then one 'indicator' row per Scores row; then the digest.
META_KEYS = (
    "format",
    "pack_id",
    "pack_version",
    "pack_sha256",
    "proposal_id",
    "proposal_sha256",
    "assessor",
    "techgate_version",
)
INDICATOR_KEY = "indicator"
DIGEST_KEY = "digest"


class SheetRow(NamedTuple):
    """One indicator an assessor scores on the sheet."""

    criterion: Criterion
    indicator: Indicator

    def allowed(self, top: int) -> tuple[str, ...]:
        """Every answer the score cell accepts, as the drop-down lists them."""
        answers = [str(level) for level in range(top + 1)]
        if self.indicator.allow_na:
            answers.append("n/a")
        if self.indicator.allow_unchanged:
            answers.append("unchanged")
        return tuple(answers)


def sheet_rows(pack: CriteriaPack, proposal: Proposal) -> tuple[SheetRow, ...]:
    """The indicators assessors score for this proposal, in pack order.

    Computed indicators are left out (techgate works them out from the
    facts), and so are those the pack's applicability rules exclude for the
    proposal's category and traits.
    """
    traits = proposal.traits
    return tuple(
        SheetRow(criterion, indicator)
        for criterion in pack.criteria
        for indicator in criterion.indicators
        if indicator.derived is None
        and (
            indicator.applies_to is None or indicator.applies_to.matches(proposal.category, traits)
        )
    )


def proposal_basis_sha256(proposal: Proposal) -> str:
    """SHA-256 of the proposal without its assessments and moderation.

    A sheet is made for the facts assessors judge; another assessor's
    answers arriving in the file must not invalidate it.
    """
    return replaced(proposal, assessments=(), moderation=None).sha256  # type: ignore[no-any-return]


def metadata_digest(pairs: list[tuple[str, str]]) -> str:
    """SHA-256 over the metadata rows: an edited metadata sheet no longer matches it."""
    text = "\n".join(f"{key}={value}" for key, value in pairs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
