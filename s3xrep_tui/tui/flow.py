"""The flow of screens, in order, and which step a screen is.

Its own module so that the app, the screens and the context bar can all read
it without importing each other (the app imports the screens).
"""

from __future__ import annotations

from textual.screen import Screen

# The flow, in order: each step's screen (module, class), imported when first
# needed so that a screen's dependencies cost nothing until the user gets there.
FLOW: dict[str, tuple[str, str]] = {
    "accounts": ("s3xrep_tui.tui.screens.accounts", "AccountsScreen"),
    "buckets": ("s3xrep_tui.tui.screens.buckets", "BucketsScreen"),
    "options": ("s3xrep_tui.tui.screens.options", "OptionsScreen"),
    "preview": ("s3xrep_tui.tui.screens.preview", "PreviewScreen"),
    "apply": ("s3xrep_tui.tui.screens.apply", "ApplyScreen"),
    "monitor": ("s3xrep_tui.tui.screens.monitor", "MonitorScreen"),
    "verify": ("s3xrep_tui.tui.screens.verify", "VerifyScreen"),
}


def flow_step(screen: Screen, flow: dict[str, tuple[str, str]]) -> str | None:
    """The flow step ``screen`` is (by its class's module and name), or None for a screen outside the flow."""
    cls = type(screen)
    return next((step for step, (module, name) in flow.items() if (cls.__module__, cls.__name__) == (module, name)),
                None)
