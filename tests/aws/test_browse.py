"""aws.browse against moto over HTTP: bucket pages, facts on demand, one page per listing call."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from s3xrep_tui.aws import browse
from s3xrep_tui.aws.errors import AwsError

from .conftest import DEST_ID, SOURCE_ID, Accounts

BIG = "browse-big"  # 5,000 keys under two prefixes, put through moto's backend (fast)
VERSIONED = "browse-versioned"


@pytest.fixture(scope="module")
def world(accounts: Accounts) -> Accounts:
    from moto.s3.models import s3_backends

    s3 = accounts.source("s3")
    s3.create_bucket(Bucket=BIG)
    backend = s3_backends[SOURCE_ID]["aws"]
    for i in range(5000):
        backend.put_object(BIG, f"{'a' if i % 2 else 'b'}/{i:05d}.txt", b"x", disable_notification=True)
    backend.put_object(BIG, "top.txt", b"top", disable_notification=True)
    s3.create_bucket(Bucket=VERSIONED)
    s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two", b"three"):
        s3.put_object(Bucket=VERSIONED, Key="doc.txt", Body=body)
    s3.delete_object(Bucket=VERSIONED, Key="doc.txt")  # a delete marker on top
    s3.put_object(Bucket=VERSIONED, Key="doc.txt.bak", Body=b"other key, same prefix")
    s3.put_bucket_encryption(
        Bucket=VERSIONED,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    return accounts


@pytest.fixture
def list_calls(world: Accounts) -> Iterator[list[dict]]:
    calls: list[dict] = []

    def record(params: dict, **_: object) -> None:
        calls.append(params)

    s3 = world.source("s3", "us-east-1")
    s3.meta.events.register("provide-client-params.s3.ListObjectsV2", record)
    yield calls
    s3.meta.events.unregister("provide-client-params.s3.ListObjectsV2", record)


def test_list_buckets_yields_names_without_reading_facts(world: Accounts) -> None:
    names = [b.name for b in browse.list_buckets(world.source)]
    assert BIG in names and VERSIONED in names
    # moto truncates at MaxBuckets without a token: the fallback reads the rest once, no repeats
    pages = list(browse.list_buckets_pages(world.source, page_size=1))
    flat = [b.name for page in pages for b in page]
    assert sorted(flat) == sorted(names) and len(flat) == len(set(flat))


def test_bucket_summary_reads_the_screen_facts_with_the_owner_guard(world: Accounts) -> None:
    sent: list[dict] = []
    s3 = world.source("s3", "us-east-1")

    def record(params: dict, **_: object) -> None:
        sent.append(params)

    s3.meta.events.register("provide-client-params.s3.*", record)
    try:
        summary = browse.bucket_summary(world.source, VERSIONED, SOURCE_ID)
    finally:
        s3.meta.events.unregister("provide-client-params.s3.*", record)
    assert len(sent) == 6, sent
    assert all(params.get("ExpectedBucketOwner") == SOURCE_ID for params in sent), sent  # head + 5 reads
    assert (summary.region, summary.versioning, summary.encryption) == ("us-east-1", "Enabled", "AES256")
    assert summary.ownership == "" and summary.replication_rules == 0 and summary.problems == {}
    assert summary.object_lock is not None and not summary.object_lock.enabled
    # a bucket that is gone: a fact, not an exception
    gone = browse.bucket_summary(world.source, "browse-no-such-bucket", SOURCE_ID)
    assert not gone.exists and gone.problem is not None and gone.problem.code == "NoSuchBucket"


def test_facts_loader_reads_only_what_is_wanted_in_a_bounded_pool(world: Accounts) -> None:
    loader = browse.FactsLoader(world.source, SOURCE_ID, workers=2)
    delivered: list[browse.BucketSummary] = []
    lock = threading.Lock()

    def deliver(summary: browse.BucketSummary) -> None:
        with lock:
            delivered.append(summary)

    assert loader.want([VERSIONED]) is True  # nobody serves it yet
    loader.run(deliver, lambda: False)  # returns once the queue is empty and nothing is in flight
    assert [s.name for s in delivered] == [VERSIONED] and loader.requests == 1
    assert loader.want([VERSIONED]) is False  # read already: nothing to do
    loader.run(deliver, lambda: False)
    assert loader.requests == 1


def test_list_level_lists_one_page_per_call(world: Accounts, list_calls: list[dict]) -> None:
    root = browse.list_level(world.source, BIG, "us-east-1", "", page_size=50, owner=SOURCE_ID)
    assert root.prefixes == ["a/", "b/"] and [o.key for o in root.objects] == ["top.txt"]
    assert root.next_token is None
    first = browse.list_level(world.source, BIG, "us-east-1", "a/", page_size=50, owner=SOURCE_ID)
    assert len(first.objects) == 50 and first.next_token
    second = browse.list_level(world.source, BIG, "us-east-1", "a/", first.next_token, page_size=50, owner=SOURCE_ID)
    assert second.objects[0].key > first.objects[-1].key
    # three pages asked, three requests sent (2,500 keys under a/ were never listed in full)
    assert len(list_calls) == 3
    assert all(call["ExpectedBucketOwner"] == SOURCE_ID and call["Delimiter"] == "/" for call in list_calls)
    assert list_calls[2]["ContinuationToken"] == first.next_token


def test_list_versions_is_exact_and_head_reads_one_version(world: Accounts) -> None:
    page = browse.list_versions(world.source, VERSIONED, "us-east-1", "doc.txt", page_size=2, owner=SOURCE_ID)
    assert page.versions[0].delete_marker and page.versions[0].is_latest
    assert all(v.key == "doc.txt" for v in page.versions)
    assert page.next_marker is not None  # 4 entries, pages of 2
    rest = browse.list_versions(world.source, VERSIONED, "us-east-1", "doc.txt", page.next_marker, page_size=2,
                                owner=SOURCE_ID)
    every = page.versions + rest.versions
    assert [v.size for v in every if not v.delete_marker] == [5, 3, 3]  # three, two, one: newest first
    if rest.next_marker is not None:  # S3 cannot tell doc.txt is done before it sees the next key
        last = browse.list_versions(world.source, VERSIONED, "us-east-1", "doc.txt", rest.next_marker, page_size=2,
                                    owner=SOURCE_ID)
        assert last.versions == [] and last.next_marker is None  # doc.txt.bak shares the prefix: not listed
    version = every[1]
    answer = browse.head(world.source, VERSIONED, "us-east-1", "doc.txt", version.version_id, owner=SOURCE_ID)
    assert answer.version_id == version.version_id and answer.replication_status is None and answer.size == 5
    marker = browse.head(world.source, VERSIONED, "us-east-1", "doc.txt", every[0].version_id, owner=SOURCE_ID)
    assert marker.delete_marker


def test_create_bucket_validates_then_creates_versioned_and_owner_enforced(world: Accounts) -> None:
    with pytest.raises(ValueError, match="lowercase letters"):
        browse.create_bucket(world.dest, "Not_Valid", "us-east-1", DEST_ID)
    summary = browse.create_bucket(world.dest, "browse-created-eu", "eu-west-1", DEST_ID)
    assert (summary.region, summary.versioning, summary.ownership) == ("eu-west-1", "Enabled", "BucketOwnerEnforced")
    east = browse.create_bucket(world.dest, "browse-created-east", "us-east-1", DEST_ID)  # no LocationConstraint
    assert east.region == "us-east-1" and east.versioning == "Enabled"
    with pytest.raises(AwsError) as taken:
        browse.create_bucket(world.dest, BIG, "us-east-1", DEST_ID)
    assert taken.value.code == "BucketAlreadyExists" and "another name" in taken.value.fix


def test_s3_regions_come_from_botocore_data(world: Accounts) -> None:
    regions = browse.s3_regions(world.source)
    assert "us-east-1" in regions and "eu-west-1" in regions
