"""The finish screen from a fixed dry run (s3xrep_tui/screenshots_finish.py): SVG snapshots, keys and boxes.

At 80x24 and 160x48 the picture is the same from run to run; at 80x24 every key
of the screen is in the footer and no box is drawn with fewer than three
content rows. The behaviour on the real sandbox is tested in test_finish_screen.
Update after an intended change: ``pytest tests/tui/test_finish_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from s3xrep_tui.screenshots_finish import finish_screen
from s3xrep_tui.screenshots_home import quiet_app, write_migrations

from .screen_fit import cramped_boxes, screen_text

SIZES = [(80, 24), (160, 48)]
IDS = ["80x24", "160x48"]


@pytest.fixture
def migrations(write_profiles: Callable[[], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_profiles()
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    write_migrations()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_finish_screen(snap_compare, migrations: None, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_app(), terminal_size=size, run_before=finish_screen)


async def test_every_key_shows_and_every_box_is_readable_at_80x24(migrations: None) -> None:
    app = quiet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await finish_screen(pilot)
        text = screen_text(app)
        footer = " ".join(text.splitlines()[-1].split())
        wanted = ["^p Commands"] + [f"{app.get_key_display(a.binding)} {a.binding.description}"
                                    for a in app.screen.active_bindings.values() if a.binding.show]
        assert [key for key in wanted if key not in footer] == [], footer
        assert "c No cut-over" in wanted and "p Pending ok" in wanted
        assert "has not been cut over" in text and "remove" in text and "stays" in text
        assert cramped_boxes(app) == []
