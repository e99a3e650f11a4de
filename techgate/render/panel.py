"""How reports show each assessor's answers: one by one for a handful, summarised beyond.

A panel of three reads best answer by answer, beside each indicator. A
survey of a thousand does not: every indicator row would list a thousand
names, and the report would run to hundreds of pages that nobody reads. So
beyond INLINE_ASSESSORS, every report format shows per indicator what a
steering committee asks of a crowd (how many answered, the median, where
the middle half lies, the range, how many gave each level, and who stands
far from the rest, by name) and the PDF and HTML add an appendix: the
assessors far from the median most often, and every assessor's answers in a
compact table up to LISTED_ASSESSORS (beyond, the appendix says where they
are: the JSON record keeps every answer, whatever the count).

The thresholds below are the only place these choices are made.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from techgate.model.evaluation import (
    AssessorScore,
    CriterionResult,
    Evaluation,
    IndicatorResult,
)
from techgate.render.safe_text import short_name

INLINE_ASSESSORS = 5
"""Up to this many assessors, reports list every answer beside its indicator (a handful;
every shipped example has three or fewer, so their reports are as they were)."""
NAMED_OUTLIERS = 5
"""Answers far from the median named beside an indicator; the rest are counted."""
LISTED_DISSENTERS = 20
"""Assessors listed as far from the median on several indicators, most often first."""
LISTED_ASSESSORS = 1000
"""Up to this many assessors, the appendix lists every answer (six or seven pages a
thousand); beyond, it points to the JSON record, which always holds every answer."""
MATRIX_PAIRS = 2
"""Assessors side by side in one row of the appendix's table of answers."""

NOT_ANSWERED = "·"
ANSWER_CODES = {"n/a": "n", "unchanged": "u"}

Answered = list[tuple[CriterionResult, IndicatorResult]]


@dataclass(frozen=True)
class FarAnswer:
    """One assessor's level, far from the median of all the levels given."""

    assessor: str
    indicator: str
    """The indicator's title."""
    level: int
    median: float

    @property
    def distance(self) -> float:
        return abs(self.level - self.median)


@dataclass(frozen=True)
class AnswerSummary:
    """All assessors' answers to one indicator, as numbers a reader can take in."""

    answers: int
    """Answers given, including 'n/a' and 'unchanged'."""
    levels: tuple[int, ...]
    """How many answered each level, from 0 to the top of the scale."""
    not_applicable: int
    unchanged: int
    median: float | None
    middle: tuple[int, int] | None
    """The levels between which the middle half of the answers lie (quartiles, nearest rank)."""
    lowest: int | None
    highest: int | None
    far: tuple[FarAnswer, ...]
    """Levels far from the median (the pack's disagreement spread or more), farthest first."""
    far_from: int
    """How many levels from the median count as far."""

    @property
    def middle_text(self) -> str:
        """'2–3', or 'all at 3' when the middle half gave one level."""
        if self.middle is None:
            return "—"
        low, high = self.middle
        return f"all at {low}" if low == high else f"{low}–{high}"

    @property
    def range_text(self) -> str:
        if self.lowest is None:
            return "—"
        return f"{self.lowest}–{self.highest}" if self.lowest != self.highest else "none"

    @property
    def levels_text(self) -> str:
        """'24 · 0 · 198 · 601 · 177; n/a 20': how many gave each level, from 0 up."""
        text = " · ".join(f"{n:,}" for n in self.levels)
        if self.not_applicable:
            text += f"; n/a {self.not_applicable:,}"
        if self.unchanged:
            text += f"; unchanged {self.unchanged:,}"
        return text

    @property
    def named(self) -> str:
        """The far answers, up to NAMED_OUTLIERS by name and level, the rest counted."""
        if not self.far:
            return "none"
        named = "; ".join(
            f"{short_name(a.assessor)} gave {a.level}" for a in self.far[:NAMED_OUTLIERS]
        )
        more = len(self.far) - NAMED_OUTLIERS
        return named + (f"; and {more:,} more" if more > 0 else "")

    @property
    def counts(self) -> str:
        """'1,000 answers: median 3; middle half 2–3; range 0–4'."""
        head = f"{self.answers:,} answer{'s' if self.answers != 1 else ''}"
        if self.median is None:
            return f"{head}: none of them a level"
        return (
            f"{head}: median {self.median:g}; middle half {self.middle_text}; "
            f"range {self.range_text}"
        )

    @property
    def distribution(self) -> str:
        """'Levels 0–4: 24 · 0 · 198 · 601 · 177; n/a 20'."""
        return f"Levels 0–{len(self.levels) - 1}: {self.levels_text}"

    @property
    def outliers(self) -> str:
        """'24 far from the median (2+ levels): Finance – assessor 0027 gave 0; …; and 19 more.'"""
        if self.median is None:
            return ""
        far = f"far from the median ({self.far_from}+ levels)"
        if not self.far:
            return f"None {far}."
        return f"{len(self.far):,} {far}: {self.named}."


@dataclass(frozen=True)
class IndicatorAnswers:
    """One indicator's title and the summary of its answers."""

    id: str
    title: str
    summary: AnswerSummary


@dataclass(frozen=True)
class Dissenter:
    """An assessor far from the median on several indicators."""

    assessor: str
    far: tuple[FarAnswer, ...]

    @property
    def answers(self) -> str:
        return "; ".join(f"{a.indicator} {a.level} (median {a.median:g})" for a in self.far)


@dataclass(frozen=True)
class AnswerRow:
    """One assessor's answers in the appendix, grouped by criterion in pack order."""

    assessor: str
    codes: str


@dataclass(frozen=True)
class PanelView:
    """What reports show of a large panel's answers instead of every answer in every row."""

    assessors: int
    summaries: dict[str, AnswerSummary]
    """Indicator id to the summary of its answers, for every indicator anyone answered."""
    indicators: tuple[IndicatorAnswers, ...]
    """The same, in pack order, for formats that list them on their own."""
    far_from: int
    dissenters: tuple[Dissenter, ...]
    """Up to LISTED_DISSENTERS assessors far from the median on two or more indicators."""
    more_dissenters: int
    """Assessors far from the median on two or more indicators not listed."""
    far_once: int
    """Assessors far from the median on exactly one indicator."""
    key: tuple[tuple[str, tuple[str, ...]], ...]
    """Criterion title and its answered indicators' titles: the order of the codes."""
    rows: tuple[tuple[AnswerRow, ...], ...]
    """Every assessor's answers, MATRIX_PAIRS to a row; empty beyond LISTED_ASSESSORS."""

    @property
    def listed(self) -> bool:
        return self.assessors <= LISTED_ASSESSORS

    @property
    def named_outliers(self) -> int:
        return NAMED_OUTLIERS

    @property
    def pairs(self) -> int:
        return MATRIX_PAIRS

    @property
    def blanks(self) -> int:
        """Empty assessor slots in the last row of the table of answers."""
        return MATRIX_PAIRS - len(self.rows[-1]) if self.rows else 0


def many_assessors(evaluation: Evaluation) -> bool:
    return len(evaluation.proposal.assessors) > INLINE_ASSESSORS


def panel_view(evaluation: Evaluation) -> PanelView | None:
    """The summary view of the answers, or None for a handful of assessors (every answer shown)."""
    if not many_assessors(evaluation):
        return None
    scale_max = evaluation.pack.scale_max
    far_from = evaluation.pack.policy.disagreement_spread
    answered: Answered = [
        (criterion, indicator)
        for criterion in evaluation.criteria
        for indicator in criterion.indicators
        if indicator.assessors
    ]
    indicators = tuple(
        IndicatorAnswers(i.id, i.title, summarise(i, scale_max, far_from)) for _, i in answered
    )
    by_assessor: dict[str, list[FarAnswer]] = defaultdict(list)
    for item in indicators:
        for answer in item.summary.far:
            by_assessor[answer.assessor].append(answer)
    several = sorted(
        (Dissenter(name, tuple(far)) for name, far in by_assessor.items() if len(far) > 1),
        key=lambda d: (-len(d.far), d.assessor),
    )
    assessors = evaluation.proposal.assessors
    return PanelView(
        assessors=len(assessors),
        summaries={item.id: item.summary for item in indicators},
        indicators=indicators,
        far_from=far_from,
        dissenters=tuple(several[:LISTED_DISSENTERS]),
        more_dissenters=max(0, len(several) - LISTED_DISSENTERS),
        far_once=sum(1 for far in by_assessor.values() if len(far) == 1),
        key=_key(answered),
        rows=_rows(assessors, answered, scale_max) if len(assessors) <= LISTED_ASSESSORS else (),
    )


def summarise(indicator: IndicatorResult, scale_max: int, far_from: int) -> AnswerSummary:
    """The summary of one indicator's answers; levels far_from the median or more are far."""
    answers = indicator.assessors
    values = sorted(a.score for a in answers if a.score is not None)
    top = max([scale_max, *values])
    levels = [0] * (top + 1)
    for value in values:
        levels[value] += 1
    not_applicable = sum(1 for a in answers if a.answer == "n/a")
    unchanged = sum(1 for a in answers if a.answer == "unchanged")
    if not values:
        return AnswerSummary(
            len(answers),
            tuple(levels),
            not_applicable,
            unchanged,
            None,
            None,
            None,
            None,
            (),
            far_from,
        )
    median = _median(values)
    far = sorted(
        (
            FarAnswer(a.assessor, indicator.title, a.score, median)
            for a in answers
            if a.score is not None and abs(a.score - median) >= far_from
        ),
        key=lambda a: (-a.distance, a.assessor),
    )
    return AnswerSummary(
        answers=len(answers),
        levels=tuple(levels),
        not_applicable=not_applicable,
        unchanged=unchanged,
        median=median,
        middle=(_rank(values, 0.25), _rank(values, 0.75)),
        lowest=values[0],
        highest=values[-1],
        far=tuple(far),
        far_from=far_from,
    )


def _median(ordered: list[int]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _rank(ordered: list[int], share: float) -> int:
    """The nearest-rank quantile: always a level someone gave."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _key(answered: Answered) -> tuple[tuple[str, tuple[str, ...]], ...]:
    groups: dict[str, tuple[str, list[str]]] = {}
    for criterion, indicator in answered:
        groups.setdefault(criterion.id, (criterion.title, []))[1].append(indicator.title)
    return tuple((title, tuple(titles)) for title, titles in groups.values())


def _code(answer: AssessorScore | None, width: int) -> str:
    if answer is None:
        code = NOT_ANSWERED
    elif answer.score is not None:
        code = str(answer.score)
    else:
        code = ANSWER_CODES.get(answer.answer, "?")
    return code.rjust(width)


def _rows(
    assessors: tuple[str, ...], answered: Answered, scale_max: int
) -> tuple[tuple[AnswerRow, ...], ...]:
    """Each assessor's answers as codes, one run per criterion, runs apart by a space."""
    width = len(str(scale_max))
    # One character a level packs a criterion's run tight; wider levels need a gap.
    joiner, gap = ("", " ") if width == 1 else (" ", "  ")
    lookup = [(c.id, {a.assessor: a for a in i.assessors}) for c, i in answered]
    lines = []
    for name in assessors:
        runs: dict[str, list[str]] = {}
        for criterion, answers in lookup:
            runs.setdefault(criterion, []).append(_code(answers.get(name), width))
        codes = gap.join(joiner.join(run) for run in runs.values())
        lines.append(AnswerRow(name, codes))
    return tuple(tuple(lines[n : n + MATRIX_PAIRS]) for n in range(0, len(lines), MATRIX_PAIRS))
