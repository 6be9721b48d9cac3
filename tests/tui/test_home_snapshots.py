"""SVG snapshots of the Migrations home, the undo screen and the stakeholder view at 80x24 and 160x48.

The migrations are fixed journals (s3xrep_tui/screenshots_home.py, which also draws them for ``python -m s3xrep_tui.screenshots``); the undo's dry
run and the stakeholder view's polls answer fixed values, so the pictures do
not depend on the run. The behaviour on the real sandbox is tested in
test_home, test_undo_screen and test_stakeholder.
Update after an intended change: ``pytest tests/tui/test_home_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from s3xrep_tui.screenshots_home import home, quiet_app, stakeholder, undo, write_migrations

SIZES = [(80, 24), (160, 48)]
IDS = ["80x24", "160x48"]


@pytest.fixture
def migrations(write_profiles: Callable[[], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_profiles()
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    write_migrations()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_home_screen(snap_compare, migrations: None, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_app(), terminal_size=size, run_before=home)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_undo_screen(snap_compare, migrations: None, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_app(), terminal_size=size, run_before=undo)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_stakeholder_view(snap_compare, migrations: None, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_app(), terminal_size=size, run_before=stakeholder)
