"""The meeting screen's dialogs: a form of typed fields, an assessor's private answers, the
committee's outcome, and a question before saving.

Each dialog is handed the action it performs. A problem (InvalidInputError)
keeps the dialog open with the problem shown under its fields, so the
chair corrects a typo instead of typing everything again; success closes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Static,
    TextArea,
)

from techgate.errors import InvalidInputError
from techgate.tui.words import line


def problems_text(error: InvalidInputError) -> Text:
    text = Text(style="bold")
    for problem in error.problems:
        where = f"{problem.field}: " if problem.field and not problem.field.startswith("(") else ""
        hint = f" ({problem.hint})" if problem.hint else ""
        text.append(f"✖ {line(where + problem.message + hint, 300)}\n")
    return text


@dataclass(frozen=True)
class Field:
    """One typed field of a form."""

    label: str
    placeholder: str = ""
    password: bool = False
    value: str = ""
    about: str = ""
    """Text shown above the field (an indicator's level descriptions)."""


class FormScreen(ModalScreen[str]):
    """Fields typed one after another; Enter moves on, and on the last field performs the
    action. Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        action: Callable[[list[str]], str],
        *,
        hint: str = "",
        classes: str = "",
    ) -> None:
        super().__init__(classes=classes)
        self.title_text = title
        self.fields = tuple(fields)
        self.action = action
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text, style="bold"), id="dialog-title")
            if self.hint:
                yield Static(Text(self.hint), id="dialog-hint")
            with VerticalScroll(id="dialog-fields"):
                for number, field in enumerate(self.fields):
                    if field.about:
                        yield Static(Text(field.about), classes="about")
                    yield Label(Text(field.label, style="bold"))
                    yield Input(
                        value=field.value,
                        placeholder=field.placeholder,
                        password=field.password,
                        id=f"field-{number}",
                    )
            yield Static("", id="dialog-problems")
            yield Static(Text("Enter: next / done    Esc: cancel"), classes="keys")

    def on_mount(self) -> None:
        self.query_one("#field-0", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        self.submit()

    def submit(self) -> None:
        values = [field.value for field in self.query(Input)]
        try:
            said = self.action(values)
        except InvalidInputError as error:
            self.query_one("#dialog-problems", Static).update(problems_text(error))
            return
        self.dismiss(said)

    def action_cancel(self) -> None:
        self.dismiss("")


class ChooseScreen(ModalScreen[str]):
    """Pick one of a few names (which assessor sits down to answer)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, names: Sequence[str]) -> None:
        super().__init__()
        self.title_text = title
        self.names = tuple(names)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text, style="bold"), id="dialog-title")
            yield OptionList(*(Text(line(name, 80)) for name in self.names), id="choices")
            yield Static(Text("↑↓: choose    Enter: it's me    Esc: cancel"), classes="keys")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.names[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss("")


OUTCOMES = (
    ("approve", "Approve"),
    ("approve-with-conditions", "Approve with conditions"),
    ("reject", "Reject"),
    ("defer", "Defer"),
)


class OutcomeScreen(ModalScreen[str]):
    """The committee's decision: the outcome, the conditions with owners and dates, and the
    reason (needed when the decision goes against the engine's recommendation)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "record", "Record", priority=True),
    ]

    def __init__(
        self,
        engine: str,
        present: Sequence[str],
        action: Callable[[str, str, str], str],
    ) -> None:
        super().__init__()
        self.engine = engine
        self.present = tuple(present)
        self.action = action

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="outcome"):
            yield Label(Text("The committee's decision", style="bold"), id="dialog-title")
            yield Static(
                Text.assemble(
                    ("Engine recommends ", "bold"),
                    (self.engine.upper(), "bold reverse"),
                    ("   Present: ", "bold"),
                    ", ".join(line(name, 40) for name in self.present) or "nobody marked",
                ),
                id="outcome-engine",
            )
            with Horizontal(id="outcome-body"):
                with RadioSet(id="outcome-choice"):
                    for number, (_, words) in enumerate(OUTCOMES):
                        yield RadioButton(words, value=number == 0)
                with Vertical(id="outcome-fields"):
                    yield Label(Text("Conditions, one a line: what | owner | YYYY-MM-DD"))
                    yield TextArea(id="outcome-conditions", soft_wrap=True)
                    yield Label(Text("Reason (needed when overriding the engine)"))
                    yield Input(id="outcome-reason", placeholder="why the committee decided so")
            yield Static("", id="dialog-problems")
            yield Static(
                Text("Tab: next field   ↑↓ space: choose   ctrl+s: record   Esc: cancel"),
                classes="keys",
            )

    def on_mount(self) -> None:
        self.query_one(RadioSet).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_record()

    def action_record(self) -> None:
        radio = self.query_one(RadioSet)
        index = radio.pressed_index if radio.pressed_index >= 0 else 0
        outcome = OUTCOMES[index][0]
        conditions = self.query_one("#outcome-conditions", TextArea).text
        reason = self.query_one("#outcome-reason", Input).value
        try:
            said = self.action(outcome, conditions, reason)
        except InvalidInputError as error:
            self.query_one("#dialog-problems", Static).update(problems_text(error))
            return
        self.dismiss(said)

    def action_cancel(self) -> None:
        self.dismiss("")


class ConfirmScreen(ModalScreen[bool]):
    """A question answered with Enter (yes) or Escape (no)."""

    BINDINGS = [
        Binding("escape", "answer(False)", "No"),
        Binding("enter", "answer(True)", "Yes"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text, style="bold"), id="dialog-title")
            yield Static(Text(self.body))
            yield Button("Save (Enter)", id="yes", variant="primary")
            yield Static(Text("Enter: yes    Esc: no"), classes="keys")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
