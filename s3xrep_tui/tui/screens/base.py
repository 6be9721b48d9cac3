"""What every screen of the flow shares: the app, typed, and the footer's order."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.screen import ActiveBinding, Screen

if TYPE_CHECKING:
    from ..app import S3xrepApp


def footer_first(bindings: dict[str, ActiveBinding], keys: tuple[str, ...]) -> dict[str, ActiveBinding]:
    """``bindings`` with ``keys`` (those present) moved to the front, in that order; the rest as they were."""
    first = {key: bindings[key] for key in keys if key in bindings}
    return {**first, **{key: active for key, active in bindings.items() if key not in first}}


class AppScreen(Screen):
    # Keys the next step needs: the footer draws them first, so a narrow terminal cuts others.
    FOOTER_FIRST: ClassVar[tuple[str, ...]] = ()

    @property
    def s3xrep(self) -> S3xrepApp:
        return self.app  # type: ignore[return-value]

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return footer_first(super().active_bindings, self.FOOTER_FIRST)
