"""What the meeting screen says, as rich Text built from the desk: never markup, so that no
name, note or title from a file can style the screen or hide itself in it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.text import Text

from techgate.model.evaluation import Decision, Evaluation, IndicatorResult
from techgate.render.safe_text import printable_line

if TYPE_CHECKING:
    from techgate.meeting.state import Figures, MeetingState, Round
    from techgate.tui.desk import Desk

DECISION_WORDS = {Decision.GO: "GO", Decision.CONDITIONAL: "CONDITIONAL", Decision.NO_GO: "NO-GO"}
OUTCOME_WORDS = {
    "approve": "approve",
    "reject": "reject",
    "approve-with-conditions": "approve with conditions",
    "defer": "defer",
}


def line(text: str, limit: int = 400) -> str:
    """One line of user text: control characters and line breaks as escapes, cut at 'limit'."""
    shown = printable_line(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def figures(record: Evaluation) -> Text:
    """The decision's figures, a line each: score, confidence, margin, what binds."""
    margin = record.margin
    text = Text()
    text.append("Score ", style="bold")
    text.append(f"{record.score:.1f}", style="bold")
    text.append(" of 100\nConfidence ")
    text.append(f"{record.confidence:.2f}", style="bold")
    text.append("  coverage ")
    text.append(f"{record.coverage:.2f}\n", style="bold")
    room = []
    if margin.score_above is not None:
        room.append(f"{margin.score_above:.1f} to fall")
    if margin.score_below is not None:
        room.append(f"{margin.score_below:.1f} to rise")
    text.append("Margin ", style="bold")
    text.append(", ".join(room) + " (points)" if room else "none")
    if margin.knife_edge:
        text.append("  KNIFE-EDGE", style="bold reverse")
    text.append("\n")
    gates = [g.id for g in record.gates if g.id in margin.binding]
    others = [b for b in margin.binding if b not in gates]
    text.append("Binding ", style="bold")
    text.append(", ".join([*(f"gate {g}" for g in gates), *others]) or "nothing")
    return text


def reasons(record: Evaluation, count: int) -> Text:
    """The top reasons and the conditions."""
    text = Text()
    text.append("Why ", style="bold")
    for reason in record.reasons[:count]:
        mark = "+" if reason.direction == "for" else "−"
        text.append(f"{mark} {line(reason.text, 160)}\n")
    if not record.reasons:
        text.append("no reason given\n")
    text.append("Conditions ", style="bold")
    if not record.conditions:
        text.append("none")
    for number, condition in enumerate(record.conditions[:count], start=1):
        text.append(f"{number}. {line(condition.text, 160)}  ")
    more = len(record.conditions) - count
    if more > 0:
        text.append(f"(+{more} more)")
    return text


def level_text(result: IndicatorResult) -> str:
    if result.status.value == "not-applicable":
        return "n/a"
    if result.status.value == "unchanged":
        return "unch."
    if result.status.value == "gap":
        return "gap"
    return "" if result.score is None else f"{result.score:g}"


def answer_text(answer: int | str | None) -> str:
    if answer is None:
        return ""
    if answer == "unchanged":
        return "unch."
    return str(answer)


def timer(current: Round, now: dt.datetime) -> str:
    """'timer 5:00, 3:12 left' (or 'over by 0:40'); empty without a timer."""
    if current.deadline is None or current.timer_seconds is None:
        return ""
    deadline = dt.datetime.strptime(current.deadline, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=dt.UTC
    )
    moment = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    left = int((deadline - moment).total_seconds())
    given = f"timer {current.timer_seconds // 60}:{current.timer_seconds % 60:02d}"
    if left >= 0:
        return f"{given}, {left // 60}:{left % 60:02d} left"
    over = -left
    return f"{given}, over by {over // 60}:{over % 60:02d}"


def round_heading(desk: Desk, state: MeetingState) -> Text:
    """What the round pane says first: the round open, who has answered, never what."""
    text = Text()
    current = state.current_round
    if current is None:
        last = state.rounds[-1] if state.rounds else None
        if last is None:
            text.append("No round yet. ", style="bold")
            text.append(
                "Mark indicators with space in Criteria, then r; or r and 'spread 2'.",
            )
        else:
            by = "by the chair" if last.revealed_by else "once everyone present had answered"
            text.append(f"Round {last.number} revealed ", style="bold")
            text.append(f"({by}). r opens round {last.number + 1}.")
        return text
    present = len(state.present_assessors())
    waiting = desk.waiting()
    text.append(f"Round {current.number}: BLIND ", style="bold reverse")
    text.append(f"  {present - len(waiting)} of {present} assessors have answered")
    clock = timer(current, desk.now())
    if clock:
        text.append(f"   {clock}", style="bold")
    text.append("\n")
    if waiting:
        text.append("Waiting for: ", style="bold")
        text.append(", ".join(line(name, 60) for name in waiting))
        text.append("   a: answer privately   v: reveal now")
    return text


def figure_cells(figures: Figures, names: list[str]) -> list[str]:
    """A revealed indicator's row: each assessor's answer, then spread, IQR, median, flag."""
    given = {g.assessor: g.answer for g in figures.answers}
    cells = [answer_text(given.get(name)) for name in names]
    cells.append("" if figures.spread is None else str(figures.spread))
    iqr = figures.interquartile_range
    cells.append("" if iqr is None else f"{iqr:g}")
    cells.append("" if figures.median is None else f"{figures.median:g}")
    cells.append("DISAGREE" if figures.disagreement else "agree")
    return cells
