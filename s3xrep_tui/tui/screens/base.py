"""What every screen of the flow shares: the app, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from ..app import S3xrepApp


class AppScreen(Screen):
    @property
    def s3xrep(self) -> S3xrepApp:
        return self.app  # type: ignore[return-value]
