"""The apply journal: private, append-only, fsynced lines; a truncated last line is tolerated."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from s3xrep_tui.aws.journal import Journal, check_plan_id, journal_path, read_journal, record_checksum


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


def test_every_record_carries_a_checksum_of_what_is_stored() -> None:
    journal = Journal("p-sum")
    entry = journal.record("write", call="s3.put_bucket_policy", after={"note": "AKIA111111111111DEMO"})
    stored = json.loads(journal.path.read_text().splitlines()[0])
    assert stored == entry and stored["sha256"] == record_checksum(stored)
    assert "AKIA…" in stored["after"]["note"]  # masked before the checksum was taken
    read = journal.read()
    assert read.damaged == [] and read.problems == [] and read.unverified == 0


def test_damage_in_the_middle_is_listed_with_its_line_and_a_torn_crash_tail_is_not() -> None:
    journal = Journal("p-dmg")
    for call in ("a", "b", "c"):
        journal.record("write", call=call)
    lines = journal.path.read_text().splitlines()
    edited = json.loads(lines[1])
    edited["call"] = "z"  # valid JSON, not what was written
    lines[1] = json.dumps(edited)
    lines[2] = lines[2][:20]  # truncated, but not the last line
    journal.path.write_text("\n".join(lines) + "\n")
    Journal("p-dmg").record("write", call="d")
    read = read_journal(journal.path)
    assert [(d.line, "checksum" in d.reason) for d in read.damaged] == [(2, True), (3, False)]
    assert [e["call"] for e in read.writes()] == ["a", "d"]

    torn = Journal("p-torn")
    torn.record("write", call="a")
    with open(torn.path, "ab") as handle:
        handle.write(b'{"ts":"2026-01-01T00:00:00","kind":"wri')
    Journal("p-torn").record("write", call="b")
    read = torn.read()
    assert read.damaged == [] and [e["line"] for e in read.entries if e["kind"] == "torn"] == [2]


def test_records_of_older_versions_are_read_unverified_but_not_after_checksummed_ones(data_dir: Path) -> None:
    path = journal_path("p-old")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"kind":"write","id":"r:1","call":"a"}\n{"kind":"write","id":"r:2","call":"b"}\n')
    Journal("p-old").record("write", call="c")
    with open(path, "a") as handle:
        handle.write('{"kind":"write","id":"r:3","call":"x"}\n')
    read = read_journal(path)
    assert [e["call"] for e in read.writes()] == ["a", "b", "c"] and read.unverified == 2
    assert [d.line for d in read.damaged] == [4]
    assert any("2 record(s) have no checksum" in p for p in read.problems)
