"""``ListObjectVersions`` pages read straight into :class:`VersionRecord`, for verify's listing threads.

py-spy on ``s3xrep verify`` put 60% of each listing thread in botocore's XML
parser (an ElementTree of the page, then a dict per version walked against the
shape model), and the peak memory of partitioned listing was those trees and
dicts: one 1,000-version page held by each of eight threads at once, so peak
RSS rose with the object count until every thread was busy (88 MB at 10k
versions, 110 MB at 100k). Here a page is read once, by two regular
expressions, into the slotted records verify keeps anyway, and botocore parses
what is left (the markers that drive pagination, ``CommonPrefixes``): signing,
retries, errors, the paginator and key decoding of the markers stay botocore's.

It acts only on threads inside :func:`lean_listing` and only on a whole 200
page (an ``<Error>`` body or one cut short goes to botocore untouched), so other
callers of ``list_object_versions`` on the same client get botocore's dicts.
"""

from __future__ import annotations

import heapq
import html
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.compat import unquote_str

from ..core.verify import VersionRecord
from .s3_200_errors import looks_like_an_error
from .timestamps import parse_timestamp

#: Where the records are put in the parsed page (a key botocore never uses).
RECORDS = "S3xrep:Records"

_ENTRY = re.compile(r"<(Version|DeleteMarker)>(.*?)</\1>", re.S)
_FIELD = re.compile(r"<(Key|VersionId|IsLatest|LastModified|ETag|Size|StorageClass)>([^<]*)</\1>")
_URL_ENCODED = re.compile(r"<EncodingType>url</EncodingType>")
_local = threading.local()


@contextmanager
def lean_listing() -> Iterator[None]:
    """``ListObjectVersions`` pages fetched by this thread inside the block carry :data:`RECORDS`."""
    _local.active = True
    try:
        yield
    finally:
        _local.active = False


def _text(raw: str) -> str:
    return html.unescape(raw) if "&" in raw else raw


def parse_page(body: str) -> tuple[list[VersionRecord], str]:
    """The page's versions and delete markers as records (in :func:`page_records`' order), and the rest of the XML."""
    decode = unquote_str if _URL_ENCODED.search(body) else None
    versions: list[VersionRecord] = []
    markers: list[VersionRecord] = []
    for match in _ENTRY.finditer(body):
        fields = dict(_FIELD.findall(match.group(2)))
        key = _text(fields["Key"])
        if decode is not None:
            key = decode(key)
        modified = fields.get("LastModified")
        last_modified = parse_timestamp(modified) if modified else None
        latest = fields.get("IsLatest") == "true"
        if match.group(1) == "DeleteMarker":
            markers.append(VersionRecord(key, _text(fields.get("VersionId") or "null"), latest,
                                         last_modified=last_modified, is_delete_marker=True))
            continue
        etag = fields.get("ETag")
        storage = fields.get("StorageClass")
        versions.append(VersionRecord(
            key, _text(fields.get("VersionId") or "null"), latest, int(fields.get("Size") or 0),
            None if etag is None else _text(etag).strip('"'), None if storage is None else sys.intern(storage),
            last_modified))
    rest = _ENTRY.sub("", body)
    if not markers:
        return versions, rest
    if not versions:
        return markers, rest
    # botocore's order, which page_records keeps: per key, the versions then the delete markers
    return list(heapq.merge(versions, markers, key=lambda record: record.key)), rest


def _before_parse(operation_model: Any, response_dict: Any, customized_response_dict: Any = None,
                  **_: Any) -> None:
    if not getattr(_local, "active", False) or customized_response_dict is None:
        return
    if not response_dict or response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes) or looks_like_an_error(body) is not False:
        return  # botocore's own check and parser deal with it
    records, rest = parse_page(body.decode("utf-8"))
    response_dict["body"] = rest.encode("utf-8")
    customized_response_dict[RECORDS] = records


def install(client: Any) -> None:
    """Let :func:`lean_listing` threads read this S3 client's version pages lean."""
    client.meta.events.register("before-parse.s3.ListObjectVersions", _before_parse)
