"""Amazon S3's daily storage metrics in the sandbox's CloudWatch, computed from what each bucket holds.

moto synthesises two metrics of its own, with fake values (``BucketSizeBytes`` is the sum of
``sys.getsizeof`` of its key objects, only for ``StandardStorage``; ``NumberOfObjects`` leaves
noncurrent versions out) and for every bucket in every region. While a Sandbox runs, this module
answers in moto's place (``S3Backend.get_cloudwatch_metrics``, which moto's CloudWatch asks on each
query), as AWS documents them ("Metrics and dimensions", Amazon S3 daily storage metrics for buckets
in CloudWatch, https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html):

* namespace ``AWS/S3`` in the bucket's own region, one datapoint a day stamped 00:00 UTC
  (yesterday and the day before: AWS's figures are a day behind), unit Bytes / Count;
* ``BucketSizeBytes`` per ``StorageType`` of the bytes each storage class holds, current and
  noncurrent versions (delete markers hold none); a class with no bytes has no datapoint;
* ``NumberOfObjects`` with ``StorageType=AllStorageTypes``: every version, delete markers left out.
* a bucket that holds nothing has no datapoints (our reading: AWS's page does not say what an empty
  bucket reports; a new one has none until its first daily publication).

Not emulated: the size and object overheads of the IA and archive classes, incomplete multipart
uploads. The demo can give a bucket larger "virtual" figures (:func:`set_virtual_figures`) so an
estimate has something to show; they replace what the bucket holds in the metrics only.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

NAMESPACE = "AWS/S3"
DAYS = 2  # datapoints for yesterday and the day before

# S3 storage class (moto's FakeKey.storage_class) -> CloudWatch StorageType
STORAGE_TYPE_OF = {
    "STANDARD": "StandardStorage",
    "STANDARD_IA": "StandardIAStorage",
    "ONEZONE_IA": "OneZoneIAStorage",
    "REDUCED_REDUNDANCY": "ReducedRedundancyStorage",
    "INTELLIGENT_TIERING": "IntelligentTieringFAStorage",
    "GLACIER_IR": "GlacierInstantRetrievalStorage",
    "GLACIER": "GlacierStorage",
    "DEEP_ARCHIVE": "DeepArchiveStorage",
}


@dataclass(frozen=True)
class Figures:
    objects: int
    bytes_by_type: dict[str, int]


_lock = threading.Lock()
_virtual: dict[tuple[str, str], Figures] = {}
_installed: Any = None  # moto's own get_cloudwatch_metrics, while ours is in place


def set_virtual_figures(account_id: str, bucket: str, objects: int, bytes_by_type: dict[str, int]) -> None:
    """Publish these figures for ``bucket`` instead of what it holds (the demo's "billions")."""
    unknown = set(bytes_by_type) - set(STORAGE_TYPE_OF.values())
    if unknown:
        raise ValueError(f"unknown StorageType {sorted(unknown)}: use one of {sorted(STORAGE_TYPE_OF.values())}")
    with _lock:
        _virtual[(account_id, bucket)] = Figures(int(objects), dict(bytes_by_type))


def clear_virtual_figures() -> None:
    with _lock:
        _virtual.clear()


def figures_of(account_id: str, bucket: Any) -> Figures:
    """What the metrics say for one of moto's buckets: its virtual figures, else its versions counted."""
    with _lock:
        virtual = _virtual.get((account_id, bucket.name))
    if virtual is not None:
        return virtual
    from moto.s3.models import FakeDeleteMarker

    objects = 0
    sizes: dict[str, int] = {}
    for _, versions in list(bucket.keys.iterlists()):
        for version in list(versions):
            if isinstance(version, FakeDeleteMarker):
                continue
            objects += 1
            storage_type = STORAGE_TYPE_OF.get(version.storage_class or "STANDARD", "StandardStorage")
            sizes[storage_type] = sizes.get(storage_type, 0) + int(version.size)
    return Figures(objects, sizes)


def storage_metrics(account_id: str, region: str, *, today: dt.date | None = None) -> list[Any]:
    """moto MetricDatum objects for every bucket of ``account_id`` in ``region``."""
    from moto.cloudwatch.models import MetricDatum
    from moto.s3.models import s3_backends

    day = today or dt.datetime.now(dt.UTC).date()
    # naive UTC, as moto stamps its datapoints (it compares them with naive times)
    stamps = [dt.datetime.combine(day - dt.timedelta(days=n), dt.time()) for n in range(DAYS, 0, -1)]
    data: list[Any] = []
    for partition_backend in [s3_backends[account_id][p] for p in ("aws",) if p in s3_backends[account_id]]:
        for name, bucket in list(partition_backend.buckets.items()):
            if bucket.region_name != region:
                continue
            figures = figures_of(account_id, bucket)
            if not figures.objects and not any(figures.bytes_by_type.values()):
                continue  # a bucket holding nothing reports nothing (so a new bucket shows "no data")
            for stamp in stamps:
                data.append(MetricDatum(NAMESPACE, "NumberOfObjects", figures.objects,
                                        [{"Name": "StorageType", "Value": "AllStorageTypes"},
                                         {"Name": "BucketName", "Value": name}], stamp, "Count"))
                for storage_type, size in sorted(figures.bytes_by_type.items()):
                    if size:
                        data.append(MetricDatum(NAMESPACE, "BucketSizeBytes", size,
                                                [{"Name": "StorageType", "Value": storage_type},
                                                 {"Name": "BucketName", "Value": name}], stamp, "Bytes"))
    return data


def install() -> None:
    """Answer moto's CloudWatch with our storage metrics (until :func:`uninstall`)."""
    global _installed
    from moto.s3.models import S3Backend

    with _lock:
        if _installed is not None:
            return
        _installed = S3Backend.__dict__["get_cloudwatch_metrics"]
        S3Backend.get_cloudwatch_metrics = staticmethod(storage_metrics)  # type: ignore[method-assign]


def uninstall() -> None:
    global _installed
    from moto.s3.models import S3Backend

    with _lock:
        if _installed is None:
            return
        S3Backend.get_cloudwatch_metrics = _installed  # type: ignore[method-assign]
        _installed = None
        _virtual.clear()
