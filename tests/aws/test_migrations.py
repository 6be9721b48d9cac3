"""aws.migrations: the migrations the journal directory holds, as the home screen lists them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from s3xrep_tui.aws.journal import journal_dir
from s3xrep_tui.aws.migrations import list_migrations, short_time
from s3xrep_tui.screenshots_home import JOB, PLAN, UNDONE, write_migrations


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_no_journal_directory_is_no_migration() -> None:
    assert list_migrations() == []


def test_each_journal_is_a_migration_with_its_buckets_profiles_job_and_results() -> None:
    write_migrations()
    by_id = {m.plan_id: m for m in list_migrations()}
    applied, undone = by_id[PLAN], by_id[UNDONE]
    assert (applied.source_bucket, applied.destination_bucket) == ("acme-legacy-media", "acme-platform-media")
    assert applied.profiles == {"destination": "acme-platform", "source": "acme-legacy"}
    assert applied.job_ids == (JOB,) and applied.rule_id == "s3xrep-to-acme-platform-media"
    assert applied.state == "applied" and applied.verify_text == "OK 2026-12-01 10:30 UTC"
    assert applied.region == "us-east-1" and applied.resumable
    assert undone.state == "undone" and undone.undone and undone.verify_text == "never"
    assert undone.source_bucket == "acme-legacy-logs"  # from the plan id: only the destination was written


def test_a_damaged_journal_is_listed_with_its_problem_and_a_foreign_file_is_not() -> None:
    write_migrations()
    path = journal_dir() / f"{PLAN}.jsonl"
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("acme-platform-media", "acme-platform-mediA")  # the checksum no longer matches
    path.write_text("\n".join(lines) + "\n")
    (journal_dir() / "not a plan id!.jsonl").write_text("{}\n")
    (journal_dir() / "notes.txt").write_text("hello\n")
    found = {m.plan_id: m for m in list_migrations()}
    assert set(found) == {PLAN, UNDONE}
    assert any("line 1 is damaged" in p for p in found[PLAN].problems)
    assert found[PLAN].writes == 2


def test_short_time() -> None:
    assert short_time("2026-12-03T15:01:02.123+00:00") == "2026-12-03 15:01 UTC"
    assert short_time(None) == "?"


def test_an_unreadable_journal_directory_lists_nothing_rather_than_failing(data_dir: Path) -> None:
    write_migrations()
    (data_dir / "journal").chmod(0o000)
    try:
        if os.access(data_dir / "journal", os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        assert list_migrations() == []
    finally:
        (data_dir / "journal").chmod(0o700)
