"""The way back: replication from the destination to the source for a rollback window.

The reverse is the same migration in the other direction, so it is planned by the same
``core.plan.build_plan`` with the sides swapped: a replication role in the destination account
(created and tagged ours by apply), a statement in the source bucket policy letting it write
replicas (merged by Sid, in the reverse pair's own Sid family, so the forward statements and
the write freeze are foreign to it and kept), and a rule on the destination bucket to the source
(merged with any rules there). It replicates new writes only (no Batch backfill: what is in
the destination came from the source or is new since cut-over). It has its own plan id and
journal: ``s3xrep undo REVERSE_PLAN_ID`` takes it down; rolling back is ``s3xrep cutover``
with ``--source`` and ``--dest`` swapped.

Loop prevention is S3's: a version that arrived by replication reads ``REPLICA`` and is not
replicated again by the rule going the other way. With ``replica_modifications`` both rules get
``SourceSelectionCriteria.ReplicaModifications`` so metadata changes made to replicas sync back
(S3 User Guide, "Replicating metadata changes with replica modification sync": enable it on both).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.models import MigrationOptions, Plan, PlanInputs
from ..core.plan import build_plan
from .clients import Clients
from .inspect import gather_inputs


def reverse_options(options: MigrationOptions, *, replica_modifications: bool | None) -> MigrationOptions:
    """The forward options mirrored: same scope, metrics and alarms choice, no backfill, no replica key, our
    default names. The forward topic is in the other account, so the way back gets its own (or EventBridge)."""
    return MigrationOptions(
        prefix=options.prefix,
        tags=options.tags,
        delete_markers=options.delete_markers,
        rtc=options.rtc,
        metrics=options.metrics,
        alarms=options.alarms,  # a forward --no-alarms means none on the way back either
        alarm_failed_threshold=options.alarm_failed_threshold,
        alarm_latency_seconds=options.alarm_latency_seconds,
        alarm_email=options.alarm_email,
        alarm_eventbridge=options.alarm_eventbridge,
        replicate_existing=False,  # nothing to backfill (and so no Batch role)
        replica_modifications=replica_modifications,
    )


def swapped(clients: Mapping[str, Clients]) -> dict[str, Clients]:
    """The clients by side of the reverse plan (its source is the forward destination)."""
    return {"source": clients["destination"], "destination": clients["source"]}


def reverse_inputs(plan: Plan, clients: Mapping[str, Clients], options: MigrationOptions, *,
                   replica_modifications: bool | None) -> PlanInputs:
    back = swapped(clients)
    return gather_inputs(back["source"], back["destination"], plan.destination.name, plan.source.name,
                         reverse_options(options, replica_modifications=replica_modifications))


def plan_reverse(plan: Plan, clients: Mapping[str, Clients], options: MigrationOptions, *,
                 replica_modifications: bool | None = None) -> tuple[Plan, PlanInputs]:
    """The reverse plan (destination -> source) and its inputs, read now."""
    inputs = reverse_inputs(plan, clients, options, replica_modifications=replica_modifications)
    return build_plan(inputs), inputs
