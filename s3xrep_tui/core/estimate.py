"""Cost and time of a migration before anything is written: one pair, or the total of many.

``estimate_pair`` prices what a plan makes AWS do for one bucket pair, from the source's
CloudWatch daily storage figures and the regions' list prices; ``total`` adds pairs up
(a fleet estimates each pair, in parallel if it likes, then totals them);
``backfill_seconds`` / ``remaining_seconds`` give the backfill's duration, first at an
assumed rate and then at the rate a running job measured. Pure: no AWS, no I/O.

Prices are AWS's list prices per region (Amazon S3 pricing, https://aws.amazon.com/s3/pricing/;
AWS KMS pricing, https://aws.amazon.com/kms/pricing/; Amazon Athena pricing,
https://aws.amazon.com/athena/pricing/) as the Price List API gives them, or the snapshot
shipped with the package. Free tiers, tiered discounts beyond the first tier, taxes and
private pricing are not applied: each line says so where it matters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from .estimate_model import (
    PRICE_UNITS,
    STORAGE_TYPES,
    Estimate,
    EstimateOptions,
    LineItem,
    PriceBook,
    StorageFacts,
)
from .inventory_plan import inventory_wanted
from .models import PlanInputs, Step

__all__ = [
    "DEFAULT_RATE",
    "RATE_SOURCE",
    "STORAGE_TYPES",
    "backfill_seconds",
    "bytes_by_class",
    "estimate_pair",
    "options_for",
    "plan_uses",
    "remaining_seconds",
    "total",
    "with_measured_rate",
]

GB = 1024**3  # AWS bills storage and transfer per GB of 2^30 bytes
TB = 1024**4
# AWS publishes no throughput for Batch Operations jobs. What it documents is S3's request rate:
# "at least 3,500 PUT/COPY/POST/DELETE ... requests per second per partitioned Amazon S3 prefix"
# (Best practices design patterns: optimizing Amazon S3 performance,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html). A backfill
# writes into the destination's prefixes, so that is the rate we assume until a job measures its own.
DEFAULT_RATE = 3500.0
RATE_SOURCE = ("S3's documented 3,500 PUT/COPY requests per second per partitioned prefix "
               "(optimizing-performance.html; AWS states no Batch Operations throughput)")
ATHENA_MIN_BYTES = 10 * 1024**2  # Athena bills at least 10 MB per query (Amazon Athena pricing)
INVENTORY_BYTES_PER_OBJECT = 100  # assumed size of one object's row in a Parquet inventory


INVENTORY_CALL = "s3.put_bucket_inventory_configuration"  # one per bucket the plan reports on
ATHENA_SERVICES = ("athena.", "glue.")  # the workgroup, the database and tables over the inventories


def plan_uses(steps: Iterable[Step]) -> tuple[int, bool]:
    """How many inventory configurations the steps write, and whether they set Athena up."""
    calls = [step.call for step in steps]
    return calls.count(INVENTORY_CALL), any(call.startswith(ATHENA_SERVICES) for call in calls)


def options_for(inputs: PlanInputs, *, steps: Iterable[Step] | None = None, inventory: bool | None = None,
                athena: bool | None = None) -> EstimateOptions:
    """What the plan built from ``inputs`` makes AWS do, as the estimate needs it.

    ``steps``: the plan's. S3 Inventory is priced only when they configure an inventory (a report per
    configured bucket), Athena only when they create its workgroup or tables. Without them: the
    inventory as the plan decides it from ``inputs`` (:func:`core.inventory_plan.inventory_wanted`), and
    no Athena (a plan never sets it up; ``verify --engine athena`` does, and prices its own queries).
    ``inventory``/``athena``: what the caller knows better (a what-if), over both.
    """
    options = inputs.options
    if steps is not None:
        reports, uses_athena = plan_uses(steps)
    else:
        reports, uses_athena = (2 if inventory_wanted(inputs)[0] else 0), False
    source_region = inputs.source.bucket.region or "us-east-1"
    destination_region = inputs.destination.bucket.region or source_region
    sse_kms = bool(options.replica_kms_key) or (inputs.source.encryption.algorithm or "").startswith("aws:kms")
    return EstimateOptions(
        source_region=source_region,
        destination_region=destination_region,
        destination_storage_class=options.storage_class,
        replicate_existing=options.replicate_existing,
        generated_manifest=True,  # core.batch_job always asks S3 to generate the manifest
        rtc=options.rtc,
        sse_kms=sse_kms,
        inventory=reports > 0 if inventory is None else inventory,
        athena=uses_athena if athena is None else athena,
        scoped=bool(options.prefix or options.tags),
        inventory_reports=reports or 2,
    )


def bytes_by_class(storage_types: Mapping[str, float]) -> dict[str, int]:
    """BucketSizeBytes per CloudWatch StorageType -> bytes per S3 storage class (unknown types are dropped)."""
    out: dict[str, int] = {}
    for storage_type, value in storage_types.items():
        cls = STORAGE_TYPES.get(storage_type)
        if cls is not None and value:
            out[cls] = out.get(cls, 0) + int(value)
    return out


def backfill_seconds(objects: int | None, rate: float = DEFAULT_RATE) -> float | None:
    """How long a Batch Replication job takes for ``objects`` at ``rate`` objects per second (None: unknown)."""
    if objects is None or rate <= 0:
        return None
    return objects / rate


def remaining_seconds(total_objects: int | None, done: int, measured_rate: float | None) -> float | None:
    """The backfill's time left at the rate a running job measured (tasks per second), refined as it goes.

    None when the total or a positive rate is unknown; 0 when nothing is left.
    """
    if total_objects is None or not measured_rate or measured_rate <= 0:
        return None
    return max(0, total_objects - done) / measured_rate


def with_measured_rate(estimate: Estimate, measured_rate: float | None, done: int = 0) -> Estimate:
    """The estimate with the backfill's duration at the rate a running job measured (``done`` tasks so far).

    ``backfill_seconds`` becomes the time *left*; an unknown or zero rate changes nothing.
    """
    left = remaining_seconds(estimate.objects, done, measured_rate)
    if left is None or measured_rate is None:
        return estimate
    return replace(estimate, backfill_seconds=left, rate=float(measured_rate),
                   rate_source=f"measured by the running job ({done:,} of {estimate.objects:,} done)")


class _Items:
    """Collects line items, pricing each from the first book that has its key."""

    def __init__(self, books: Iterable[PriceBook]) -> None:
        self.books = [b for b in books if b is not None]
        self.items: list[LineItem] = []

    def add(self, id_: str, label: str, quantity: float, unit: str, key: str, divisor: float, *,
            monthly: bool = False, assumption: str = "", price: tuple[float | None, str] | None = None) -> None:
        if price is None:
            price = next(((p, s) for p, s in (b.price(key) for b in self.books) if p is not None), (None, ""))
        unit_price, source = price
        cost = None if unit_price is None else quantity / divisor * unit_price
        self.items.append(LineItem(id_, label, quantity, unit, unit_price, PRICE_UNITS.get(key, ""), cost,
                                   monthly, source or "no price found", assumption))


def _objects_per_class(storage: StorageFacts, objects: int) -> dict[str, float]:
    """NumberOfObjects is counted for all classes together: split it by each class's share of the bytes."""
    total = storage.total_bytes
    if not total:
        return {"STANDARD": float(objects)}
    return {cls: objects * size / total for cls, size in storage.bytes_by_class.items()}


def _option_items(options: EstimateOptions, source_items: _Items, items: _Items, source_prices: PriceBook,
                  count: int, gb: float) -> None:
    """The line items of the plan's options: transfer between regions, RTC, KMS, Inventory, Athena."""
    if options.source_region != options.destination_region:
        price = source_prices.transfer_to(options.destination_region)
        source_items.add("transfer.inter_region",
                         f"Transfer {options.source_region}→{options.destination_region}",
                         round(gb, 6), "GB", "transfer.inter_region", 1, price=price,
                         assumption="every byte crosses regions once (same-region replication transfers free)")
    if options.rtc:
        items.add("rtc", "RTC (Time Control)", round(gb, 6), "GB", "rtc", 1,
                  assumption="charged per GB replicated with RTC on; counted for the backfill's bytes too "
                  "(an upper bound)")
    if options.sse_kms:
        source_items.add("kms.requests", "KMS requests", 2 * count, "requests", "kms.requests", 10_000,
                         assumption="every object is SSE-KMS: one Decrypt at the source and one Encrypt "
                         "for the replica (S3 Bucket Keys would make far fewer)")
    if options.inventory:
        source_items.add("inventory", "Inventory reports", count * options.inventory_reports, "objects",
                         "inventory", 1e6,
                         assumption=f"{options.inventory_reports} reports (source and destination) listing every version")
    if options.athena:
        scanned = max(ATHENA_MIN_BYTES, count * INVENTORY_BYTES_PER_OBJECT) * options.athena_queries
        source_items.add("athena.scanned", "Athena scans", round(scanned / TB, 6), "TB",
                         "athena.scanned", 1,
                         assumption=f"{options.athena_queries} queries each scanning about "
                         f"{INVENTORY_BYTES_PER_OBJECT} bytes per object (10 MB minimum each)")


def estimate_pair(storage: StorageFacts, options: EstimateOptions, *, source_prices: PriceBook,
                  destination_prices: PriceBook | None = None, pair: str = "",
                  rate: float = DEFAULT_RATE, rate_source: str = RATE_SOURCE) -> Estimate:
    """The cost and duration of one pair's migration (see the module's doc).

    ``source_prices``: the source region's book (Batch Operations, transfer out, KMS, Inventory,
    Athena); ``destination_prices``: the destination region's (replica PUTs, storage, RTC),
    the source's when the regions are the same.
    """
    destination_prices = destination_prices or source_prices
    objects = storage.objects if storage.objects is not None else None
    count = objects or 0
    size = storage.total_bytes
    gb = size / GB
    dest_classes = ({options.destination_storage_class: 1.0} if options.destination_storage_class else None)
    per_class = _objects_per_class(storage, count)
    notes: list[str] = []
    if not storage.has_data:
        notes.append(f"no CloudWatch storage metrics for {storage.bucket}"
                     + (f": {storage.note}" if storage.note else "") + "; counts and sizes taken as 0")
    assumptions = [
        f"object count and size: CloudWatch daily storage metrics of {storage.bucket}"
        + (f" on {storage.as_of}" if storage.as_of else "")
        + " (current and noncurrent versions; they lag by a day or more)",
        "list prices of the first usage tier; no free tier, discounts, savings plans or taxes",
    ]
    if options.scoped:
        assumptions.append("the rule's prefix/tag filter replicates part of the bucket: the figures are for "
                           "the whole bucket (an upper bound)")
    items = _Items([destination_prices, source_prices])
    source_items = _Items([source_prices, destination_prices])

    if options.replicate_existing:
        source_items.add("batch.job", "Batch Ops job", 1, "jobs", "batch.job", 1,
                         assumption="one Batch Replication job for the existing objects")
        source_items.add("batch.objects", "Batch Ops objects", count, "objects", "batch.objects", 1e6,
                         assumption="every existing version is one task (the status filter may pick fewer)")
        if options.generated_manifest:
            source_items.add("batch.manifest", "Batch Ops manifest", count, "objects",
                             "batch.manifest", 1e6, assumption="the job's manifest generator reads every source object")
    if options.replicate_existing or count:
        for cls, n in sorted((dest_classes and {c: count * share for c, share in dest_classes.items()}
                              or per_class).items()):
            items.add(f"put.{cls}", f"PUTs into {cls}", round(n), "requests", f"put.{cls}", 1000,
                      assumption="one PUT per replicated version, at the destination class's PUT price"
                      + ("" if dest_classes else "; objects split by each class's share of the bytes"))
    _option_items(options, source_items, items, source_prices, count, gb)
    storage_classes = ({c: size for c in dest_classes} if dest_classes else dict(storage.bytes_by_class)) or {}
    for cls, n in sorted(storage_classes.items()):
        items.add(f"storage.{cls}", f"Storage {cls}", round(n / GB, 6), "GB", f"storage.{cls}", 1,
                  monthly=True, assumption="the replicas' size equals the source's, every month they are kept")
    every = [*source_items.items, *items.items]
    order = {k: i for i, k in enumerate(("batch.job", "batch.objects", "batch.manifest"))}
    every.sort(key=lambda item: (item.monthly, order.get(item.id, 9)))
    books = {b.label() for b in (source_prices, destination_prices)}
    for book in (source_prices, destination_prices):
        if book.note and book.note not in notes:
            notes.append(book.note)
    return Estimate(
        pairs=(pair,) if pair else (),
        items=tuple(every),
        objects=objects,
        bytes=size,
        backfill_seconds=backfill_seconds(objects, rate) if options.replicate_existing else 0.0,
        rate=rate,
        rate_source=rate_source,
        storage_as_of=storage.as_of,
        prices=tuple(sorted(books)),
        assumptions=tuple(assumptions),
        notes=tuple(notes),
    )


def total(estimates: Iterable[Estimate]) -> Estimate:
    """The sum of per-pair estimates: line items added by id, durations as the longest pair's.

    Pairs' jobs run side by side (each source bucket's job in its own account and region),
    so the fleet's backfill takes as long as its slowest pair, not the sum.
    """
    estimates = list(estimates)
    merged: dict[str, LineItem] = {}
    for estimate in estimates:
        for item in estimate.items:
            known = merged.get(item.id)
            if known is None:
                merged[item.id] = item
                continue
            cost = None if known.cost is None or item.cost is None else known.cost + item.cost
            label = known.label if known.label == item.label else _family(item.id, known.label)
            merged[item.id] = LineItem(item.id, label, known.quantity + item.quantity, item.unit,
                                       known.unit_price if known.unit_price == item.unit_price else None,
                                       item.price_unit, cost, item.monthly,
                                       _join(known.price_source, item.price_source),
                                       known.assumption if known.assumption == item.assumption else
                                       _join(known.assumption, item.assumption))
    counts = [e.objects for e in estimates]
    seconds = [e.backfill_seconds for e in estimates if e.backfill_seconds is not None]
    dates = sorted(e.storage_as_of for e in estimates if e.storage_as_of)
    return Estimate(
        pairs=tuple(p for e in estimates for p in e.pairs),
        items=tuple(merged.values()),
        objects=None if not counts or any(c is None for c in counts) else sum(c or 0 for c in counts),
        bytes=sum(e.bytes for e in estimates),
        backfill_seconds=max(seconds) if seconds else None,
        rate=min((e.rate for e in estimates), default=DEFAULT_RATE),
        rate_source=_join(*(e.rate_source for e in estimates)) or RATE_SOURCE,
        storage_as_of=dates[0] if dates else None,
        prices=tuple(sorted({p for e in estimates for p in e.prices})),
        assumptions=tuple(dict.fromkeys(a for e in estimates for a in e.assumptions)),
        notes=tuple(dict.fromkeys(n for e in estimates for n in e.notes)),
    )


def _family(item_id: str, label: str) -> str:
    if item_id == "transfer.inter_region":
        return "Transfer between regions"
    return label


def _join(*texts: str) -> str:
    return "; ".join(dict.fromkeys(t for t in texts if t))
