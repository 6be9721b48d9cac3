"""The footer every screen shows: Textual's, recomposed only when the keys it shows change.

Textual's Footer rebuilds all its keys whenever the screen's bindings are refreshed (a focus change,
every ``refresh_bindings()``), and each rebuilt key restyles itself: on a screen that refreshes its
bindings on each progress message that was a tenth of the app's CPU. What it would draw is the
shown bindings (key, label, action, enabled, tooltip), so an unchanged list is left as drawn.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """A drop-in for ``textual.widgets.Footer`` that skips rebuilding an unchanged row of keys."""

    _shown: tuple[Any, ...] | None = None

    def _keys(self) -> tuple[Any, ...]:
        active = self.screen.active_bindings
        keys = tuple((binding.key, binding.description, binding.action, enabled, tooltip, binding.group)
                     for (_, binding, enabled, tooltip) in active.values() if binding.show)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        return keys, None if palette is None else palette[2], self.compact, self.app.ENABLE_COMMAND_PALETTE

    def compose(self) -> Any:
        if self._bindings_ready:
            self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()
