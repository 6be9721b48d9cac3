"""The typed confirmation before apply: the source bucket's name, exactly.

``Apply`` stays disabled until the input holds the name (surrounding spaces
aside, as ``s3xrep apply`` reads it; case matters). Enter in the input, or
the button, posts :class:`ConfirmApply.Confirmed` only then; a wrong name
says so and starts nothing. The screen decides whether a confirmed apply may
start (read-only mode, a blocked plan, a run in progress) and can ``freeze``
the whole line with the reason.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static


class ConfirmApply(Vertical):
    DEFAULT_CSS = """
    ConfirmApply { height: auto; padding: 0 1; }
    ConfirmApply Horizontal { height: 1; }
    ConfirmApply #confirm-label { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ConfirmApply Input { width: 1fr; max-width: 70; }
    ConfirmApply Button { margin-left: 1; min-width: 9; }
    ConfirmApply #confirm-hint { height: auto; max-height: 2; color: $text-muted; }
    ConfirmApply #confirm-hint.-wrong { color: $error; }
    ConfirmApply #confirm-hint.-ok { color: $success; }
    """

    class Confirmed(Message):
        """The exact name was typed and Enter (or the button) pressed."""

    def __init__(self, expected: str, *, verb: str = "Apply", **kwargs: Any) -> None:
        """``verb``: the button's label and what the hints say starts (Apply, Undo)."""
        super().__init__(**kwargs)
        self.expected = expected
        self.verb = verb
        self.locked_reason = ""

    def compose(self) -> ComposeResult:
        # The label on its own line: beside it, the field was too narrow for the name being typed.
        yield Static(Text.assemble("Type the source bucket's name (", (self.expected, "bold"), ") to confirm:"),
                     id="confirm-label")
        with Horizontal():
            yield Input(placeholder="source bucket name", compact=True, id="confirm-input")
            yield Button(self.verb, id="confirm-apply", variant="error", disabled=True, compact=True)
        yield Static(id="confirm-hint")

    def on_mount(self) -> None:
        self._hint()

    @property
    def input(self) -> Input:
        return self.query_one("#confirm-input", Input)

    @property
    def button(self) -> Button:
        return self.query_one("#confirm-apply", Button)

    @property
    def matches(self) -> bool:
        return self.input.value.strip() == self.expected

    @property
    def hint(self) -> str:
        return str(self.query_one("#confirm-hint", Static).visual)

    def _hint(self, wrong: bool = False) -> None:
        hint = self.query_one("#confirm-hint", Static)
        hint.set_class(wrong, "-wrong")
        hint.set_class(self.matches and not self.locked_reason, "-ok")
        if self.locked_reason:
            hint.update(Text(self.locked_reason))
        elif wrong:
            typed = self.input.value.strip()
            hint.update(Text(f"✗ {typed!r} is not the source bucket's name ({self.expected}): nothing was started."
                             if typed else f"Type {self.expected} first: nothing was started."))
        elif self.matches:
            hint.update(Text(f"✓ Name confirmed: Enter (or the {self.verb} button) starts. Esc goes back."))
        else:
            hint.update(Text(f"{self.verb} is enabled once the name matches exactly · Tab: to the steps "
                             "(↑↓ each call's document, d dry run)" if self.verb == "Apply" else
                             f"{self.verb} is enabled once the name matches exactly · Tab: to the list above"))
        self.button.disabled = bool(self.locked_reason) or not self.matches

    @on(Input.Changed, "#confirm-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._hint()

    @on(Input.Submitted, "#confirm-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.locked_reason:
            self._hint()
            return
        if not self.matches:
            self.app.bell()
            self._hint(wrong=True)
            return
        self.post_message(self.Confirmed())

    @on(Button.Pressed, "#confirm-apply")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.matches and not self.locked_reason:
            self.post_message(self.Confirmed())

    def freeze(self, reason: str) -> None:
        """No typing, no Apply: ``reason`` says why (a run is on, it is done, read-only, blocked)."""
        self.locked_reason = reason
        self.add_class("-frozen")  # a short screen keeps only the reason (see the apply screen's CSS)
        self.input.disabled = True
        self._hint()

    def thaw(self) -> None:
        self.locked_reason = ""
        self.remove_class("-frozen")
        self.input.disabled = False
        self._hint()
