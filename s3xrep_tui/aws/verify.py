"""Verify a replication: both buckets' version listings, streamed through ``core.verify``'s join.

``iter_versions`` turns ``ListObjectVersions`` pages into :class:`VersionRecord`
s one page at a time (each page's ``Versions`` and ``DeleteMarkers`` merged back
into S3's key order). ``verify_replication`` reads the source's replication
rule and both buckets' default encryption (for the rule's scope and the ETag
rules of S3's checking-object-integrity page), then joins the two listings; each side is listed in a
background thread a couple of pages ahead, so the two listings overlap while
memory stays at a few pages per side.

Any producer of key-ordered records can feed the join: a partitioned,
concurrent listing (several ``iter_versions`` over disjoint prefixes,
concatenated in key order) gives the same results as one paginator.

Every bucket call carries ``ExpectedBucketOwner`` and goes to the bucket's
region. Synchronous, cancellable between pages, no Textual.
"""

from __future__ import annotations

import heapq
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.verify import (
    SSE_C,
    Expectations,
    Result,
    Side,
    Summary,
    VersionRecord,
    expectations_for,
    join_versions,
    rules_to,
)
from .bucket_access import BucketAccess
from .clients import Clients
from .errors import AwsError, explain, who
from .identity import caller_identity, profile_of
from .lean_versions import RECORDS as LEAN_RECORDS
from .lean_versions import lean_listing

PAGE_SIZE = 1000
PREFETCH_PAGES = 1  # per stream: eight streams (four a side) at most a page ahead each
#: Sub-prefixes of one side listed at the same time (1: one paginator per side, as before).
#: ``S3XREP_VERIFY_PARTITIONS`` overrides it (the benchmark compares with 1).
PARTITIONS = max(1, int(os.environ.get("S3XREP_VERIFY_PARTITIONS") or 4))

Cancel = Callable[[], bool] | threading.Event | None


class Cancelled(Exception):
    """The caller asked to stop (checked between pages)."""


def _is_cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def _record_key(record: VersionRecord) -> str:
    return record.key


def page_records(page: Mapping[str, Any]) -> list[VersionRecord]:
    """One ``ListObjectVersions`` page as records in S3's order.

    S3 lists versions and delete markers interleaved in key order; botocore
    parses them into two lists, each still in key order, so a stable merge on
    the key restores one key-ordered sequence (the order inside a key does not
    matter to the join).
    """
    versions = [VersionRecord.from_listing(entry) for entry in page.get("Versions") or ()]
    markers = [VersionRecord.from_listing(entry, delete_marker=True) for entry in page.get("DeleteMarkers") or ()]
    if not markers:
        return versions
    if not versions:
        return markers
    return list(heapq.merge(versions, markers, key=_record_key))


def iter_pages(
    s3: Any,
    bucket: str,
    *,
    expected_owner: str,
    prefix: str = "",
    page_size: int = PAGE_SIZE,
    cancel: Cancel = None,
    profile: str | None = None,
) -> Iterator[list[VersionRecord]]:
    """``ListObjectVersions`` of ``bucket`` under ``prefix``, one page of records at a time (lazily)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "ExpectedBucketOwner": expected_owner,
                              "PaginationConfig": {"PageSize": page_size}}
    if prefix:
        kwargs["Prefix"] = prefix
    pages = iter(s3.get_paginator("list_object_versions").paginate(**kwargs))
    while True:
        if _is_cancelled(cancel):
            raise Cancelled()
        try:
            with lean_listing():
                page = next(pages)
        except StopIteration:
            return
        except Exception as exc:
            raise explain(exc, profile=profile, what=f"s3.list_object_versions on bucket {bucket!r}") from exc
        records = page.get(LEAN_RECORDS)
        yield page_records(page) if records is None else records


def iter_versions(
    s3: Any,
    bucket: str,
    *,
    expected_owner: str,
    prefix: str = "",
    page_size: int = PAGE_SIZE,
    cancel: Cancel = None,
    on_page: Callable[[int], None] | None = None,
    profile: str | None = None,
) -> Iterator[VersionRecord]:
    """Every version and delete marker of ``bucket`` under ``prefix``, in S3's key order, a page at a time.

    ``on_page(n)`` is called with the number of records of each page as it arrives.
    """
    for records in iter_pages(s3, bucket, expected_owner=expected_owner, prefix=prefix, page_size=page_size,
                              cancel=cancel, profile=profile):
        if on_page is not None:
            on_page(len(records))
        yield from records


_DONE = object()


class _Prefetch:
    """``pages`` listed in a thread started now, at most ``depth`` pages ahead of the consumer."""

    def __init__(self, pages: Iterator[list[VersionRecord]], depth: int, name: str) -> None:
        self._buffer: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._pages = pages
        threading.Thread(target=self._produce, name=name, daemon=True).start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for page in self._pages:
                if not self._put(page):
                    return
            self._put(_DONE)
        except Exception as exc:  # noqa: BLE001  (raised in the consumer)
            self._put(exc)
        finally:
            if self._stop.is_set():
                close = getattr(self._pages, "close", None)
                if close is not None:
                    close()

    def __iter__(self) -> Iterator[list[VersionRecord]]:
        try:
            while True:
                item = self._buffer.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:  # the consumer stopped, failed or was closed: the thread stops after its current page
            self.close()

    def close(self) -> None:
        self._stop.set()


def partitioned_pages(
    s3: Any,
    bucket: str,
    *,
    expected_owner: str,
    prefix: str = "",
    page_size: int = PAGE_SIZE,
    cancel: Cancel = None,
    profile: str | None = None,
    partitions: int = PARTITIONS,
    depth: int = PREFETCH_PAGES,
    name: str = "s3xrep-list",
) -> Iterator[list[VersionRecord]]:
    """The same records as :func:`iter_pages`, in the same key order, listed ``partitions`` streams at a time.

    One ``ListObjectVersions`` with ``Delimiter="/"`` finds the sub-prefixes one
    level below ``prefix`` (and the versions of the keys directly under it). The
    sub-prefixes are disjoint blocks of the key space in key order, so each is
    listed by its own paginator in a thread (at most ``partitions`` at once, each
    at most ``depth`` pages ahead) and their pages are yielded one block after the
    other, the top-level keys put back where they sort. Memory stays at
    ``partitions x depth`` pages. With one sub-prefix or fewer, or a first level
    that does not fit one page, it is one paginator in one thread.
    """
    def single() -> Iterator[list[VersionRecord]]:
        return iter(_Prefetch(iter_pages(s3, bucket, expected_owner=expected_owner, prefix=prefix,
                                         page_size=page_size, cancel=cancel, profile=profile), depth, name))

    if partitions <= 1:
        yield from single()
        return
    kwargs: dict[str, Any] = {"Bucket": bucket, "ExpectedBucketOwner": expected_owner, "Delimiter": "/",
                              "MaxKeys": page_size}
    if prefix:
        kwargs["Prefix"] = prefix
    try:
        first = s3.list_object_versions(**kwargs)
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"s3.list_object_versions on bucket {bucket!r}") from exc
    blocks = sorted(p["Prefix"] for p in first.get("CommonPrefixes") or ())
    if first.get("IsTruncated") or len(blocks) < 2:
        yield from single()
        return
    top = page_records(first)  # keys directly under the prefix: fewer than one page

    def block(sub: str) -> _Prefetch:
        return _Prefetch(iter_pages(s3, bucket, expected_owner=expected_owner, prefix=sub, page_size=page_size,
                                    cancel=cancel, profile=profile), depth, f"{name}-{len(sub)}")

    running: deque[_Prefetch] = deque(block(sub) for sub in blocks[:partitions])
    waiting = deque(blocks[partitions:])
    t = 0
    try:
        for sub in blocks:
            before = []
            while t < len(top) and top[t].key < sub:
                before.append(top[t])
                t += 1
            if before:
                yield before
            current = running.popleft()
            try:
                yield from current
            finally:
                current.close()
            if waiting:
                running.append(block(waiting.popleft()))
        if t < len(top):
            yield top[t:]
    finally:
        for lister in running:
            lister.close()


@dataclass(frozen=True)
class VerifyProgress:
    """Where a verification is: versions compared so far, listed per side, elapsed seconds, rate."""

    compared: int
    source_listed: int
    destination_listed: int
    elapsed: float
    done: bool = False

    @property
    def rate(self) -> float:
        """Versions compared per second."""
        return self.compared / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class VerifyReport:
    """The verification of one source/destination pair."""

    source_bucket: str
    destination_bucket: str
    source_account: str
    destination_account: str
    source_region: str
    destination_region: str
    prefix: str
    summary: Summary
    seconds: float
    rules: int  # enabled rules of the source that replicate to the destination

    @property
    def ok(self) -> bool:
        return self.summary.ok

    def as_dict(self) -> dict[str, Any]:
        data = self.summary.as_dict()
        data["source"] = {"bucket": self.source_bucket, "account": self.source_account,
                          "region": self.source_region, **data["source"]}
        data["destination"] = {"bucket": self.destination_bucket, "account": self.destination_account,
                               "region": self.destination_region, **data["destination"]}
        return {"prefix": self.prefix, "rules": self.rules, "seconds": round(self.seconds, 3), **data}


# -- bucket facts -----------------------------------------------------------------------------------


class _Bucket(BucketAccess):
    """One side of the comparison: the bucket facts verify reads."""

    def default_encryption(self) -> str | None:
        try:
            answer = self.call("get_bucket_encryption", absent="ServerSideEncryptionConfigurationNotFoundError")
        except AwsError as exc:
            if exc.code == "AccessDenied":
                return None  # unknown: ETag differences are then judged object by object
            raise
        rules = ((answer or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
        return default.get("SSEAlgorithm")

    def tags_of(self, record: VersionRecord) -> dict[str, str]:
        answer = self.call("get_object_tagging", absent="NoSuchKey", Key=record.key, VersionId=record.version_id) or {}
        return {t["Key"]: t["Value"] for t in answer.get("TagSet") or ()}

    def encryption_of(self, record: VersionRecord) -> str | None:
        try:
            answer = self.s3.head_object(Bucket=self.bucket, Key=record.key, VersionId=record.version_id,
                                         ExpectedBucketOwner=self.owner)
        except ClientError as exc:
            # SSE-C objects cannot be HEADed without their key: S3 answers 400
            status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            return SSE_C if status == 400 else None
        except BotoCoreError:
            return None
        if answer.get("SSECustomerAlgorithm"):
            return SSE_C
        return answer.get("ServerSideEncryption")


def read_expectations(source: _Bucket, destination: _Bucket) -> tuple[Expectations, int]:
    """What the source's rules promise for the destination (and how many rules), plus the ETag facts."""
    notes: list[str] = []
    try:
        answer = source.call("get_bucket_replication", absent="ReplicationConfigurationNotFoundError")
        configuration = (answer or {}).get("ReplicationConfiguration")
        readable = True
    except AwsError as exc:
        if exc.code != "AccessDenied":
            raise
        configuration, readable = None, False
        notes.append(f"the source's replication configuration cannot be read ({exc.message}): every version "
                     "counts as in scope and delete markers as not replicated")

    def encryption_of(record: VersionRecord, side: Side) -> str | None:
        return (source if side == "source" else destination).encryption_of(record)

    facts = expectations_for(
        configuration,
        destination.bucket,
        source_encryption=source.default_encryption(),
        destination_encryption=destination.default_encryption(),
        tags_of=source.tags_of,
        encryption_of=encryption_of,
    )
    rules = len(rules_to(configuration, destination.bucket))
    if not readable:
        facts = Expectations(delete_markers=False, source_kms=facts.source_kms, destination_kms=facts.destination_kms,
                             encryption_of=encryption_of, notes=tuple(notes))
    return facts, rules


# -- the verification -------------------------------------------------------------------------------


def _side_pages(side: _Bucket, *, prefix: str, page_size: int, cancel: Cancel, prefetch: bool,
                partitions: int) -> Iterator[list[VersionRecord]]:
    """One side's pages of versions: partitions listed concurrently (``prefetch``), or one paginator."""
    if prefetch:
        return partitioned_pages(side.s3, side.bucket, expected_owner=side.owner, prefix=prefix,
                                 page_size=page_size, cancel=cancel, profile=side.profile,
                                 partitions=partitions, name=f"s3xrep-verify-{side.side}")
    return iter_pages(side.s3, side.bucket, expected_owner=side.owner, prefix=prefix, page_size=page_size,
                      cancel=cancel, profile=side.profile)


def _side_records(side: _Bucket, pages: Iterator[list[VersionRecord]], cancel: Cancel,
                  count: Callable[[int], None]) -> Iterator[VersionRecord]:
    """The records of ``pages``, counted page by page; an AwsError names the side; the pages are closed."""
    try:
        for records in pages:
            if _is_cancelled(cancel):
                raise Cancelled()
            count(len(records))
            yield from records
    except AwsError as exc:
        raise exc.within(side.where) from exc.__cause__
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def verify_replication(
    source: Clients,
    destination: Clients,
    source_bucket: str,
    destination_bucket: str,
    *,
    prefix: str = "",
    limit: int | None = 20,
    source_owner: str | None = None,
    destination_owner: str | None = None,
    expectations: Expectations | None = None,
    progress: Callable[[VerifyProgress], None] | None = None,
    cancel: Cancel = None,
    page_size: int = PAGE_SIZE,
    prefetch: bool = True,
    on_result: Callable[[Result, Summary], None] | None = None,
    partitions: int | None = None,
) -> VerifyReport:
    """Compare every version under ``prefix`` in both buckets (AWS: replication-what-is-isnot-replicated).

    ``source_owner`` / ``destination_owner`` default to the accounts of the
    credentials (STS). ``expectations`` defaults to what the source's replication
    configuration says. ``progress`` is called after every page of either side
    and once at the end (``done=True``). ``cancel`` (an Event or a callable) is
    checked between pages; :class:`Cancelled` is raised when it is set.
    ``partitions`` (default :data:`PARTITIONS`) sub-prefixes of each side are
    listed concurrently when ``prefetch`` is on (:func:`partitioned_pages`);
    the results are the same as with one paginator.
    Raises :class:`AwsError` (with the side and profile) when AWS cannot be read.
    """
    started = time.monotonic()
    if source_owner is None:
        source_owner = _account(source, "source")
    if destination_owner is None:
        destination_owner = _account(destination, "destination")
    src = _Bucket(source, source_bucket, source_owner, "source")
    dst = _Bucket(destination, destination_bucket, destination_owner, "destination")
    if expectations is None:
        expectations, rules = read_expectations(src, dst)
    else:
        rules = -1  # the caller decided what the rule promises

    listed = {"source": 0, "destination": 0}
    summary = Summary(limit=limit, notes=expectations.notes)

    def report(done: bool = False) -> None:
        if progress is not None:
            progress(VerifyProgress(summary.compared, listed["source"], listed["destination"],
                                    time.monotonic() - started, done))

    def side_records(side: _Bucket) -> Iterator[VersionRecord]:
        def count(listed_now: int) -> None:
            listed[side.side] += listed_now
            report()

        pages = _side_pages(side, prefix=prefix, page_size=page_size, cancel=cancel, prefetch=prefetch,
                            partitions=PARTITIONS if partitions is None else partitions)
        return _side_records(side, pages, cancel, count)

    results = join_versions(side_records(src), side_records(dst), expectations)
    try:
        for result in results:
            summary.add(result)
            if on_result is not None:
                on_result(result, summary)
    finally:
        results.close()
    report(done=True)
    return VerifyReport(
        source_bucket=source_bucket,
        destination_bucket=destination_bucket,
        source_account=source_owner,
        destination_account=destination_owner,
        source_region=src.region,
        destination_region=dst.region,
        prefix=prefix,
        summary=summary,
        seconds=time.monotonic() - started,
        rules=rules,
    )


def _account(clients: Clients, side: str) -> str:
    try:
        return caller_identity(clients).id
    except AwsError as exc:
        raise exc.within(f"{side} ({who(profile_of(clients))})") from exc.__cause__


__all__ = [
    "Cancelled",
    "VerifyProgress",
    "VerifyReport",
    "iter_pages",
    "iter_versions",
    "page_records",
    "partitioned_pages",
    "read_expectations",
    "verify_replication",
]
