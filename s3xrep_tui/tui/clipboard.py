"""Copy to the user's clipboard from anywhere the terminal is: OSC 52.

The terminal emulator the user looks at (on their laptop, at the far end of
SSH, or xterm.js in CloudShell) sets its clipboard when the application writes
``ESC ] 52 ; c ; <base64> BEL``. ``App.copy_to_clipboard`` (Textual 8) keeps
the text in ``app.clipboard`` and writes exactly that sequence through the
app's driver, so it goes where the screen goes.

tmux forwards an application's OSC 52 only with ``set -g set-clipboard on``;
with ``allow-passthrough on`` it also forwards the sequence wrapped in its DCS
passthrough. Inside tmux (``$TMUX``) both forms are written, so either setting
works; a terminal that allows neither simply ignores them.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass

from textual.app import App

log = logging.getLogger(__name__)


def osc52(text: str) -> str:
    """The OSC 52 sequence that sets the clipboard (selection ``c``) to ``text``."""
    return f"\x1b]52;c;{base64.b64encode(text.encode('utf-8')).decode('ascii')}\a"


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` wrapped in tmux's DCS passthrough (each ESC inside doubled)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


@dataclass(frozen=True)
class Copied:
    characters: int
    in_tmux: bool

    def describe(self, what: str) -> str:
        line = f"Copied {what} ({self.characters:,} characters) to the clipboard with OSC 52."
        if self.in_tmux:
            line += " In tmux this needs set-clipboard on (or allow-passthrough on)."
        return line


def copy_text(app: App, text: str) -> Copied:
    """Put ``text`` on the clipboard of the terminal showing ``app`` (and in ``app.clipboard``)."""
    app.copy_to_clipboard(text)  # app.clipboard = text; writes osc52(text) through the driver
    in_tmux = bool(os.environ.get("TMUX"))
    driver = getattr(app, "_driver", None)  # Textual has no public accessor; copy_to_clipboard uses it too
    if in_tmux and driver is not None:
        try:
            driver.write(tmux_passthrough(osc52(text)))
        except Exception:  # a copy must never take the app down
            log.exception("writing the tmux passthrough copy failed")
    log.info("copied %d characters with OSC 52 (tmux=%s)", len(text), in_tmux)
    return Copied(len(text), in_tmux)
