"""aws.migrations: a finished migration is listed as finished, not undone (finish settles writes as undo does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.aws.migrations import migration


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _applied(plan_id: str) -> Journal:
    journal = Journal(plan_id)
    journal.record("write", call="s3.put_bucket_policy", account="destination", target="bucket dst", before=None,
                   after={"Statement": []})
    journal.record("write", call="s3.put_bucket_replication", account="source", target="bucket src", before=None,
                   after={"Rules": [{"ID": "s3xrep-to-dst"}]})
    return journal


def test_finished_once_a_complete_finish_is_recorded() -> None:
    journal = _applied("src-to-dst-00000001")
    for ref in (f"{journal.run}:2", f"{journal.run}:1"):
        journal.record("undo", ref=ref, status="deleted", message="taken out", by="finish")
    assert migration("src-to-dst-00000001").state == "undone"  # settled, but no finish record yet
    journal.record("finish", complete=False, rows=[])
    assert migration("src-to-dst-00000001").state == "undone"  # an incomplete finish does not finish
    record = journal.record("finish", complete=True, rows=[])
    found = migration("src-to-dst-00000001")
    assert found.state == "finished" and found.finished_at == record["ts"] and not found.undone


def test_an_undone_migration_is_still_undone() -> None:
    journal = _applied("src-to-dst-00000002")
    for ref in (f"{journal.run}:2", f"{journal.run}:1"):
        journal.record("undo", ref=ref, status="deleted", message="restored")
    found = migration("src-to-dst-00000002")
    assert found.state == "undone" and found.undone and found.finished_at is None
