"""``python -m s3xrep_tui.screenshots`` writes the seven SVGs and leaves the environment alone."""

from __future__ import annotations

import os
from pathlib import Path

from s3xrep_tui.screenshots import main


def test_regenerates_the_screenshots(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    before = dict(os.environ)
    assert main(["--out", str(tmp_path)]) == 0
    assert dict(os.environ) == before
    names = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert names == ["accounts-demo.svg", "accounts.svg", "browser.svg", "buckets.svg", "help.svg", "options.svg",
                     "preview.svg"]
    demo = (tmp_path / "accounts-demo.svg").read_text()
    assert "DEMO" in demo and "s3xrep-demo-source" in demo
    assert "corp-sso" in (tmp_path / "accounts.svg").read_text()
    buckets = (tmp_path / "buckets.svg").read_text()
    assert "DEMO" in buckets and "acme-legacy-secure" in buckets and "acme-platform-media" in buckets
    assert "photos/2019/events/" in (tmp_path / "browser.svg").read_text()
    assert "acme-legacy-batch-reports" in (tmp_path / "options.svg").read_text()
    assert "PlatformReadOnlyAudit" in (tmp_path / "preview.svg").read_text()
