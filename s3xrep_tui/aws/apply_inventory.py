"""apply's S3 Inventory configuration step (a mixin of apply's executor, like ``apply_job``).

The configuration there is read first: ours already (no-op), none (journaled with
``before=None``: undo deletes it), or another with our Id, which is replaced only
when the plan adopts it (the plan blocks otherwise; a configuration that appeared
since the plan is refused here too). The journal entry keeps the Id (``inventory_id``)
so undo and finish reverse exactly this configuration.
"""

from __future__ import annotations

from typing import Any

from ..core.models import Step
from .apply_result import Outcome
from .backoff import ABSENT
from .errors import AwsError
from .inventory_reports import NO_CONFIGURATION


class InventoryStep:
    """The put_bucket_inventory_configuration step; the attributes below are the executor's."""

    plan: Any
    side: Any
    call: Any
    write: Any
    region_of: Any

    def inventory_configuration(self, step: Step) -> Outcome:
        side = self.side(step.account)
        request = step.request
        bucket, config_id = request["Bucket"], request["Id"]
        owner = request.get("ExpectedBucketOwner", side.account_id)
        wanted = request["InventoryConfiguration"]
        region = self.region_of(step.account)
        s3 = side.clients("s3", region)
        answer = self.call(
            side, f"s3.get_bucket_inventory_configuration {config_id!r} on bucket {bucket!r}",
            lambda: s3.get_bucket_inventory_configuration(Bucket=bucket, Id=config_id, ExpectedBucketOwner=owner),
            absent=NO_CONFIGURATION,
        )
        current = None if answer is ABSENT else answer.get("InventoryConfiguration")
        if current == wanted:
            return Outcome("no-op", f"inventory {config_id} of {bucket} already as planned")
        if current is not None and step.action != "update":  # only an adopting plan replaces one
            raise AwsError(
                f"{bucket} got an inventory configuration {config_id!r} since the plan was made: refusing to "
                "replace a configuration this plan did not write",
                "run the plan again (it shows the configuration; --adopt takes it over)", "InventoryTaken")
        self.write(side, step, call=step.call, target=f"bucket {bucket}", region=region, before=current, after=wanted,
                   send=lambda: s3.put_bucket_inventory_configuration(**request), extra={"inventory_id": config_id})
        return Outcome("done", f"inventory {config_id} of {bucket} {'updated' if current else 'created'}: the first "
                               "report comes within 48 hours")
