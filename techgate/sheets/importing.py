"""Decide what importing scoresheets changes in a proposal, and refuse what it may not."""

from __future__ import annotations

from collections.abc import Sequence

from techgate.errors import InputProblem, InvalidInputError
from techgate.model.proposal import IndicatorScore, Proposal
from techgate.sheets import layout
from techgate.sheets.reading import SheetAnswers

_ASSESSOR_CELL = f"{layout.METADATA}!B{layout.META_KEYS.index('assessor') + 1}"


def merged_scores(
    existing: dict[str, IndicatorScore], sheet: SheetAnswers
) -> dict[str, IndicatorScore]:
    """The assessor's answers after the import: the sheet's for what it asked, the rest kept."""
    asked = set(sheet.indicators)
    kept = {key: value for key, value in existing.items() if key not in asked}
    return {**kept, **sheet.assessment.scores}


def changes_of(
    proposal: Proposal, sheets: Sequence[SheetAnswers], *, replace: bool
) -> list[SheetAnswers]:
    """The sheets that change the proposal's answers; refused ones raise, all at once.

    An assessor already in the proposal is replaced only when 'replace' is
    given; once moderation has started, no assessor's answers may change.
    """
    present = {a.assessor: a for a in proposal.assessments}
    problems: list[InputProblem] = []
    changing: list[SheetAnswers] = []
    for sheet in sheets:
        assessor = sheet.assessment.assessor
        existing = present.get(assessor)
        before = existing.scores if existing else None
        differs = before is None or merged_scores(before, sheet) != before
        if proposal.moderation is not None and differs:
            problems.append(
                InputProblem(
                    str(sheet.path),
                    None,
                    None,
                    _ASSESSOR_CELL,
                    f"moderation started on {proposal.moderation.started.isoformat()}: the "
                    "individual answers are locked, and this sheet would change those of "
                    f"{assessor!r}",
                    "moderate in the 'moderation' block instead",
                )
            )
        elif existing is not None and not replace:
            problems.append(
                InputProblem(
                    str(sheet.path),
                    None,
                    None,
                    _ASSESSOR_CELL,
                    f"assessor {assessor!r} already has answers in the proposal",
                    "give --replace to replace them with this sheet's",
                )
            )
        elif differs:
            changing.append(sheet)
    if problems:
        raise InvalidInputError(problems)
    return changing
