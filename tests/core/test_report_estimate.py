"""The migration report's "Cost and time (estimate)" section: from the plan's recorded estimate, escaped."""

from __future__ import annotations

from s3xrep_tui.core.estimate import GB, estimate_pair
from s3xrep_tui.core.estimate_model import EstimateOptions, PriceBook, StorageFacts, estimate_from_dict
from s3xrep_tui.core.report import build_report, render_html, render_markdown

BOOK = PriceBook(region="us-east-1", prices={"batch.job": 0.25, "batch.objects": 1.0, "put.STANDARD": 0.005,
                                              "storage.STANDARD": 0.023}, source="price snapshot", as_of="2026-12-03")


def _estimate(bucket: str = "src"):
    storage = StorageFacts(bucket=bucket, objects=5_000_000, bytes_by_class={"STANDARD": 200 * GB}, as_of="2026-12-02")
    return estimate_pair(storage, EstimateOptions("us-east-1", "us-east-1", generated_manifest=False),
                         source_prices=BOOK, pair=f"{bucket} → dst")


def test_an_estimate_survives_its_dict():
    estimate = _estimate()
    again = estimate_from_dict(estimate.as_dict())
    assert again.items == estimate.items and again.one_time == estimate.one_time
    assert again.backfill_seconds == estimate.backfill_seconds and again.prices == estimate.prices


def test_the_report_shows_the_estimate_made_before_apply():
    entry = {"ts": "2026-12-03T18:00:00+00:00", "kind": "estimate", "result": _estimate().as_dict()}
    report = build_report("p-1", [], estimate=entry)
    assert report.estimate is not None and report.estimate_at == entry["ts"]
    markdown = render_markdown(report)
    assert "## Cost and time (estimate)" in markdown
    assert "ESTIMATE, not a quote" in markdown and "Batch Ops objects" in markdown and "$5.00" in markdown
    assert "2026-12-03 18:00:00 UTC" in markdown
    html = render_html(report)
    assert "<h2>Cost and time (estimate)</h2>" in html and "<pre>ESTIMATE, not a quote" in html
    assert "## Cost and time" not in render_markdown(build_report("p-1", []))  # no estimate, no section


def test_hostile_names_in_the_estimate_stay_text():
    entry = {"ts": "x", "result": _estimate("<script>alert(1)</script>\x1b[2J").as_dict()}
    report = build_report("p-1", [], estimate=entry)
    html = render_html(report)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "\x1b" not in render_markdown(report) and "\x1b" not in html
