"""What-if: the committee's questions on the shipped examples, every bad option told at once,
undo and redo, and the properties (undo restores, same changes same bytes, omission never pays).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techgate import api
from techgate.cli import ExitCode, cli
from techgate.errors import InvalidInputError
from techgate.model.whatif import ChangeKind, ChangeRequest, WhatIf
from techgate.render.json import render_json
from techgate.whatif import WhatIfSession

GROUNDED = EXAMPLES / "generative-assistant-grounded.yaml"
CRM = EXAMPLES / "crm-consolidation.yaml"
VOICEBOT = EXAMPLES / "voicebot-projected-savings.yaml"
PANEL = EXAMPLES / "self-service-portal-panel.yaml"
AGENT_ASSIST = EXAMPLES / "agent-assist-drafts.yaml"
CALLBACK = EXAMPLES / "callback-queue.yaml"
SPEECH = EXAMPLES / "speech-analytics-savings.yaml"
VENDOR_B = EXAMPLES / "procurement" / "vendor-b.yaml"
VENDOR_C = EXAMPLES / "procurement" / "vendor-c.yaml"
CUSTOMER_PANEL = (
    "stakeholder_input[+]={group: customers, method: focus-group, participants: 8, "
    "favourable_share: 0.75, date: 2026-10-20}"
)
ALL_EXAMPLES = sorted(EXAMPLES.glob("*.yaml"))
RANK = {"go": 0, "conditional": 1, "no-go": 2}
PILOT = "evidence[+]={id: claims-pilot, kind: pilot, title: Eight-week pilot on a tenth of calls}"
CLAIMS_SAVING = "motive.objectives[Reduce the claims team by 32 posts]"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def whatif(path: Path, *changes: tuple[str, str]) -> WhatIf:
    return api.whatif(path, changes)


# --- The committee's questions ------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A what-if a panel would really try, and what it must do (and why)."""

    why: str
    proposal: Path
    changes: tuple[tuple[str, str], ...]
    before: str
    after: str
    binds_after: tuple[str, ...]
    """What must hold the decision after the changes (the margin's binding)."""
    failed_after: frozenset[str] = frozenset()
    """Gates that must have failed after the changes (others may fail too)."""
    passed_after: frozenset[str] = frozenset()
    """Gates that must pass after the changes."""


SCENARIOS = [
    Scenario(
        "the evening wait for a person is brought down to the gate's five minutes",
        GROUNDED,
        (("fact", "human_escalation.minutes_to_person=5"),),
        "conditional",
        "go",
        ("score",),
        passed_after=frozenset({"human-route-speed"}),
    ),
    Scenario(
        "six minutes is still more than the gate allows: nothing moves",
        GROUNDED,
        (("fact", "human_escalation.minutes_to_person=6"),),
        "conditional",
        "conditional",
        ("human-route-speed",),
        failed_after=frozenset({"human-route-speed"}),
    ),
    Scenario(
        "escalation to a person drops to 30 minutes: still held by the speed gate",
        GROUNDED,
        (("fact", "human_escalation.minutes_to_person=30"),),
        "conditional",
        "conditional",
        ("human-route-speed",),
        failed_after=frozenset({"human-route-speed"}),
    ),
    Scenario(
        "the vendor withdraws the hand-over to a person: the human-route gate stops it",
        GROUNDED,
        (("fact", "human_escalation.available=false"),),
        "conditional",
        "no-go",
        ("human-route",),
        failed_after=frozenset({"human-route", "human-route-speed"}),
    ),
    Scenario(
        "the data protection review marks privacy down a level: the safety floor fails",
        CRM,
        (("score", "privacy=1"),),
        "conditional",
        "no-go",
        ("safety-floor",),
        failed_after=frozenset({"safety-floor"}),
    ),
    Scenario(
        "safety weighed ten times as much: the score falls, the decision holds",
        CRM,
        (("weight", "safety=30"),),
        "conditional",
        "conditional",
        ("stakeholders-consulted", "score", "min_confidence"),
    ),
    Scenario(
        "a pilot measures 40 of the 45 points of containment: the cuts gate passes",
        VOICEBOT,
        (
            ("fact", PILOT),
            ("fact", f"{CLAIMS_SAVING}.measured=40"),
            ("fact", f"{CLAIMS_SAVING}.evidence=[claims-pilot]"),
        ),
        "no-go",
        "conditional",
        ("service-led", "human-route-capacity", "score", "min_confidence"),
        passed_after=frozenset({"cuts-on-measured-benefits"}),
    ),
    Scenario(
        "a pilot measuring only 20 points leaves too little of the case measured",
        VOICEBOT,
        (
            ("fact", PILOT),
            ("fact", f"{CLAIMS_SAVING}.measured=20"),
            ("fact", f"{CLAIMS_SAVING}.evidence=[claims-pilot]"),
        ),
        "no-go",
        "no-go",
        ("cuts-on-measured-benefits",),
        failed_after=frozenset({"cuts-on-measured-benefits"}),
    ),
    Scenario(
        "the posts are kept: without cuts the cuts gate has nothing to judge",
        VOICEBOT,
        (("fact", "workforce.roles_removed=0"),),
        "no-go",
        "conditional",
        ("service-led", "score", "min_confidence"),
        passed_after=frozenset({"cuts-on-measured-benefits"}),
    ),
    Scenario(
        "drafts go to customers unchecked: the safeguards for generated answers apply",
        AGENT_ASSIST,
        (("fact", "automation.human_reviews_output=false"),),
        "go",
        "no-go",
        ("human-route", "safety-floor", "answers-owned"),
        failed_after=frozenset({"human-route", "answers-owned"}),
    ),
    Scenario(
        "the whole panel scores privacy down a level on the self-service portal",
        PANEL,
        (("score", "privacy=2"),),
        "conditional",
        "no-go",
        ("safety-floor",),
        failed_after=frozenset({"safety-floor"}),
    ),
    Scenario(
        "one panel member marking privacy down is outvoted by the median",
        PANEL,
        (("answer", "Maria:privacy=2"),),
        "conditional",
        "conditional",
        ("human-route-speed", "score", "min_confidence"),
    ),
    Scenario(
        "a customer metric with a target answers the customer-measured gate",
        SPEECH,
        (("fact", "motive.success_metrics[+]={name: Customer effort, kind: customer, target: 2}"),),
        "conditional",
        "conditional",
        ("service-led", "score"),
        passed_after=frozenset({"customer-measured"}),
    ),
    Scenario(
        "tender, bid B: one assessor marks abuse resistance down, as the margin warned",
        VENDOR_B,
        (("answer", "Dana:abuse-resistance=1"),),
        "conditional",
        "no-go",
        ("abuse-resisted",),
        failed_after=frozenset({"abuse-resisted"}),
    ),
    Scenario(
        "tender, bid B: the customer panel meets and is in favour; confidence still holds it",
        VENDOR_B,
        (("fact", CUSTOMER_PANEL),),
        "conditional",
        "conditional",
        ("score", "min_confidence"),
        passed_after=frozenset({"stakeholders-consulted"}),
    ),
    Scenario(
        "tender, bid C: answers grounded and owned; the payment-difficulty rule still holds it",
        VENDOR_C,
        (("score", "grounded-answers=3"), ("score", "answer-accountability=3")),
        "no-go",
        "conditional",
        ("payment-difficulty-routed", "score", "min_confidence"),
        failed_after=frozenset({"payment-difficulty-routed"}),
        passed_after=frozenset({"generated-answers-grounded", "answers-owned"}),
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.why)
def test_the_committee_question_moves_the_decision_for_the_right_reason(
    scenario: Scenario,
) -> None:
    result = whatif(scenario.proposal, *scenario.changes)
    assert result.before.decision.value == scenario.before
    assert result.after.decision.value == scenario.after
    assert result.after.binding == scenario.binds_after
    assert scenario.failed_after <= set(result.after.failed_gates)
    assert not scenario.passed_after & set(result.after.failed_gates)
    after_gates = {g.id: g.after.value for g in result.diff.gates if g.after}
    for gate in scenario.passed_after:
        assert after_gates.get(gate) == "passed", f"{gate} did not change to passed"
    assert [c.given for c in result.changes] == [text for _, text in scenario.changes]
    if scenario.before == scenario.after:
        assert result.direction == "same"
    else:
        better = RANK[scenario.after] < RANK[scenario.before]
        assert result.direction == ("better" if better else "worse")


PANELS = [
    path
    for path in [*ALL_EXAMPLES, *sorted((EXAMPLES / "procurement").glob("vendor-*.yaml"))]
    if len(api.load(path).proposal.assessments) > 1
]
FLIP_WORDS = re.compile(r"^(?P<who>.+)'s answer on (?P<title>.+) from (?P<was>\S+) to (?P<to>\S+)$")


@pytest.mark.parametrize("path", PANELS, ids=lambda p: p.stem)
def test_one_answer_what_ifs_flip_exactly_where_the_margin_says(path: Path) -> None:
    # The margin works out arithmetically which single answer, one level either way,
    # would flip the decision; what-if runs the engine on each. They must agree.
    loaded = api.load(path)
    session = api.whatif_session(loaded)
    record, top = session.record, session.record.pack.scale_max
    titles = {i.id: i.title for c in record.criteria for i in c.indicators}
    promised = set()
    for flip in record.margin.flips:
        if flip.kind == "assessor":
            words = FLIP_WORDS.match(flip.change)
            assert words is not None, flip.change
            promised.add((words["who"], words["title"], words["to"], flip.to.value))
    happened = set()
    for indicator in (i for c in record.criteria for i in c.indicators):
        levels = [a for a in indicator.assessors if a.answer == "level"]
        if len(levels) < 2 or indicator.moderation is not None:
            continue
        for answer in levels:
            assert answer.score is not None
            for level in (answer.score - 1, answer.score + 1):
                if not 0 <= level <= top:
                    continue
                text = f"{answer.assessor}:{indicator.id}={level}"
                after = session.apply(_request("answer", text)).current_record.decision
                if after is not record.decision:
                    happened.add((answer.assessor, titles[indicator.id], str(level), after.value))
    assert happened == promised


def test_a_criterion_weight_is_the_pack_weight_in_the_record() -> None:
    result = whatif(CRM, ("weight", "safety=30"))
    (change,) = result.changes
    assert change.words == "safety weight 3 → 30"
    (safety,) = [c for c in result.diff.criteria if c.id == "safety"]
    assert safety.weight_share_after is not None and safety.weight_share_before is not None
    assert safety.weight_share_after > safety.weight_share_before
    assert result.diff.pack_changed and not result.diff.proposal_changed


def test_an_indicator_weight_that_a_trait_replaces_changes_the_trait_weight() -> None:
    # Agent assist is human-reviewed: staff input weighs by its trait weight (3), so a
    # committee's "staff input weighs 5" must move that one, or nothing would change.
    session = api.whatif_session(AGENT_ASSIST)
    changed = session.apply(
        ChangeRequest(kind=ChangeKind.WEIGHT, text="stakeholder-input.staff-consulted=5")
    )
    (change,) = changed.changes
    assert change.before == "3" and change.after == "5"
    assert "human-reviewed" in change.words
    weights = {i.id: i.weight for c in changed.current_record.criteria for i in c.indicators}
    assert weights["staff-consulted"] == 5
    plain = session.apply(ChangeRequest(kind=ChangeKind.WEIGHT, text="safety.privacy=5"))
    weights = {i.id: i.weight for c in plain.current_record.criteria for i in c.indicators}
    assert weights["privacy"] == 5 and plain.changes[0].words == "safety.privacy weight 2 → 5"


def test_a_score_sets_every_assessors_answer_and_an_answer_only_one() -> None:
    result = whatif(PANEL, ("score", "accuracy=4"))
    (accuracy,) = [i for i in result.diff.indicators if i.id == "accuracy"]
    assert {a.after.score for a in accuracy.answers if a.after} == {4}
    assert accuracy.after is not None and accuracy.after.score == 4
    one = whatif(PANEL, ("answer", "Daniel:accuracy=0"))
    (accuracy,) = [i for i in one.diff.indicators if i.id == "accuracy"]
    assert [a.assessor for a in accuracy.answers] == ["IT – Daniel Kim"]
    assert one.changes[0].words == "IT – Daniel Kim's answer to accuracy 3 → 0"


def test_changes_apply_in_the_order_given_each_on_the_ones_before() -> None:
    later_wins = whatif(
        GROUNDED,
        ("fact", "human_escalation.minutes_to_person=5"),
        ("fact", "human_escalation.minutes_to_person=30"),
    )
    assert later_wins.after.decision.value == "conditional"
    assert later_wins.changes[1].words == "human_escalation.minutes_to_person 5 → 30"
    code, out, _ = run(
        "whatif",
        str(GROUNDED),
        "--fact",
        "human_escalation.minutes_to_person=30",
        "--weight",
        "safety=4",
        "--fact",
        "human_escalation.minutes_to_person=5",
        "-f",
        "json",
    )
    assert code == ExitCode.GO
    assert [c["given"] for c in json.loads(out)["changes"]] == [
        "human_escalation.minutes_to_person=30",
        "safety=4",
        "human_escalation.minutes_to_person=5",
    ]


# --- Moderation -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moderated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text, _ = api.start_moderation(api.load(PANEL), "Joan Whitfield", dt.date(2026, 11, 20))
    path = tmp_path_factory.mktemp("moderated") / "moderated.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_score_on_a_moderated_proposal_is_the_panels_answer(moderated: Path) -> None:
    result = whatif(moderated, ("score", "privacy=2"))
    assert result.after.decision.value == "no-go" and "safety-floor" in result.after.binding
    (privacy,) = [i for i in result.diff.indicators if i.id == "privacy"]
    assert privacy.changed == ("score", "moderation")
    assert privacy.answers == ()  # the assessors' own answers stay as they were
    assert privacy.after is not None and privacy.after.moderated == 2
    assert result.changes[0].words == "privacy moderated answer 3 → 2"
    record = api.whatif_session(moderated).apply(
        ChangeRequest(kind=ChangeKind.SCORE, text="privacy=2")
    )
    (moderation,) = [
        i.moderation
        for c in record.current_record.criteria
        for i in c.indicators
        if i.id == "privacy"
    ]
    assert moderation is not None and moderation.changed
    assert moderation.comment == "what-if: privacy moderated answer 3 → 2"


def test_an_answer_on_a_moderated_proposal_is_refused_as_locked(moderated: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        whatif(moderated, ("answer", "Maria:privacy=2"))
    (problem,) = caught.value.problems
    assert problem.field == "--answer Maria:privacy=2"
    assert "locked" in problem.message and "--score privacy=LEVEL" in problem.hint


# --- Bad options ---------------------------------------------------------------------------

BAD_OPTIONS = [
    ("--weight", "saftey=30", "has no criterion 'saftey'", "did you mean 'safety'?"),
    ("--weight", "safety=-1", "weight -1 is negative", ""),
    ("--weight", "safety=abc", "weight 'abc' is not a number", ""),
    ("--weight", "safety=nan", "weight 'nan' is not a number", ""),
    ("--weight", "safety=1e400", "weight '1e400' is not a number", ""),
    ("--weight", "safety=0", "a weight of 0 is not allowed", ""),
    ("--weight", "safety=1001", "more than 1000", ""),
    ("--weight", "privacy=2", "'privacy' is an indicator", "write 'safety.privacy'"),
    ("--weight", "safety.privcy=2", "has no indicator 'privcy'", "did you mean 'privacy'?"),
    ("--weight", "safety", "expected TARGET=VALUE", ""),
    ("--weight", "=3", "names nothing before '='", ""),
    ("--score", "accurcy=3", "has no indicator 'accurcy'", "did you mean 'accuracy'?"),
    ("--score", "accuracy=9", "level 9 is above the scale's top level 4", ""),
    ("--score", "accuracy=-1", "'-1' is not a level", ""),
    ("--score", "accuracy=2.5", "'2.5' is not a level", ""),
    ("--score", "accuracy=n/a", "does not allow 'n/a'", ""),
    ("--score", "accuracy=unchanged", "cannot be 'unchanged'", ""),
    ("--score", "accuracy=none", "'none' is not a level", ""),
    ("--score", "accuracy=", "gives no value after '='", ""),
    ("--score", "service-motive=3", "is computed from the proposal's facts", "--fact"),
    ("--answer", "Nobody:accuracy=2", "no assessor 'Nobody'", "Marek Nowak, Priya Raman"),
    ("--answer", "Priya:accuracy=x", "'x' is not a level", ""),
    ("--answer", "accuracy=2", "expected NAME:INDICATOR=VALUE", ""),
    ("--answer", ":accuracy=2", "expected NAME:INDICATOR=VALUE", ""),
    ("--answer", "Priya:accurcy=2", "has no indicator 'accurcy'", ""),
    ("--fact", "human_escalation.minutes=3", "has no fact 'minutes'", "'minutes_to_person'"),
    ("--fact", "human_escalation.minutes_to_person=soon", "should be a valid number", "got 'soon'"),
    (
        "--fact",
        "stakeholder_input[0].participants=many",
        "participants: input should be a valid integer, unable to parse string as an integer "
        "or input should be a valid dictionary or instance of AtLeast; got 'many'",
        "",
    ),
    ("--fact", "date=yesterday", "date: input should be a valid date", "YYYY-MM-DD"),
    ("--fact", "human_escalation.minutes_to_person=-4", "greater than or equal to 0", ""),
    ("--fact", "segments[7].ability=full", "segments[7] does not exist", "[3] or [+]"),
    ("--fact", "segments[0].ability=maybe", "'full', 'partial' or 'none'", ""),
    ("--fact", "segments[Nobody].ability=full", "segments has no item 'Nobody'", ""),
    ("--fact", "segments[0].ability.x=1", "is a single value; it has no part 'x'", ""),
    ("--fact", "assessments=1", "'assessments' is not a fact", "--answer"),
    ("--fact", "moderation.scores=1", "'moderation' is not a fact", "--score"),
    ("--fact", "pack=technology", "'pack' is not a fact", "--pack"),
    ("--fact", "colour=blue", "the proposal has no fact 'colour'", ""),
    ("--fact", "bad..path=1", "is not a path", ""),
    ("--fact", "human_escalation.available=", "gives no value after '='", "null"),
    ("--fact", "summary=[unclosed", "the value is not YAML", ""),
    ("--fact", "human_escalation.available=null", "missing required field 'available'", ""),
    ("--fact", "title=null", "'title' is required", ""),
    ("--fact", "motive.objectives[0].evidence=[nothere]", "cites evidence 'nothere'", ""),
    ("--fact", "automation.generates_answers=false", "composes its own answers by definition", ""),
]


@pytest.mark.parametrize(("option", "value", "message", "hint"), BAD_OPTIONS)
def test_a_bad_option_is_refused_naming_it(
    option: str, value: str, message: str, hint: str
) -> None:
    code, out, err = run("whatif", str(GROUNDED), option, value)
    assert code == ExitCode.INVALID, err
    assert out == ""
    assert f"<what-if>: {option} {value}: " in err
    assert message in err and hint in err
    assert "Traceback" not in err


def test_every_bad_option_is_told_at_once() -> None:
    args = [arg for option, value, _, _ in BAD_OPTIONS for arg in (option, value)]
    code, _, err = run("whatif", str(GROUNDED), *args)
    assert code == ExitCode.INVALID
    for option, value, message, _ in BAD_OPTIONS:
        assert f"{option} {value}: " in err and message in err
    assert f"techgate: {len(BAD_OPTIONS)} problems found" in err


def test_a_good_change_after_a_bad_one_is_still_checked() -> None:
    # The good one is applied (and so checked) even though the run fails.
    code, _, err = run(
        "whatif", str(GROUNDED), "--weight", "saftey=3", "--score", "accuracy=9", "--weight", "x=1"
    )
    assert code == ExitCode.INVALID and err.count("<what-if>") == 3


HOSTILE_VALUES = [
    # (option, value, what the problem must say)
    ("--fact", "summary=&a [*a, *a, *a]", ""),  # aliases are values too, counted as read
    ("--fact", "summary=" + "[" * 40 + "]" * 40, "nested more than 32 levels deep"),
    ("--fact", "summary=!!python/object:os.system echo", "tag"),
    ("--fact", "summary=" + "x" * 20_000, "at most 10000 characters"),
    ("--fact", "title=\x1b]0;pwned\x07", ""),
    ("--answer", "Priya\x1b[2J:accuracy=2", "no assessor"),
    ("--weight", "safety\n<what-if>: fake=1", "has no criterion"),
]


@pytest.mark.parametrize(("option", "value", "message"), HOSTILE_VALUES)
def test_hostile_values_are_refused_or_shown_never_obeyed(
    option: str, value: str, message: str
) -> None:
    code, out, err = run("whatif", str(GROUNDED), option, value, "-f", "json")
    assert "Traceback" not in err
    assert "\x1b" not in err and "\x1b" not in out and "\x07" not in err
    if code == ExitCode.INVALID:
        assert message in err
        # One line per problem, plus the count: nothing in a value starts a line.
        assert len(err.strip().split("\n")) == 2, err
    else:
        assert message == ""
        assert json.loads(out)["changes"][0]["given"] == value


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--fact", "summary=\udcff"),
        ("--answer", "Pri\udcffya:accuracy=2"),
        ("--weight", "s\udcff=2"),
    ],
)
def test_a_value_that_is_not_utf8_is_refused_in_one_line(option: str, value: str) -> None:
    code, _, err = run("whatif", str(GROUNDED), option, value)
    assert code == ExitCode.INVALID
    assert err.splitlines()[0].endswith(": holds a byte that is not UTF-8")
    assert "\\udcff" in err and "Traceback" not in err


def test_an_alias_bomb_in_a_fact_stops_at_the_limit() -> None:
    hundred = ", ".join(["x"] * 100)
    aliases = ", ".join(["*a"] * 100)
    bomb = f"summary=[&a [{hundred}], &b [{aliases}], [*b, *b, *b, *b, *b, *b]]"
    assert len(bomb) < 1000
    code, _, err = run("whatif", str(GROUNDED), "--fact", bomb)
    assert code == ExitCode.INVALID
    assert "more than" in err and "values" in err


def test_an_unknown_kind_through_the_api_is_a_problem_not_a_crash() -> None:
    with pytest.raises(InvalidInputError) as caught:
        api.whatif(GROUNDED, [("colour", "blue=1"), ("weight", "x" * 10_001)])
    first, second = caught.value.problems
    assert first.message == "no kind of change 'colour'" and "weight" in first.hint
    assert "at most 10000 characters" in second.message
    assert len(second.field) < 200


# --- The session: undo, redo ---------------------------------------------------------------


def _request(kind: str, text: str) -> ChangeRequest:
    return ChangeRequest(kind=ChangeKind(kind), text=text)


def test_undo_and_redo_step_through_the_changes() -> None:
    start = api.whatif_session(GROUNDED)
    first = start.apply(_request("fact", "human_escalation.minutes_to_person=5"))
    second = first.apply(_request("weight", "safety=30"))
    assert [c.given for c in second.changes] == [
        "human_escalation.minutes_to_person=5",
        "safety=30",
    ]
    undone = second.undo()
    assert undone.changes == first.changes and undone.current_record is first.current_record
    redone = undone.redo()
    assert redone.changes == second.changes and redone.current_record is second.current_record
    # A new change after an undo drops what could have been redone.
    other = undone.apply(_request("score", "privacy=4"))
    assert other.undone == () and other.redo() is other
    assert start.undo() is start and start.redo() is start
    assert second.undo().undo().current_record is start.record
    assert second.result().changes == second.changes and start.result().changes == ()


def test_undoing_everything_gives_the_original_record_byte_for_byte() -> None:
    loaded = api.load(PANEL)
    original = render_json(api.evaluate(loaded))
    session = api.whatif_session(loaded)
    for kind, text in (
        ("weight", "safety=30"),
        ("score", "privacy=1"),
        ("answer", "Maria:accuracy=0"),
        ("fact", "human_escalation.minutes_to_person=2"),
    ):
        session = session.apply(_request(kind, text))
    assert render_json(session.current_record) != original
    while session.changes:
        session = session.undo()
    assert render_json(session.current_record) == original
    assert session.result().diff.nothing_changed


def test_a_failed_change_leaves_the_session_as_it_was() -> None:
    session = api.whatif_session(GROUNDED).apply(_request("weight", "safety=30"))
    with pytest.raises(InvalidInputError):
        session.apply(_request("fact", "human_escalation.minutes_to_person=soon"))
    assert len(session.changes) == 1


def test_a_session_over_inconsistent_inputs_is_refused(tmp_path: Path) -> None:
    loaded = api.load(GROUNDED)
    broken = loaded.proposal.model_copy(
        update={"assessments": (*loaded.proposal.assessments, loaded.proposal.assessments[0])}
    )
    with pytest.raises(InvalidInputError, match="duplicate assessor"):
        WhatIfSession.start(broken, loaded.pack)


# --- Properties ----------------------------------------------------------------------------

LOADED = {path.stem: api.load(path) for path in (GROUNDED, PANEL, CRM, CALLBACK)}


@st.composite
def changes_for(draw: st.DrawFn, name: str) -> list[ChangeRequest]:
    """Valid changes to one example, of every kind, in any order."""
    loaded = LOADED[name]
    record = api.evaluate(loaded)
    criteria = [c.id for c in loaded.pack.criteria]
    scored = [
        i.id
        for c in record.criteria
        for i in c.indicators
        if i.derived_from is None and i.status.value in ("scored", "gap")
    ]
    assessors = [a.assessor for a in loaded.proposal.assessments]
    weight = st.builds(
        lambda c, w: _request("weight", f"{c}={w}"),
        st.sampled_from(criteria),
        st.integers(1, 50),
    )
    score = st.builds(
        lambda i, level: _request("score", f"{i}={level}"),
        st.sampled_from(scored),
        st.integers(0, 4),
    )
    answer = st.builds(
        lambda a, i, level: _request("answer", f"{a}:{i}={level}"),
        st.sampled_from(assessors),
        st.sampled_from(scored),
        st.sampled_from(["0", "1", "2", "3", "4", "none"]),
    )
    fact = st.builds(
        lambda m, steps: _request(
            "fact",
            "human_escalation="
            f"{{available: true, minutes_to_person: {m}, steps_to_person: {steps}}}",
        ),
        st.integers(0, 60),
        st.integers(0, 6),
    )
    return draw(st.lists(st.one_of(weight, score, answer, fact), min_size=1, max_size=5))


NAMES = sorted(LOADED)
SLOW_ENOUGH = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW_ENOUGH
@given(st.data())
def test_undo_restores_every_record_on_the_way_back(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES))
    requests = data.draw(changes_for(name))
    session = api.whatif_session(LOADED[name])
    records = [render_json(session.current_record)]
    for request in requests:
        session = session.apply(request)
        records.append(render_json(session.current_record))
    for expected in reversed(records[:-1]):
        session = session.undo()
        assert render_json(session.current_record) == expected
    assert records[0] == render_json(api.evaluate(LOADED[name]))


@SLOW_ENOUGH
@given(st.data())
def test_the_same_changes_in_the_same_order_give_the_same_bytes(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES))
    requests = data.draw(changes_for(name))
    first = api.render_whatif(api.whatif(LOADED[name], requests), "json")
    again = api.render_whatif(api.whatif(EXAMPLES / f"{name}.yaml", requests), "json")
    assert first == again
    for output_format in ("text", "markdown"):
        assert api.render_whatif(api.whatif(LOADED[name], requests), output_format) == (
            api.render_whatif(api.whatif(LOADED[name], requests), output_format)
        )


@SLOW_ENOUGH
@given(st.data())
def test_a_weight_change_of_zero_changes_nothing(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES))
    loaded = LOADED[name]
    criterion = data.draw(st.sampled_from(loaded.pack.criteria))
    indicator = data.draw(st.sampled_from(criterion.indicators))
    before = api.whatif_session(loaded)
    if data.draw(st.booleans()):
        text = f"{criterion.id}={criterion.weight:g}"
    else:
        weight = next(
            (w for t, w in indicator.trait_weights.items() if t in loaded.proposal.traits),
            indicator.weight,
        )
        text = f"{criterion.id}.{indicator.id}={weight:g}"
    after = before.apply(_request("weight", text))
    assert render_json(after.current_record) == render_json(before.record)
    assert after.result().diff.nothing_changed


# --- Omission never pays -------------------------------------------------------------------
# Each fact: removed, and stated at its worst honest value. Removing must never do better.

WORST_FACTS = [
    ("human_escalation", "{available: false}"),
    ("human_escalation.minutes_to_person", "1440"),
    ("human_escalation.steps_to_person", "100"),
    ("human_escalation.triggers", "[]"),
    (
        "segments",
        "[{name: Everyone, share: 1, preferred_channel: phone, ability: none, "
        "alternative_remains: false}]",
    ),
    ("motive.success_metrics", "[{name: Handle time, kind: organisation}]"),
    ("stakeholder_input[0].favourable_share", "0"),
    ("pilot.staff_feedback.favourable_share", "0"),
    ("pilot.customer_feedback.favourable_share", "0"),
    ("motive.objectives[0].measured", "0"),
]


def _decision(path: Path, *changes: tuple[str, str]) -> int | None:
    try:
        return RANK[whatif(path, *changes).after.decision.value]
    except InvalidInputError:
        return None  # not a change this proposal can take (the fact's block is absent)


@pytest.mark.parametrize(("fact", "worst"), WORST_FACTS, ids=[f for f, _ in WORST_FACTS])
def test_removing_a_fact_never_beats_stating_its_worst(fact: str, worst: str) -> None:
    checked = []
    for path in ALL_EXAMPLES:
        removed = _decision(path, ("fact", f"{fact}=null"))
        stated = _decision(path, ("fact", f"{fact}={worst}"))
        if removed is None or stated is None:
            continue  # the proposal has no such block (no pilot, no route to a person)
        assert removed >= stated, path.stem
        # Nor than stating it as the proposal does (honestly, we take it).
        assert removed >= RANK[api.evaluate(path).decision.value], path.stem
        checked.append(path.stem)
    assert checked, "no example states this fact"


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_removing_every_answer_to_an_indicator_never_beats_level_zero(path: Path) -> None:
    loaded = api.load(path)
    record = api.evaluate(loaded)
    session = api.whatif_session(loaded)
    names = [a.assessor for a in loaded.proposal.assessments]
    checked = 0
    for indicator in (i for c in record.criteria for i in c.indicators if i.assessors):
        if indicator.status.value != "scored":
            continue
        removed = session.apply_all(
            _request("answer", f"{name}:{indicator.id}=none") for name in names
        ).current_record
        zero = session.apply(_request("score", f"{indicator.id}=0")).current_record
        assert removed.decision.rank >= zero.decision.rank, indicator.id
        assert removed.score <= zero.score and removed.coverage < zero.coverage
        assert removed.decision.rank >= record.decision.rank
        # A gap lends no support (docs/scoring.md, section 7): confidence falls too.
        assert removed.confidence <= zero.confidence, indicator.id
        assert removed.confidence <= record.confidence, indicator.id
        checked += 1
    assert checked > 0


def test_a_score_for_an_indicator_that_does_not_apply_is_refused() -> None:
    code, _, err = run("whatif", str(CALLBACK), "--score", "grounded-answers=3")
    assert code == ExitCode.INVALID
    assert "--score grounded-answers=3: indicator 'grounded-answers' does not apply" in err
    assert "generative" in err


def test_one_panel_members_missing_answer_leaves_the_median_of_the_rest() -> None:
    # A panel member who leaves one out is judged by the others' median, as one who
    # answers 'n/a' is (docs/scoring.md): the rule is the panel's, and a gap only when
    # nobody answered.
    result = whatif(PANEL, ("answer", "Daniel:privacy=none"))
    (privacy,) = [i for i in result.diff.indicators if i.id == "privacy"]
    (change,) = privacy.answers
    assert change.assessor == "IT – Daniel Kim" and change.after is None
    others = [
        a.scores["privacy"].score
        for a in api.load(PANEL).proposal.assessments
        if a.assessor != "IT – Daniel Kim" and "privacy" in a.scores
    ]
    assert privacy.after is not None and privacy.after.status.value == "scored"
    assert privacy.after.score == sum(others) / len(others)  # two left: their median


# --- Output --------------------------------------------------------------------------------


def test_text_shows_before_and_after_and_exits_with_the_decision_after() -> None:
    code, out, err = run(
        "whatif", str(GROUNDED), "--fact", "human_escalation.minutes_to_person=5", "--width", "120"
    )
    assert code == ExitCode.GO, err
    assert "1. human_escalation.minutes_to_person 8 → 5" in out
    assert "DECISION: CONDITIONAL → GO (BETTER)" in out
    assert "A person is close at hand" in out and "failed" in out and "passed" in out
    code, out, _ = run("whatif", str(GROUNDED), "--fact", "human_escalation.available=false")
    assert code == ExitCode.NO_GO
    code, out, _ = run("whatif", str(GROUNDED))
    assert code == ExitCode.CONDITIONAL and "(no changes)" in out


def test_json_and_markdown_say_the_same(tmp_path: Path) -> None:
    args = ("whatif", str(CRM), "--score", "privacy=1", "--weight", "safety=4")
    code, out, _ = run(*args, "-f", "json")
    assert code == ExitCode.NO_GO
    data = json.loads(out)
    assert data["before"]["decision"] == "conditional" and data["after"]["decision"] == "no-go"
    assert data["after"]["binding_gates"] == ["safety-floor"]
    assert data["diff"]["direction"] == "worse" == data["direction"]
    code, markdown, _ = run(*args, "-f", "markdown")
    assert "**Decision: conditional → no-go (worse)**" in markdown
    assert "1. privacy score 2 → 1 (every assessor)" in markdown
    assert "2. safety weight 3 → 4" in markdown
    target = tmp_path / "out"
    target.mkdir()
    code, out, _ = run(*args, "-f", "json", "-o", str(target))
    assert code == ExitCode.NO_GO and out == ""
    written = target / "crm-consolidation-whatif.json"
    assert json.loads(written.read_text("utf-8")) == data


def test_markdown_escapes_what_a_value_could_inject() -> None:
    result = whatif(GROUNDED, ("fact", "title='| **bold** <script>'"))
    markdown = api.render_whatif(result, "markdown")
    assert "<script>" not in markdown and "| **bold**" not in markdown


def test_the_proposal_file_is_never_written(tmp_path: Path) -> None:
    copy = tmp_path / "p.yaml"
    copy.write_bytes(GROUNDED.read_bytes())
    run("whatif", str(copy), "--fact", "human_escalation.minutes_to_person=5")
    assert copy.read_bytes() == GROUNDED.read_bytes()


def test_every_whatif_field_is_documented() -> None:
    from techgate.model.docstrings import field_docs
    from techgate.model.whatif import Change, Standing

    for model in (WhatIf, Change, Standing, ChangeRequest):
        assert set(field_docs(model)) == set(model.model_fields), model.__name__
