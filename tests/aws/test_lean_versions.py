"""aws.lean_versions: version pages read straight into records give exactly botocore's records, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws import lean_versions
from s3xrep_tui.aws.lean_versions import RECORDS, lean_listing, parse_page
from s3xrep_tui.aws.s3_200_errors import check_200, looks_like_an_error
from s3xrep_tui.aws.verify import iter_pages, page_records
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT, Sandbox

BUCKET = "lean-versions"
# keys that need escaping in XML or in a URL, unicode (UTF-8 byte order), a control character
KEYS = ["a&b<c>\"d'e", "plus+sign", "percent%20kept", "space key", "tab\tkey", "é-accent", "z-last", "ü/deep/key",
        "\u2603 snowman", "a/b", "a/b/c", "zz\rcarriage"]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with Sandbox(seed="empty", config_path=tmp_path_factory.mktemp("lean") / "aws-config") as box:
        client = box.clients(SOURCE_ACCOUNT)("s3")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key="before-versioning", Body=b"null version")
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        for n, key in enumerate(KEYS):
            for body in (b"one", b"two" * (n + 1)):
                client.put_object(Bucket=BUCKET, Key=key, Body=body)
        client.put_object(Bucket=BUCKET, Key="cold", Body=b"ice", StorageClass="GLACIER")
        client.delete_object(Bucket=BUCKET, Key="z-last")
        client.delete_object(Bucket=BUCKET, Key="a&b<c>\"d'e")
        client.put_object(Bucket=BUCKET, Key="a&b<c>\"d'e", Body=b"back")
        yield client


def botocore_records(s3: Any, page_size: int) -> list[list[Any]]:
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=BUCKET, ExpectedBucketOwner=SOURCE_ACCOUNT, PaginationConfig={"PageSize": page_size})
    return [page_records(page) for page in pages]


@pytest.mark.parametrize("page_size", [1, 3, 1000])
def test_lean_pages_are_botocores_records_page_for_page(s3: Any, page_size: int) -> None:
    lean = list(iter_pages(s3, BUCKET, expected_owner=SOURCE_ACCOUNT, page_size=page_size))
    assert lean == botocore_records(s3, page_size)
    records = [record for page in lean for record in page]
    assert {r.key for r in records} >= set(KEYS) | {"before-versioning", "cold"}
    assert any(r.is_delete_marker for r in records) and any(r.version_id == "null" for r in records)
    assert {r.storage_class for r in records} == {"STANDARD", "GLACIER", None}


def test_other_callers_of_the_same_client_still_get_botocores_dicts(s3: Any) -> None:
    with lean_listing():
        lean = s3.list_object_versions(Bucket=BUCKET)
    plain = s3.list_object_versions(Bucket=BUCKET)
    assert RECORDS not in plain and plain["Versions"] and plain["DeleteMarkers"]
    assert RECORDS in lean and "Versions" not in lean  # only the records, not both
    assert lean[RECORDS] == page_records(plain)
    assert lean["IsTruncated"] is False and lean["Name"] == BUCKET


def test_pagination_markers_still_come_from_botocore_decoded(s3: Any) -> None:
    with lean_listing():
        first = s3.list_object_versions(Bucket=BUCKET, MaxKeys=2)
    assert first["IsTruncated"] is True
    plain = s3.list_object_versions(Bucket=BUCKET, MaxKeys=2)
    assert (first["NextKeyMarker"], first["NextVersionIdMarker"]) == (plain["NextKeyMarker"], plain["NextVersionIdMarker"])


def test_a_200_error_or_a_cut_body_is_left_to_botocore() -> None:
    whole = b'<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="x"><Name>b</Name></ListVersionsResult>\n'
    assert looks_like_an_error(whole) is False
    assert looks_like_an_error(b"<Error><Code>InternalError</Code></Error>") is True
    assert looks_like_an_error(whole[:-30]) is True  # cut short by the network
    assert looks_like_an_error(b"\xef\xbb\xbfnot xml") is None  # not S3's shape: botocore's own check decides

    class Operation:
        name = "ListObjectVersions"

    for body, status in ((whole, 200), (whole[:-30], 500), (b"<Error><Code>SlowDown</Code></Error>", 500)):
        response = {"status_code": 200, "body": body, "headers": {}}
        check_200(Operation(), response)
        assert response["status_code"] == status  # a 500 is retried by botocore
        with lean_listing():
            custom: dict[str, Any] = {}
            response = {"status_code": 200, "body": body, "headers": {}}
            lean_versions._before_parse(Operation(), response, customized_response_dict=custom)
        assert (RECORDS in custom) is (status == 200)
        if status == 500:
            assert response["body"] == body  # untouched: botocore parses the error


def test_parse_page_unescapes_and_url_decodes_like_botocore() -> None:
    body = ("<ListVersionsResult><EncodingType>url</EncodingType>"
            "<Version><Key>a%26b+c%2B</Key><VersionId>v&amp;1</VersionId><IsLatest>true</IsLatest>"
            "<LastModified>2024-01-01T12:00:00.000Z</LastModified><ETag>&quot;abc-2&quot;</ETag><Size>7</Size>"
            "<Owner><ID>o</ID></Owner><StorageClass>STANDARD</StorageClass></Version>"
            "<DeleteMarker><Key>a%26b+c%2B</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest>"
            "<LastModified>2024-01-02T12:00:00.000Z</LastModified></DeleteMarker>"
            "<NextKeyMarker>n</NextKeyMarker></ListVersionsResult>")
    records, rest = parse_page(body)
    assert [(r.key, r.version_id, r.is_latest, r.etag, r.size, r.is_delete_marker) for r in records] == [
        ("a&b c+", "v&1", True, "abc-2", 7, False), ("a&b c+", "v2", False, None, 0, True)]
    assert records[0].last_modified is not None and records[0].last_modified.isoformat() == "2024-01-01T12:00:00+00:00"
    assert rest == "<ListVersionsResult><EncodingType>url</EncodingType><NextKeyMarker>n</NextKeyMarker></ListVersionsResult>"


def test_the_lean_listing_flag_is_per_thread_and_cleared(tmp_path: Path) -> None:
    import threading

    seen: list[bool] = []
    with lean_listing():
        thread = threading.Thread(target=lambda: seen.append(getattr(lean_versions._local, "active", False)))
        thread.start()
        thread.join()
        seen.append(lean_versions._local.active)
    seen.append(lean_versions._local.active)
    assert seen == [False, True, False]
