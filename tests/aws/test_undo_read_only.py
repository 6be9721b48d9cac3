"""aws.undo in read-only mode: a real undo is refused before anything is read or sent; a dry run still runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.journal import journal_path
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.screenshots_home import PLAN, write_migrations


def test_a_real_undo_is_refused_and_the_journal_is_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    write_migrations()
    before = journal_path(PLAN).read_bytes()
    with pytest.raises(AwsError) as refused:
        undo(PLAN, {}, read_only=True)
    assert refused.value.code == "ReadOnly" and "dry run" in refused.value.fix
    assert journal_path(PLAN).read_bytes() == before
    result = undo(PLAN, {}, read_only=True, dry_run=True)  # no clients: each item says so, nothing raised
    assert result.dry_run and result.items and journal_path(PLAN).read_bytes() == before
