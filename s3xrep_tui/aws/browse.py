"""Browsing: each account's buckets, their facts on demand (prefixes and versions: :mod:`.browse_objects`).

Built for size: ``list_buckets_pages`` yields names as each page arrives (facts
are not read there); :class:`FactsLoader` reads the facts of the buckets a
screen asks for (the visible rows), a few at a time in a bounded pool, newest
request first; ``list_level`` and ``list_versions`` return one page and the
token of the next, so a prefix with a million keys costs one request to open
and nothing is listed that nobody looks at.

Every bucket and object call carries ``ExpectedBucketOwner`` when the owner is
known, and goes to a client in the bucket's region. Failures are
:class:`~s3xrep_tui.aws.errors.AwsError` (message and fix), never botocore's.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from ..core.models import ObjectLockFacts
from ..core.names import bucket_name_problems
from .browse_objects import (  # noqa: F401 - re-exported: the tui and tests/aws/test_browse.py use browse.*
    LEVEL_PAGE_SIZE,
    Level,
    ObjectEntry,
    ObjectHead,
    VersionEntry,
    VersionsPage,
    head,
    list_level,
    list_level_versions,
    list_versions,
)
from .bucket_access import with_owner
from .clients import Clients
from .errors import AwsError, error_code, explain
from .identity import profile_of
from .inspect import bucket_region

log = logging.getLogger(__name__)

BUCKET_PAGE_SIZE = 1000
FACT_WORKERS = 6

# The facts the buckets screen shows, and the error code that means "not configured".
_FACT_READS: tuple[tuple[str, str, str | None], ...] = (
    ("versioning", "get_bucket_versioning", None),
    ("ownership", "get_bucket_ownership_controls", "OwnershipControlsNotFoundError"),
    ("encryption", "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
    ("object_lock", "get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
    ("replication", "get_bucket_replication", "ReplicationConfigurationNotFoundError"),
)


# -- buckets -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BucketEntry:
    """One bucket as ``list_buckets`` names it (``region`` when S3 says, as it does when paginating)."""

    name: str
    created: datetime | None = None
    region: str | None = None


def list_buckets_pages(clients: Clients, page_size: int = BUCKET_PAGE_SIZE) -> Iterator[list[BucketEntry]]:
    """The account's buckets, one page at a time (``MaxBuckets``/``ContinuationToken``).

    Falls back to one unpaginated ``list_buckets`` when the endpoint does not
    paginate (an SDK without the parameters, or a server that truncates at
    ``MaxBuckets`` without a continuation token); names are never repeated.
    """
    profile = profile_of(clients)
    s3 = clients("s3")
    seen: set[str] = set()
    token: str | None = None
    first = True
    while True:
        kwargs: dict[str, Any] = {"MaxBuckets": page_size}
        if token:
            kwargs["ContinuationToken"] = token
        try:
            answer = s3.list_buckets(**kwargs)
        except (ParamValidationError, ClientError) as exc:
            if first and (isinstance(exc, ParamValidationError) or error_code(exc) in ("InvalidArgument", "NotImplemented")):
                yield _unseen(_list_all(s3, profile), seen)
                return
            raise explain(exc, profile=profile, what="s3.list_buckets") from exc
        except Exception as exc:
            raise explain(exc, profile=profile, what="s3.list_buckets") from exc
        buckets = answer.get("Buckets") or []
        token = answer.get("ContinuationToken")
        page = _unseen([_entry(b) for b in buckets], seen)
        if page or first:
            yield page
        if not token:
            if len(buckets) >= page_size:  # truncated with no way on: read the whole list once
                rest = _unseen(_list_all(s3, profile), seen)
                if rest:
                    yield rest
            return
        first = False


def _entry(bucket: dict[str, Any]) -> BucketEntry:
    return BucketEntry(bucket["Name"], bucket.get("CreationDate"), bucket.get("BucketRegion") or None)


def _unseen(entries: list[BucketEntry], seen: set[str]) -> list[BucketEntry]:
    fresh = [e for e in entries if e.name not in seen]
    seen.update(e.name for e in fresh)
    return fresh


def _list_all(s3: Any, profile: str | None) -> list[BucketEntry]:
    try:
        answer = s3.list_buckets()
    except Exception as exc:
        raise explain(exc, profile=profile, what="s3.list_buckets") from exc
    return [_entry(b) for b in answer.get("Buckets") or []]


def list_buckets(clients: Clients, page_size: int = BUCKET_PAGE_SIZE) -> list[BucketEntry]:
    """Every bucket of the account (all pages)."""
    return [entry for page in list_buckets_pages(clients, page_size) for entry in page]


@dataclass(frozen=True)
class BucketSummary:
    """What the buckets screen shows about one bucket.

    A fact that could not be read is ``None`` and its error is in ``problems``
    (field name -> AwsError); "not configured" is a value, not a problem:
    ``ownership == ""`` (never set, acts as ObjectWriter), ``encryption == ""``
    (no default), ``replication_rules == 0``.
    """

    name: str
    owner: str | None = None
    exists: bool = True
    region: str | None = None
    versioning: str | None = None  # Enabled | Suspended | Unversioned
    ownership: str | None = None  # BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter | ""
    encryption: str | None = None  # AES256 | aws:kms | aws:kms:dsse | ...; "" when none
    kms_key: str | None = None  # as configured (key id, ARN or alias)
    kms_alias: str | None = None  # alias/..., when the key has one we could read
    object_lock: ObjectLockFacts | None = None
    replication_rules: int | None = None
    replication_role: str | None = None
    problems: dict[str, AwsError] = field(default_factory=dict)

    @property
    def problem(self) -> AwsError | None:
        return next(iter(self.problems.values()), None)


def bucket_summary(clients: Clients, name: str, owner: str | None, region: str | None = None) -> BucketSummary:
    """Read the screen's facts of one bucket (region first unless known). Never raises for AWS errors."""
    profile = profile_of(clients)
    if region is None:
        try:
            region = bucket_region(clients, name, owner) if owner else _region_unguarded(clients, name)
        except AwsError as exc:
            if exc.code == "NoSuchBucket":
                return BucketSummary(name, owner, exists=False, problems={"region": exc})
            return BucketSummary(name, owner, problems={"region": exc})
        except Exception as exc:  # explain() has the words for anything botocore raises
            return BucketSummary(name, owner, problems={"region": explain(exc, profile=profile)})
    s3 = clients("s3", region)
    values: dict[str, Any] = {"region": region}
    problems: dict[str, AwsError] = {}
    for fact, method, absent in _FACT_READS:
        try:
            answer = getattr(s3, method)(**with_owner({"Bucket": name}, owner))
        except ClientError as exc:
            if absent is not None and error_code(exc) == absent:
                answer = None
            else:
                problems[fact] = explain(exc, profile=profile, what=f"s3.{method} on bucket {name!r}")
                continue
        except Exception as exc:
            problems[fact] = explain(exc, profile=profile, what=f"s3.{method} on bucket {name!r}")
            continue
        values.update(_FACT_PARSERS[fact](answer))
    if values.get("kms_key"):
        values["kms_alias"] = _kms_alias(clients, values["kms_key"], region)
    return BucketSummary(name, owner, problems=problems, **values)


def _region_unguarded(clients: Clients, name: str) -> str:
    s3 = clients("s3")
    try:
        answer = s3.head_bucket(Bucket=name)
    except ClientError as exc:
        headers = (exc.response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
        if headers.get("x-amz-bucket-region"):
            return headers["x-amz-bucket-region"]
        raise explain(exc, profile=profile_of(clients), what=f"s3.head_bucket on bucket {name!r}") from exc
    headers = (answer.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    return answer.get("BucketRegion") or headers.get("x-amz-bucket-region") or s3.meta.region_name


def _versioning(answer: dict[str, Any] | None) -> dict[str, Any]:
    return {"versioning": (answer or {}).get("Status") or "Unversioned"}


def _ownership(answer: dict[str, Any] | None) -> dict[str, Any]:
    rules = ((answer or {}).get("OwnershipControls") or {}).get("Rules") or []
    return {"ownership": (rules[0].get("ObjectOwnership") or "") if rules else ""}


def _encryption(answer: dict[str, Any] | None) -> dict[str, Any]:
    rules = ((answer or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
    return {"encryption": default.get("SSEAlgorithm") or "", "kms_key": default.get("KMSMasterKeyID") or None}


def _object_lock(answer: dict[str, Any] | None) -> dict[str, Any]:
    config = (answer or {}).get("ObjectLockConfiguration") or {}
    if config.get("ObjectLockEnabled") != "Enabled":
        return {"object_lock": ObjectLockFacts()}
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    return {
        "object_lock": ObjectLockFacts(
            enabled=True,
            default_mode=retention.get("Mode"),
            default_days=retention.get("Days") or None,
            default_years=retention.get("Years") or None,
        )
    }


def _replication(answer: dict[str, Any] | None) -> dict[str, Any]:
    config = (answer or {}).get("ReplicationConfiguration") or {}
    return {"replication_rules": len(config.get("Rules") or []), "replication_role": config.get("Role")}


_FACT_PARSERS: dict[str, Callable[[dict[str, Any] | None], dict[str, Any]]] = {
    "versioning": _versioning,
    "ownership": _ownership,
    "encryption": _encryption,
    "object_lock": _object_lock,
    "replication": _replication,
}


def _kms_alias(clients: Clients, key: str, region: str) -> str | None:
    """The key's first alias (None when it has none or KMS cannot be read)."""
    if key.startswith("alias/") or ":alias/" in key:
        return key.rsplit(":", 1)[-1]
    parts = key.split(":")
    key_region = parts[3] if key.startswith("arn:") and len(parts) > 5 and parts[3] else region
    try:
        aliases = clients("kms", key_region).list_aliases(KeyId=key).get("Aliases") or []
    except Exception:  # an alias is a nicety: the key id is shown instead
        return None
    names = sorted(a["AliasName"] for a in aliases if a.get("AliasName"))
    return names[0] if names else None


class FactsLoader:
    """Reads bucket facts on demand in a bounded pool, the latest wanted names first.

    ``want(names)`` replaces what is waiting (rows no longer visible are
    dropped; names already read or being read are skipped) and says whether a
    runner is needed; ``run`` serves the queue until it is empty and nothing is
    in flight (or ``cancelled()``), calling ``deliver(summary)`` from pool
    threads, then returns, so the thread that runs it finishes when there is
    nothing to do. Only one ``run`` serves a loader at a time.
    """

    def __init__(self, clients: Clients, owner: str | None, workers: int = FACT_WORKERS,
                 regions: dict[str, str] | None = None) -> None:
        self.clients = clients
        self.owner = owner
        self.workers = workers
        self.regions: dict[str, str] = dict(regions or {})
        self._waiting: deque[str] = deque()
        self._started: set[str] = set()
        self._condition = threading.Condition()
        self._closed = False
        self._running = False
        self._in_flight = 0
        self.requests = 0  # names read, for tests and logs

    def want(self, names: Iterable[str]) -> bool:
        """Read these next (in order); True when no ``run`` is serving the loader and one is needed."""
        with self._condition:
            self._waiting = deque(n for n in dict.fromkeys(names) if n not in self._started)
            self._condition.notify_all()
            return bool(self._waiting) and not self._running and not self._closed

    def know_region(self, name: str, region: str) -> None:
        with self._condition:
            self.regions[name] = region

    def forget(self, name: str) -> None:
        """Let ``name`` be read again the next time it is wanted."""
        with self._condition:
            self._started.discard(name)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._waiting.clear()
            self._condition.notify_all()

    def run(self, deliver: Callable[[BucketSummary], None], cancelled: Callable[[], bool]) -> None:
        with self._condition:
            if self._running:
                return
            self._running = True
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="s3xrep-facts")

        def finished(future: Future[BucketSummary]) -> None:
            try:
                if not future.cancelled() and not cancelled() and not self._closed:
                    deliver(future.result())
            except Exception:  # deliver is the caller's; a failure there must not stop the pool
                log.exception("delivering bucket facts failed")
            finally:
                with self._condition:
                    self._in_flight -= 1
                    self._condition.notify_all()

        try:
            while True:
                with self._condition:
                    if cancelled() or self._closed or (not self._waiting and self._in_flight == 0):
                        self._running = False
                        return
                    if not self._waiting or self._in_flight >= self.workers:
                        self._condition.wait(0.1)
                        continue
                    name = self._waiting.popleft()
                    self._started.add(name)
                    self._in_flight += 1
                    self.requests += 1
                    region = self.regions.get(name)
                pool.submit(self._read, name, region).add_done_callback(finished)
        except BaseException:
            with self._condition:
                self._running = False
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _read(self, name: str, region: str | None) -> BucketSummary:
        try:
            return bucket_summary(self.clients, name, self.owner, region)
        except Exception as exc:  # bucket_summary promises not to raise; a bug still shows in the row
            log.exception("reading the facts of %s crashed", name)
            return BucketSummary(name, self.owner, problems={"bug": explain(exc)})


# -- creating a destination bucket ---------------------------------------------------------------------


def create_bucket(clients: Clients, name: str, region: str, owner: str | None = None) -> BucketSummary:
    """Create ``name`` in ``region`` with versioning Enabled and BucketOwnerEnforced ownership.

    Raises ``ValueError`` naming the rule when the name breaks S3's naming rules
    (nothing is sent), :class:`AwsError` when S3 refuses.
    """
    problems = bucket_name_problems(name)
    if problems:
        raise ValueError(f"bucket name {name!r} " + "; ".join(problems))
    profile = profile_of(clients)
    s3 = clients("s3", region)
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":  # us-east-1 takes no LocationConstraint (S3 rejects one)
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        code = error_code(exc)
        if code == "BucketAlreadyExists":
            raise AwsError(
                f"bucket name {name!r} is taken (bucket names are global: another account owns it)",
                "choose another name",
                code,
            ) from exc
        if code == "BucketAlreadyOwnedByYou":
            raise AwsError(
                f"bucket {name!r} already exists in this account",
                "pick it in the destination list (press r to refresh) or choose another name",
                code,
            ) from exc
        raise explain(exc, profile=profile, what=f"s3.create_bucket {name!r} in {region}") from exc
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"s3.create_bucket {name!r} in {region}") from exc
    steps = (
        ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
        ("put_bucket_ownership_controls", {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
    )
    for method, params in steps:
        try:
            getattr(s3, method)(**with_owner({"Bucket": name, **params}, owner))
        except Exception as exc:
            error = explain(exc, profile=profile, what=f"s3.{method} on the new bucket {name!r}")
            raise AwsError(error.message + " (the bucket was created)", error.fix, error.code) from exc
    return bucket_summary(clients, name, owner, region)


def s3_regions(clients: Clients) -> list[str]:
    """The regions S3 is offered in for the session's partition (from botocore's data; no call)."""
    try:
        regions = clients.session.get_available_regions("s3")
    except Exception:
        regions = []
    return sorted(set(regions) | {"us-east-1"})
