"""The MFA code prompt for an assume-role profile with ``mfa_serial``.

The code is typed into a password field (dots on screen), handed to
:func:`credentials.set_mfa_code` (which keeps it only until the next
AssumeRole of that profile uses it) and cleared from the field: the prompt
keeps nothing. A code that is not 6 digits is refused inline
(``InvalidMfaCode``). The prompt dismisses with True once a code is handed
over; the caller then resolves the identity again.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ...aws.credentials import set_mfa_code
from ...aws.errors import AwsError

KEPT = "The 6 digits the device shows now; kept in memory only until the role is assumed."
MFA_CODES = frozenset({"MfaRequired", "MfaCodeRejected", "MfaExpired"})


def needs_mfa_code(error: AwsError | None) -> bool:
    """True when resolving failed for want of a (new, or correct) MFA code."""
    return error is not None and error.code in MFA_CODES


class MfaPromptScreen(ModalScreen[bool]):
    """Asks for the current code of ``profile``'s MFA device; ``reason`` says why it is asked."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    MfaPromptScreen { align: center middle; }
    MfaPromptScreen #box { width: 72; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    MfaPromptScreen #why { height: auto; margin-bottom: 1; }
    MfaPromptScreen #code { width: 20; }
    MfaPromptScreen #error { height: auto; color: $error; }
    """

    def __init__(self, profile: str, reason: str = "") -> None:
        super().__init__()
        self.profile = profile
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="box") as box:
            box.border_title = f"MFA code for {self.profile}"
            box.border_subtitle = "Enter submit · Esc cancel"
            why = Text(self.reason + "\n" if self.reason else "")
            why.append(KEPT, style="dim")
            yield Static(why, id="why")
            yield Input(placeholder="6 digits", password=True, max_length=6, restrict=r"[0-9]*", id="code")
            yield Static(id="error")

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    @on(Input.Changed, "#code")
    def _changed(self, _: Input.Changed) -> None:
        self.query_one("#error", Static).update("")

    @on(Input.Submitted, "#code")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = self.query_one("#code", Input)
        try:
            set_mfa_code(self.profile, field.value)
        except AwsError as exc:  # InvalidMfaCode: not 6 digits
            self.query_one("#error", Static).update(Text(f"✗ {exc.message}"))
            return
        field.value = ""
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.query_one("#code", Input).value = ""
        self.dismiss(False)
