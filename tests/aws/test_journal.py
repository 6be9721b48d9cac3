"""The apply journal: private, append-only, fsynced lines; a truncated last line is tolerated."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from s3xrep_tui.aws.journal import Journal, check_plan_id, journal_path, read_journal


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_entries_land_under_the_data_dir_private_and_in_order(data_dir: Path) -> None:
    journal = Journal("src-to-dst-1234abcd")
    assert journal.path == data_dir / "journal" / "src-to-dst-1234abcd.jsonl" == journal_path("src-to-dst-1234abcd")
    first = journal.record("write", call="s3.put_bucket_policy", before=None, after={"Statement": []})
    journal.record("done", ref=first["id"], result={})
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    read = journal.read()
    assert read.problems == []
    assert [e["kind"] for e in read.entries] == ["write", "done"]
    assert read.entries[0]["plan_id"] == "src-to-dst-1234abcd" and read.entries[0]["ts"]
    assert read.done()[first["id"]]["ref"] == first["id"]
    # one JSON object per line
    assert all(json.loads(line) for line in journal.path.read_text().splitlines())


def test_a_second_run_appends_to_the_same_file_with_its_own_ids() -> None:
    one, two = Journal("p-1"), Journal("p-1")
    a = one.record("write", call="x")
    b = two.record("write", call="y")
    assert a["id"] != b["id"]
    assert [e["call"] for e in Journal("p-1").read().writes()] == ["x", "y"]


def test_a_truncated_last_line_is_skipped_and_reported_and_the_next_entry_starts_a_new_line() -> None:
    journal = Journal("p-2")
    journal.record("write", call="s3.put_bucket_policy")
    with open(journal.path, "ab") as handle:  # a crash in the middle of a line
        handle.write(b'{"ts":"2026-01-01T00:00:00","kind":"wri')
    read = read_journal(journal.path)
    assert [e["call"] for e in read.entries] == ["s3.put_bucket_policy"]
    assert len(read.problems) == 1 and "incomplete" in read.problems[0]

    later = Journal("p-2")
    later.record("write", call="s3.put_bucket_replication")
    read = later.read()
    assert [e["call"] for e in read.writes()] == ["s3.put_bucket_policy", "s3.put_bucket_replication"]
    assert len(read.problems) == 1 and "line 2" in read.problems[0]


def test_a_missing_journal_reads_as_empty_with_the_reason(tmp_path: Path) -> None:
    read = read_journal(tmp_path / "nope.jsonl")
    assert read.entries == [] and "no journal" in read.problems[0]


def test_access_key_ids_never_reach_the_file() -> None:
    journal = Journal("p-3")
    journal.record("write", note="AKIA111111111111DEMO leaked into a message")
    text = journal.path.read_text()
    assert "AKIA111111111111DEMO" not in text and "AKIA…" in text


@pytest.mark.parametrize("bad", ["", "../etc/passwd", "a/b", "..", "x..y", " space"])
def test_plan_ids_are_safe_file_names(bad: str) -> None:
    with pytest.raises(ValueError):
        check_plan_id(bad)
    assert check_plan_id("acme-legacy-media-to-acme-platform-media-1a2b3c4d")
