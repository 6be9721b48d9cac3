"""A new fleet migration's AWS side, for the TUI: list the buckets a map is matched against, plan the fleet
with its estimate, apply it (``aws.fleet_inspect`` / ``aws.fleet_apply``, as ``s3xrep plan/apply --map`` do).

Methods run in thread workers. Clients per profile are made once (shared by every pair and by the fleet
board opened after the apply), each following the app's read-only toggle at every call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..aws.apply import ApplyEvent, Backoff
from ..aws.fleet_apply import FLEET_WORKERS, FleetResult, apply_fleet
from ..aws.fleet_inspect import FleetClients, list_bucket_names, plan_fleet
from ..core.fleet import FleetPlan, PairPlan
from ..core.fleet_pairs import PairsFile
from ..core.models import MigrationOptions

if TYPE_CHECKING:
    from .app import S3xrepApp


class FleetPlanner:
    workers = FLEET_WORKERS  # pairs applied at once (AWS's per-account IAM and Batch Operations limits)

    def __init__(self, app: S3xrepApp, *, backoff: Callable[[], Backoff] = Backoff) -> None:
        from ..aws.clients import clients_for

        self.clients = FleetClients(lambda profile: clients_for(profile, read_only=lambda: bool(app.read_only)))
        self.backoff = backoff

    def buckets(self, profile: str | None) -> list[str]:
        """Every bucket ``profile`` lists (the new-fleet screen reads them once and matches the map as it is typed)."""
        return list_bucket_names(self.clients(profile))

    def plan(self, pairs: PairsFile, options: MigrationOptions | None = None) -> FleetPlan:
        """Every pair read and planned, with each pair's cost and time estimate and the fleet's total."""
        return plan_fleet(pairs, options or MigrationOptions(), self.clients, estimate=True)

    def apply(self, fleet: FleetPlan, progress: Callable[[PairPlan, ApplyEvent], None],
              cancel: threading.Event) -> FleetResult:
        """A few pairs at a time; a failed pair does not stop the others (never raises for AWS failures)."""
        return apply_fleet(fleet, self.clients, workers=self.workers, progress=progress, cancel=cancel,
                           backoff=self.backoff)
