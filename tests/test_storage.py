"""Private, durable files: 0700 directories, 0600 files, atomic writes, appended lines."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from s3xrep_tui.storage import append_private, data_dir, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_0600_in_0700_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "plan.json"
    write_private(target, "{}")
    append_private(tmp_path / "a" / "journal.jsonl", '{"n": 1}')
    append_private(tmp_path / "a" / "journal.jsonl", '{"n": 2}\n')
    assert _mode(target) == 0o600 and _mode(target.parent) == 0o700 and _mode(tmp_path / "a") == 0o700
    assert (tmp_path / "a" / "journal.jsonl").read_text() == '{"n": 1}\n{"n": 2}\n'
    assert _mode(tmp_path / "a" / "journal.jsonl") == 0o600


def test_an_existing_loose_directory_is_tightened(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    write_private(loose / "x", "y")
    assert _mode(loose) == 0o700


def test_rewrites_replace_whole_files(tmp_path: Path) -> None:
    write_private(tmp_path / "f", "long text here")
    write_private(tmp_path / "f", "short")
    assert (tmp_path / "f").read_text() == "short"
    assert not list(tmp_path.glob(".*tmp"))


def test_data_dir_can_be_pointed_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
