"""Blind rounds: the rules as data-driven cases, the RAND/UCLA figures, and replay properties."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meeting_journals import CHAIR, Builder, indicator

from techgate.errors import InvalidInputError
from techgate.meeting.journal import replay
from techgate.meeting.rounds import (
    disagrees,
    extremes,
    interquartile_range,
    median,
    spread,
    third_of_panel,
)
from techgate.meeting.state import view
from techgate.meeting.text import state_json, state_text

ACC = indicator("accuracy")
PRI = indicator("privacy", na=True)


def three() -> Builder:
    return Builder().present("Ana", "Ben", "Cy")


def outcome(kind: str, engine: str, override: bool, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "conditions": [],
        "engine_decision": engine,
        "outcome": kind,
        "override": override,
        "present": [CHAIR],
        "reason": None,
    }
    data.update(extra)
    return data


# Each case: a journal, and the words of the rule it breaks (None: it breaks none).
RULE_CASES: dict[str, tuple[Callable[[], Builder], str | None]] = {
    "a second answer in the same round": (
        lambda: (
            three().round(1, ACC).answer("Ana", 1, "accuracy", 2).answer("Ana", 1, "accuracy", 3)
        ),
        "has answered accuracy in round 1 already",
    ),
    "an answer after the reveal": (
        lambda: (
            three()
            .round(1, ACC)
            .answer("Ana", 1, "accuracy", 2)
            .reveal(1)
            .answer("Ben", 1, "accuracy", 3)
        ),
        "a revealed answer is never edited",
    ),
    "a reveal by an assessor": (
        lambda: three().round(1, ACC).answer("Ana", 1, "accuracy", 2).reveal(1, by="Ana"),
        "only the chair",
    ),
    "a reveal before any answer": (lambda: three().round(1, ACC).reveal(1), "nothing to reveal"),
    "an answer from someone absent": (
        lambda: three().absent("Cy").round(1, ACC).answer("Cy", 1, "accuracy", 2),
        "not an assessor present",
    ),
    "an answer from an observer": (
        lambda: (
            three().present("Obi", assessor=False).round(1, ACC).answer("Obi", 1, "accuracy", 2)
        ),
        "not an assessor present",
    ),
    "a level off the scale": (
        lambda: three().round(1, ACC).answer("Ana", 1, "accuracy", 5),
        "off the scale",
    ),
    "n/a where the pack forbids it": (
        lambda: three().round(1, ACC).answer("Ana", 1, "accuracy", "n/a"),
        "may not be answered 'n/a'",
    ),
    "n/a where the pack allows it": (
        lambda: three().round(1, PRI).answer("Ana", 1, "privacy", "n/a"),
        None,
    ),
    "an indicator the round does not ask": (
        lambda: three().round(1, ACC).answer("Ana", 1, "privacy", 2),
        "does not ask about privacy",
    ),
    "a round while another is blind": (
        lambda: three().round(1, ACC).round(2, PRI),
        "round 1 is still blind",
    ),
    "a round with nobody to answer": (lambda: Builder().round(1, ACC), "no assessor is present"),
    "a round out of number": (lambda: three().round(2, ACC), "round 1 was due"),
    "a round opened by an assessor": (
        lambda: three().event(
            "round.opened", "Ana", {"indicators": [ACC], "round": 1, "timer_seconds": None}
        ),
        "only the chair",
    ),
    "attendance marked by someone else": (
        lambda: three().event(
            "attendance", "Ana", {"assessor": True, "name": "Ben", "present": False}
        ),
        "marked by the chair or by the person",
    ),
    "joining by oneself": (
        lambda: three().event(
            "attendance", "Dee", {"assessor": True, "name": "Dee", "present": True}
        ),
        None,
    ),
    "an override without a reason": (
        lambda: three().event("outcome.recorded", CHAIR, outcome("approve", "no-go", True)),
        "an override needs a reason",
    ),
    "an override flag that does not match": (
        lambda: three().event("outcome.recorded", CHAIR, outcome("reject", "go", False)),
        "does not match",
    ),
    "defer never overrides": (
        lambda: three().event("outcome.recorded", CHAIR, outcome("defer", "go", False)),
        None,
    ),
    "conditions missing from an approval with conditions": (
        lambda: three().event(
            "outcome.recorded", CHAIR, outcome("approve-with-conditions", "conditional", False)
        ),
        "needs at least one condition",
    ),
    "an outcome while a round is blind": (
        lambda: (
            three()
            .round(1, ACC)
            .event("outcome.recorded", CHAIR, outcome("reject", "no-go", False))
        ),
        "reveal it first",
    ),
    "an outcome by an assessor": (
        lambda: three().event("outcome.recorded", "Ana", outcome("reject", "no-go", False)),
        "only the chair",
    ),
    "undoing a what-if twice": (
        lambda: (
            three()
            .event("whatif.applied", CHAIR, {"change": {"kind": "weight", "safety": 30}})
            .event("whatif.undone", CHAIR, {"applied": 5})
            .event("whatif.undone", CHAIR, {"applied": 5})
        ),
        "undone already",
    ),
    "a note from someone not present": (
        lambda: three().event("note.added", "Zed", {"indicator": None, "text": "hello"}),
        "not present",
    ),
}


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_round_rules(case: str) -> None:
    build, broken = RULE_CASES[case]
    journal = build()
    if broken is None:
        assert replay(journal.bytes(), "j").state.events == len(journal.lines)
        return
    with pytest.raises(InvalidInputError) as caught:
        replay(journal.bytes(), "j")
    (problem,) = caught.value.problems
    assert broken in problem.message
    assert problem.line == len(journal.lines)  # the last line is the one that breaks it


def test_the_round_is_revealed_once_everyone_present_has_answered() -> None:
    journal = three().round(1, ACC, PRI)
    for who, level in (("Ana", 0), ("Ben", 4)):
        journal.answer(who, 1, "accuracy", level).answer(who, 1, "privacy", 3)
    state = replay(journal.bytes(), "j").state
    assert state.current_round is not None  # Cy has not answered
    assert [a.assessors for a in state.rounds[0].answered] == [("Ana", "Ben")] * 2
    journal.answer("Cy", 1, "accuracy", 2)
    assert replay(journal.bytes(), "j").state.current_round is not None  # privacy still open
    journal.answer("Cy", 1, "privacy", "n/a")
    state = replay(journal.bytes(), "j").state
    (round_,) = state.rounds
    assert round_.revealed and round_.revealed_by is None and round_.revealed_seq == 11
    accuracy, privacy = round_.results
    assert [(g.assessor, g.answer) for g in accuracy.answers] == [("Ana", 0), ("Ben", 4), ("Cy", 2)]
    assert (accuracy.spread, accuracy.interquartile_range, accuracy.median) == (4, 2.0, 2.0)
    assert accuracy.disagreement
    assert (privacy.levels, privacy.spread, privacy.median, privacy.disagreement) == (
        2,
        0,
        3.0,
        False,
    )
    assert {(g.assessor, g.indicator) for g in state.answers} == {
        (who, key) for who in ("Ana", "Ben", "Cy") for key in ("accuracy", "privacy")
    }


def test_marking_the_last_one_absent_reveals_and_the_chair_may_reveal_early() -> None:
    journal = three().round(1, ACC).answer("Ana", 1, "accuracy", 1).answer("Ben", 1, "accuracy", 1)
    state = replay(journal.absent("Cy").bytes(), "j").state
    assert state.rounds[0].revealed and state.rounds[0].revealed_by is None
    early = three().round(1, ACC).answer("Ana", 1, "accuracy", 3).reveal(1)
    state = replay(early.bytes(), "j").state
    assert state.rounds[0].revealed_by == CHAIR
    assert [g.assessor for g in state.rounds[0].results[0].answers] == ["Ana"]


def test_a_later_round_replaces_the_answer_and_keeps_the_first_round_as_it_was() -> None:
    journal = Builder().present("Ana").round(1, ACC).answer("Ana", 1, "accuracy", 1)
    journal.round(2, ACC).answer("Ana", 2, "accuracy", 3, note="after the demo")
    state = replay(journal.bytes(), "j").state
    assert [r.results[0].answers[0].answer for r in state.rounds] == [1, 3]
    (latest,) = state.answers
    assert (latest.answer, latest.round, latest.note) == (3, 2, "after the demo")


def test_hidden_names_become_numbers_in_the_order_people_joined() -> None:
    journal = Builder(names="hidden").present("Zoe", "Al").round(1, ACC)
    journal.answer("Al", 1, "accuracy", 0).answer("Zoe", 1, "accuracy", 4)
    journal.event("note.added", "Al", {"indicator": "accuracy", "text": "too few calls"})
    shown = view(replay(journal.bytes(), "j").state)
    answers = shown.rounds[0].results[0].answers
    assert [(g.assessor, g.answer) for g in answers] == [("Assessor 1", 4), ("Assessor 2", 0)]
    assert shown.notes[0].by == "Assessor 2"
    assert [p.name for p in shown.people] == ["Al", "Zoe"]  # sorted: the order would give it away
    dumped = shown.model_dump_json()
    assert "Zoe" not in dumped.replace('"name":"Zoe"', "")


# -- the figures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "low", "high"),
    [
        (8, {0, 1, 2}, {6, 7, 8}),  # the manual's 1-9 scale: 1-3 and 7-9
        (4, {0, 1}, {3, 4}),  # techgate's default 0-4
        (1, {0}, {1}),
        (2, {0}, {2}),
        (3, {0}, {3}),
        (5, {0, 1}, {4, 5}),
        (10, {0, 1, 2, 3}, {7, 8, 9, 10}),
    ],
)
def test_the_thirds_of_a_scale(top: int, low: set[int], high: set[int]) -> None:
    assert extremes(top) == (frozenset(low), frozenset(high))


@pytest.mark.parametrize(
    ("panel", "third"),
    [
        # The manual's table: 3 of 8-10, 4 of 11-13, 5 of 14-16.
        *[(8, 3), (9, 3), (10, 3), (11, 4), (12, 4), (13, 4), (14, 5), (15, 5), (16, 5)],
        # Committees are smaller.
        *[(1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2), (7, 2)],
    ],
)
def test_a_third_of_the_panel(panel: int, third: int) -> None:
    assert third_of_panel(panel) == third


@pytest.mark.parametrize(
    ("levels", "top", "expected"),
    [
        ([0, 0, 0, 4, 4, 4, 8, 8, 8], 8, True),  # three at each end of nine
        ([0, 0, 4, 4, 4, 4, 8, 8, 8], 8, False),  # only two at the low end
        ([0, 4, 2], 4, True),
        ([1, 3, 2], 4, True),  # 'weak' and 'strong' are the ends of a five-level scale
        ([2, 2, 2], 4, False),
        ([0, 0, 0, 0, 4], 4, False),  # one at the top of five is not a third
        ([0, 0, 0, 4, 4], 4, True),
        ([4], 4, False),
        ([], 4, False),
        ([0, 1], 1, True),
    ],
)
def test_rand_ucla_disagreement(levels: list[int], top: int, expected: bool) -> None:
    assert disagrees(levels, top) is expected


def test_spread_iqr_and_median() -> None:
    assert (spread([0, 4, 2]), interquartile_range([0, 4, 2]), median([0, 4, 2])) == (4, 2.0, 2.0)
    assert (interquartile_range([1, 2]), median([1, 2])) == (0.5, 1.5)
    assert (spread([3]), interquartile_range([3]), median([3])) == (0, 0.0, 3.0)


# -- properties -----------------------------------------------------------------------

PANEL = ("Ana", "Ben", "Cy", "Dee", "Eve")
levels = st.lists(st.integers(0, 4), min_size=1, max_size=len(PANEL))


def _round_with(answers: list[tuple[str, int]]) -> Builder:
    """Everyone present answers, in the order given: the round reveals itself."""
    journal = Builder().present(*PANEL[: len(answers)]).round(1, ACC)
    for who, level in answers:
        journal.answer(who, 1, "accuracy", level)
    return journal


@settings(max_examples=60, deadline=None)
@given(levels, st.randoms(use_true_random=False))
def test_the_order_of_answers_never_changes_the_revealed_figures(
    given_levels: list[int], random: object
) -> None:
    answers = list(zip(PANEL, given_levels, strict=False))
    shuffled = answers[:]
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    one = replay(_round_with(answers).bytes(), "j").state.rounds[0].results
    other = replay(_round_with(shuffled).bytes(), "j").state.rounds[0].results
    strip = ("seq",)
    assert [f.model_dump(exclude={"answers"}) for f in one] == [
        f.model_dump(exclude={"answers"}) for f in other
    ]
    assert [[g.model_dump(exclude=set(strip)) for g in f.answers] for f in one] == [
        [g.model_dump(exclude=set(strip)) for g in f.answers] for f in other
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=2, max_size=4),
    st.lists(st.integers(0, 4), min_size=2, max_size=4),
    st.sampled_from(["shown", "hidden"]),
)
def test_before_the_reveal_no_view_holds_a_level(
    first: list[int], second: list[int], names: str
) -> None:
    """Two rounds alike but for the levels given look the same in every view until revealed."""
    count = min(len(first), len(second)) - 1  # one assessor has not answered: still blind

    def blind(given_levels: list[int]) -> bytes:
        journal = Builder(names=names).present(*PANEL[: count + 1]).round(1, ACC)
        for who, level in zip(PANEL[:count], given_levels, strict=False):
            journal.answer(who, 1, "accuracy", level, note=f"secret {level}")
        return journal.bytes()

    states = [replay(blind(levels_), "j").state for levels_ in (first, second)]
    assert all(s.current_round is not None for s in states)
    one, other = (view(s) for s in states)
    # Views differ only in the lines' hashes (the journals differ); nothing else may.
    assert one.model_dump(exclude={"head"}) == other.model_dump(exclude={"head"})
    assert state_text(one).replace(one.head, "") == state_text(other).replace(other.head, "")
    for state in (one, other, *states):
        dumped = state.model_dump_json() + state_json(state, None) + state_text(state)
        assert "secret" not in dumped and '"answer"' not in dumped and "level" not in dumped


journals = st.lists(
    st.tuples(st.sampled_from(["answer", "reveal", "note", "round", "leave"]), st.integers(0, 4)),
    max_size=30,
)


def _valid_journal(steps: list[tuple[str, int]]) -> Builder:
    """A journal that keeps every rule: steps that would break one are skipped."""
    journal = Builder().present("Ana", "Ben", "Cy")
    for action, number in steps:
        state = replay(journal.bytes(), "j").state
        current = state.current_round
        present = state.present_assessors()
        if action == "round" and current is None and present:
            journal.round(len(state.rounds) + 1, ACC)
        elif action == "answer" and current is not None:
            waiting = [p for p in present if p not in current.answered[0].assessors]
            if waiting:
                journal.answer(waiting[number % len(waiting)], current.number, "accuracy", number)
        elif action == "reveal" and current is not None and current.hidden:
            journal.reveal(current.number)
        elif action == "note":
            journal.event("note.added", CHAIR, {"indicator": None, "text": f"note {number}"})
        elif action == "leave" and len(present) > 1:
            journal.absent(present[number % len(present)])
    return journal


@settings(max_examples=40, deadline=None)
@given(journals)
def test_every_prefix_of_a_valid_journal_replays_to_a_valid_state(
    steps: list[tuple[str, int]],
) -> None:
    journal = _valid_journal(steps)
    data = journal.bytes()
    whole = replay(data, "j").state
    offsets = [0]
    for line in journal.lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for count, end in enumerate(offsets[1:], start=1):
        state = replay(data[:end], "j").state
        assert state.events == count
        assert len(state.rounds) <= len(whole.rounds)
        assert all(r.revealed for r in state.rounds[:-1])
        for round_ in state.rounds:
            assert bool(round_.results) == round_.revealed
        # Replaying is pure: the same bytes give the same state.
        assert replay(data[:end], "j").state == state
        # A prefix cut inside its last line is the prefix before it, with the torn line said.
        if end - offsets[count - 1] > 2:
            torn = replay(data[: end - 2], "j")
            assert torn.torn_line == count and torn.state.events == count - 1
