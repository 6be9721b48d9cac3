"""``s3xrep cutover --reverse``: plan and apply replication from the destination back to the source.

The reverse plan is built by the same planner with the sides swapped (:mod:`..aws.reverse`):
its steps are shown, then applied after the typed confirmation (the source bucket's name:
the bucket that will receive the replicas). With ``--replica-modifications`` the forward rule
is converged first so that both rules sync replica changes. Exit 0 applied, 1 a step failed,
2 not confirmed, 3 the reverse plan is blocked by preflight.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.text import safe
from .apply import progress_line
from .plan import EXIT_BLOCKED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE

PROG = "s3xrep cutover --reverse"


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {safe(message)}", file=sys.stderr)
    return code


def _steps(plan: Any) -> list[str]:
    return [f"    {s.account:<11} {s.call:<29} {s.action:<6} {s.summary}" for s in plan.steps]


def run_reverse(args: argparse.Namespace, options: Any, clients: Any, inputs: Any, plan: Any, *,
                read_only: bool) -> int:
    from ..aws.apply import apply_plan
    from ..aws.reverse import plan_reverse, swapped

    modifications = bool(options.replica_modifications)
    # None (neither flag): the reverse rule keeps what it has, as the forward one does
    reverse, reverse_inputs = plan_reverse(plan, clients, options, replica_modifications=options.replica_modifications)
    forward_change = modifications and any(s.call == "s3.put_bucket_replication" and s.action != "no-op"
                                           for s in plan.steps)
    blocking = [f for f in reverse.findings if f.severity == "blocking"]
    lines = [f"Reverse plan {reverse.id}: {plan.destination.name} -> {plan.source.name}"
             + (" (replica modification sync on both rules)" if modifications else "")]
    lines += _steps(reverse)
    if forward_change:
        lines.append(f"  and the forward rule on {plan.source.name} gets ReplicaModifications Enabled")
    for finding in reverse.findings:
        lines.append(f"  [{finding.severity}] {finding.message} (fix: {finding.fix})")
    if not args.json:
        print(safe("\n".join(lines), newlines=True))
    if blocking:
        return _fail("the reverse plan is blocked: " + blocking[0].message, EXIT_BLOCKED)
    if args.dry_run or read_only:
        if args.json:
            print(json.dumps({"reverse_plan_id": reverse.id, "steps": [s.model_dump() for s in reverse.steps],
                              "dry_run": True}, indent=2, default=str))
        return EXIT_OK
    if not args.yes:
        print(f"\nThis lets {plan.destination.name} replicate back into {plan.source.name} (a rollback window).")
        print(f"Type the source bucket's name ({plan.source.name}) to go ahead, anything else to cancel: ",
              end="", flush=True)
        try:
            confirmed = sys.stdin.readline().strip() == plan.source.name
        except (OSError, ValueError):
            confirmed = False
        if not confirmed:
            return _fail("not confirmed: nothing was changed", EXIT_USAGE)

    def show(event: Any) -> None:
        line = None if args.json else progress_line(event)
        if line:
            print(line, flush=True)

    results = []
    if forward_change:
        results.append(apply_plan(plan, clients, progress=show, options=options))
    if all(r.ok for r in results):
        results.append(apply_plan(reverse, swapped(clients), progress=show, options=reverse_inputs.options))
    failed = next((r for r in results if not r.ok), None)
    if args.json:
        print(json.dumps({"reverse_plan_id": reverse.id, "ok": failed is None,
                          "undo": f"s3xrep undo {reverse.id}"}, indent=2))
    if failed is not None:
        step = next((s for s in failed.steps if s.status == "failed"), None)
        why = step.message if step is not None else "a step did not finish"
        return _fail(f"{why}; what was applied is journaled (s3xrep undo {failed.plan_id})", EXIT_FAILURE)
    if not args.json:
        print(safe(f"Replication {plan.destination.name} -> {plan.source.name} is on (plan {reverse.id}). "
                   f"Take it down with: s3xrep undo {reverse.id}. Roll back with s3xrep cutover, --source and --dest "
                   "swapped, and --no-existing (the options the way back was planned with)."))
    return EXIT_OK
