"""Find a bucket's newest complete S3 Inventory report and fetch its Parquet files into a bounded local cache.

A report is complete when its ``manifest.checksum`` is the MD5 of its
``manifest.json`` ("Locating your inventory list",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html):
S3 writes the checksum last. Each data file is checked against the manifest's
``MD5checksum`` as it streams to disk. Files are fetched with the side's own
credentials, a few at a time, in chunks (never whole in memory), into
``locations.cache_dir()/inventory/<bucket>/<config>/<timestamp>/``; reports
fetched before are reused, and the least recently used ones are removed to
keep the cache under :data:`CACHE_BUDGET` bytes (``S3XREP_INVENTORY_CACHE_BYTES``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import locations
from ..core.inventory_plan import INVENTORY_FIELDS, INVENTORY_ID
from .bucket_access import BucketAccess
from .errors import AwsError, explain

CACHE_BUDGET = int(os.environ.get("S3XREP_INVENTORY_CACHE_BYTES") or 50 * 1024**3)
DOWNLOADS = 4  # files fetched at once per side
CHUNK = 1024 * 1024
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z$")
_NEEDED = frozenset({"Size", "ETag", "StorageClass"})  # without these the verdicts cannot be given


@dataclass(frozen=True)
class InventoryReport:
    """One complete report: where it is, when its scan started, and its data files."""

    bucket: str  # the bucket the report describes
    config_id: str
    reports_bucket: str
    manifest_key: str
    manifest_etag: str
    started: datetime  # the folder's timestamp: when S3 began scanning
    files: tuple[dict[str, Any], ...]
    file_schema: str

    @property
    def as_of(self) -> str:
        return self.started.strftime("%Y-%m-%d %H:%M UTC")

    def as_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "configuration": self.config_id, "as_of": self.started.isoformat(),
                "manifest": f"s3://{self.reports_bucket}/{self.manifest_key}", "files": len(self.files),
                "bytes": sum(int(f.get("size") or 0) for f in self.files)}


def _no_report(bucket: str, why: str, fix: str) -> AwsError:
    return AwsError(f"no S3 Inventory report of {bucket} to compare: {why}", fix, "NoInventory")


def usable_configuration(configs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Ours first, else any enabled all-versions Parquet configuration with the fields verify needs."""
    def fits(c: dict[str, Any]) -> bool:
        dest = (c.get("Destination") or {}).get("S3BucketDestination") or {}
        return (bool(c.get("IsEnabled")) and c.get("IncludedObjectVersions") == "All" and dest.get("Format") == "Parquet"
                and _NEEDED <= set(c.get("OptionalFields") or ()) and not (c.get("Filter") or {}).get("Prefix"))

    fitting = [c for c in configs if fits(c)]
    return next((c for c in fitting if c.get("Id") == INVENTORY_ID), fitting[0] if fitting else None)


def _configurations(side: BucketAccess) -> list[dict[str, Any]]:
    configs: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(20):  # 1,000 configurations at most, 100 a page
        kwargs = {"ContinuationToken": token} if token else {}
        answer = side.call("list_bucket_inventory_configurations", **kwargs) or {}
        configs += answer.get("InventoryConfigurationList") or []
        token = answer.get("NextContinuationToken")
        if not answer.get("IsTruncated") or not token:
            break
    return configs


def find_report(side: BucketAccess, *, tries: int = 5) -> InventoryReport:
    """The newest complete report of ``side.bucket``'s inventory (read with the side's own credentials)."""
    config = usable_configuration(_configurations(side))
    bucket = side.bucket
    if config is None:
        raise _no_report(bucket, f"it has no enabled all-versions Parquet inventory with {', '.join(sorted(_NEEDED))}",
                         f"apply a plan with the inventory option on (it configures {', '.join(INVENTORY_FIELDS)}), "
                         "or verify without --inventory")
    dest = config["Destination"]["S3BucketDestination"]
    reports = str(dest["Bucket"]).split(":::", 1)[-1]
    owner = str(dest.get("AccountId") or side.owner)
    if owner != side.owner:
        raise _no_report(bucket, f"its reports go to {reports} in account {owner}, which the {side.side}'s "
                         "credentials do not own", "deliver the inventory to a bucket of the same account")
    base = "/".join(p for p in (str(dest.get("Prefix") or "").strip("/"), bucket, config["Id"]) if p) + "/"
    s3 = side.s3
    try:
        folders = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=reports, Prefix=base, Delimiter="/",
                                                                 ExpectedBucketOwner=owner):
            folders += [p["Prefix"][len(base):].rstrip("/") for p in page.get("CommonPrefixes") or ()]
        for stamp in sorted((f for f in folders if _STAMP.match(f)), reverse=True)[:tries]:
            report = _complete(s3, reports, owner, base, stamp, bucket, config["Id"])
            if report is not None:
                return report
    except AwsError:
        raise
    except Exception as exc:
        raise explain(exc, profile=side.profile, what=f"reading the inventory reports in {reports!r}").within(
            side.where) from exc
    raise _no_report(bucket, f"no complete report under s3://{reports}/{base} yet",
                     "S3 delivers the first report within 48 hours of the configuration; verify without --inventory "
                     "until then")


def _complete(s3: Any, reports: str, owner: str, base: str, stamp: str, bucket: str,
              config_id: str) -> InventoryReport | None:
    key = f"{base}{stamp}/manifest.json"
    try:
        checksum = s3.get_object(Bucket=reports, Key=f"{base}{stamp}/manifest.checksum",
                                 ExpectedBucketOwner=owner)["Body"].read().decode("ascii", "replace").strip()
        answer = s3.get_object(Bucket=reports, Key=key, ExpectedBucketOwner=owner)
    except Exception as exc:  # noqa: BLE001 - not there (yet): an incomplete report
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    body = answer["Body"].read()
    if hashlib.md5(body).hexdigest() != checksum.lower():
        return None  # being written, or damaged: the one before it
    manifest = json.loads(body)
    if manifest.get("fileFormat") != "Parquet":
        return None
    started = datetime.strptime(stamp, "%Y-%m-%dT%H-%MZ").replace(tzinfo=timezone.utc)
    return InventoryReport(bucket, config_id, reports, key, str(answer.get("ETag") or "").strip('"'), started,
                           tuple(manifest.get("files") or ()), str(manifest.get("fileSchema") or ""))


# -- the cache ---------------------------------------------------------------------------------------


def _report_dir(report: InventoryReport) -> Path:
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", report.config_id)
    return locations.cache_dir() / "inventory" / report.bucket / safe_id / report.started.strftime("%Y%m%dT%H%MZ")


def _evict(keep: Path, needed: int, budget: int) -> None:
    root = locations.cache_dir() / "inventory"
    reports = [p for p in root.glob("*/*/*") if p.is_dir() and p != keep]
    sizes = {p: sum(f.stat().st_size for f in p.iterdir() if f.is_file()) for p in reports}
    total = sum(sizes.values())
    for path in sorted(reports, key=lambda p: p.stat().st_mtime):  # least recently used first
        if total + needed <= budget:
            break
        shutil.rmtree(path, ignore_errors=True)
        total -= sizes[path]


def _fetch_one(s3: Any, report: InventoryReport, owner: str, entry: dict[str, Any], target: Path) -> None:
    if target.exists() and target.stat().st_size == int(entry.get("size") or -1):
        os.utime(target)
        return
    partial = target.with_suffix(".part")
    digest = hashlib.md5()
    body = s3.get_object(Bucket=report.reports_bucket, Key=entry["key"], ExpectedBucketOwner=owner)["Body"]
    with open(partial, "wb") as out:
        for chunk in iter(lambda: body.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    if entry.get("MD5checksum") and digest.hexdigest() != str(entry["MD5checksum"]).lower():
        partial.unlink(missing_ok=True)
        raise AwsError(f"inventory file s3://{report.reports_bucket}/{entry['key']} does not match its manifest's MD5",
                       "run verify again (a newer report may be complete by then)", "InventoryChecksum")
    partial.replace(target)


def fetch_report(side: BucketAccess, report: InventoryReport, *, budget: int | None = None,
                 progress: Callable[[int], None] | None = None) -> list[Path]:
    """The report's data files on local disk (fetched now or reused), in manifest order."""
    budget = CACHE_BUDGET if budget is None else budget
    needed = sum(int(f.get("size") or 0) for f in report.files)
    if needed > budget:
        raise AwsError(f"the inventory of {report.bucket} is {needed:,} bytes, more than the local cache's "
                       f"{budget:,}", "set S3XREP_INVENTORY_CACHE_BYTES higher, or compare in Athena", "CacheTooSmall")
    directory = locations.private_dir(_report_dir(report))
    _evict(directory, needed, budget)
    targets = [directory / f"{n:05}.parquet" for n in range(len(report.files))]
    owner = str(side.owner)
    try:
        with ThreadPoolExecutor(max_workers=DOWNLOADS, thread_name_prefix=f"s3xrep-inv-{side.side}") as pool:
            for _ in pool.map(lambda pair: _fetch_one(side.s3, report, owner, *pair), zip(report.files, targets)):
                if progress is not None:
                    progress(1)
    except AwsError as exc:
        raise exc.within(side.where) from exc.__cause__
    except Exception as exc:
        raise explain(exc, profile=side.profile, what=f"fetching the inventory of {report.bucket!r}").within(
            side.where) from exc
    os.utime(directory)
    return targets
