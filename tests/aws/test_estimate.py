"""aws.storage_metrics, aws.pricing and aws.estimate over real HTTP against the sandbox."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from s3xrep_tui.aws.clients import Clients
from s3xrep_tui.aws.estimate import PriceBooks, estimate_inputs, storage_of
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.pricing import API_SOURCE, price_book, snapshot
from s3xrep_tui.aws.storage_metrics import object_count, read_storage
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.sandbox import storage_metrics
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox

TIB = 1024**4


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(seed="empty", replication_delay=0.05, config_path=tmp_path / "aws-config") as running:
        yield running


def _bucket(clients: Clients, name: str, *objects: tuple[str, int, str]) -> None:
    s3 = clients("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for key, size, storage_class in objects:
        s3.put_object(Bucket=name, Key=key, Body=b"x" * size, StorageClass=storage_class)


def test_storage_figures_per_class_from_the_newest_day(sandbox):
    clients = sandbox.clients(SOURCE_ACCOUNT)
    _bucket(clients, "est-src", ("a", 1000, "STANDARD"), ("a", 2000, "STANDARD"), ("b", 700, "GLACIER"))
    facts = read_storage(clients("cloudwatch"), "est-src", region="us-east-1")
    assert facts.objects == 3
    assert dict(facts.bytes_by_class) == {"STANDARD": 3000, "GLACIER": 700}
    assert facts.as_of == (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    assert object_count(clients("cloudwatch"), "est-src") == 3


def test_no_datapoints_is_no_data_not_an_error(sandbox):
    clients = sandbox.clients(SOURCE_ACCOUNT)
    facts = read_storage(clients("cloudwatch"), "never-made", region="us-east-1")
    assert not facts.has_data and facts.objects is None and "no daily storage metrics" in facts.note
    assert object_count(clients("cloudwatch"), "never-made") is None


def test_a_billion_virtual_objects_need_no_listing(sandbox):
    clients = sandbox.clients(SOURCE_ACCOUNT)
    _bucket(clients, "est-huge")
    storage_metrics.set_virtual_figures(SOURCE_ACCOUNT, "est-huge", 1_000_000_000, {"StandardStorage": 50 * TIB})
    assert object_count(clients("cloudwatch"), "est-huge") == 1_000_000_000


def test_prices_from_the_price_list_api_with_the_snapshot_filling_gaps(sandbox):
    book = price_book(sandbox.clients(SOURCE_ACCOUNT), "us-east-1")
    assert book.source == API_SOURCE and not book.note
    assert book.price("put.STANDARD") == (0.005, f"{API_SOURCE} ({book.as_of})")
    assert book.price("kms.requests")[0] == pytest.approx(0.03)  # per 10,000, past KMS's free tier
    assert book.transfer_to("us-west-2")[0] == 0.02
    # the sandbox's price list has no product for the manifest generator: the snapshot's price, said so
    assert book.price("batch.manifest") == (0.015, f"price snapshot ({snapshot()['as_of']})")


def test_an_unreachable_price_list_api_falls_back_to_the_dated_snapshot():
    session = boto3.Session(aws_access_key_id="AKIAS3XREPTESTBOOT01", aws_secret_access_key="x" * 40,
                            region_name="us-east-1")
    dead = Clients(session, endpoint_url="http://127.0.0.1:9")  # nothing listens on the discard port
    started = time.monotonic()
    book = price_book(dead, "us-east-1")
    assert time.monotonic() - started < 30  # bounded: botocore's retries, then the snapshot
    assert book.source == "price snapshot" and book.as_of == snapshot()["as_of"]
    assert "AWS Price List API not used" in book.note and snapshot()["as_of"] in book.note


def test_read_only_clients_estimate_too(sandbox):
    key, secret = sandbox.credentials(SOURCE_ACCOUNT)
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")
    read_only = Clients(session, endpoint_url=sandbox.endpoint_url, read_only=True)
    assert price_book(read_only, "us-east-1").source == API_SOURCE
    assert not storage_of(read_only, "nothing-here", "us-east-1").has_data


def test_the_estimate_of_a_planned_pair(sandbox):
    source, destination = sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT)
    _bucket(source, "est-pair-src")
    _bucket(destination, "est-pair-dst")
    storage_metrics.set_virtual_figures(SOURCE_ACCOUNT, "est-pair-src", 700_000_000,
                                        {"StandardStorage": 90 * TIB, "StandardIAStorage": 10 * TIB})
    inputs = gather_inputs(source, destination, "est-pair-src", "est-pair-dst", MigrationOptions(rtc=True, metrics=True))
    books = PriceBooks(source)
    estimate = estimate_inputs(source, inputs, books=books)
    items = {i.id: i for i in estimate.items}
    assert estimate.pairs == ("est-pair-src → est-pair-dst",)
    assert estimate.objects == 700_000_000
    assert items["batch.objects"].cost == pytest.approx(700.0)
    assert items["rtc"].cost == pytest.approx(100 * 1024 * 0.015)
    assert "transfer.inter_region" not in items  # both buckets in us-east-1
    assert estimate.backfill_seconds == pytest.approx(200_000.0)  # 700 million at 3,500 per second
    assert estimate.prices[0].startswith(API_SOURCE)
    assert books.get("us-east-1") is books.get("us-east-1")  # one book per region for a fleet
