"""What a cost and time estimate is made of: storage figures, prices, line items (pure data).

``StorageFacts`` comes from CloudWatch's daily storage metrics (``aws.storage_metrics``),
``PriceBook`` from the AWS Price List API or the price snapshot shipped in the package
(``aws.pricing``); ``core.estimate`` turns them into an ``Estimate``. Every figure is an
estimate: each line item carries the assumption it rests on and where its price came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# CloudWatch's BucketSizeBytes StorageType -> the S3 storage class whose price applies
# ("Metrics and dimensions", Amazon S3 daily storage metrics for buckets in CloudWatch,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html). The
# overheads of the archive classes are billed partly at STANDARD (the 8 KB "S3 object overhead").
STORAGE_TYPES: dict[str, str] = {
    "StandardStorage": "STANDARD",
    "IntelligentTieringFAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringIAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringAAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringAIAStorage": "INTELLIGENT_TIERING",
    "IntelligentTieringDAAStorage": "INTELLIGENT_TIERING",
    "StandardIAStorage": "STANDARD_IA",
    "StandardIASizeOverhead": "STANDARD_IA",
    "StandardIAObjectOverhead": "STANDARD_IA",
    "OneZoneIAStorage": "ONEZONE_IA",
    "OneZoneIASizeOverhead": "ONEZONE_IA",
    "ReducedRedundancyStorage": "REDUCED_REDUNDANCY",
    "GlacierInstantRetrievalStorage": "GLACIER_IR",
    "GlacierInstantRetrievalSizeOverhead": "GLACIER_IR",
    "GlacierStorage": "GLACIER",
    "GlacierStagingStorage": "GLACIER",
    "GlacierObjectOverhead": "GLACIER",
    "GlacierS3ObjectOverhead": "STANDARD",
    "DeepArchiveStorage": "DEEP_ARCHIVE",
    "DeepArchiveObjectOverhead": "DEEP_ARCHIVE",
    "DeepArchiveS3ObjectOverhead": "STANDARD",
    "DeepArchiveStagingStorage": "DEEP_ARCHIVE",
}
ALL_STORAGE_TYPES = "AllStorageTypes"  # NumberOfObjects' only StorageType

# The price keys of a PriceBook and what one unit of each is.
PRICE_UNITS: dict[str, str] = {
    "batch.job": "per job",
    "batch.objects": "per million objects",
    "batch.manifest": "per million objects in the source",
    "transfer.inter_region": "per GB",
    "rtc": "per GB",
    "kms.requests": "per 10,000 requests",
    "inventory": "per million objects listed",
    "athena.scanned": "per TB scanned",
}
STORAGE_CLASSES = ("STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "REDUCED_REDUNDANCY",
                   "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
for _cls in STORAGE_CLASSES:
    PRICE_UNITS[f"storage.{_cls}"] = "per GB-month"
    PRICE_UNITS[f"put.{_cls}"] = "per 1,000 requests"

PRICING_PAGES = {
    "s3": "Amazon S3 pricing, https://aws.amazon.com/s3/pricing/",
    "kms": "AWS Key Management Service pricing, https://aws.amazon.com/kms/pricing/",
    "athena": "Amazon Athena pricing, https://aws.amazon.com/athena/pricing/",
    "price-list": "AWS Price List Query API (GetProducts), "
    "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html",
}


@dataclass(frozen=True)
class StorageFacts:
    """A bucket's newest daily storage figures (CloudWatch AWS/S3, Period 86400).

    ``objects`` is NumberOfObjects (current and noncurrent versions; None: no datapoint),
    ``bytes_by_class`` BucketSizeBytes summed per storage class, ``as_of`` the newest
    datapoint's date (``YYYY-MM-DD``), ``note`` why there is no data when there is none.
    """

    bucket: str
    objects: int | None = None
    bytes_by_class: Mapping[str, int] = field(default_factory=dict)
    as_of: str | None = None
    region: str | None = None
    note: str = ""

    @property
    def has_data(self) -> bool:
        return self.objects is not None or bool(self.bytes_by_class)

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_class.values())

    def as_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "region": self.region, "objects": self.objects,
                "bytes_by_class": dict(self.bytes_by_class), "total_bytes": self.total_bytes,
                "as_of": self.as_of, "note": self.note}


@dataclass(frozen=True)
class PriceBook:
    """USD prices for one region, keyed as in :data:`PRICE_UNITS`.

    ``source`` says where they came from ("AWS Price List API" or "price snapshot"),
    ``as_of`` the snapshot's date (or the day the API was read); ``sources`` overrides
    ``source`` per key when the API lacked some and the snapshot filled them in.
    ``transfer`` holds the inter-region price per destination region.
    """

    region: str
    prices: Mapping[str, float]
    source: str
    as_of: str
    sources: Mapping[str, str] = field(default_factory=dict)
    transfer: Mapping[str, float] = field(default_factory=dict)
    note: str = ""

    def price(self, key: str) -> tuple[float | None, str]:
        """(USD per unit, where it came from); (None, "") when the book has no price for it."""
        if key not in self.prices:
            return None, ""
        return float(self.prices[key]), self.sources.get(key, self.label())

    def transfer_to(self, region: str) -> tuple[float | None, str]:
        if region in self.transfer:
            return float(self.transfer[region]), self.sources.get(f"transfer:{region}", self.label())
        return self.price("transfer.inter_region")

    def label(self) -> str:
        return f"{self.source} ({self.as_of})"


@dataclass(frozen=True)
class EstimateOptions:
    """What the plan does that costs money: taken from the plan's options (other areas add flags)."""

    source_region: str
    destination_region: str
    destination_storage_class: str | None = None  # None: replicas keep the source's class
    replicate_existing: bool = True
    generated_manifest: bool = True  # Batch Replication's manifest generator (billed per source object)
    rtc: bool = False
    sse_kms: bool = False
    inventory: bool = False
    athena: bool = False
    scoped: bool = False  # a prefix or tag filter: the bucket's figures are an upper bound
    inventory_reports: int = 2  # one for the source, one for the destination (verify)
    athena_queries: int = 2


@dataclass(frozen=True)
class LineItem:
    id: str
    label: str
    quantity: float
    unit: str  # of the quantity: "objects", "GB", "jobs", ...
    unit_price: float | None  # USD per price unit; None: no price known
    price_unit: str  # "per 1,000 requests", ...
    cost: float | None  # USD; None when the price is unknown
    monthly: bool = False  # recurring every month (storage), else once
    price_source: str = ""
    assumption: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "quantity": self.quantity, "unit": self.unit,
                "unit_price_usd": self.unit_price, "price_unit": self.price_unit, "cost_usd": self.cost,
                "monthly": self.monthly, "price_source": self.price_source, "assumption": self.assumption}


@dataclass(frozen=True)
class Estimate:
    """The estimate of one bucket pair (or, from ``total``, of several)."""

    pairs: tuple[str, ...]  # "source → destination" per pair
    items: tuple[LineItem, ...]
    objects: int | None
    bytes: int
    backfill_seconds: float | None
    rate: float  # objects per second the duration assumes
    rate_source: str
    storage_as_of: str | None = None
    prices: tuple[str, ...] = ()  # "AWS Price List API (2026-12-03)", "price snapshot (2026-11-01)"
    assumptions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be read
    currency: str = "USD"

    @property
    def one_time(self) -> float:
        return sum(i.cost or 0.0 for i in self.items if not i.monthly)

    @property
    def monthly(self) -> float:
        return sum(i.cost or 0.0 for i in self.items if i.monthly)

    @property
    def unpriced(self) -> tuple[str, ...]:
        return tuple(i.label for i in self.items if i.cost is None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "estimate": True,
            "label": "ESTIMATE: figures from CloudWatch daily storage metrics and AWS list prices; "
            "not a quote",
            "pairs": list(self.pairs),
            "currency": self.currency,
            "one_time_usd": round(self.one_time, 4),
            "monthly_usd": round(self.monthly, 4),
            "objects": self.objects,
            "bytes": self.bytes,
            "storage_as_of": self.storage_as_of,
            "backfill_seconds": self.backfill_seconds,
            "rate_objects_per_second": self.rate,
            "rate_source": self.rate_source,
            "prices": list(self.prices),
            "items": [i.as_dict() for i in self.items],
            "assumptions": list(self.assumptions),
            "notes": list(self.notes),
            "pricing_pages": list(PRICING_PAGES.values()),
        }


def estimate_from_dict(data: Mapping[str, Any]) -> Estimate:
    """An :class:`Estimate` back from ``Estimate.as_dict()`` (as the plan's results recorded it); missing keys default."""
    items = tuple(
        LineItem(id=str(i.get("id", "")), label=str(i.get("label", "")), quantity=float(i.get("quantity") or 0),
                 unit=str(i.get("unit", "")), unit_price=i.get("unit_price_usd"), price_unit=str(i.get("price_unit", "")),
                 cost=i.get("cost_usd"), monthly=bool(i.get("monthly")), price_source=str(i.get("price_source", "")),
                 assumption=str(i.get("assumption", "")))
        for i in data.get("items") or () if isinstance(i, Mapping))
    return Estimate(
        pairs=tuple(str(p) for p in data.get("pairs") or ()),
        items=items,
        objects=data.get("objects"),
        bytes=int(data.get("bytes") or 0),
        backfill_seconds=data.get("backfill_seconds"),
        rate=float(data.get("rate_objects_per_second") or 0) or 1.0,
        rate_source=str(data.get("rate_source", "")),
        storage_as_of=data.get("storage_as_of"),
        prices=tuple(str(p) for p in data.get("prices") or ()),
        assumptions=tuple(str(a) for a in data.get("assumptions") or ()),
        notes=tuple(str(n) for n in data.get("notes") or ()),
        currency=str(data.get("currency") or "USD"),
    )
