"""``s3xrep plan``'s cost and time estimate: the ``estimate`` key of ``--json``, the text section, ``--no-estimate``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws import results
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.seed import ARCHIVE, DEST_MEDIA, MEDIA

SOURCE, DEST = PROFILES["source"], PROFILES["destination"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(seed="demo", config_path=tmp_path_factory.mktemp("aws") / "config") as running:
        yield running


def _plan(capsys, source: str, *args: str) -> tuple[int, str, str]:
    code = main(["plan", "--source", f"{SOURCE}:{source}", "--dest", f"{DEST}:{DEST_MEDIA}", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_json_carries_the_estimate_and_records_it_for_the_report(env: Path, capsys) -> None:
    code, out, err = _plan(capsys, ARCHIVE, "--json", "--rtc")
    assert code in (0, 3), err
    plan = json.loads(out)
    estimate = plan["estimate"]
    assert estimate["estimate"] is True and estimate["label"].startswith("ESTIMATE")
    assert estimate["objects"] == 120_000_000  # the demo's virtual CloudWatch figures, no listing
    assert estimate["prices"][0].startswith("AWS Price List API")
    items = {i["id"]: i for i in estimate["items"]}
    assert items["batch.objects"]["cost_usd"] == pytest.approx(120.0)
    assert items["rtc"]["cost_usd"] > 0 and items["rtc"]["assumption"]
    assert {"put.STANDARD", "put.STANDARD_IA", "put.GLACIER"} <= set(items)
    assert estimate["backfill_seconds"] == pytest.approx(120_000_000 / 3500)
    assert any("aws.amazon.com/s3/pricing" in page for page in estimate["pricing_pages"])
    recorded = results.latest(plan["id"])["estimate"]
    assert recorded is not None and recorded["result"]["one_time_usd"] == estimate["one_time_usd"]


def test_plan_text_shows_cost_and_time_within_80_columns(env: Path, capsys) -> None:
    code, out, err = _plan(capsys, MEDIA)
    assert code in (0, 3), err
    section = out.split("\nCost and time\n", 1)[1].split("\nDocuments\n", 1)[0]
    assert section.startswith("ESTIMATE, not a quote")
    assert "One-time $" in section and "Backfill" in section and "Assumptions:" in section
    assert "Prices: AWS Price List API" in section
    assert max(len(line) for line in section.splitlines()) <= 80


def test_no_estimate_skips_it(env: Path, capsys) -> None:
    code, out, err = _plan(capsys, MEDIA, "--json", "--no-estimate")
    assert code in (0, 3), err
    assert "estimate" not in json.loads(out)
