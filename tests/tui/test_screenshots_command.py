"""``python -m s3xrep_tui.screenshots`` writes the three SVGs and leaves the environment alone."""

from __future__ import annotations

import os
from pathlib import Path

from s3xrep_tui.screenshots import main


def test_regenerates_the_screenshots(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    before = dict(os.environ)
    assert main(["--out", str(tmp_path)]) == 0
    assert dict(os.environ) == before
    names = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert names == ["accounts-demo.svg", "accounts.svg", "help.svg"]
    demo = (tmp_path / "accounts-demo.svg").read_text()
    assert "DEMO" in demo and "s3xrep-demo-source" in demo
    assert "corp-sso" in (tmp_path / "accounts.svg").read_text()
