"""Apply and undo a fleet: every pair's plan through today's ``apply_plan`` / ``undo``, a few at a time.

* Bounded concurrency: ``workers`` lanes at once (default 3). AWS's per-account limits are the bound:
  IAM's write rate is low and shared by the account, and S3 Batch Operations runs a limited number of
  jobs per account at once, so a fleet is not sent all at once. Pairs of one lane share a bucket (one
  replication configuration or bucket policy, replaced whole) and run one after another.
* The shared roles are created first, by the pair whose plan creates each (journaled in that pair's
  journal); every other pair then only adds its inline policy.
* Journaled per pair (each pair's own journal, as a single apply keeps it); a failed pair does not
  stop the others; a re-run re-plans and converges every pair (each step checks before it writes).
* Undo per pair, or of the whole migration: each lane newest pair first, the pairs that created a
  shared role last, so the role is deleted once no other pair's policy is on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..core.fleet import FleetPlan, PairPlan
from .apply import ApplyEvent, ApplyResult, Backoff, apply_plan
from .errors import AwsError, explain
from .fleet_inspect import FleetClients
from .fleet_store import FleetPair, FleetRecord, record_of, save
from .journal import Journal
from .undo import UndoItem, UndoResult, undo

FLEET_WORKERS = 3
_ROLE_CALLS = ("iam.create_role", "iam.update_assume_role_policy")

FleetProgress = Callable[[PairPlan, ApplyEvent], None]


@dataclass
class PairOutcome:
    pair: PairPlan
    result: ApplyResult | None = None
    error: str | None = None  # raised outside any step (an AWS failure explained, a skipped pair)

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None and self.result.ok

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        assert self.result is not None
        return self.result.summary()


@dataclass
class FleetResult:
    id: str
    outcomes: list[PairOutcome] = field(default_factory=list)
    record_path: Any = None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[PairOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        done = sum(1 for o in self.outcomes if o.ok)
        head = f"migration {self.id}: {done} of {len(self.outcomes)} pair(s) applied"
        if self.ok:
            return head
        return head + f", {len(self.failed)} failed: run the same command again to continue them"


def _explained(exc: Exception) -> str:
    error = exc if isinstance(exc, AwsError) else explain(exc)
    return error.message + (f" (fix: {error.fix})" if error.fix else "")


def apply_fleet(
    fleet: FleetPlan,
    clients: FleetClients,
    *,
    workers: int = FLEET_WORKERS,
    progress: FleetProgress | None = None,
    dry_run: bool = False,
    read_only: bool = False,
    cancel: threading.Event | None = None,
    backoff: Callable[[], Backoff] = Backoff,
    readback_timeout: float = 30.0,
    backfill_again: bool = False,
) -> FleetResult:
    """Apply every pair (the fleet must not be blocked unless ``dry_run``); never raises for AWS failures."""
    if fleet.blocked and not dry_run:
        raise ValueError(f"migration {fleet.id} is blocked by preflight findings; fix them and plan again")
    result = FleetResult(fleet.id)
    if not dry_run and not read_only:
        result.record_path = save(record_of(fleet))
    outcomes = {p.index: PairOutcome(p) for p in fleet.pairs}

    def run(pair: PairPlan, plan: Any) -> ApplyResult:
        def relay(event: ApplyEvent) -> None:
            if progress is not None:
                progress(pair, event)

        return apply_plan(plan, clients.for_pair(pair.spec), progress=relay, dry_run=dry_run, read_only=read_only,
                          cancel=cancel, journal=None if dry_run else Journal(plan.id), backoff=backoff(),
                          readback_timeout=readback_timeout, options=pair.options, backfill_again=backfill_again)

    # 1. the shared roles, by the pair that creates each (the others only add their inline policies)
    broken: dict[str, str] = {}
    for pair in fleet.pairs:
        steps = tuple(s for s in pair.plan.steps if s.call in _ROLE_CALLS)
        shared = [s for s in steps if any(len(r.pairs) > 1 and r.name == s.request["RoleName"] for r in fleet.roles)]
        if not shared or dry_run:
            continue
        try:
            first = run(pair, pair.plan.model_copy(update={"steps": tuple(shared)}))
            if not first.ok:
                for step in shared:
                    broken[step.request["RoleName"]] = first.summary()
        except Exception as exc:  # one pair's surprise must not stop the fleet
            for step in shared:
                broken[step.request["RoleName"]] = _explained(exc)

    # 2. the lanes, a few at a time; each lane's pairs in order
    def lane(pairs: Sequence[PairPlan]) -> None:
        for pair in pairs:
            if cancel is not None and cancel.is_set():
                outcomes[pair.index].error = "cancelled before it started: run apply again to continue"
                continue
            needs = {s.request.get("RoleName") for s in pair.plan.steps if s.call == "iam.put_role_policy"}
            if bad := sorted(needs & set(broken)):
                outcomes[pair.index].error = f"not started: shared role {bad[0]} could not be set up ({broken[bad[0]]})"
                continue
            try:
                outcomes[pair.index].result = run(pair, pair.plan)
            except Exception as exc:
                outcomes[pair.index].error = _explained(exc)

    lanes = fleet.lanes()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(lanes))), thread_name_prefix="s3xrep-fleet") as pool:
        for future in [pool.submit(lane, members) for members in lanes]:
            future.result()
    result.outcomes = [outcomes[p.index] for p in fleet.pairs]
    return result


# --- undo ------------------------------------------------------------------------------------------


@dataclass
class PairUndo:
    pair: FleetPair
    result: UndoResult | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None and self.result.ok


def undo_fleet(
    record: FleetRecord,
    clients: FleetClients,
    *,
    only: Sequence[FleetPair] | None = None,
    dry_run: bool = False,
    workers: int = FLEET_WORKERS,
    progress: Callable[[FleetPair, UndoItem], None] | None = None,
) -> list[PairUndo]:
    """Undo the migration's pairs (``only`` some of them): lanes side by side, each newest pair first,
    the lanes holding a pair that created a shared role after every other."""
    chosen = list(only) if only is not None else list(record.pairs)
    outcomes = {p.index: PairUndo(p) for p in chosen}

    def one(pair: FleetPair) -> None:
        try:
            outcomes[pair.index].result = undo(
                pair.plan_id, {"source": clients(pair.source_profile), "destination": clients(pair.destination_profile)},
                dry_run=dry_run, progress=None if progress is None else lambda item: progress(pair, item))
        except FileNotFoundError:
            outcomes[pair.index].error = f"pair {pair.label} has no journal: it was never applied, nothing to undo"
        except Exception as exc:
            outcomes[pair.index].error = _explained(exc)

    lanes: dict[int, list[FleetPair]] = {}
    for pair in sorted(chosen, key=lambda p: -p.index):  # newest first: each undo finds what it wrote
        lanes.setdefault(pair.lane, []).append(pair)
    # a lane with a pair that created a shared role waits for every other lane (their policies are on it)
    plain = [m for m in lanes.values() if not any(p.creates_roles for p in m)]
    creating = sorted((m for m in lanes.values() if any(p.creates_roles for p in m)),
                      key=lambda m: -min(p.index for p in m if p.creates_roles))
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(plain) or 1)), thread_name_prefix="s3xrep-undo") as pool:
        for future in [pool.submit(lambda members=members: [one(p) for p in members]) for members in plain]:
            future.result()
    for members in creating:
        for pair in members:
            one(pair)
    return [outcomes[p.index] for p in chosen]
