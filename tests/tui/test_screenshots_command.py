"""``python -m s3xrep_tui.screenshots``: every picture it names, the environment left alone, the same bytes twice,
and the same bytes as the pictures committed in screenshots/ (every screen at 160x48 and 80x24).

The whole command takes minutes (every group at two sizes, a sandbox start for
each demo group), so it runs once; the committed pictures, drawn on another run,
are what proves it deterministic. ``--only`` is then checked with the home
group (fixed journals, no sandbox: the quickest) into a second folder, byte for
byte against the first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from s3xrep_tui.screenshots import GROUPS, PICTURES, SIZES, main


@pytest.mark.e2e
def test_regenerates_every_picture_deterministically(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "first", tmp_path / "second"
    before = dict(os.environ)
    assert main(["--out", str(first)]) == 0
    assert dict(os.environ) == before
    names = sorted(p.name for p in first.glob("*.svg"))
    assert names == sorted(PICTURES)
    assert capsys.readouterr().out.split() == [str(first / name) for name in PICTURES]
    demo = (first / "accounts-demo.svg").read_text()
    assert "DEMO" in demo and "s3xrep-demo-source" in demo
    assert "corp-sso" in (first / "accounts.svg").read_text()
    buckets = (first / "buckets.svg").read_text()
    assert "DEMO" in buckets and "acme-legacy-secure" in buckets and "acme-platform-media" in buckets
    assert "photos/2019/events/" in (first / "browser.svg").read_text()
    assert "acme-legacy-batch-reports" in (first / "options.svg").read_text()
    assert "PlatformReadOnlyAudit" in (first / "preview.svg").read_text()
    assert "PlatformReadOnlyAudit" in (first / "preview-80x24.svg").read_text()  # every picture at 80x24 too

    # The README's pictures are the snapshots of every screen at both sizes: what the command draws now is
    # what is committed (after an intended change: python -m s3xrep_tui.screenshots, and look at them).
    committed = Path(__file__).resolve().parents[2] / "screenshots"
    stale = [name for name in PICTURES if (first / name).read_bytes() != (committed / name).read_bytes()]
    assert not stale, f"screenshots/ differs from what the app draws now: {stale} (run python -m s3xrep_tui.screenshots)"

    again = next(group for group in GROUPS if group.name == "home")
    assert main(["--out", str(second), "--only", again.name]) == 0
    assert dict(os.environ) == before
    taken = [f"{name}{suffix}" for suffix, _ in SIZES for name in again.pictures]
    assert sorted(p.name for p in second.glob("*.svg")) == sorted(f"{name}.svg" for name in taken)
    for name in taken:
        one, two = (first / f"{name}.svg").read_bytes(), (second / f"{name}.svg").read_bytes()
        at = next((i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b), min(len(one), len(two)))
        assert one == two, f"{name}.svg differs at byte {at}: {one[at - 120:at + 120]!r} vs {two[at - 120:at + 120]!r}"


def test_the_readme_shows_every_picture_at_both_sizes() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert [name for name in PICTURES if f"](screenshots/{name})" not in readme] == []
