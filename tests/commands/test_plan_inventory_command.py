"""``s3xrep plan --inventory on`` on the sandbox: the text and JSON plans carry the inventory steps and documents,
and a missing reports bucket is a blocking finding with its fix (exit 3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, PROFILES, SOURCE_ACCOUNT, Sandbox

SRC, DST = PROFILES["source"], PROFILES["destination"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(seed="empty", config_path=tmp_path_factory.mktemp("plan-inv") / "aws-config") as running:
        a, b = running.clients(SOURCE_ACCOUNT)("s3"), running.clients(DESTINATION_ACCOUNT)("s3")
        for s3, bucket in ((a, "pi-src"), (a, "pi-src-reports"), (b, "pi-dst"), (b, "pi-dst-reports")):
            s3.create_bucket(Bucket=bucket)
        yield running


def _plan(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(["plan", "--source", f"{SRC}:pi-src", "--dest", f"{DST}:pi-dst", "--inventory", "on", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_plan_shows_the_inventory_steps_and_documents(env: Path, capsys: Any) -> None:
    code, out, err = _plan(capsys, "--inventory-source-bucket", "pi-src-reports",
                           "--inventory-destination-bucket", "pi-dst-reports")
    assert code == 0, err
    assert "Report every version of pi-src daily (S3 Inventory s3xrep-all-versions, Parquet) into pi-src-reports" in out
    assert "Let S3 Inventory deliver pi-dst's reports into pi-dst-reports" in out
    code, out, _ = _plan(capsys, "--inventory-source-bucket", "pi-src-reports",
                         "--inventory-destination-bucket", "pi-dst-reports", "--json")
    data = json.loads(out)
    assert data["documents"]["destination_inventory_configuration"]["Destination"]["S3BucketDestination"]["Bucket"] \
        == "arn:aws:s3:::pi-dst-reports"
    assert [s["call"] for s in data["steps"]].count("s3.put_bucket_inventory_configuration") == 2


def test_a_missing_reports_bucket_blocks_with_its_fix(env: Path, capsys: Any) -> None:
    code, out, _ = _plan(capsys, "--inventory-source-bucket", "pi-nowhere", "--inventory-destination-bucket",
                         "pi-dst-reports")
    assert code == 3
    assert "The source reports bucket pi-nowhere does not exist" in out and "Create pi-nowhere in account" in out
