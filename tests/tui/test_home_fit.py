"""The Migrations home, the undo screen and the stakeholder view at 80x24 and 60x20: header, keys, boxes.

The journals are the screenshots' fixed ones (s3xrep_tui/screenshots_home.py):
nothing is chosen yet when a migration is opened from the home screen, so the
bar must say Migrations and name the journal's buckets, profiles and accounts
(not the Accounts step, not "not chosen"); every key of the screen is in the
footer (a key cut to "n New mi" cannot be found); no box the user reads is
drawn with fewer than three content rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.screenshots_home import (
    DESTINATION_ACCOUNT,
    SOURCE_ACCOUNT,
    FixedBackend,
    home,
    quiet_app,
    stakeholder,
    undo,
    write_migrations,
)
from s3xrep_tui.tui.screens.stakeholder import StakeholderScreen

from .screen_fit import cramped_boxes, screen_text

SIZES = [(80, 24), (60, 20)]
IDS = ["80x24", "60x20"]
# The app's own keys (Quit, Help) may give way below 80 columns, the palette's and the screen's never.
DRIVERS: dict[str, Callable[[Any], Awaitable[None]]] = {"home": home, "undo": undo, "stakeholder": stakeholder}


@pytest.fixture
def migrations(write_profiles: Callable[[], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_profiles()
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    write_migrations()


def squeeze(line: str) -> str:
    return " ".join(line.split())


@pytest.mark.parametrize("name", list(DRIVERS))
@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_every_key_shows_and_every_box_is_readable(migrations: None, name: str, size: tuple[int, int]) -> None:
    app = quiet_app()
    async with app.run_test(size=size) as pilot:
        await DRIVERS[name](pilot)
        await pilot.pause()
        footer = squeeze(screen_text(app).splitlines()[-1])
        screen = app.screen
        wanted = ["^p Commands"] + [
            f"{app.get_key_display(active.binding)} {active.binding.description}"
            for active in screen.active_bindings.values()
            if active.binding.show and (active.node is not app or size[0] >= 80)]
        missing = [key for key in wanted if key not in footer]
        assert not missing, f"{name} at {size}: {missing} not in the footer {footer!r}"
        assert len(wanted) >= 4 and ("? Help" in wanted or name == "undo" or size[0] < 80), wanted
        assert cramped_boxes(app) == [], f"{name} at {size}"


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_the_home_crumb_says_migrations_not_the_accounts_step(migrations: None, size: tuple[int, int]) -> None:
    app = quiet_app()
    async with app.run_test(size=size) as pilot:
        await home(pilot)
        crumb = squeeze(screen_text(app).splitlines()[0])
        assert crumb.startswith("s3xrep Migrations"), crumb
        assert "Accounts" not in crumb and "1/7" not in crumb, crumb
        assert "not chosen" not in screen_text(app)  # no sides: each migration in the list names its own


@pytest.mark.parametrize("name", ["undo", "stakeholder"])
@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_a_migrations_screen_names_its_buckets_accounts_and_profiles(migrations: None, name: str,
                                                                         size: tuple[int, int]) -> None:
    app = quiet_app()
    async with app.run_test(size=size) as pilot:
        await DRIVERS[name](pilot)
        await pilot.pause()
        lines = [squeeze(line) for line in screen_text(app).splitlines()[:3]]
        title = "Undo" if name == "undo" else "Stakeholder view"
        assert lines[0].startswith(f"s3xrep Migrations › {title}"), lines[0]
        assert lines[1].startswith("source s3://acme-legacy-media · acme-legacy ·"), lines
        assert lines[2].startswith("destination s3://acme-platform-media · acme-platform ·"), lines
        if size[0] >= 80:  # the accounts (and the source's region) whole at 80 columns
            assert lines[1].endswith(f"· {SOURCE_ACCOUNT} · us-east-1"), lines[1]
            assert lines[2].endswith(f"· {DESTINATION_ACCOUNT}"), lines[2]
        assert "not chosen" not in "\n".join(lines)


async def test_the_stakeholder_view_of_the_flow_keeps_the_flow_bar(migrations: None) -> None:
    """Opened with no migration (``S`` on the monitor, the palette): the flow's crumb and the app's choices."""
    app = quiet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await home(pilot)
        app.push_screen(StakeholderScreen(None, backend=FixedBackend(), interval=3600))  # type: ignore[arg-type]
        await pilot.pause()
        lines = [squeeze(line) for line in screen_text(app).splitlines()[:2]]
        assert lines[0].startswith("s3xrep Accounts 1/7 · Stakeholder view"), lines
        assert "source not chosen" in lines[1], lines
