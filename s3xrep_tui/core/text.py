"""Foreign text made safe for a terminal: control characters shown, never obeyed.

Keys, tags, policies, rule IDs and AWS's own error messages come from another
account and may carry ``ESC ] 0 ; ... BEL`` (retitle the terminal), ``ESC [ 2 J``
(clear it), C1 controls (``U+009B`` is a one-byte CSI on some terminals) or bidi
overrides that reorder what the reader sees. ``safe`` replaces each of them with a
visible Python-style escape (``\\x1b``, ``\\u202e``), so the text still says what
AWS said. Pure: no I/O, no Rich.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069)
# plus the implicit marks that can flip a line (U+200E, U+200F, U+061C).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEPING_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe(text: object, *, newlines: bool = False) -> str:
    """``text`` (``str()`` of it) with every control and bidi character as a visible escape.

    ``newlines=True`` keeps ``\\n`` for multi-line output we laid out ourselves
    (a newline moves the cursor, it cannot rewrite the screen); a foreign value
    that should stay on one line is passed without it.
    """
    value = text if isinstance(text, str) else str(text)
    pattern = _UNSAFE_KEEPING_NEWLINES if newlines else _UNSAFE
    return pattern.sub(_visible, value)


def is_safe(text: str, *, newlines: bool = False) -> bool:
    """True when ``safe`` would leave ``text`` unchanged."""
    pattern = _UNSAFE_KEEPING_NEWLINES if newlines else _UNSAFE
    return pattern.search(text) is None
