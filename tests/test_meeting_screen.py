"""The meeting screen driven by Textual's pilot: blind rounds, what-ifs, the outcome, saving,
resuming, another terminal; snapshots of the main screens at 100x30 and 160x45."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from techgate import api
from techgate.cli import cli
from techgate.cli.meeting import build_app
from techgate.errors import InvalidInputError
from techgate.tui import letters
from techgate.tui.app import MeetingApp
from techgate.tui.desk import Desk
from techgate.tui.dialogs import ChooseScreen, FormScreen, OutcomeScreen

PANEL = EXAMPLES / "self-service-portal-panel.yaml"
MARIA, DANIEL, JOAN = "Ops – Maria Santos", "IT – Daniel Kim", "Panel – Joan Whitfield"
CHAIR = "Dana Chair"
NOON = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
SMALL, LARGE = (100, 30), (160, 45)
ROUND = ("data-credibility", "transaction-fit")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def fixed() -> dt.datetime:
    # One moment for every event: the screen (and its timer) never moves.
    return NOON


@pytest.fixture
def proposal(tmp_path: Path) -> Path:
    path = tmp_path / "portal.yaml"
    shutil.copyfile(PANEL, path)
    return path


def app_for(proposal: Path, **options: Any) -> MeetingApp:
    options.setdefault("chair", CHAIR)
    return build_app(proposal, clock=fixed, refresh_seconds=0, **options)


def screen_text(app: MeetingApp) -> str:
    """What the screen shows, line by line, read back from its SVG screenshot."""
    svg = app.export_screenshot()
    lines: dict[int, list[tuple[float, str]]] = {}
    pattern = r'<text [^>]*?x="([0-9.]+)"[^>]*?clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>'
    for match in re.finditer(pattern, svg):
        text = html.unescape(match.group(3)).replace("\xa0", " ")
        lines.setdefault(int(match.group(2)), []).append((float(match.group(1)), text))
    return "\n".join("".join(t for _, t in sorted(lines[n])) for n in sorted(lines))


async def type_in(pilot: Pilot[Any], text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def submit_form(pilot: Pilot[Any], *values: str) -> None:
    """Fill the open form's fields in order, Enter after each."""
    screen = pilot.app.screen
    assert isinstance(screen, FormScreen), type(screen)
    for value in values:
        focused = pilot.app.focused
        assert isinstance(focused, Input)
        focused.value = value
        await pilot.press("enter")
    await pilot.pause()


async def join(pilot: Pilot[Any], *names: str) -> None:
    for name in names:
        await pilot.press("p")
        await submit_form(pilot, name)


async def open_round(pilot: Pilot[Any], which: str = ", ".join(ROUND), timer: str = "") -> None:
    await pilot.press("r")
    await submit_form(pilot, which, timer)


async def answer_privately(pilot: Pilot[Any], name: str, *levels: str) -> None:
    """An assessor takes the keyboard: picks their name, types each level (shown as dots)."""
    app = pilot.app
    await pilot.press("a")
    await pilot.pause()
    if isinstance(app.screen, ChooseScreen):
        index = app.screen.names.index(name)
        options = app.screen.query_one(OptionList)
        options.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
    screen = app.screen
    assert isinstance(screen, FormScreen)
    assert name in screen.title_text
    for level in levels:
        await type_in(pilot, level)
        typed = app.focused
        assert isinstance(typed, Input) and typed.password and typed.value == level
        await pilot.press("enter")
    await pilot.pause()
    assert not isinstance(app.screen, FormScreen), screen_text(app)  # it cleared


def dialog_problems(app: MeetingApp) -> str:
    """The problems an open dialog shows under its fields, as one line."""
    shown = app.screen.query_one("#dialog-problems", Static).content
    return " ".join(str(shown).split())


def journal_kinds(proposal: Path) -> list[str]:
    path = proposal.with_name(proposal.stem + ".meeting.jsonl")
    return [json.loads(line)["kind"] for line in path.read_text().splitlines()]


def comments_of(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


# -- the blind round ------------------------------------------------------------------------


def held_round(app: MeetingApp, *answers: tuple[str, str, str]) -> None:
    """Three assessors present, a round open on ROUND, and the answers given (quickly, through
    the desk: the private screen itself is driven key by key in the tests below)."""
    desk = app.desk
    for name in (MARIA, DANIEL, JOAN):
        desk.attend(name)
    desk.open_round(", ".join(ROUND), "5")
    for name, *levels in answers:
        desk.answer(name, dict(zip(ROUND, levels, strict=True)))
    if app.is_running:
        app.show_all()


async def _two_answered(proposal: Path, first: tuple[str, str], second: tuple[str, str]) -> str:
    """The text of every tab once two of three assessors have answered, blind."""
    app = app_for(proposal)
    shown = []
    async with app.run_test(size=SMALL) as pilot:
        held_round(app, (MARIA, *first), (DANIEL, *second))
        for tab in "12345":
            await pilot.press(tab)
            await pilot.pause()
            shown.append(screen_text(app))
    app.desk.meeting.close()
    return "\n".join(shown)


async def test_answers_stay_hidden_until_all_have_answered(tmp_path: Path) -> None:
    one, other = tmp_path / "one", tmp_path / "other"
    for folder in (one, other):
        folder.mkdir()
        shutil.copyfile(PANEL, folder / "portal.yaml")
    low = await _two_answered(one / "portal.yaml", ("0", "1"), ("1", "0"))
    high = await _two_answered(other / "portal.yaml", ("4", "3"), ("4", "4"))
    # The levels given change nothing on any tab: what shows is who has answered, not what.
    assert low == high
    assert "2 of 3 assessors have answered" in low
    assert f"Waiting for: {JOAN}" in low


async def test_a_full_blind_round_with_three_assessors(proposal: Path) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        await join(pilot, MARIA, DANIEL, JOAN)
        await open_round(pilot, timer="5")
        await pilot.press("2")
        text = screen_text(app)
        assert "Round 1: BLIND" in text and "0 of 3 assessors have answered" in text
        assert "timer 5:00, 5:00 left" in text
        await answer_privately(pilot, MARIA, "1", "4")
        await answer_privately(pilot, DANIEL, "3", "0")
        text = screen_text(app)
        assert "2 of 3 assessors have answered" in text
        assert f"{MARIA}, {DANIEL}" in text  # who, in the order they answered
        assert "DISAGREE" not in text and "Spread" not in text
        await answer_privately(pilot, JOAN, "2", "4")  # the last one: the round reveals itself
        text = screen_text(app)
        assert "Round 1 revealed (once everyone present had answered)" in text
        state = app.desk.state
        figures = {f.indicator: f for f in state.rounds[0].results}
        assert figures["data-credibility"].spread == 2
        assert figures["transaction-fit"].spread == 4
        assert figures["transaction-fit"].disagreement  # 0 and 4 and 4: a third at each end
        assert "DISAGREE" in text and "RAND/UCLA" in text
    assert journal_kinds(proposal).count("answer.given") == 6
    app.desk.meeting.close()


async def test_the_chair_reveals_early_and_a_revealed_round_is_never_answered_again(
    proposal: Path,
) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        await join(pilot, MARIA, DANIEL)
        await open_round(pilot, "spread 3")
        assert [i.id for i in app.desk.round_indicators()] == ["data-credibility"]
        await pilot.press("v")  # nobody has answered: nothing to reveal
        await pilot.pause()
        assert "nothing to reveal" in screen_text(app)
        await answer_privately(pilot, MARIA, "2")
        await pilot.press("v")
        await pilot.pause()
        assert "Round 1 revealed (by the chair)" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert "no round is open" in screen_text(app)
    app.desk.meeting.close()


async def test_a_bad_answer_keeps_the_private_screen_open_and_writes_nothing(
    proposal: Path,
) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        await join(pilot, MARIA)
        await open_round(pilot)
        await pilot.press("a")
        await submit_form(pilot, "7", "n/a")
        screen = app.screen
        assert isinstance(screen, FormScreen)
        text = screen_text(app)
        assert "takes a level from 0 to 4" in text and "may not be answered n/a" in text
        await pilot.press("escape")
    assert journal_kinds(proposal).count("answer.given") == 0
    app.desk.meeting.close()


# -- what-if ----------------------------------------------------------------------------------


async def test_a_whatif_moves_the_decision_at_once_and_undo_puts_it_back(proposal: Path) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        assert app.query_one("#banner").has_class("conditional")
        await pilot.press("w")
        await submit_form(pilot, "weight saftey=30")
        assert isinstance(app.screen, FormScreen)  # a typo keeps the line open, and says so
        assert "did you mean 'safety'" in dialog_problems(app)
        await submit_form(pilot, "score privacy=1")
        text = screen_text(app)
        assert app.query_one("#banner").has_class("no-go")
        assert "WITH 1 WHAT-IF" in text and "without: CONDITIONAL" in text
        assert "privacy" in text.lower() and "◀ moved" in text
        await pilot.press("u")
        await pilot.pause()
        assert app.query_one("#banner").has_class("conditional")
        assert "the engine's recommendation now" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert app.query_one("#banner").has_class("no-go")
    # Tried, undone, tried again; the proposal file is untouched.
    assert journal_kinds(proposal)[-3:] == ["whatif.applied", "whatif.undone", "whatif.applied"]
    assert proposal.read_bytes() == PANEL.read_bytes()
    app.desk.meeting.close()


def test_whatifs_in_force_come_back_on_resume(proposal: Path) -> None:
    with api.open_meeting(proposal, chair=CHAIR, clock=fixed) as meeting:
        desk = Desk(meeting)
        desk.apply_whatif("weight safety=30")
        desk.apply_whatif("--score privacy=1")
        desk.apply_whatif("fact human_escalation.minutes_to_person=5")
        desk.undo()
        record = desk.record
    with api.open_meeting(proposal, chair=CHAIR, clock=fixed) as meeting:
        again = Desk(meeting)
        assert again.changes() == desk.changes() and len(again.changes()) == 2
        assert api.render(again.record, ["json"]) == api.render(record, ["json"])
        assert again.replay_problems == ()


def test_whatif_lines_as_typed(proposal: Path) -> None:
    assert api.whatif_change("weight safety=30").text == "safety=30"
    assert api.whatif_change("--fact a.b=c").kind.value == "fact"
    for bad, said in (
        ("", "is empty"),
        ("weight", "gives no change"),
        ("colour safety=3", "no kind of change 'colour'"),
        ("score \udcff=1", "not UTF-8"),
    ):
        with pytest.raises(InvalidInputError) as caught:
            api.whatif_change(bad)
        assert said in str(caught.value)


def test_with_names_hidden_an_answer_whatif_names_the_alias(proposal: Path) -> None:
    with api.open_meeting(proposal, chair=CHAIR, clock=fixed, names="hidden") as meeting:
        desk = Desk(meeting)
        desk.attend(JOAN)
        # The meeting's assessors first, in the order they joined; then the proposal's others.
        assert desk.names() == {JOAN: "Assessor 1", MARIA: "Assessor 2", DANIEL: "Assessor 3"}
        desk.attend(MARIA)
        desk.attend(DANIEL)
        assert desk.names()[MARIA] == "Assessor 2"
        desk.apply_whatif("answer Assessor 2:privacy=0")
        assert MARIA not in desk.changes()[0] and "Assessor 2" in desk.changes()[0]
        kept = meeting.journal.state.whatifs[-1].change
        assert kept["given"] == "Assessor 2:privacy=0" and MARIA not in json.dumps(kept)


# -- outcome and saving ----------------------------------------------------------------------


async def test_the_outcome_is_recorded_and_saved_keeping_every_comment(proposal: Path) -> None:
    original = proposal.read_text(encoding="utf-8")
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        held_round(app, (MARIA, "1", "4"), (DANIEL, "3", "0"), (JOAN, "2", "4"))
        await pilot.press("n")
        await submit_form(pilot, "transaction-fit: the pilot covered billing only")
        await pilot.press("o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OutcomeScreen)
        await pilot.press("down", "enter")  # approve with conditions
        await pilot.press("tab")
        area = screen.query_one(TextArea)
        assert app.focused is area
        area.text = "Accessibility audit | Joan | 2026-06-30"
        await pilot.press("tab")
        await type_in(pilot, "audit first")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, OutcomeScreen), dialog_problems(app)
        await pilot.press("5")
        text = screen_text(app)
        assert "approve with conditions (engine: conditional)" in text
        assert "Accessibility audit — Joan, by 2026-06-30" in text
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "saved portal.yaml, portal.minutes.md, portal.minutes.pdf" in text
    app.desk.meeting.close()
    saved = proposal.read_text(encoding="utf-8")
    assert saved != original
    kept = comments_of(saved)
    assert all(comment in kept for comment in comments_of(original))  # every comment stays
    assert "the pilot covered billing only" in saved
    minutes = proposal.with_name("portal.minutes.md").read_text(encoding="utf-8")
    assert "Accessibility audit" in minutes and "audit first" in minutes
    assert proposal.with_name("portal.minutes.pdf").read_bytes().startswith(b"%PDF-")
    assert journal_kinds(proposal)[-1] == "meeting.saved"


def test_saving_enters_the_decision_in_the_register(proposal: Path, register_url: str) -> None:
    app = app_for(proposal, db=register_url)
    desk = app.desk
    held_round(app, (MARIA, "1", "4"), (DANIEL, "3", "0"), (JOAN, "2", "4"))
    desk.record_outcome("reject", reason="the panel is split on fit")
    done = desk.save()
    desk.meeting.close()
    assert done.register is not None and done.register.startswith("rejected")
    with api.open_register(register_url) as opened:
        history = opened.history("self-service-portal-panel")
        assert opened.verify().intact
    assert "the panel is split on fit" in history.model_dump_json()
    written = [p.name for p in done.paths]
    assert written == ["portal.yaml", "portal.minutes.md", "portal.minutes.pdf"]


async def test_an_override_needs_a_reason(proposal: Path) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")  # approve, against a conditional recommendation
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, OutcomeScreen)
        assert "an override needs a reason" in dialog_problems(app)
        await pilot.press("escape")
    assert "outcome.recorded" not in journal_kinds(proposal)
    app.desk.meeting.close()


async def test_saving_while_a_round_is_blind_is_refused(proposal: Path) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        await join(pilot, MARIA)
        await open_round(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "still blind: reveal it before saving" in screen_text(app)
    assert proposal.read_bytes() == PANEL.read_bytes()
    assert not proposal.with_name("portal.minutes.md").exists()
    app.desk.meeting.close()


# -- resuming and other terminals ----------------------------------------------------------------


async def test_a_meeting_closed_mid_round_resumes_where_it_stopped(proposal: Path) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        await join(pilot, MARIA, DANIEL, JOAN)
        await open_round(pilot)
        await answer_privately(pilot, MARIA, "1", "3")
        await answer_privately(pilot, DANIEL, "2", "3")
    app.desk.meeting.close()  # the screen is gone; the journal holds everything

    again = app_for(proposal)
    async with again.run_test(size=SMALL) as pilot:
        await pilot.press("2")
        text = screen_text(again)
        assert "Round 1: BLIND" in text and "2 of 3 assessors have answered" in text
        assert f"Waiting for: {JOAN}" in text
        await answer_privately(pilot, JOAN, "3", "3")
        assert "Round 1 revealed" in screen_text(again)
    figures = {f.indicator: f for f in again.desk.state.rounds[0].results}
    assert figures["data-credibility"].spread == 2
    again.desk.meeting.close()


async def test_an_assessor_answers_from_their_own_terminal(proposal: Path) -> None:
    chair = app_for(proposal)
    async with chair.run_test(size=SMALL) as pilot:
        await join(pilot, MARIA)
        # Joan starts her own screen on the same journal; she joins herself.
        joan = app_for(proposal, chair=None, join_as=JOAN)
        chair.tick()
        await open_round(pilot)
        async with joan.run_test(size=SMALL) as own:
            joan.tick()
            assert joan.check_action("open_round", ()) is None  # chair's keys are not hers
            await answer_privately(own, JOAN, "4", "4")
        joan.desk.meeting.close()
        chair.tick()
        await pilot.press("2")
        text = screen_text(chair)
        assert "1 of 2 assessors have answered" in text and f"Waiting for: {MARIA}" in text
        await answer_privately(pilot, MARIA, "0", "0")
        assert "Round 1 revealed" in screen_text(chair)
    chair.desk.meeting.close()


# -- what the screen shows ---------------------------------------------------------------------


async def test_text_from_files_is_shown_never_obeyed(proposal: Path) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        app.desk.note("[bold red]boom[/] \u202eevil\u2028pack: evil")
        app.show_all()
        await pilot.press("5")
        text = screen_text(app)
    assert "[bold red]boom[/]" in text
    assert "\\u202eevil\\u2028pack: evil" in text
    with pytest.raises(InvalidInputError, match="control character"):
        app.desk.note("\x1b]0;owned\x07")  # the journal refuses what a terminal would obey
    app.desk.meeting.close()


async def test_the_flip_table_lists_weights_indicators_and_the_binding_gate(
    proposal: Path,
) -> None:
    app = app_for(proposal)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("3")
        text = screen_text(app)
    assert "Binding gate: human-route-speed" in text and "knife-edge: YES" in text
    record = app.desk.flip_record()
    assert record.sensitivity is not None
    assert "80.65 pts → NO-GO" in text  # a weight that flips it, from the sensitivity
    assert "weight Safety" in text and "level Availability under load" in text
    app.desk.meeting.close()


def test_the_banner_letters() -> None:
    for word in ("GO", "CONDITIONAL", "NO-GO"):
        small, big = letters.compact(word), letters.large(word)
        assert len(small) == 3 and len(big) == 5
        assert {len(row) for row in small} == {letters.width(word, big=False)}
        assert {len(row) for row in big} == {letters.width(word, big=True)}
    assert letters.width("CONDITIONAL", big=False) <= 50  # fits beside the figures at 100
    with pytest.raises(ValueError, match="no large letter for 'X'"):
        letters.compact("X")


@pytest.mark.parametrize(
    ("which", "timer", "said"),
    [
        ("", "", "no indicator named or marked"),
        ("accuracy", "0", "not a number of minutes"),
        ("accuracy", "five", "not a number of minutes"),
        ("route-to-person", "", "is computed from the proposal's facts"),
        ("acuracy", "", "did you mean 'accuracy'?"),
        ("spread 9", "", "no indicator's answers are 9 or more apart"),
    ],
)
def test_a_round_badly_asked_is_refused(proposal: Path, which: str, timer: str, said: str) -> None:
    with api.open_meeting(proposal, chair=CHAIR, clock=fixed) as meeting:
        desk = Desk(meeting)
        desk.attend(MARIA)
        with pytest.raises(InvalidInputError) as caught:
            desk.open_round(which, timer)
        assert said in str(caught.value)
        assert meeting.journal.state.rounds == ()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Audit | Joan", "what | owner | YYYY-MM-DD"),
        ("Audit | Joan | someday", "due"),
        ("Audit || 2026-06-30", "what | owner | YYYY-MM-DD"),
    ],
)
def test_conditions_badly_typed_are_refused(proposal: Path, text: str, said: str) -> None:
    with api.open_meeting(proposal, chair=CHAIR, clock=fixed) as meeting:
        desk = Desk(meeting)
        with pytest.raises(InvalidInputError) as caught:
            desk.record_outcome("approve-with-conditions", conditions=text)
        assert said in str(caught.value)
        assert meeting.journal.state.outcome is None


def test_the_command_needs_a_terminal_and_one_role(proposal: Path) -> None:
    result = CliRunner().invoke(cli, ["meeting", str(proposal), "--chair", CHAIR])
    assert result.exit_code == 2 and "needs a terminal" in result.stderr
    with pytest.raises(InvalidInputError, match="name the chair"):
        build_app(proposal)
    with pytest.raises(InvalidInputError, match="name the chair"):
        build_app(proposal, chair=CHAIR, join_as=JOAN)
    with pytest.raises(InvalidInputError, match="holds no meeting yet"):
        build_app(proposal, join_as=JOAN)


# -- snapshots ----------------------------------------------------------------------------------


async def _main(pilot: Pilot[Any]) -> None:
    await pilot.press("down", "down", "down")
    await pilot.pause()


async def _round(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MeetingApp)
    held_round(app, (MARIA, "1", "4"))
    await pilot.press("2")
    await pilot.pause()


async def _revealed(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MeetingApp)
    held_round(app, (MARIA, "1", "4"), (DANIEL, "3", "0"), (JOAN, "2", "4"))
    await pilot.press("2")
    await pilot.pause()


async def _flips(pilot: Pilot[Any]) -> None:
    await pilot.press("3")
    await pilot.pause()


async def _whatif(pilot: Pilot[Any]) -> None:
    await pilot.press("w")
    await submit_form(pilot, "score privacy=1")
    await pilot.press("w")
    await submit_form(pilot, "fact human_escalation.minutes_to_person=5")


async def _people(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MeetingApp)
    held_round(app, (MARIA, "1", "4"), (DANIEL, "3", "0"), (JOAN, "2", "4"))
    app.desk.meeting.note("Callbacks cover the wait while the queue is built.")
    app.desk.meeting.record_outcome(
        "approve-with-conditions",
        conditions=[{"text": "Accessibility audit", "owner": JOAN, "due": "2026-06-30"}],
    )
    app.show_all()
    await pilot.press("5")
    await pilot.pause()


SCREENS = {
    "criteria": _main,
    "round": _round,
    "revealed": _revealed,
    "flips": _flips,
    "whatif": _whatif,
    "people": _people,
}


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["100x30", "160x45"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_snapshot(screen: str, size: tuple[int, int], proposal: Path, snap_compare: Any) -> None:
    app = app_for(proposal)
    try:
        assert snap_compare(app, terminal_size=size, run_before=SCREENS[screen])
    finally:
        app.desk.meeting.close()


README_PICTURE = Path(__file__).parent.parent / "docs" / "img" / "meeting.svg"


async def test_the_readme_picture_is_the_screen_as_it_is(
    proposal: Path, update_golden: bool
) -> None:
    """docs/img/meeting.svg: a revealed round and a what-if, drawn by the pilot at 120x36
    (rewritten with --update-golden)."""
    app = app_for(proposal)
    async with app.run_test(size=(120, 36)) as pilot:
        held_round(app, (MARIA, "1", "4"), (DANIEL, "3", "0"), (JOAN, "2", "4"))
        app.desk.apply_whatif("fact human_escalation.minutes_to_person=5")
        app.show_all()
        await pilot.press("down", "down", "down", "down")
        await pilot.pause()
        picture = app.export_screenshot(title="techgate meeting")
    app.desk.meeting.close()
    if update_golden:
        README_PICTURE.write_text(picture, encoding="utf-8")
    assert README_PICTURE.read_text(encoding="utf-8") == picture
