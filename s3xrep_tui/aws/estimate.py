"""The estimate of a planned pair: the source's CloudWatch storage figures and the regions' prices, read, then priced.

Reads only (CloudWatch GetMetricData, the Price List API's GetProducts), each bounded. Nothing
here fails the plan: a figure that cannot be read becomes a note of the estimate ("no data",
"prices from the snapshot because ..."). :class:`PriceBooks` keeps one book per region for a
run, so a fleet of pairs asks the Price List API once per region, from any number of threads.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..core.estimate import estimate_pair, options_for
from ..core.estimate_model import Estimate, PriceBook, StorageFacts
from ..core.models import Plan, PlanInputs
from .errors import AwsError
from .pricing import price_book
from .storage_metrics import read_storage

log = logging.getLogger(__name__)


class PriceBooks:
    """One price book per region, read once (the API when it answers, else the snapshot)."""

    def __init__(self, clients: Any | None, *, use_api: bool = True) -> None:
        self.clients = clients
        self.use_api = use_api
        self._books: dict[str, PriceBook] = {}
        self._lock = threading.Lock()

    def get(self, region: str) -> PriceBook:
        with self._lock:
            book = self._books.get(region)
            if book is None:
                book = self._books[region] = price_book(self.clients, region, use_api=self.use_api)
        return book


def storage_of(clients: Any, bucket: str, region: str) -> StorageFacts:
    """The bucket's CloudWatch figures; a refusal or an unreachable CloudWatch is "no data" with the reason."""
    try:
        return read_storage(clients("cloudwatch", region), bucket, region=region)
    except AwsError as exc:
        log.info("storage metrics of %s not read: %s", bucket, exc.message)
        return StorageFacts(bucket=bucket, region=region, note=exc.message + (f" (fix: {exc.fix})" if exc.fix else ""))


def estimate_inputs(source_clients: Any, inputs: PlanInputs, *, books: PriceBooks | None = None,
                    plan: Plan | None = None, inventory: bool | None = None, athena: bool | None = None) -> Estimate:
    """The estimate of the pair ``inputs`` describes (what ``gather_inputs`` read for ``plan``, whose steps say
    whether S3 Inventory and Athena are part of it: see :func:`core.estimate.options_for`)."""
    options = options_for(inputs, steps=plan.steps if plan is not None else None, inventory=inventory, athena=athena)
    books = books or PriceBooks(source_clients)
    storage = storage_of(source_clients, inputs.source.bucket.name, options.source_region)
    source_book = books.get(options.source_region)
    destination_book = books.get(options.destination_region)
    pair = f"{inputs.source.bucket.name} → {inputs.destination.bucket.name}"
    return estimate_pair(storage, options, source_prices=source_book, destination_prices=destination_book,
                         pair=pair)
