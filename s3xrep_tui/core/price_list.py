"""Reading AWS Price List documents (GetProducts' ``PriceList`` items, format ``aws_v1``) into price keys.

Each item is one product: ``product.attributes`` (``usagetype``, ``regionCode``,
``toRegionCode``...) and ``terms.OnDemand.*.priceDimensions.*`` (``unit``,
``beginRange``, ``pricePerUnit.USD``) (AWS Price List Query API, GetProducts,
https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html).
We know a product by its usage type, the region prefix stripped ("USE1-", "EUC1-"; us-east-1 has
none), as "Understanding your AWS billing and usage reports for Amazon S3" names them
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/aws-usage-report-understand.html).
A product we do not know is skipped; a price key no product gave is filled from the snapshot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# usage type (region prefix stripped) -> our price key
S3_USAGE_TYPES: dict[str, str] = {
    "TimedStorage-ByteHrs": "storage.STANDARD",
    "TimedStorage-INT-FA-ByteHrs": "storage.INTELLIGENT_TIERING",
    "TimedStorage-SIA-ByteHrs": "storage.STANDARD_IA",
    "TimedStorage-ZIA-ByteHrs": "storage.ONEZONE_IA",
    "TimedStorage-RRS-ByteHrs": "storage.REDUCED_REDUNDANCY",
    "TimedStorage-GIR-ByteHrs": "storage.GLACIER_IR",
    "TimedStorage-GlacierByteHrs": "storage.GLACIER",
    "TimedStorage-GDA-ByteHrs": "storage.DEEP_ARCHIVE",
    "Requests-Tier1": "put.STANDARD",
    "Requests-INT-Tier1": "put.INTELLIGENT_TIERING",
    "Requests-SIA-Tier1": "put.STANDARD_IA",
    "Requests-ZIA-Tier1": "put.ONEZONE_IA",
    "Requests-GIR-Tier1": "put.GLACIER_IR",
    "Requests-GLACIER-Tier1": "put.GLACIER",
    "Requests-GDA-Tier1": "put.DEEP_ARCHIVE",
    "BatchOperations-Jobs": "batch.job",
    "BatchOperations-Objects": "batch.objects",
    "BatchOperations-ManifestObjects": "batch.manifest",
    "Inventory-ObjectsListed": "inventory",
    "S3RTC-In-Bytes": "rtc",
}
KMS_USAGE_TYPES = {"KMS-Requests": "kms.requests"}
ATHENA_USAGE_TYPES = {"DataScannedInTB": "athena.scanned"}
SERVICES = {"AmazonS3": S3_USAGE_TYPES, "awskms": KMS_USAGE_TYPES, "AmazonAthena": ATHENA_USAGE_TYPES}
INTER_REGION = re.compile(r"^[A-Z0-9]+-[A-Z0-9]+-AWS-Out-Bytes$")
_PREFIX = re.compile(r"^[A-Z]{2,4}[0-9]?-")
# what one of our price units is, in the Price List's per-one units
_PER = {"put.": 1000.0, "batch.objects": 1e6, "batch.manifest": 1e6, "inventory": 1e6, "kms.requests": 10_000.0}
_PER_ONE_UNITS = {"requests", "request", "objects", "object"}


def usage_type(attributes: Mapping[str, Any], known: Mapping[str, str] | None = None) -> str:
    """The product's usage type without its region prefix (kept when the whole name is one we know: KMS-Requests)."""
    value = str(attributes.get("usagetype") or "")
    if INTER_REGION.match(value) or (known is not None and value in known):
        return value
    return _PREFIX.sub("", value, count=1)


def _multiplier(key: str, unit: str) -> float:
    if unit.strip().lower() not in _PER_ONE_UNITS:
        return 1.0
    return next((m for prefix, m in _PER.items() if key.startswith(prefix) or key == prefix), 1.0)


def first_paid_price(document: Mapping[str, Any]) -> tuple[float, str] | None:
    """(USD per the dimension's unit, unit) of the lowest usage tier with a price above zero (0 if all are free)."""
    dimensions: list[tuple[float, float, str]] = []
    for term in ((document.get("terms") or {}).get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            try:
                usd = float((dim.get("pricePerUnit") or {}).get("USD") or "")
                begin = float(dim.get("beginRange") or 0)
            except (TypeError, ValueError):
                continue
            dimensions.append((begin, usd, str(dim.get("unit") or "")))
    if not dimensions:
        return None
    dimensions.sort()
    begin, usd, unit = next((d for d in dimensions if d[1] > 0), dimensions[0])
    return usd, unit


def read_price_list(items: Iterable[str | Mapping[str, Any]], service_code: str
                    ) -> tuple[dict[str, float], dict[str, float]]:
    """(prices by our key, inter-region transfer price by destination region) from GetProducts items.

    Items are JSON strings as GetProducts returns them (or parsed dicts); ones that do not parse,
    or that name a usage type we do not price, are skipped.
    """
    known = SERVICES.get(service_code, {})
    prices: dict[str, float] = {}
    transfer: dict[str, float] = {}
    for item in items:
        try:
            document = json.loads(item) if isinstance(item, str) else dict(item)
        except (TypeError, ValueError):
            continue
        attributes = (document.get("product") or {}).get("attributes") or {}
        found = first_paid_price(document)
        if found is None:
            continue
        usd, unit = found
        kind = usage_type(attributes, known)
        if service_code == "AmazonS3" and INTER_REGION.match(kind) and attributes.get("toRegionCode"):
            transfer[str(attributes["toRegionCode"])] = usd
            continue
        key = known.get(kind)
        if key is not None and key not in prices:
            prices[key] = float(f"{usd * _multiplier(key, unit):.10g}")  # 3e-05 * 1000, not 0.030000000000000002
    if "put.STANDARD" in prices:  # Reduced Redundancy's PUTs are billed as S3 Standard's
        prices.setdefault("put.REDUCED_REDUNDANCY", prices["put.STANDARD"])
    return prices, transfer
