"""The steering meeting's screen: a Textual app over a Desk.

Always on screen: the decision now (a banner in large letters and colour,
the figures, what binds, the top reasons and conditions). Below it, tabs:
the criteria with every assessor's answer and the level descriptions of the
indicator in focus; the blind round; the flip table; the what-ifs; the people
and notes. Every action is a key shown in the footer. The screen never
prints and never writes a file itself: the desk's writer does, all or none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.theme import Theme
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from techgate.errors import InvalidInputError
from techgate.model.evaluation import Decision
from techgate.tui import letters
from techgate.tui.desk import Desk
from techgate.tui.dialogs import (
    ChooseScreen,
    ConfirmScreen,
    Field,
    FormScreen,
    OutcomeScreen,
    problems_text,
)
from techgate.tui.words import (
    DECISION_WORDS,
    OUTCOME_WORDS,
    answer_text,
    figure_cells,
    figures,
    level_text,
    line,
    reasons,
    round_heading,
)

HIGH_CONTRAST = Theme(
    name="techgate-high-contrast",
    primary="#ffd700",
    secondary="#00d7ff",
    accent="#ffd700",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#262626",
    success="#00d75f",
    warning="#ffd700",
    error="#ff5f5f",
    dark=True,
)
DECISION_CLASSES = {Decision.GO: "go", Decision.CONDITIONAL: "conditional", Decision.NO_GO: "no-go"}
LARGE = (150, 40)
"""From this width and height the banner's letters are drawn twice as large and more
reasons are listed."""
MAX_ASSESSOR_COLUMNS = 6


class Banner(Static):
    """The decision in large letters, its colour and its word (never colour alone)."""


class CriteriaTable(DataTable[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "app.mark", "Mark for round"),
    ]


class MeetingApp(App[None]):
    """The chair's screen (or an assessor's, joining from their own terminal)."""

    CSS_PATH = "meeting.tcss"
    TITLE = "techgate meeting"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "open_round", "Round"),
        Binding("a", "answer", "Answer"),
        Binding("v", "reveal", "Reveal"),
        Binding("w", "whatif", "What-if"),
        Binding("u", "undo", "Undo"),
        Binding("y", "redo", "Redo"),
        Binding("n", "note", "Note"),
        Binding("p", "people", "People"),
        Binding("o", "outcome", "Outcome"),
        Binding("s", "save", "Save"),
        Binding("q", "quit", "Quit"),
        Binding("1", "tab('criteria')", "Criteria", show=False),
        Binding("2", "tab('round')", "Round", show=False),
        Binding("3", "tab('flips')", "Flips", show=False),
        Binding("4", "tab('whatif')", "What-if", show=False),
        Binding("5", "tab('people')", "People", show=False),
    ]
    CHAIR_ONLY = frozenset({"open_round", "reveal", "whatif", "undo", "redo", "outcome", "save"})

    def __init__(self, desk: Desk, *, refresh_seconds: float = 1.0) -> None:
        super().__init__()
        self.desk = desk
        self.refresh_seconds = refresh_seconds
        self.message: Text = Text("")
        self._focus_indicator: str | None = None

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with Horizontal(id="decision"):
            yield Banner(id="banner")
            yield Static(id="figures")
        yield Static(id="reasons")
        with TabbedContent(id="tabs", initial="criteria"):
            with TabPane("1 Criteria", id="criteria"):
                yield CriteriaTable(id="criteria-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="levels")
            with TabPane("2 Round", id="round"):
                yield Static(id="round-heading")
                yield DataTable(id="round-table", cursor_type="row", zebra_stripes=True)
            with TabPane("3 Flip table", id="flips"):
                yield Static(id="flips-heading")
                yield DataTable(id="flips-table", cursor_type="row", zebra_stripes=True)
            with TabPane("4 What-if", id="whatif"):
                yield Static(id="whatif-body")
            with TabPane("5 People & notes", id="people"), Vertical():
                yield Static(id="people-body")
        yield Static(id="status")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name
        if self.desk.replay_problems:
            self.say_problem(
                "What-ifs in the journal that no longer apply: "
                + "; ".join(self.desk.replay_problems)
            )
        self.show_all()
        self.query_one("#criteria-table", CriteriaTable).focus()
        if self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self.tick)

    def on_resize(self) -> None:
        self.show_decision()

    @property
    def large(self) -> bool:
        return self.size.width >= LARGE[0] and self.size.height >= LARGE[1]

    # -- what is on the screen ------------------------------------------------------------

    def show_all(self) -> None:
        self.show_title()
        self.show_decision()
        self.show_criteria()
        self.show_round()
        self.show_flips()
        self.show_whatif()
        self.show_people()
        self.show_status()

    def show_title(self) -> None:
        state = self.desk.state
        opened = state.opened
        assert opened is not None
        text = Text()
        text.append(" techgate meeting ", style="bold reverse")
        text.append(f" {line(opened.proposal_title, 70)} ", style="bold")
        text.append(f" chair {line(opened.chair, 40)}  {opened.date.isoformat()}")
        if opened.names.value == "hidden":
            text.append("  names hidden")
        if not self.desk.is_chair:
            text.append(f"  this terminal: {line(self.desk.me, 40)}", style="bold")
        self.query_one("#title", Static).update(text)

    def show_decision(self) -> None:
        record = self.desk.record
        banner = self.query_one("#banner", Banner)
        word = DECISION_WORDS[record.decision]
        drawn = letters.large(word) if self.large else letters.compact(word)
        for decision, name in DECISION_CLASSES.items():
            banner.set_class(decision is record.decision, name)
        self.query_one("#decision").set_class(self.large, "large")
        self.query_one("#reasons").set_class(self.large, "large")
        changes = self.desk.changes()
        base = self.desk.baseline
        caption = Text()
        if changes:
            count = f"{len(changes)} what-if{'s' if len(changes) != 1 else ''}"
            caption.append(f"\n\nWITH {count.upper()}", style="bold")
            caption.append(f"; without: {DECISION_WORDS[base.decision]} {base.score:.1f}")
        else:
            caption.append("\n\nthe engine's recommendation now")
        banner.update(Text("\n".join(drawn), style="bold") + caption)
        shown = figures(record)
        self.query_one("#figures", Static).update(shown)
        self.query_one("#reasons", Static).update(reasons(record, 5 if self.large else 2))

    def show_criteria(self) -> None:
        table = self.query_one("#criteria-table", CriteriaTable)
        record = self.desk.record
        names = self.desk.names()
        assessors = sorted(
            {
                score.assessor
                for c in record.criteria
                for i in c.indicators
                for score in i.assessors
            },
            key=lambda name: names.get(name, name),
        )
        shown = assessors[:MAX_ASSESSOR_COLUMNS]
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column(" ", key="mark")
        table.add_column("Criterion / indicator", key="title")
        table.add_column("Wt", key="weight")
        for name in shown:
            table.add_column(line(names.get(name, name), 10), key=f"a:{name}")
        if len(assessors) > len(shown):
            table.add_column(f"+{len(assessors) - len(shown)}", key="more")
        moderated = any(i.moderation is not None for c in record.criteria for i in c.indicators)
        if moderated:
            table.add_column("Mod.", key="moderated")
        table.add_column("Level", key="level")
        table.add_column("Spread", key="spread")
        table.add_column("Flag", key="flag")
        padding = [""] * (len(shown) + (len(assessors) > len(shown)))
        for criterion in record.criteria:
            score = "" if criterion.score is None else f"{criterion.score:.2f}"
            table.add_row(
                "",
                Text(line(criterion.title, 38), style="bold"),
                f"{criterion.weight_share * 100:.0f}%",
                *padding,
                *([""] if moderated else []),
                Text(score, style="bold"),
                "",
                "",
                key=f"criterion:{criterion.id}",
            )
            for indicator in criterion.indicators:
                given = {a.assessor: a for a in indicator.assessors}
                cells = [
                    answer_text(
                        None
                        if name not in given
                        else given[name].score
                        if given[name].answer == "level"
                        else given[name].answer
                    )
                    for name in shown
                ]
                if len(assessors) > len(shown):
                    cells.append("…")
                moderation = indicator.moderation
                flag = []
                if indicator.disagreement:
                    flag.append("DISAGREE")
                if indicator.derived_from:
                    flag.append("computed")
                if indicator.evidence_missing:
                    flag.append("no evidence")
                marked = "●" if indicator.id in self.desk.selected else ""
                if moderated:
                    cells.append(
                        ""
                        if moderation is None
                        else answer_text(
                            moderation.score if moderation.answer == "level" else moderation.answer
                        )
                    )
                table.add_row(
                    marked,
                    "  " + line(indicator.title, 36),
                    f"{indicator.weight:g}",
                    *cells,
                    level_text(indicator),
                    "" if indicator.spread is None else f"{indicator.spread:g}",
                    " ".join(flag),
                    key=indicator.id,
                )
        if keep is not None and 0 <= keep < table.row_count:
            table.move_cursor(row=keep)
        self.show_levels()

    def show_levels(self) -> None:
        """The level descriptions of the indicator in focus, the level it stands at marked."""
        target = self.query_one("#levels", Static)
        key = self._focus_indicator
        entry = self.desk.meeting.pack.indicators().get(key) if key else None
        if entry is None:
            target.update(Text("↑↓ moves through the indicators; their levels show here."))
            return
        indicator = entry[1]
        result = next(
            (i for c in self.desk.record.criteria for i in c.indicators if i.id == key), None
        )
        text = Text()
        text.append(f"{line(indicator.title, 80)}: ", style="bold")
        text.append(line(indicator.question, 300) + "\n")
        for level, description in sorted(indicator.levels.items()):
            here = result is not None and result.level == level
            style = "bold reverse" if here else ""
            text.append(f"{'▶' if here else ' '} {level} ", style=style or "bold")
            text.append(line(description, 200) + "\n", style=style)
        target.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "criteria-table" or event.row_key.value is None:
            return
        key = str(event.row_key.value)
        self._focus_indicator = None if key.startswith("criterion:") else key
        self.show_levels()

    def show_round(self) -> None:
        state = self.desk.state
        self.query_one("#round-heading", Static).update(round_heading(self.desk, state))
        table = self.query_one("#round-table", DataTable)
        table.clear(columns=True)
        current = state.current_round
        hidden = state.opened is not None and state.opened.names.value == "hidden"
        if current is not None:
            present = len(state.present_assessors())
            table.add_column("Indicator", key="title")
            table.add_column("Answered", key="count")
            if not hidden:
                table.add_column("Who has answered (never what)", key="who")
            for answered, indicator in zip(current.answered, current.indicators, strict=True):
                row = [line(indicator.title, 40), f"{len(answered.assessors)} of {present}"]
                if not hidden:
                    row.append(", ".join(line(name, 30) for name in answered.assessors))
                table.add_row(*row, key=indicator.id)
            return
        last = state.rounds[-1] if state.rounds else None
        if last is None:
            return
        names = list(
            dict.fromkeys(g.assessor for figures_ in last.results for g in figures_.answers)
        )
        table.add_column("Indicator", key="title")
        for name in names:
            table.add_column(line(name, 10), key=f"a:{name}")
        for label in ("Spread", "IQR", "Median", "RAND/UCLA"):
            table.add_column(label, key=label)
        for result in last.results:
            cells = figure_cells(result, names)
            table.add_row(line(result.title, 30), *cells, key=result.indicator)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "flips":
            self.show_flips()

    def show_flips(self) -> None:
        # The sensitivity behind the table costs more than the rest of a change together:
        # it is worked out when the table is on screen, not at every change.
        if self.query_one(TabbedContent).active != "flips":
            return
        record = self.desk.flip_record()
        margin = record.margin
        heading = Text()
        gates = [g.id for g in record.gates if g.id in margin.binding]
        heading.append("Binding gate: ", style="bold")
        heading.append(", ".join(gates) or "none")
        heading.append("   knife-edge: ", style="bold")
        heading.append("YES" if margin.knife_edge else "no")
        heading.append("\n" + line(margin.summary, 400))
        self.query_one("#flips-heading", Static).update(heading)
        table = self.query_one("#flips-table", DataTable)
        table.clear(columns=True)
        for label in ("What", "Now", "Up: change → decision", "Down: change → decision"):
            table.add_column(label, key=label)
        sensitivity = record.sensitivity
        assert sensitivity is not None
        for swing in sensitivity.weights:
            table.add_row(
                f"weight {line(swing.title, 28)}",
                f"{swing.share * 100:.1f}%",
                _swing(swing.up, swing.up_to, "pts"),
                _swing(swing.down, swing.down_to, "pts"),
                key=f"w:{swing.criterion}",
            )
        for level in sensitivity.indicators:
            table.add_row(
                f"level {line(level.title, 28)}",
                f"{level.score:g}",
                _swing(level.up, level.up_to, "lv"),
                _swing(level.down, level.down_to, "lv"),
                key=f"i:{level.indicator}",
            )
        for number, flip in enumerate(margin.flips):
            table.add_row(
                f"{flip.kind} {line(flip.ref, 28)}",
                "",
                f"{line(flip.change, 60)} → {DECISION_WORDS[flip.to]}",
                "",
                key=f"f:{number}",
            )

    def show_whatif(self) -> None:
        desk = self.desk
        base, now = desk.baseline, desk.record
        text = Text()
        text.append("w: try a change   u: undo   y: redo   (nothing is saved)\n", style="bold")
        text.append(
            "weight safety=30 · weight safety.privacy=4 · score privacy=1 · "
            "answer Maria:accuracy=2 · fact human_escalation.minutes_to_person=3\n\n"
        )
        rows = (
            ("Decision", DECISION_WORDS[base.decision], DECISION_WORDS[now.decision]),
            ("Score", f"{base.score:.2f}", f"{now.score:.2f}"),
            ("Confidence", f"{base.confidence:.2f}", f"{now.confidence:.2f}"),
            ("Coverage", f"{base.coverage:.2f}", f"{now.coverage:.2f}"),
            ("Binding", ", ".join(base.margin.binding), ", ".join(now.margin.binding)),
        )
        text.append(f"{'':12} {'without what-ifs':<24} now\n", style="bold")
        for label, before, after in rows:
            moved = before != after
            text.append(f"{label:12} {before:<24} ")
            text.append(
                after + ("  ◀ moved" if moved else "") + "\n", style="bold" if moved else ""
            )
        text.append("\nChanges in force\n", style="bold")
        changes = desk.changes()
        for number, words in enumerate(changes, start=1):
            text.append(f"  {number}. {line(words, 200)}\n")
        if not changes:
            text.append("  none\n")
        if desk.whatif.undone:
            text.append(f"  ({len(desk.whatif.undone)} undone: y redoes)\n")
        self.query_one("#whatif-body", Static).update(text)

    def show_people(self) -> None:
        state = self.desk.state
        text = Text()
        text.append("p: someone joins ('Name', 'Name (observer)'; '-Name' leaves)\n", style="bold")
        for person in state.people:
            role = "assessor" if person.assessor else "observer"
            where = "present" if person.present else "absent"
            text.append(f"  {line(person.name, 60)} ({role}, {where})\n")
        if not state.people:
            text.append("  nobody marked present yet\n")
        text.append("\nNotes ", style="bold")
        text.append("(n: add one; 'indicator-id: text' is about that indicator)\n")
        for note in state.notes:
            about = f"[{note.indicator}] " if note.indicator else ""
            text.append(f"  {about}{line(note.by, 40)}: {line(note.text, 300)}\n")
        if not state.notes:
            text.append("  none\n")
        outcome = state.outcome
        text.append("\nOutcome ", style="bold")
        if outcome is None:
            text.append("not recorded yet (o)\n")
        else:
            text.append(f"{OUTCOME_WORDS[outcome.outcome.value]}")
            text.append(f" (engine: {outcome.engine_decision})")
            if outcome.override:
                text.append(" OVERRIDE", style="bold reverse")
            text.append("\n")
            if outcome.reason:
                text.append(f"  reason: {line(outcome.reason, 300)}\n")
            for condition in outcome.conditions:
                text.append(
                    f"  • {line(condition.text, 120)} — {line(condition.owner, 40)}, "
                    f"by {condition.due.isoformat()}\n"
                )
        if state.saves:
            text.append(f"\nSaved {len(state.saves)} time(s); last at line {state.saves[-1].seq}\n")
        self.query_one("#people-body", Static).update(text)

    def show_status(self) -> None:
        self.query_one("#status", Static).update(self.message)

    def say(self, message: str) -> None:
        self.message = Text("✔ " + line(message, 300))
        self.query_one("#status", Static).set_class(False, "problem")
        self.show_status()

    def say_problem(self, message: str | Text) -> None:
        self.message = message if isinstance(message, Text) else Text("✖ " + line(message, 300))
        self.query_one("#status", Static).set_class(True, "problem")
        self.show_status()

    def refreshed(self, said: str = "") -> None:
        self.show_all()
        if said:
            self.say(said)

    # -- keeping up with other terminals -----------------------------------------------------

    def tick(self) -> None:
        """Fold in what other terminals appended; keep the round's timer current."""
        try:
            changed = self.desk.refresh()
        except InvalidInputError as error:
            self.say_problem(problems_text(error))
            return
        if changed:
            self.show_all()
        elif self.desk.state.current_round is not None:
            self.query_one("#round-heading", Static).update(
                round_heading(self.desk, self.desk.state)
            )

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.CHAIR_ONLY and not self.desk.is_chair:
            return None
        return True

    def _attempt(self, work: Any, said: str) -> None:
        try:
            work()
        except InvalidInputError as error:
            self.say_problem(problems_text(error))
            return
        self.refreshed(said)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_mark(self) -> None:
        key = self._focus_indicator
        if key is None:
            return
        entry = self.desk.meeting.pack.indicators().get(key)
        if entry is None or entry[1].derived is not None:
            self.say_problem("a computed indicator cannot be scored in a round")
            return
        marked = self.desk.toggle(key)
        self.show_criteria()
        self.say(f"{key} {'marked' if marked else 'unmarked'}; marked: {len(self.desk.selected)}")

    def action_open_round(self) -> None:
        marked = ", ".join(self.desk.selected)

        def opened(values: list[str]) -> str:
            state = self.desk.open_round(values[0], values[1])
            current = state.current_round
            assert current is not None
            return f"round {current.number} is open on {len(current.indicators)} indicator(s)"

        self.push_screen(
            FormScreen(
                "Open a blind round",
                [
                    Field("Indicators", "accuracy, privacy   or   spread 2", value=marked),
                    Field("Timer in minutes (empty: none)", "5"),
                ],
                opened,
                hint="Name indicators, or 'spread 2' for every indicator whose answers are 2 or "
                "more apart. Marked in Criteria: " + (marked or "none"),
            ),
            self._after_dialog,
        )

    def _after_dialog(self, said: str | None) -> None:
        if said:
            self.refreshed(said)
        else:
            self.show_all()
        self.action_tab_for(said)

    def action_tab_for(self, said: str | None) -> None:
        if said and said.startswith("round "):
            self.action_tab("round")

    def action_answer(self) -> None:
        if self.desk.state.current_round is None:
            self.say_problem("no round is open (the chair opens one with r)")
            return
        if not self.desk.is_chair:
            self._answer_as(self.desk.me)
            return
        waiting = self.desk.waiting()
        if not waiting:
            self.say_problem("everyone present has answered")
            return
        if len(waiting) == 1:
            self._answer_as(waiting[0])
            return
        self.push_screen(
            ChooseScreen("Who is answering? (hand over the keyboard)", waiting),
            lambda chosen: self._answer_as(chosen) if chosen else None,
        )

    def _answer_as(self, assessor: str) -> None:
        pack = self.desk.meeting.pack.indicators()
        fields = []
        for indicator in self.desk.round_indicators():
            described = pack[indicator.id][1].levels
            about = "\n".join(
                f"  {level}: {line(text, 150)}" for level, text in sorted(described.items())
            )
            allowed = f"0-{indicator.top}" + (", n/a" if indicator.allow_na else "")
            allowed += ", u (unchanged)" if indicator.allow_unchanged else ""
            fields.append(
                Field(f"{line(indicator.title, 80)}  [{allowed}]", "hidden", True, about=about)
            )

        def given(values: list[str]) -> str:
            ids = [i.id for i in self.desk.round_indicators()]
            state = self.desk.answer(assessor, dict(zip(ids, values, strict=True)))
            last = state.rounds[-1]
            if last.revealed:
                return f"every answer is in: round {last.number} is revealed"
            return "answers handed in, hidden until the reveal"

        self.push_screen(
            FormScreen(
                f"{line(assessor, 60)}: your private answers",
                fields,
                given,
                hint="What you type shows as dots and clears when you hand in. Levels:",
                classes="private",
            ),
            self._after_answer,
        )

    def _after_answer(self, said: str | None) -> None:
        self._after_dialog(said)
        self.action_tab("round")

    def action_reveal(self) -> None:
        self._attempt(self.desk.reveal, "revealed")
        self.action_tab("round")

    def action_note(self) -> None:
        self.push_screen(
            FormScreen(
                "A discussion note",
                [Field("Note", "accuracy: the pilot covered billing only")],
                lambda values: (self.desk.note(values[0]), "note kept")[1],
            ),
            self._after_dialog,
        )

    def action_people(self) -> None:
        self.push_screen(
            FormScreen(
                "Attendance",
                [Field("Who", "Maria Santos   ·   Ann Lee (observer)   ·   -Maria Santos")],
                lambda values: (self.desk.attend(values[0]), "attendance kept")[1],
            ),
            self._after_dialog,
        )
        self.action_tab("people")

    def action_whatif(self) -> None:
        def tried(values: list[str]) -> str:
            self.desk.apply_whatif(values[0])
            record = self.desk.record
            return (
                f"what-if: {self.desk.changes()[-1]} → {DECISION_WORDS[record.decision]} "
                f"{record.score:.1f}"
            )

        self.push_screen(
            FormScreen(
                "What if ...",
                [Field("Change", "weight safety=30")],
                tried,
                hint="weight CRITERION[.INDICATOR]=W · score INDICATOR=LEVEL · "
                "answer NAME:INDICATOR=LEVEL · fact PATH=VALUE (as techgate whatif takes them)",
            ),
            self._after_dialog,
        )
        self.action_tab("whatif")

    def action_undo(self) -> None:
        try:
            done = self.desk.undo()
        except InvalidInputError as error:
            self.say_problem(problems_text(error))
            return
        self.refreshed("what-if undone" if done else "")
        if done is None:
            self.say_problem("no what-if to undo")

    def action_redo(self) -> None:
        try:
            done = self.desk.redo()
        except InvalidInputError as error:
            self.say_problem(problems_text(error))
            return
        self.refreshed("what-if put back" if done else "")
        if done is None:
            self.say_problem("nothing to redo")

    def action_outcome(self) -> None:
        state = self.desk.state
        present = [p.name for p in state.people if p.present]

        def recorded(outcome: str, conditions: str, reason: str) -> str:
            self.desk.record_outcome(outcome, reason=reason, conditions=conditions)
            return f"outcome recorded: {OUTCOME_WORDS[outcome]} (s saves)"

        self.push_screen(
            OutcomeScreen(self.desk.meeting.record().decision.value, present, recorded),
            self._after_dialog,
        )
        self.action_tab("people")

    def action_save(self) -> None:
        path = self.desk.meeting.path
        names = [path.name, f"{path.stem}.minutes.md", f"{path.stem}.minutes.pdf"]
        body = "Writes " + ", ".join(names) + " beside the proposal (all or none)"
        if self.desk.register_url is not None:
            body += ", then enters the committee's decision in the register"
        self.push_screen(ConfirmScreen("Save the meeting?", body + "."), self._save)

    def _save(self, yes: bool | None) -> None:
        if not yes:
            return
        try:
            done = self.desk.save()
        except (InvalidInputError, OSError) as error:
            if isinstance(error, InvalidInputError):
                self.say_problem(problems_text(error))
            else:
                self.say_problem(f"not saved: {error}")
            return
        written = ", ".join(Path(p).name for p in done.paths)
        said = f"saved {written}; {done.answers} answer(s) written"
        if done.register:
            said += f"; register: {done.register}"
        self.refreshed(said)


def _swing(amount: float | None, to: Decision | None, unit: str) -> str:
    if amount is None or to is None:
        return "—"
    return f"{amount:g} {unit} → {DECISION_WORDS[to]}"
