"""core.text.safe: every control and bidi character shown as an escape, the rest kept (issue 14.6)."""

from __future__ import annotations

from s3xrep_tui.core.text import is_safe, safe

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eevil"


def test_safe_shows_every_control_and_bidi_character_and_keeps_the_rest() -> None:
    assert safe(HOSTILE) == SHOWN
    assert safe("a\nb\tc") == "a\\x0ab\\x09c"
    assert safe("a\nb\tc", newlines=True) == "a\nb\\x09c"
    assert safe("\x7f\x80\x9f\u2066\u2069\u200f") == "\\x7f\\x80\\x9f\\u2066\\u2069\\u200f"
    assert safe("café ✓ [bold]x[/] 日本") == "café ✓ [bold]x[/] 日本"  # printable text and markup untouched
    assert safe(safe(HOSTILE)) == safe(HOSTILE)
    assert all(is_safe(safe(chr(code))) for code in range(0x3000))
