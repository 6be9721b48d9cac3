"""The Preview's Cost tab for ``python -m s3xrep_tui.screenshots``: the demo's archive bucket, its estimate pinned.

The estimate's dates are the day it was made (the Price List API's read, CloudWatch's newest
datapoint, yesterday), so two days would draw two pictures: the picture shows the estimate the
sandbox gave with those dates replaced by fixed ones. ``screenshots`` passes its own helpers in
(its layer is above this one).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .core.estimate_model import Estimate, estimate_from_dict
from .demo_sandbox import start_embedded_sandbox
from .tui.app import S3xrepApp
from .tui.screens.preview import COST_TAB
from .tui.widgets.cost_panel import CostPanel

PICTURES = ("cost",)  # taken at each of screenshots.SIZES
SOURCE, DESTINATION = "acme-legacy-archive", "acme-platform-media"
TODAY, YESTERDAY = "2026-12-03", "2026-12-02"


def pinned(estimate: Estimate, today: dt.date | None = None) -> Estimate:
    """``estimate`` with today's and yesterday's dates replaced by :data:`TODAY` and :data:`YESTERDAY`."""
    day = today or dt.datetime.now(dt.UTC).date()
    text = json.dumps(estimate.as_dict())
    dates = {day.isoformat(): TODAY, (day - dt.timedelta(days=1)).isoformat(): YESTERDAY}
    # one pass: replaced in turn, the day after TODAY would become TODAY and then YESTERDAY
    text = re.sub("|".join(map(re.escape, dates)), lambda found: dates[found.group(0)], text)
    return estimate_from_dict(json.loads(text))


async def cost_shots(out: Path, size: tuple[int, int], save: Callable[[Any, Path, str], Awaitable[Path]],
                     until: Callable[[Any, Callable[[], bool], str], Awaitable[None]]) -> list[Path]:
    """The Cost tab of the archive bucket's plan on the demo."""
    app = S3xrepApp(demo=True, start_sandbox=start_embedded_sandbox)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.source is not None and app.destination is not None, "the demo identities")
        app.source_bucket, app.destination_bucket = SOURCE, DESTINATION
        app.goto("options")
        options: Any = app.screen
        await until(pilot, lambda: options.plan is not None and not options.gathering, "the plan")
        await pilot.press("p")
        await until(pilot, lambda: hasattr(app.screen, "tab_ids"), "the preview")
        preview: Any = app.screen
        preview.action_show_pane(COST_TAB)
        await until(pilot, lambda: preview.estimate is not None, "the estimate")
        panel = preview.query_one(CostPanel)
        panel.show(pinned(preview.estimate))
        return [await save(pilot, out, "cost")]
