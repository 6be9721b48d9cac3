"""SVG snapshots of the Migrations home, the undo screen and the stakeholder view at 80x24 and 160x48.

The migrations are fixed journals (tests/tui/home_fixtures.py); the undo's dry
run and the stakeholder view's polls answer fixed values, so the pictures do
not depend on the run. The behaviour on the real sandbox is tested in
test_home, test_undo_screen and test_stakeholder.
Update after an intended change: ``pytest tests/tui/test_home_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.migrations import migration
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.home import HomeScreen

from .home_fixtures import PLAN, FixedUndoScreen, stakeholder_screen, write_migrations

SIZES = [(80, 24), (160, 48)]
IDS = ["80x24", "160x48"]


@pytest.fixture
def migrations(write_profiles: Callable[[], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_profiles()
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    write_migrations()


async def wait(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)
    await pilot.pause()


async def home(pilot: Any) -> None:
    await wait(pilot, lambda: isinstance(pilot.app.screen, HomeScreen), "the home screen")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def undo(pilot: Any) -> None:
    await home(pilot)
    pilot.app.push_screen(FixedUndoScreen(migration(PLAN)))
    await wait(pilot, lambda: getattr(pilot.app.screen, "preview", None) is not None, "the dry run")


async def stakeholder(pilot: Any) -> None:
    await home(pilot)
    pilot.app.push_screen(stakeholder_screen())
    await wait(pilot, lambda: getattr(pilot.app.screen, "snapshot", None) is not None
               and pilot.app.screen.snapshot.jobs, "the poll")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def app() -> S3xrepApp:
    application = S3xrepApp()
    application.animation_level = "none"
    return application


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_home_screen(snap_compare, migrations: None, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app(), terminal_size=size, run_before=home)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_undo_screen(snap_compare, migrations: None, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app(), terminal_size=size, run_before=undo)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_stakeholder_view(snap_compare, migrations: None, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app(), terminal_size=size, run_before=stakeholder)
