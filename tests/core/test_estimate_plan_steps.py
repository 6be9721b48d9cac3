"""The estimate prices S3 Inventory and Athena only when the plan sets them up (its steps say so).

The Cost tab used to count the inventory's line items for every plan: ``inventory`` is
``"auto"``/``"on"``/``"off"``, and any of those strings read as true.
"""

from __future__ import annotations

import pytest

from s3xrep_tui.core.estimate import estimate_pair, options_for, plan_uses
from s3xrep_tui.core.estimate_model import PriceBook, StorageFacts
from s3xrep_tui.core.inventory_plan import INVENTORY_AUTO_OBJECTS
from s3xrep_tui.core.models import Step
from s3xrep_tui.core.plan import build_plan
from tests.core.conftest import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, make_facts, make_inputs

PRICES = {"batch.job": 0.25, "batch.objects": 1.0, "batch.manifest": 0.015, "put.STANDARD": 0.005,
          "storage.STANDARD": 0.023, "inventory": 0.0025, "athena.scanned": 5.0}
BOOK = PriceBook(region="us-east-1", prices=PRICES, source="price snapshot", as_of="2026-12-03")
STORAGE = StorageFacts(bucket="acme-legacy-media", objects=2_000_000, bytes_by_class={"STANDARD": 1024**4},
                       as_of="2026-12-02")
REPORTS = {"inventory_source_bucket": "src-reports", "inventory_destination_bucket": "dst-reports",
           "source_inventory_reports": make_facts("src-reports", SOURCE_ACCOUNT),
           "destination_inventory_reports": make_facts("dst-reports", DESTINATION_ACCOUNT)}


def _item_ids(inputs, plan) -> set[str]:  # type: ignore[no-untyped-def]
    options = options_for(inputs, steps=plan.steps)
    return {item.id for item in estimate_pair(STORAGE, options, source_prices=BOOK, pair="a → b").items}


@pytest.mark.parametrize("mode", ["off", "auto"])
def test_a_plan_without_inventory_steps_has_no_inventory_or_athena_line_items(mode: str) -> None:
    inputs = make_inputs(inventory=mode, **REPORTS)  # auto: the object counts are not known, so off
    plan = build_plan(inputs)
    assert plan_uses(plan.steps) == (0, False)
    ids = _item_ids(inputs, plan)
    assert "batch.objects" in ids  # the estimate itself is there
    assert "inventory" not in ids and "athena.scanned" not in ids
    assert not options_for(inputs).inventory  # without the steps: as the plan decides it


def test_a_plan_with_inventory_steps_prices_a_report_per_configured_bucket() -> None:
    for inputs in (make_inputs(inventory="on", **REPORTS),
                   make_inputs(source=make_facts(object_count=INVENTORY_AUTO_OBJECTS), **REPORTS)):
        plan = build_plan(inputs)
        assert plan_uses(plan.steps) == (2, False)
        options = options_for(inputs, steps=plan.steps)
        assert options.inventory and options.inventory_reports == 2 and not options.athena
        assert options_for(inputs).inventory  # the plan's own decision, when the steps are not passed
        items = {i.id: i for i in estimate_pair(STORAGE, options, source_prices=BOOK, pair="a → b").items}
        assert items["inventory"].cost == pytest.approx(2 * 2 * 0.0025)  # 2 million objects, 2 reports
        assert "athena.scanned" not in items


def test_athena_is_priced_only_when_the_steps_create_it() -> None:
    inputs = make_inputs(inventory="on", **REPORTS)
    steps = list(build_plan(inputs).steps) + [
        Step(id="athena-01-create-work-group", account="source", call="athena.create_work_group", action="create",
             summary="the workgroup", request={})]
    assert plan_uses(steps) == (2, True)
    options = options_for(inputs, steps=steps)
    assert options.athena
    ids = {item.id for item in estimate_pair(STORAGE, options, source_prices=BOOK, pair="a → b").items}
    assert {"inventory", "athena.scanned"} <= ids
