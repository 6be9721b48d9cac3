"""The footer rebuilds its keys only when what it shows changes, and always shows the change."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Label
from textual.widgets._footer import FooterKey

from s3xrep_tui.tui.widgets.footer import Footer


class _Keys(App[None]):
    BINDINGS = [Binding("g", "go", "Go"), Binding("x", "stop", "Stop")]
    ready = False

    def compose(self) -> ComposeResult:
        yield Label("body")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go":
            return True if self.ready else None  # shown greyed until ready
        return True

    def action_go(self) -> None: ...

    def action_stop(self) -> None: ...


def _keys(app: App[Any]) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


async def test_an_unchanged_row_of_keys_is_left_as_drawn_and_a_change_is_drawn() -> None:
    app = _Keys()
    async with app.run_test(size=(60, 8)) as pilot:
        await pilot.pause()
        before = _keys(app)
        assert [key.key for key in before][:2] == ["g", "x"] and before[0].has_class("-disabled")
        for _ in range(3):  # bindings refreshed with nothing changed: the same widgets stay
            app.refresh_bindings()
            await pilot.pause()
        assert _keys(app) == before
        app.ready = True
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        after = _keys(app)
        assert after != before and not after[0].has_class("-disabled")  # the change is drawn
