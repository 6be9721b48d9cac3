# ruff: noqa: F811  (pytest fixtures imported from test_monitor_support)
"""The Verify screen: on the demo sandbox after the plan's backfill (a version the test deletes from the
destination shows as missing; export writes private CSV and JSON), and an SVG snapshot with a stand-in
runner (fixed counts and times). Update the snapshot: ``pytest tests/tui/test_verify_screen.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
import csv
import json
import stat
from pathlib import Path
from typing import Any

from s3xrep_tui.aws.verify import VerifyProgress, VerifyReport
from s3xrep_tui.core.verify import Expectations, Outcome, VersionRecord, verify_versions
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.verify import VerifyScreen
from s3xrep_tui.tui.widgets.verify_progress import VerifyProgressView
from tests.tui.test_monitor_support import (  # noqa: F401  (fixtures)
    DESTINATION,
    SIZE,
    SOURCE,
    applied,
    choice,
    data_dir,
    demo_config,
    prepare,
    until,
    wait_job,
    world,
)


async def finish(screen: VerifyScreen, pilot: Any, timeout: float = 120.0) -> None:
    await asyncio.wait_for(screen.app.workers.wait_for_complete(), timeout)
    await until(pilot, lambda: screen.state != "running", what="the verification's result")
    await pilot.pause()


async def test_verify_shows_a_version_deleted_from_the_destination_as_missing_and_exports_it(
    demo_config: Path, world: Sandbox, applied: dict[str, Any], tmp_path: Path
) -> None:
    wait_job(world, applied["job_id"])
    destination = world.clients(DESTINATION_ACCOUNT)("s3")
    source = world.clients(SOURCE_ACCOUNT)("s3")
    victim = next(v for v in source.list_object_versions(Bucket=SOURCE, Prefix="photos/")["Versions"]
                  if v.get("StorageClass") != "GLACIER")
    destination.delete_object(Bucket=DESTINATION, Key=victim["Key"], VersionId=victim["VersionId"])
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        prepare(app, applied["plan"])
        screen = VerifyScreen(export_dir=tmp_path / "exports", stamp=lambda: "20261103T090000Z")
        await app.push_screen(screen)
        await finish(screen, pilot)
        assert screen.state == "done", screen.error
        report = screen.report
        assert report is not None
        missing = [r for r in report.summary.differences if r.outcome is Outcome.MISSING]
        assert [(r.key, r.version_id) for r in missing] == [(victim["Key"], victim["VersionId"])]
        assert report.summary.compared > 1000
        table = screen.query_one("#differences")
        first = [cell.plain for cell in table.get_row_at(0)]
        assert first[0] == "missing" and first[1].rstrip("…") == victim["Key"][:len(first[1].rstrip("…"))] and "not on the destination" in first[3]
        summary = str(screen.query_one("#verify-summary").render())
        assert "1 difference(s) that matter" in summary and "versions compared" in summary
        counts = str(screen.query_one(VerifyProgressView).query_one("#verify-counts").render())
        assert "versions compared" in counts and "/s" in counts and "done" in counts
        await pilot.press("e")
        await pilot.pause()
        csv_path, json_path = screen.exported or (None, None)
        assert csv_path == tmp_path / "exports" / f"{SOURCE}-to-{DESTINATION}-20261103T090000Z.csv"
        for path in (csv_path, json_path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(csv_path.parent.stat().st_mode) == 0o700
        rows = list(csv.DictReader(csv_path.open()))
        assert rows[0]["outcome"] == "missing" and rows[0]["key"] == victim["Key"]
        assert rows[0]["version_id"] == victim["VersionId"] and rows[0]["matters"] == "yes"
        data = json.loads(json_path.read_text())
        assert data["differences_that_matter"] == 1 and data["source"]["bucket"] == SOURCE
        assert str(csv_path) in str(screen.query_one("#verify-export").render()).replace("\n", "")


async def test_verify_can_be_stopped_and_run_again(demo_config: Path, world: Sandbox, applied: dict[str, Any]) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        prepare(app, applied["plan"])
        screen = VerifyScreen()
        await app.push_screen(screen)
        await pilot.press("s")
        await finish(screen, pilot)
        assert screen.state in ("stopped", "done")
        assert screen.check_action("export", ()) is (None if screen.report is None else True)
        run = screen.run_number
        await pilot.press("r")
        assert screen.run_number == run + 1  # a new run (its answers only)
        await finish(screen, pilot)
        assert screen.state == "done" and screen.report is not None


async def test_verify_without_buckets_says_what_to_do() -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = VerifyScreen()
        await app.push_screen(screen)
        await pilot.pause()
        assert screen.state == "idle"
        assert "choose both buckets" in str(screen.query_one("#verify-problem").render())


# --- a deterministic picture -----------------------------------------------------------------------


def _records() -> tuple[list[VersionRecord], list[VersionRecord], Expectations]:
    source = [
        VersionRecord("docs/contracts/doc-0001.pdf", "v1", True, 2048, "aaa"),
        VersionRecord("docs/contracts/doc-0002.pdf", "v2", True, 4096, "bbb"),
        VersionRecord("logs/2024/app.log.gz", "v3", True, 9000, "ccc", "GLACIER"),
        VersionRecord("photos/2024/beach.jpg", "v4", True, 512_000, "ddd"),
        VersionRecord("photos/2024/city.jpg", "v5", True, 300_000, "eee"),
        VersionRecord("tmp/old.txt", "v6", False, 0, None, is_delete_marker=True),
    ]
    destination = [
        VersionRecord("docs/contracts/doc-0001.pdf", "v1", True, 2048, "aaa"),
        VersionRecord("docs/contracts/doc-0002.pdf", "v2", True, 4000, "bbb"),
        VersionRecord("photos/2024/beach.jpg", "v4", True, 512_000, "ddd"),
        VersionRecord("zz-manual-upload.txt", "v9", True, 10, "fff"),
    ]
    return source, destination, Expectations()


def fixed_runner(*_: Any, progress: Any = None, limit: int | None = None, **__: Any) -> VerifyReport:
    source, destination, facts = _records()
    summary = verify_versions(source, destination, facts, limit=limit)
    if progress is not None:
        progress(VerifyProgress(summary.compared, len(source), len(destination), 1.5, True))
    return VerifyReport(SOURCE, DESTINATION, SOURCE_ACCOUNT, DESTINATION_ACCOUNT, "us-east-1", "us-east-1", "",
                        summary, 1.5, 1)


async def verified(pilot: Any) -> None:
    app = pilot.app
    app.source = choice("s3xrep-demo-source", SOURCE_ACCOUNT)
    app.destination = choice("s3xrep-demo-destination", DESTINATION_ACCOUNT)
    app.source_bucket, app.destination_bucket = SOURCE, DESTINATION
    app._clients = {"s3xrep-demo-source": object(), "s3xrep-demo-destination": object()}  # never called
    screen = VerifyScreen(runner=fixed_runner)
    await app.push_screen(screen)
    await until(pilot, lambda: screen.state == "done", what="the stand-in verification")
    await pilot.pause()


def test_verify_screen_snapshot(snap_compare, aws_env: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(S3xrepApp(), terminal_size=SIZE, run_before=verified)
