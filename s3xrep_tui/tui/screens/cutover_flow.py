"""The cut-over screen's work off the UI thread: what it measures and runs, through the aws layer.

:func:`targets` is read on the UI thread (the plan, both accounts' clients, the options,
read-only mode); :func:`measure_now` and :func:`cut_over` run in thread workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ...aws.cutover import measure
from ...aws.cutover_run import DrainProgress, planned_freeze, run_cutover
from ...aws.errors import AwsError, explain
from ...aws.inspect import gather_inputs
from ...aws.journal import Journal
from ...core.cutover import Checklist
from ...core.merge import MergeError

HANDLED_BY_THE_CUTOVER = frozenset({"backlog", "verify"})  # the final drain and the final verify see to these
DRAIN_TIMEOUT = 900.0
# The replication metrics' period the checklist's backlog and the final drain read (S3 publishes them per
# minute); tests turn it down: a minute's Maximum holds the last peak until a later minute has a datapoint.
METRICS_PERIOD = 60


def targets(app: Any) -> tuple[Any, dict[str, Any], Any, bool]:
    """On the UI thread: the applied plan, both accounts' clients, the options and read-only mode."""
    plan = app.plan
    if plan is None:
        raise ValueError("the cut-over needs the applied plan: go back to Preview and Apply first")
    clients = {"source": app.clients("source"), "destination": app.clients("destination")}
    return plan, clients, app.options, bool(getattr(app, "read_only", False))


def may_cut_over(checklist: Checklist) -> bool:
    return all(item.green or item.id in HANDLED_BY_THE_CUTOVER for item in checklist.items)


def measure_now(target: tuple[Any, dict[str, Any], Any, bool]) -> Checklist:
    """In a thread: the facts read again, then every checklist item measured."""
    plan, clients, options, _ = target
    if not Journal(plan.id).exists():
        raise AwsError(f"plan {plan.id} was never applied here (no journal)", "apply it first", "NotApplied")
    inputs = gather_inputs(clients["source"], clients["destination"], plan.source.name, plan.destination.name,
                           options)
    return measure(plan, inputs, clients, options=options, period=METRICS_PERIOD)


def freeze_document(plan: Any) -> dict[str, Any]:
    return planned_freeze(plan)


def steps_text(plan: Any, freeze: bool) -> str:
    steps = [f"Cut over {plan.source.name} -> {plan.destination.name}:"]
    if freeze:
        steps.append(f"  1. freeze object writes on {plan.source.name} (a Deny statement merged into its bucket "
                     "policy; s3xrep undo or cutover --lift-freeze takes it off)")
    steps.append(f"  {len(steps)}. wait until nothing is pending replication (at most {DRAIN_TIMEOUT:.0f} s)")
    steps.append(f"  {len(steps)}. verify both buckets once more")
    steps.append(f"  {len(steps)}. record the cut-over and what was green in the journal")
    return "\n".join(steps)


def one_line(exc: BaseException) -> str:
    if isinstance(exc, MergeError):
        return f"{exc.message} (fix: {exc.fix})"
    error = exc if isinstance(exc, AwsError) else explain(exc)
    return error.message + (f" (fix: {error.fix})" if error.fix else "")


def cut_over(target: tuple[Any, dict[str, Any], Any, bool], freeze: bool, say: Callable[[str], None],
             cancel: threading.Event, checklist: Checklist) -> tuple[str, bool]:
    """In a thread: the cut-over; returns (what happened, ok)."""
    plan, clients, options, read_only = target

    def progress(p: DrainProgress) -> None:
        say(f"final drain: {p.operations or 0:.0f} operation(s) and {p.bytes or 0:.0f} byte(s) pending, "
            f"{p.pending_sampled} PENDING sampled ({p.elapsed:.0f} s)")

    done = run_cutover(plan, clients, checklist, options=options, freeze_writes=freeze, drain_timeout=DRAIN_TIMEOUT,
                       period=METRICS_PERIOD, on_progress=progress, cancel=cancel, read_only=read_only)
    if not done.drained.drained:
        return (f"the backlog did not drain within {DRAIN_TIMEOUT:.0f} s (recorded as not drained)"
                + ("; the source stays frozen" if freeze else ""), False)
    if not done.ok:
        return (f"the final verify found {done.verify.summary.mattering} difference(s) that matter: repair them, "
                "then cut over again", False)
    return (f"cut-over recorded at {done.entry['at']} (green: {', '.join(done.entry['green'])}); "
            f"applications may use {plan.destination.name}. A way back: s3xrep cutover --reverse", True)
