"""Prices for a region: the AWS Price List API when it answers, else the snapshot shipped in the package.

Read-only and bounded: ``GetProducts`` per service (Amazon S3, AWS KMS, Amazon Athena) filtered on
the region, at most :data:`MAX_PAGES` pages of 100, through the one client builder (so read-only
mode and its timeouts hold). The Price List API answers in a few regions only
(``api.pricing.us-east-1``, ``eu-central-1``, ``ap-south-1``): we ask us-east-1 for every region.
A price key the API did not give is taken from the snapshot, and the line item says so; when the
API cannot be reached at all the whole book is the snapshot's, with its date and the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import cache
from importlib import resources
from typing import Any

from ..core.estimate_model import PriceBook
from ..core.price_list import SERVICES, read_price_list
from .errors import AwsError, explain

log = logging.getLogger(__name__)

PRICING_REGION = "us-east-1"
MAX_PAGES = 10  # per service: S3's products in one region fit in a few pages of 100
API_SOURCE = "AWS Price List API"


@cache
def snapshot() -> dict[str, Any]:
    """The price snapshot shipped in the package (``price_snapshot.json``)."""
    text = resources.files(__package__).joinpath("price_snapshot.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def snapshot_book(region: str, *, note: str = "") -> PriceBook:
    """The snapshot's prices for ``region`` (its fallback region's, said in the note, when it has none)."""
    data = snapshot()
    regions = data["regions"]
    entry = regions.get(region)
    used = region
    if entry is None:
        used = data["fallback_region"]
        entry = regions[used]
        extra = f"the price snapshot has no prices for {region}: {used}'s are used"
        note = f"{note}; {extra}" if note else extra
    while "same_as" in entry:
        entry = regions[entry["same_as"]]
    transfer = {k: v for k, v in (entry.get("transfer") or {}).items() if k != "*"}
    return PriceBook(region=region, prices=dict(entry["prices"]), source=data["source"], as_of=data["as_of"],
                     transfer=transfer, note=note)


def _products(client: Any, service_code: str, filters: list[dict[str, str]]) -> list[str]:
    items: list[str] = []
    kwargs: dict[str, Any] = {"ServiceCode": service_code, "Filters": filters, "FormatVersion": "aws_v1",
                              "MaxResults": 100}
    for _ in range(MAX_PAGES):
        page = client.get_products(**kwargs)
        items.extend(page.get("PriceList") or [])
        token = page.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return items


def api_book(clients: Any, region: str, *, today: dt.date | None = None) -> PriceBook:
    """The region's prices from the Price List API, gaps filled from the snapshot. Raises AwsError."""
    client = clients("pricing", PRICING_REGION)
    prices: dict[str, float] = {}
    transfer: dict[str, float] = {}
    try:
        for service_code in SERVICES:
            filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
            found, moves = read_price_list(_products(client, service_code, filters), service_code)
            prices.update(found)
            transfer.update(moves)
    except AwsError:
        raise
    except Exception as exc:
        raise explain(exc) from None
    if not prices:
        raise AwsError(f"the AWS Price List API has no S3 prices for {region}",
                       "check the region name; the price snapshot is used meanwhile", "NoPrices")
    fallback = snapshot_book(region)
    sources = {}
    for key, value in fallback.prices.items():
        if key not in prices:
            prices[key] = value
            sources[key] = f"{fallback.source} ({fallback.as_of})"
    when = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    return PriceBook(region=region, prices=prices, source=API_SOURCE, as_of=when, sources=sources,
                     transfer=transfer)


def price_book(clients: Any | None, region: str, *, use_api: bool = True) -> PriceBook:
    """The region's prices: the API's when it answers (and ``use_api``), else the snapshot with the reason."""
    if clients is None or not use_api:
        return snapshot_book(region)
    try:
        return api_book(clients, region)
    except AwsError as exc:
        log.info("Price List API not used for %s: %s", region, exc.message)
        data = snapshot()
        return snapshot_book(region, note=f"AWS Price List API not used ({exc.message}): prices are the "
                                          f"{data['source']} of {data['as_of']}")
