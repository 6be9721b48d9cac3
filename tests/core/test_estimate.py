"""core.estimate: the line items of one pair, the total of many, the backfill's duration, the text at 78 columns."""

from __future__ import annotations

import json

import pytest

from s3xrep_tui.core.estimate import (
    DEFAULT_RATE,
    GB,
    backfill_seconds,
    bytes_by_class,
    estimate_pair,
    remaining_seconds,
    total,
    with_measured_rate,
)
from s3xrep_tui.core.estimate_model import EstimateOptions, PriceBook, StorageFacts
from s3xrep_tui.core.estimate_text import WIDTH, estimate_lines, money
from s3xrep_tui.core.price_list import read_price_list

PRICES = {
    "storage.STANDARD": 0.023, "storage.STANDARD_IA": 0.0125, "storage.GLACIER": 0.0036,
    "put.STANDARD": 0.005, "put.STANDARD_IA": 0.01, "put.GLACIER": 0.03,
    "batch.job": 0.25, "batch.objects": 1.0, "batch.manifest": 0.015,
    "transfer.inter_region": 0.02, "rtc": 0.015, "kms.requests": 0.03, "inventory": 0.0025, "athena.scanned": 5.0,
}
BOOK = PriceBook(region="us-east-1", prices=PRICES, source="price snapshot", as_of="2026-12-03")
BILLION = StorageFacts(bucket="big", objects=1_000_000_000,
                       bytes_by_class={"STANDARD": 800 * 1024 * GB, "STANDARD_IA": 200 * 1024 * GB},
                       as_of="2026-12-02")


def _items(estimate):
    return {item.id: item for item in estimate.items}


def test_a_billion_objects_cost_what_the_price_list_says():
    estimate = estimate_pair(BILLION, EstimateOptions("us-east-1", "us-east-1"), source_prices=BOOK, pair="big → copy")
    items = _items(estimate)
    assert items["batch.job"].cost == pytest.approx(0.25)
    assert items["batch.objects"].cost == pytest.approx(1000.0)  # $1 per million objects
    assert items["batch.manifest"].cost == pytest.approx(15.0)
    # the count is split by the classes' share of the bytes: 80% STANDARD, 20% STANDARD_IA
    assert items["put.STANDARD"].quantity == 800_000_000
    assert items["put.STANDARD"].cost == pytest.approx(4000.0)
    assert items["put.STANDARD_IA"].cost == pytest.approx(2000.0)
    assert items["storage.STANDARD"].monthly and items["storage.STANDARD"].cost == pytest.approx(800 * 1024 * 0.023)
    assert "transfer.inter_region" not in items  # same region: no transfer charge
    assert estimate.one_time == pytest.approx(0.25 + 1000 + 15 + 4000 + 2000)
    assert estimate.backfill_seconds == pytest.approx(1e9 / DEFAULT_RATE)
    assert all(item.assumption for item in estimate.items)


def test_options_add_their_line_items():
    options = EstimateOptions("us-east-1", "eu-west-1", destination_storage_class="GLACIER", rtc=True, sse_kms=True,
                              inventory=True, athena=True)
    book = PriceBook(region="us-east-1", prices=PRICES, source="AWS Price List API", as_of="2026-12-03",
                     transfer={"eu-west-1": 0.02})
    items = _items(estimate_pair(BILLION, options, source_prices=book))
    assert items["transfer.inter_region"].cost == pytest.approx(1000 * 1024 * 0.02)
    assert items["transfer.inter_region"].price_source == "AWS Price List API (2026-12-03)"
    assert items["rtc"].cost == pytest.approx(1000 * 1024 * 0.015)
    assert items["kms.requests"].quantity == 2_000_000_000
    assert items["kms.requests"].cost == pytest.approx(2e9 / 10_000 * 0.03)
    assert items["inventory"].cost == pytest.approx(2 * 1000 * 0.0025)
    assert items["athena.scanned"].cost > 0
    assert set(k for k in items if k.startswith("put.")) == {"put.GLACIER"}  # every replica in the chosen class
    assert items["put.GLACIER"].cost == pytest.approx(1e9 / 1000 * 0.03)
    assert set(k for k in items if k.startswith("storage.")) == {"storage.GLACIER"}


def test_no_backfill_no_batch_fees_and_no_data_is_said():
    empty = StorageFacts(bucket="new", note="no datapoints")
    estimate = estimate_pair(empty, EstimateOptions("us-east-1", "us-east-1", replicate_existing=False),
                             source_prices=BOOK)
    assert not any(i.id.startswith("batch.") for i in estimate.items)
    assert estimate.objects is None and estimate.backfill_seconds == 0.0
    assert any("no CloudWatch storage metrics for new" in n for n in estimate.notes)


def test_a_missing_price_is_shown_not_guessed():
    book = PriceBook(region="us-east-1", prices={"batch.job": 0.25}, source="AWS Price List API", as_of="x")
    estimate = estimate_pair(BILLION, EstimateOptions("us-east-1", "us-east-1"), source_prices=book)
    objects = _items(estimate)["batch.objects"]
    assert objects.cost is None and objects.price_source == "no price found"
    assert "Batch Ops objects" in estimate.unpriced


def test_total_adds_pairs_and_takes_the_slowest_backfill():
    one = estimate_pair(BILLION, EstimateOptions("us-east-1", "us-east-1"), source_prices=BOOK, pair="a → b")
    small = StorageFacts(bucket="s", objects=1000, bytes_by_class={"STANDARD": GB}, as_of="2026-12-01")
    two = estimate_pair(small, EstimateOptions("us-east-1", "us-east-1"), source_prices=BOOK, pair="c → d")
    both = total([one, two])
    assert both.pairs == ("a → b", "c → d")
    assert both.objects == 1_000_001_000
    assert _items(both)["batch.job"].quantity == 2 and _items(both)["batch.job"].cost == pytest.approx(0.5)
    assert both.one_time == pytest.approx(one.one_time + two.one_time)
    assert both.monthly == pytest.approx(one.monthly + two.monthly)
    assert both.backfill_seconds == one.backfill_seconds  # pairs' jobs run side by side
    assert both.storage_as_of == "2026-12-01"  # the oldest figures the total rests on
    assert total([]).items == ()


def test_duration_from_the_count_then_from_the_measured_rate():
    assert backfill_seconds(7_000_000) == pytest.approx(2000.0)
    assert backfill_seconds(None) is None
    assert remaining_seconds(1000, 400, 20.0) == pytest.approx(30.0)
    assert remaining_seconds(1000, 1200, 20.0) == 0
    assert remaining_seconds(1000, 0, 0) is None and remaining_seconds(None, 0, 5) is None


def test_storage_types_map_to_classes():
    assert bytes_by_class({"StandardStorage": 10, "StandardIASizeOverhead": 5, "StandardIAStorage": 1,
                           "GlacierS3ObjectOverhead": 2, "Bogus": 99}) == {"STANDARD": 12, "STANDARD_IA": 6}


def test_the_text_fits_78_columns_and_says_estimate():
    options = EstimateOptions("us-east-1", "eu-west-1", rtc=True, sse_kms=True, inventory=True, athena=True)
    lines = estimate_lines(estimate_pair(BILLION, options, source_prices=BOOK, pair="x → y"))
    assert lines[0].startswith("ESTIMATE")
    assert max(len(line) for line in lines) <= WIDTH
    text = "\n".join(lines)
    assert "price snapshot (2026-12-03)" in text and "Assumptions:" in text
    assert money(0.001) == "<$0.01" and money(None) == "?" and money(1234.5) == "$1,234.50"


def test_price_list_documents_become_price_keys():
    def product(usagetype, unit, tiers, **attributes):
        dims = {f"d{n}": {"unit": unit, "beginRange": b, "pricePerUnit": {"USD": usd}} for n, (b, usd) in enumerate(tiers)}
        return json.dumps({"product": {"attributes": {"usagetype": usagetype, **attributes}},
                           "terms": {"OnDemand": {"t": {"priceDimensions": dims}}}})

    items = [product("EU-TimedStorage-ByteHrs", "GB-Mo", [("51200", "0.022"), ("0", "0.023")]),
             product("EU-Requests-SIA-Tier1", "Requests", [("0", "0.00001")]),
             product("EU-USW2-AWS-Out-Bytes", "GB", [("0", "0.02")], toRegionCode="us-west-2"),
             product("EU-Something-Else", "GB", [("0", "9")]), "not json"]
    prices, transfer = read_price_list(items, "AmazonS3")
    assert prices == {"storage.STANDARD": 0.023, "put.STANDARD_IA": 0.01}  # the first tier; per 1,000 requests
    assert transfer == {"us-west-2": 0.02}
    kms, _ = read_price_list([product("KMS-Requests", "Requests", [("0", "0"), ("20000", "0.000003")])], "awskms")
    assert kms == {"kms.requests": 0.03}  # the free tier skipped; per 10,000 requests


def test_the_measured_rate_refines_the_duration():
    estimate = estimate_pair(BILLION, EstimateOptions("us-east-1", "us-east-1"), source_prices=BOOK)
    live = with_measured_rate(estimate, 10_000.0, done=400_000_000)
    assert live.backfill_seconds == pytest.approx(60_000.0) and live.rate == 10_000.0
    assert "measured by the running job (400,000,000 of 1,000,000,000 done)" == live.rate_source
    assert live.items == estimate.items  # the cost does not move with the speed
    assert with_measured_rate(estimate, None) is estimate and with_measured_rate(estimate, 0.0) is estimate
