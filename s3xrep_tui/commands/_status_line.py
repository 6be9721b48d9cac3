"""One self-rewriting progress line on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys

from ..core.text import safe


class StatusLine:
    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def show(self, text: str) -> None:
        if not self.enabled:
            return
        sys.stderr.write(f"\r{safe(text)}\x1b[K")  # ours are the only control sequences it writes
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False
