"""The sandbox's own ListObjectVersions / ListObjectsV2 (listing.py) against plain moto on the same data.

One Sandbox (our middleware chain) and one plain moto server (``SandboxApp([])``)
share moto's process-global backend, so both answer from the same buckets. The
comparison is on boto3's parsed results, page by page where moto paginates
correctly, and of the concatenated pages where it does not (with a delimiter
moto can repeat a common prefix or drop a version across pages). The only
adjustments made to moto's answers are the documented ones, each applied
explicitly below: the per-version owner ids the sandbox has always shown
(moto has one fixed id), ``ChecksumAlgorithm`` on versions and ``EncodingType``
on versions listings (moto leaves both out), and continuation tokens (opaque:
compared by presence). Anything else that differs fails the test.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.sandbox import listing
from s3xrep_tui.sandbox.emulator import (
    DESTINATION_ACCOUNT,
    SOURCE_ACCOUNT,
    Sandbox,
    canonical_user_id,
)
from s3xrep_tui.sandbox.moto_access import find_bucket, s3_backend
from s3xrep_tui.sandbox.server import SandboxApp, SandboxServer

VERSIONED = "parity-versioned"
PLAIN = "parity-unversioned"
_MOTO_OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
STEMS = [
    "a", "a/", "a/b", "a/b/c", "a/b/d.txt", "a-b", "a+b", "a b", "a%20b", "a&b<c>'\"", "a//double", "ab/c",
    "üñí/ç", "üñí/çd/e", "日本/語/テスト", "emoji/😀/x", "dir/sub/", "dir/sub/file", "dir-x/y", "z",
    "zz/top-1", "zz/top-2", "b~tilde", "c=eq?q#h",
]


def _keys(rng: random.Random) -> list[str]:
    keys = list(STEMS)
    for i in range(40):
        top = rng.choice(["logs", "photos", "docs", "üñí", "a"])
        keys.append(f"{top}/{rng.choice(['2019', '2020', 'x-y', 'x y'])}/item-{i:03d}{rng.choice(['', '.txt', '+1'])}")
    return sorted(set(keys))


class World:
    def __init__(self, sandbox: Sandbox, ours: Any, moto: Any) -> None:
        self.sandbox = sandbox
        self.ours = ours
        self.moto = moto

    def account_of(self, bucket: str, key: str, version_id: str) -> str:
        owner_bucket = find_bucket(bucket)
        assert owner_bucket is not None
        return self.sandbox.engine.owner(bucket, key, version_id, owner_bucket.account_id) or owner_bucket.account_id

    def checksum(self, bucket: str, key: str, version_id: str) -> str | None:
        stored = find_bucket(bucket)
        for version in stored.keys.getlist(key, []):
            if str(version.version_id) == version_id:
                return getattr(version, "checksum_algorithm", None)
        raise AssertionError(f"{bucket}/{key}@{version_id} not in the backend")


def _seed(rng: random.Random, sandbox: Sandbox) -> None:
    backend = s3_backend(SOURCE_ACCOUNT)
    versioned = backend.create_bucket(VERSIONED, "us-east-1")
    versioned.versioning_status = "Enabled"
    backend.create_bucket(PLAIN, "us-east-1")
    when = dt.datetime(2021, 5, 1, 8, 0, 0)

    def tick() -> dt.datetime:
        nonlocal when
        when += dt.timedelta(seconds=rng.randint(1, 5000), milliseconds=rng.randint(1, 999))
        return when

    storage = ["STANDARD", "STANDARD_IA", "GLACIER", "INTELLIGENT_TIERING"]
    for key in _keys(rng):
        for revision in range(rng.choice([1, 1, 2, 3, 4])):
            obj = backend.put_object(VERSIONED, key, f"{key} #{revision}".encode() * rng.randint(1, 4),
                                     storage=rng.choice(storage), disable_notification=True)
            obj.last_modified = tick()
            if rng.random() < 0.15:
                obj.checksum_algorithm = rng.choice(["CRC32", "SHA256", "CRC32C"])
            if rng.random() < 0.1:  # a replica's owner, as the engine records it
                sandbox.engine.record_owner(VERSIONED, key, str(obj.version_id), DESTINATION_ACCOUNT)
            if rng.random() < 0.12:  # a delete marker in the middle of the history
                backend._set_delete_marker(VERSIONED, key).last_modified = tick()
        if rng.random() < 0.2:  # deleted: a delete marker on top
            backend._set_delete_marker(VERSIONED, key).last_modified = tick()
        obj = backend.put_object(PLAIN, key, key.encode(), disable_notification=True)
        obj.last_modified = tick()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    config: Path = tmp_path_factory.mktemp("listing") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, config_path=config) as sandbox:
        _seed(random.Random(20261124), sandbox)
        plain = SandboxServer(SandboxApp([]))  # moto alone, same backend
        plain.start()
        try:
            session = sandbox.session(SOURCE_ACCOUNT)
            ours = session.client("s3", endpoint_url=sandbox.endpoint_url)
            moto = session.client("s3", endpoint_url=plain.endpoint_url)
            yield World(sandbox, ours, moto)
        finally:
            plain.stop()


# -- what moto's answers are adjusted by (each adjustment is a documented difference) -----------


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    response = copy.deepcopy(response)
    response.pop("ResponseMetadata", None)
    return response


def _adjust_moto_versions(world: World, bucket: str, page: dict[str, Any], *, encoding: str | None = "url") -> dict[str, Any]:
    page = _strip(page)
    for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
        assert entry["Owner"]["ID"] == _MOTO_OWNER
        entry["Owner"]["ID"] = canonical_user_id(world.account_of(bucket, entry["Key"], entry["VersionId"]))
    for entry in page.get("Versions", []):
        checksum = world.checksum(bucket, entry["Key"], entry["VersionId"])
        if checksum:
            entry["ChecksumAlgorithm"] = [checksum]
    if encoding:
        page["EncodingType"] = encoding
    return page


def _adjust_moto_v2(world: World, bucket: str, page: dict[str, Any]) -> dict[str, Any]:
    page = _strip(page)
    for entry in page.get("Contents", []):
        if "Owner" in entry:
            latest = find_bucket(bucket).keys[entry["Key"]]
            entry["Owner"]["ID"] = canonical_user_id(world.account_of(bucket, entry["Key"], str(latest.version_id)))
    return page


def _dead_prefixes(bucket: str, prefixes: list[str]) -> set[str]:
    """Common prefixes with only deleted keys under them: moto lists them in ListObjectsV2, S3 (and we) do not."""
    store = find_bucket(bucket).keys
    from moto.s3.models import FakeDeleteMarker

    return {p for p in prefixes
            if all(isinstance(store[k], FakeDeleteMarker) for k in list(store) if k.startswith(p))}


def _without_dead_prefixes(bucket: str, page: dict[str, Any]) -> dict[str, Any]:
    dead = _dead_prefixes(bucket, [c["Prefix"] for c in page.get("CommonPrefixes", [])])
    if dead:
        page["CommonPrefixes"] = [c for c in page["CommonPrefixes"] if c["Prefix"] not in dead]
        page["KeyCount"] -= len(dead)
        if not page["CommonPrefixes"]:
            del page["CommonPrefixes"]
    return page


def _tokens_as_presence(page: dict[str, Any], sent: str | None) -> dict[str, Any]:
    page = dict(page)
    if sent is not None and "ContinuationToken" in page:
        assert page.pop("ContinuationToken") == sent
    if "NextContinuationToken" in page:
        page["NextContinuationToken"] = "<token>"
    return page


def _pages(client: Any, operation: str, **params: Any) -> list[dict[str, Any]]:
    return [_strip(page) for page in client.get_paginator(operation).paginate(**params)]


def _entries(pages: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        "Versions": [v for p in pages for v in p.get("Versions", [])],
        "DeleteMarkers": [d for p in pages for d in p.get("DeleteMarkers", [])],
        "CommonPrefixes": [c for p in pages for c in p.get("CommonPrefixes", [])],
        "Contents": [c for p in pages for c in p.get("Contents", [])],
    }


PREFIXES = ["", "a", "a/", "üñí/", "dir/sub/", "logs/20", "nope/", "z"]
DELIMITERS = [None, "/", "-", "b"]


def _combos() -> list[tuple[str, str | None]]:
    return [(p, d) for p in PREFIXES for d in DELIMITERS]


def _params(bucket: str, prefix: str, delimiter: str | None, **more: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, **more}
    if delimiter is not None:
        params["Delimiter"] = delimiter
    return params


# -- ListObjectVersions -----------------------------------------------------------------------


@pytest.mark.parametrize("bucket", [VERSIONED, PLAIN])
def test_versions_single_page_is_moto_for_every_prefix_and_delimiter(world: World, bucket: str) -> None:
    for prefix, delimiter in _combos():
        params = _params(bucket, prefix, delimiter)
        ours = _strip(world.ours.list_object_versions(**params))
        expected = _adjust_moto_versions(world, bucket, world.moto.list_object_versions(**params))
        assert ours == expected, (prefix, delimiter)
    everything = world.ours.list_object_versions(Bucket=bucket)
    assert not everything["IsTruncated"]
    assert len(everything.get("Versions", [])) + len(everything.get("DeleteMarkers", [])) > 50


@pytest.mark.parametrize("page_size", [1, 3, 50])
def test_versions_pages_are_moto_pages_without_a_delimiter(world: World, page_size: int) -> None:
    prefixes = ["a/", "üñí/", "nope/"] if page_size == 1 else ["", "a", "logs/20"]
    for bucket in (VERSIONED, PLAIN):
        for prefix in prefixes:
            params = {"Bucket": bucket, "Prefix": prefix, "PaginationConfig": {"PageSize": page_size}}
            ours = _pages(world.ours, "list_object_versions", **params)
            moto = [_adjust_moto_versions(world, bucket, p) for p in _pages(world.moto, "list_object_versions", **params)]
            assert ours == moto, (bucket, prefix, page_size)
    # a key's versions split across pages: some page ends inside a key and the next resumes in it
    pages = _pages(world.ours, "list_object_versions", Bucket=VERSIONED, PaginationConfig={"PageSize": 3})
    assert any(p.get("NextKeyMarker") == n.get("KeyMarker") and p.get("NextVersionIdMarker")
               and any(v["Key"] == p["NextKeyMarker"] for v in n.get("Versions", []) + n.get("DeleteMarkers", []))
               for p, n in pairwise(pages))


@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_versions_pages_with_a_delimiter_add_up_to_moto_and_keep_s3s_rules(world: World, page_size: int) -> None:
    for prefix, delimiter in _combos():
        if delimiter is None:
            continue
        params = _params(VERSIONED, prefix, delimiter)
        pages = _pages(world.ours, "list_object_versions", **params, PaginationConfig={"PageSize": page_size})
        whole = _adjust_moto_versions(world, VERSIONED, world.moto.list_object_versions(**params))
        combined = _entries(pages)
        assert combined["Versions"] == whole.get("Versions", []), (prefix, delimiter)
        assert combined["DeleteMarkers"] == whole.get("DeleteMarkers", []), (prefix, delimiter)
        assert combined["CommonPrefixes"] == whole.get("CommonPrefixes", []), (prefix, delimiter)
        for page in pages:  # common prefixes count towards MaxKeys; only the last page is not truncated
            size = sum(len(page.get(k, [])) for k in ("Versions", "DeleteMarkers", "CommonPrefixes"))
            assert size <= page_size and page["MaxKeys"] == page_size
            assert page["IsTruncated"] == (page is not pages[-1])
            if page["IsTruncated"]:
                assert size == page_size
                last_prefix = page.get("CommonPrefixes", [{}])[-1].get("Prefix")
                if page["NextKeyMarker"] == last_prefix:  # ended on a common prefix: no version id marker
                    assert "NextVersionIdMarker" not in page


def test_versions_resume_from_a_version_id_marker_like_moto(world: World) -> None:
    everything = world.ours.list_object_versions(Bucket=VERSIONED)
    entries = sorted(everything["Versions"] + everything["DeleteMarkers"],
                     key=lambda e: (e["Key"], -e["LastModified"].timestamp()))
    for entry in entries[::23]:
        for prefix, delimiter in [("", None), ("a", None), ("", "/"), (entry["Key"][:1], None)]:
            params = _params(VERSIONED, prefix, delimiter, KeyMarker=entry["Key"], VersionIdMarker=entry["VersionId"],
                             MaxKeys=4)
            ours = _strip(world.ours.list_object_versions(**params))
            moto = _adjust_moto_versions(world, VERSIONED, world.moto.list_object_versions(**params))
            if delimiter is None:
                assert ours == moto, (entry["Key"], prefix)
            else:  # moto's truncation with a delimiter is eager; the entries listed agree
                for part in ("Versions", "DeleteMarkers"):
                    assert ours.get(part, []) == moto.get(part, [])[: len(ours.get(part, []))]


def test_versions_key_marker_alone_starts_after_that_key(world: World) -> None:
    everything = world.ours.list_object_versions(Bucket=VERSIONED)
    for marker in ["a/b", "a", "üñí/", "m", "zz/top-1", "zzz"]:
        page = world.ours.list_object_versions(Bucket=VERSIONED, KeyMarker=marker)
        for part in ("Versions", "DeleteMarkers"):
            assert page.get(part, []) == [e for e in everything.get(part, []) if e["Key"] > marker], marker
        assert page["KeyMarker"] == marker


def test_versions_newest_first_with_is_latest_on_the_current_version(world: World) -> None:
    everything = world.ours.list_object_versions(Bucket=VERSIONED)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for entry in everything["Versions"] + everything["DeleteMarkers"]:
        by_key.setdefault(entry["Key"], []).append(entry)
    backend_bucket = find_bucket(VERSIONED)
    assert any(len(v) > 2 for v in by_key.values()) and everything["DeleteMarkers"]
    for key, entries in by_key.items():
        entries.sort(key=lambda e: e["LastModified"], reverse=True)
        assert [e["IsLatest"] for e in entries] == [True] + [False] * (len(entries) - 1)
        assert entries[0]["VersionId"] == str(backend_bucket.keys[key].version_id)
    owners = {e["Owner"]["ID"] for e in everything["Versions"]}
    assert owners == {canonical_user_id(SOURCE_ACCOUNT), canonical_user_id(DESTINATION_ACCOUNT)}
    assert any("ChecksumAlgorithm" in e for e in everything["Versions"])


def test_versions_explicit_url_encoding_is_s3s(world: World) -> None:
    # botocore decodes only when it chose the encoding itself; asked for, the answer stays encoded
    ours = world.ours.list_object_versions(Bucket=VERSIONED, Prefix="a", Delimiter="/", EncodingType="url",
                                           KeyMarker="a b")
    decoded = _strip(world.ours.list_object_versions(Bucket=VERSIONED, Prefix="a", Delimiter="/", KeyMarker="a b"))
    assert ours["EncodingType"] == "url" and ours["KeyMarker"] == "a%20b" and ours["Prefix"] == "a"
    assert [v["Key"] for v in ours["Versions"]] == [quote(v["Key"]) for v in decoded["Versions"]]
    assert any("%" in v["Key"] for v in ours["Versions"])
    assert [c["Prefix"] for c in ours["CommonPrefixes"]] == [quote(c["Prefix"]) for c in decoded["CommonPrefixes"]]


def test_versions_same_timestamp_newer_write_first(world: World) -> None:
    backend = s3_backend(SOURCE_ACCOUNT)
    bucket = backend.create_bucket("parity-ties", "us-east-1")
    bucket.versioning_status = "Enabled"
    same = dt.datetime(2022, 2, 2, 2, 2, 2)
    ids = []
    for body in (b"one", b"two", b"three"):
        obj = backend.put_object("parity-ties", "k", body, disable_notification=True)
        obj.last_modified = same
        ids.append(str(obj.version_id))
    page = world.ours.list_object_versions(Bucket="parity-ties")
    assert [v["VersionId"] for v in page["Versions"]] == ids[::-1]
    assert [v["IsLatest"] for v in page["Versions"]] == [True, False, False]
    assert world.ours.head_object(Bucket="parity-ties", Key="k")["VersionId"] == ids[-1]


# -- ListObjectsV2 ----------------------------------------------------------------------------


@pytest.mark.parametrize("bucket", [VERSIONED, PLAIN])
def test_v2_single_page_is_moto(world: World, bucket: str) -> None:
    for prefix, delimiter in _combos():
        for owner in (True, False):
            params = _params(bucket, prefix, delimiter, FetchOwner=owner)
            ours = _strip(world.ours.list_objects_v2(**params))
            moto = _without_dead_prefixes(bucket, _adjust_moto_v2(world, bucket, world.moto.list_objects_v2(**params)))
            if not owner:  # moto shows owners for fetch-owner=false too; S3 (and we) do not
                for entry in moto.get("Contents", []):
                    entry.pop("Owner")
            assert ours == moto, (prefix, delimiter, owner)


@pytest.mark.parametrize("page_size", [1, 2, 7, 50])
def test_v2_pages_are_moto_pages(world: World, page_size: int) -> None:
    combos = [("a", None), ("a/", "/"), ("nope/", "/")] if page_size == 1 else _combos()
    exact = 0
    for bucket in (VERSIONED, PLAIN):
        for prefix, delimiter in combos:
            for start_after in (None, "a/b", "logs/2020/"):
                more: dict[str, Any] = {"PaginationConfig": {"PageSize": page_size}, "FetchOwner": True}
                if start_after:
                    more["StartAfter"] = start_after
                params = _params(bucket, prefix, delimiter, **more)
                ours_raw = _pages(world.ours, "list_objects_v2", **params)
                moto_raw = _pages(world.moto, "list_objects_v2", **params)
                sent = [None] + [p.get("NextContinuationToken") for p in ours_raw[:-1]]
                ours = [_tokens_as_presence(p, s) for p, s in zip(ours_raw, sent, strict=True)]
                moto = [_tokens_as_presence(_adjust_moto_v2(world, bucket, p), None) for p in moto_raw]
                dead = _dead_prefixes(bucket, [c["Prefix"] for c in _entries(moto)["CommonPrefixes"]])
                if not dead:
                    assert ours == moto, (bucket, prefix, delimiter, start_after, page_size)
                    exact += 1
                    continue
                # moto's pages count prefixes S3 does not show: compare what the pages add up to
                combined, expected = _entries(ours), _entries(moto)
                assert combined["Contents"] == expected["Contents"]
                assert combined["CommonPrefixes"] == [c for c in expected["CommonPrefixes"] if c["Prefix"] not in dead]
                for page in ours:
                    assert page["KeyCount"] <= page_size and page["IsTruncated"] == (page is not ours[-1])
    assert exact >= len(combos)


def test_v2_shows_no_common_prefix_of_only_deleted_keys(world: World) -> None:
    backend = s3_backend(SOURCE_ACCOUNT)
    bucket = backend.create_bucket("parity-gone", "us-east-1")
    bucket.versioning_status = "Enabled"
    for key in ("gone/a", "gone/b", "kept/a", "kept/b", "top"):
        backend.put_object("parity-gone", key, b"x", disable_notification=True)
    for key in ("gone/a", "gone/b", "kept/a"):
        backend._set_delete_marker("parity-gone", key)
    ours = world.ours.list_objects_v2(Bucket="parity-gone", Delimiter="/")
    moto = world.moto.list_objects_v2(Bucket="parity-gone", Delimiter="/")
    assert [c["Prefix"] for c in ours["CommonPrefixes"]] == ["kept/"]
    assert [c["Prefix"] for c in moto["CommonPrefixes"]] == ["gone/", "kept/"]  # moto's difference
    assert [c["Key"] for c in ours["Contents"]] == ["top"] and ours["KeyCount"] == 2
    versions = world.ours.list_object_versions(Bucket="parity-gone", Delimiter="/")  # versions: both prefixes
    assert [c["Prefix"] for c in versions["CommonPrefixes"]] == ["gone/", "kept/"]


def test_v2_tokens_and_explicit_encoding(world: World) -> None:
    first = world.ours.list_objects_v2(Bucket=VERSIONED, MaxKeys=2, Prefix="a", EncodingType="url", StartAfter="a b")
    assert first["EncodingType"] == "url" and first["StartAfter"] == "a%20b" and first["IsTruncated"]
    second = world.ours.list_objects_v2(Bucket=VERSIONED, MaxKeys=2, Prefix="a",
                                        ContinuationToken=first["NextContinuationToken"])
    assert second["ContinuationToken"] == first["NextContinuationToken"] and "StartAfter" not in second
    assert second["Contents"][0]["Key"] > first["Contents"][-1]["Key"].replace("%20", " ")
    with pytest.raises(ClientError) as bad:
        world.ours.list_objects_v2(Bucket=VERSIONED, ContinuationToken="not-a-token")
    assert bad.value.response["Error"]["Code"] == "InvalidArgument"
    empty = world.ours.list_objects_v2(Bucket=VERSIONED, MaxKeys=0)
    assert empty["KeyCount"] == 0 and not empty["IsTruncated"]


# -- errors and guards ------------------------------------------------------------------------


def test_errors_are_moto_s(world: World) -> None:
    for call in (world.ours.list_object_versions, world.ours.list_objects_v2):
        with pytest.raises(ClientError) as missing:
            call(Bucket="parity-no-such-bucket")
        assert missing.value.response["Error"]["Code"] == "NoSuchBucket"
        with pytest.raises(ClientError) as owner:
            call(Bucket=VERSIONED, ExpectedBucketOwner=DESTINATION_ACCOUNT)
        assert owner.value.response["Error"]["Code"] == "AccessDenied"
        assert call(Bucket=VERSIONED, ExpectedBucketOwner=SOURCE_ACCOUNT)["ResponseMetadata"]["HTTPStatusCode"] == 200
    # the odd cases go to moto, with the owner ids still the sandbox's
    zero = world.ours.list_object_versions(Bucket=VERSIONED, MaxKeys=0)
    assert _strip(zero) == _strip(world.moto.list_object_versions(Bucket=VERSIONED, MaxKeys=0))
    odd = {"Bucket": VERSIONED, "Prefix": "a/", "VersionIdMarker": "no-key-marker"}
    forwarded = _strip(world.ours.list_object_versions(**odd))
    moto = _strip(world.moto.list_object_versions(**odd))
    assert forwarded["Versions"] and all(v["Owner"]["ID"] == _MOTO_OWNER for v in moto["Versions"])
    for entry in moto["Versions"] + moto.get("DeleteMarkers", []):
        entry["Owner"]["ID"] = canonical_user_id(world.account_of(VERSIONED, entry["Key"], entry["VersionId"]))
    assert forwarded == moto


# -- the index follows every writer -----------------------------------------------------------


def test_index_follows_http_and_backend_writes(world: World) -> None:
    backend = s3_backend(SOURCE_ACCOUNT)
    bucket = backend.create_bucket("parity-changes", "us-east-1")
    bucket.versioning_status = "Enabled"
    for i in range(20):
        backend.put_object("parity-changes", f"k/{i:02d}", b"x", disable_notification=True)

    def same() -> None:
        for delimiter in (None, "/"):
            params = _params("parity-changes", "", delimiter)
            assert _strip(world.ours.list_object_versions(**params)) == _adjust_moto_versions(
                world, "parity-changes", world.moto.list_object_versions(**params))
            assert _strip(world.ours.list_objects_v2(**params)) == _strip(world.moto.list_objects_v2(**params))

    same()
    assert type(bucket.keys).__name__ == "_WatchedKeyStore"
    s3 = world.ours
    s3.put_object(Bucket="parity-changes", Key="k/new", Body=b"y")  # HTTP: a new key
    backend.put_object("parity-changes", "k/05", b"again", disable_notification=True)  # a new version only
    backend.put_object("parity-changes", "direct", b"z", disable_notification=True)  # backend: a new key
    same()
    version = s3.list_object_versions(Bucket="parity-changes", Prefix="k/03")["Versions"][0]["VersionId"]
    s3.delete_object(Bucket="parity-changes", Key="k/03", VersionId=version)  # HTTP: the last version goes
    backend.delete_object("parity-changes", "k/04", str(bucket.keys["k/04"].version_id))  # backend: gone
    backend.put_object("parity-changes", "k/04b", b"z", disable_notification=True)  # same count, other key
    scratch = backend.create_bucket("parity-scratch", "us-east-1")
    replica = backend.put_object(scratch.name, "k/setlist", b"r", disable_notification=True)
    bucket.keys.setlist("k/setlist", [replica])  # the replication engine's way in
    same()
    for i in range(400):  # more changes than are worth applying one by one: rebuilt
        backend.put_object("parity-changes", f"bulk/{i:03d}", b"b", disable_notification=True)
    same()
    dict.__setitem__(bucket.keys, "around", bucket.keys.getlist("k/07"))  # around the store's methods
    assert "around" in [v["Key"] for v in s3.list_object_versions(Bucket="parity-changes")["Versions"]]


# -- scale: what a page touches, not how long it takes ----------------------------------------


def test_a_page_touches_only_the_page(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = s3_backend(SOURCE_ACCOUNT)
    bucket = backend.create_bucket("parity-scale", "us-east-1")
    bucket.versioning_status = "Enabled"
    when = dt.datetime(2020, 1, 1)
    for i in range(10_000):  # 20,000 versions, all under one folder
        for revision in range(2):
            obj = backend.put_object("parity-scale", f"data/{i:05d}", b"v%d" % revision, disable_notification=True)
            when += dt.timedelta(milliseconds=3)
            obj.last_modified = when
    world.ours.list_objects_v2(Bucket="parity-scale", MaxKeys=1)  # the index is built once (not per page)

    import moto.s3.models as moto_models

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a listing page must not copy or list the whole bucket")

    monkeypatch.setattr(moto_models.copy, "deepcopy", refuse)
    monkeypatch.setattr(moto_models.S3Backend, "list_object_versions", refuse)
    monkeypatch.setattr(moto_models.S3Backend, "list_objects_v2", refuse)
    monkeypatch.setattr(listing, "_snapshot", refuse)
    touched: list[str] = []
    real_versions = listing._versions

    def counting(store: Any, name: str) -> list[Any]:
        touched.append(name)
        return real_versions(store, name)

    monkeypatch.setattr(listing, "_versions", counting)

    def page_touches(call: Any, **params: Any) -> tuple[dict[str, Any], int]:
        touched.clear()
        return call(Bucket="parity-scale", **params), len(touched)

    s3 = world.ours
    page, count = page_touches(s3.list_object_versions, MaxKeys=10)
    assert len(page["Versions"]) == 10 and count <= 6
    page, count = page_touches(s3.list_object_versions, MaxKeys=10, KeyMarker="data/07000",
                               VersionIdMarker=str(bucket.keys.getlist("data/07000")[-1].version_id))
    assert page["Versions"][0]["Key"] == "data/07000" and count <= 7
    page, count = page_touches(s3.list_object_versions, MaxKeys=1000, Delimiter="/")  # one common prefix
    assert page["CommonPrefixes"] == [{"Prefix": "data/"}] and count <= 1
    page, count = page_touches(s3.list_objects_v2, MaxKeys=10, StartAfter="data/05000")
    assert page["Contents"][0]["Key"] == "data/05001" and count <= 11
    page, count = page_touches(s3.list_objects_v2, Delimiter="/")
    assert page["CommonPrefixes"] == [{"Prefix": "data/"}] and count <= 1
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="parity-scale", Prefix="data/09",
                                                         PaginationConfig={"PageSize": 100})
    touched.clear()
    assert sum(p["KeyCount"] for p in pages) == 1000 and len(touched) <= 1000 + 10
