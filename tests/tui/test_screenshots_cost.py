"""The Cost picture's dates are pinned whatever day it is taken on."""

from __future__ import annotations

import datetime as dt

import pytest

from s3xrep_tui.core.estimate_model import Estimate
from s3xrep_tui.screenshots_cost import TODAY, YESTERDAY, pinned


@pytest.mark.parametrize("today", [dt.date(2027, 3, 1), dt.date.fromisoformat(TODAY) + dt.timedelta(days=1),
                                   dt.date.fromisoformat(TODAY)])
def test_today_and_yesterday_become_the_fixed_days(today: dt.date) -> None:
    # the day after TODAY once came out as YESTERDAY (replaced to TODAY, then TODAY to YESTERDAY)
    yesterday = today - dt.timedelta(days=1)
    estimate = Estimate(pairs=("a → b",), items=(), objects=1, bytes=1, backfill_seconds=1.0, rate=1.0,
                        rate_source="", storage_as_of=yesterday.isoformat(),
                        prices=(f"AWS Price List API ({today.isoformat()})",))
    shown = pinned(estimate, today)
    assert shown.prices == (f"AWS Price List API ({TODAY})",)
    assert shown.storage_as_of == YESTERDAY
