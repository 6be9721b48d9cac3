"""The projector theme: pure black and white, saturated colours, for a room with the lights on.

Registered by the app (the palette's "High contrast" toggles it; the
stakeholder view's ``h`` too).
"""

from __future__ import annotations

from textual.theme import Theme

HIGH_CONTRAST = "s3xrep-high-contrast"

HIGH_CONTRAST_THEME = Theme(
    name=HIGH_CONTRAST,
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FF00FF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    boost="#262626",
    success="#00FF00",
    warning="#FFB000",
    error="#FF3030",
    dark=True,
    variables={"text-muted": "#E0E0E0", "footer-key-foreground": "#FFFF00", "block-cursor-background": "#FFFF00",
               "block-cursor-foreground": "#000000"},
)
