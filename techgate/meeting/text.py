"""A meeting's state in plain words and as JSON, for 'techgate meeting-journal' and scripts."""

from __future__ import annotations

import json

from techgate.meeting.state import MeetingState


def state_json(shown: MeetingState, torn_line: int | None) -> str:
    """The state (as view() shows it) and any torn line, as indented JSON."""
    return json.dumps(
        {"state": shown.model_dump(mode="json"), "torn_line": torn_line},
        indent=2,
        ensure_ascii=False,
    )


def state_text(shown: MeetingState) -> str:
    """The state in lines a person reads; blind answers are not in it to begin with."""
    opened = shown.opened
    if opened is None:
        return "an empty meeting journal\n"
    lines = [
        f"meeting on {opened.proposal_id} ({opened.proposal_title}), {opened.date.isoformat()}",
        f"chair: {opened.chair}; names {opened.names.value}; {shown.events} events; "
        f"head {shown.head}",
        "present: " + (", ".join(p.name for p in shown.people if p.present) or "nobody"),
    ]
    absent = [p.name for p in shown.people if not p.present]
    if absent:
        lines.append("absent: " + ", ".join(absent))
    for round_ in shown.rounds:
        ids = ", ".join(i.id for i in round_.indicators)
        if not round_.revealed:
            lines.append(f"round {round_.number} (blind): {ids}")
            for answered in round_.answered:
                who = ", ".join(answered.assessors) or "nobody yet"
                lines.append(f"  {answered.indicator}: {len(answered.assessors)} answered ({who})")
            continue
        how = f"revealed by {round_.revealed_by}" if round_.revealed_by else "everyone answered"
        lines.append(f"round {round_.number} ({how}): {ids}")
        for row in round_.results:
            answers = "; ".join(f"{g.assessor}: {g.answer}" for g in row.answers)
            figures = (
                f"spread {row.spread}, IQR {row.interquartile_range:g}, median {row.median:g}"
                if row.median is not None and row.interquartile_range is not None
                else "no levels"
            )
            flag = ", DISAGREEMENT" if row.disagreement else ""
            lines.append(f"  {row.indicator}: {answers} ({figures}{flag})")
    for note in shown.notes:
        about = f" [{note.indicator}]" if note.indicator else ""
        lines.append(f"note{about} {note.by}: {' '.join(note.text.split())}")
    for whatif in shown.whatifs:
        undone = " (undone)" if whatif.undone_seq is not None else ""
        lines.append(f"what-if {whatif.change['kind']} at line {whatif.seq}{undone}")
    if shown.outcome is not None:
        outcome = shown.outcome
        override = f", OVERRIDES the engine's {outcome.engine_decision}" if outcome.override else ""
        lines.append(f"outcome: {outcome.outcome.value}{override}")
        lines += [
            f"  condition: {c.text} ({c.owner}, {c.due.isoformat()})" for c in outcome.conditions
        ]
    for save in shown.saves:
        lines.append(f"saved at line {save.seq}: {save.answers} answers")
    return "".join(line + "\n" for line in lines)
