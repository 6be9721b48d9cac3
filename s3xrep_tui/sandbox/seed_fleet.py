"""The fleet demo (issue 20): five more buckets in the legacy account, their counterparts in the platform account.

Seeded on top of the demo world (``Sandbox(seed="fleet")``, ``s3xrep sandbox --seed fleet``), so the
demo's first pair, ``acme-legacy-media`` -> ``acme-platform-media``, stays the default, and
``--map 'acme-legacy-*=acme-platform-*'`` finds the media pair plus these five.
Kept apart from ``seed.py`` so the single-pair demo (and its tests) stay as they are.
"""

from __future__ import annotations

import datetime as dt
import random

from .seed import DESTINATION, SOURCE, _make_bucket, _put, _s3

FLEET = ("orders", "invoices", "logs", "assets", "backups")
_START = dt.datetime(2023, 1, 2, 8, 0, 0)


def fleet_names(count: int | None = None) -> list[str]:
    """The fleet's pair names: the five of the demo, or ``count`` numbered ones (the benchmark's 200)."""
    return list(FLEET) if count is None else [f"app{i:03d}" for i in range(count)]


def seed_fleet(region: str = "us-east-1", *, count: int | None = None, objects: int = 12) -> dict[str, int]:
    """``acme-legacy-NAME`` (some unversioned, so the plan enables versioning) with a few objects each, and an
    empty versioned, BucketOwnerEnforced ``acme-platform-NAME`` per pair. Object counts per source bucket."""
    rng = random.Random(20261203)
    backend = _s3(SOURCE)
    counts = {}
    for n, name in enumerate(fleet_names(count)):
        source = f"acme-legacy-{name}"
        _make_bucket(SOURCE, source, region, versioned=n % 2 == 0)
        for i in range(objects):
            key = f"{name}/{2023 + i % 3}/item-{i:04d}.json"
            body = (f'{{"bucket": "{name}", "item": {i}}}\n' * rng.randint(2, 40)).encode()
            _put(backend, source, key, body, _START + dt.timedelta(hours=n * 24 + i), content_type="application/json")
        counts[source] = objects
        destination = _make_bucket(DESTINATION, f"acme-platform-{name}", region, versioned=True)
        destination.ownership_rule = "BucketOwnerEnforced"
    return counts
