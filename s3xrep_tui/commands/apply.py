"""``s3xrep apply``: plan, confirm, then run the steps with a journal.

Without ``--yes`` it shows the plan and asks for the source bucket's name to be
typed (a terminal is required for that). ``--dry-run`` prints each call and its
document and sends nothing; ``--read-only`` refuses every write. ``--backfill-again`` starts a fresh Batch job
(objects still NONE or FAILED) when this plan's earlier job already ended. Exit 0 when
every step is done or already held, 1 when a step failed (re-running continues
from it), 2 on bad arguments or no confirmation, 3 when preflight blocks.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.text import safe
from .plan import (
    EXIT_BLOCKED,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    add_migration_arguments,
    options_from_args,
)

PROG = "s3xrep apply"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "apply",
        help="plan, confirm and apply: versioning, roles, policies, replication, Batch job (journaled, undoable)",
    )
    add_migration_arguments(parser, fleet=True)
    parser.add_argument("--yes", action="store_true", help="apply without asking for the typed confirmation")
    parser.add_argument("--dry-run", action="store_true", help="print each call and its document; send nothing")
    parser.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,  # not to hide `s3xrep --read-only`
                        help="read the current state but refuse every write (the same as s3xrep --read-only apply)")
    parser.add_argument("--backfill-again", action="store_true",
                        help="when this plan's Batch Replication job already ended, start a fresh one for the "
                        "objects still NONE or FAILED (after an undo apply does this by itself)")
    parser.add_argument("--iam-wait", type=float, default=60.0, metavar="SECONDS",
                        help="how long to keep retrying calls while a new IAM role propagates or AWS throttles "
                        "(default 60)")
    parser.set_defaults(handler=run)


def _stdin_is_terminal() -> bool:
    try:
        return bool(sys.stdin) and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {safe(message)}", file=sys.stderr)
    return code


def progress_line(event: Any) -> str | None:
    """One terminal line per progress event ("start" events print nothing); AWS's words escaped."""
    line = _progress_line(event)
    return None if line is None else safe(line)


def _progress_line(event: Any) -> str | None:
    step = event.step
    head = f"{event.position} {step.account:<11} {step.call:<29} {step.action:<6} ..."
    if event.status == "start":
        return None
    if event.status == "waiting":
        delay = f", next try in {event.delay:.1f}s" if event.delay is not None else ""
        return f"{head} waiting ({event.message}{delay})"
    if event.status == "info":
        return f"{head} note: {event.message}"
    if event.status == "failed":
        return f"{head} FAILED: {event.message}" + (f" (fix: {event.fix})" if event.fix else "")
    if event.status == "dry-run":
        return f"{head} dry run: would send {step.call}"
    return f"{head} {event.status}" + (f": {event.message}" if event.message else "")


def _print_dry_run(event: Any) -> None:
    print(progress_line(event), flush=True)
    request = event.payload or {}
    if event.step.document:
        print(f"    document: {event.step.document}")
    print("    " + json.dumps(request, indent=2, default=str).replace("\n", "\n    "))


def _confirm(plan: Any) -> bool:
    print(f"\nThis applies {sum(1 for s in plan.steps if s.action != 'no-op')} change(s) to two AWS accounts.")
    print(f"Type the source bucket's name ({plan.source.name}) to apply, anything else to cancel: ", end="", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip() == plan.source.name


def run(args: argparse.Namespace) -> int:
    from ..core.names import check_bucket_name
    from .fleet import check_single, is_fleet, run_apply

    try:
        check_single(args, PROG)
        options = options_from_args(args)
        if args.iam_wait < 0:
            raise ValueError("--iam-wait must be 0 or more seconds")
        if is_fleet(args):
            return run_apply(args, options, terminal=_stdin_is_terminal(), progress_line=progress_line)
        check_bucket_name(args.source[1])
        check_bucket_name(args.dest[1])
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if not (args.yes or args.dry_run or args.read_only) and not _stdin_is_terminal():
        return _fail("stdin is not a terminal, so the typed confirmation cannot be asked: pass --yes to apply", EXIT_USAGE)

    from ..aws.apply import Backoff, apply_plan
    from ..aws.clients import clients_for
    from ..aws.errors import AwsError, explain
    from ..aws.inspect import gather_inputs
    from ..core.plan import build_plan
    from .plan import render_text

    (source_profile, source_bucket), (dest_profile, dest_bucket) = args.source, args.dest
    try:
        clients = {"source": clients_for(source_profile), "destination": clients_for(dest_profile)}
        inputs = gather_inputs(clients["source"], clients["destination"], source_bucket, dest_bucket, options)
        plan = build_plan(inputs)
    except Exception as exc:  # AwsError and anything boto3 raises: one line, no traceback
        error = exc if isinstance(exc, AwsError) else explain(exc)
        return _fail(error.message + (f" (fix: {error.fix})" if error.fix else ""),
                     EXIT_USAGE if error.bad_argument else EXIT_FAILURE)

    if plan.blocked:
        print(render_text(plan))
        return _fail(f"plan {plan.id} is blocked by preflight: fix the BLOCKING findings, then run apply again",
                     EXIT_BLOCKED)

    if args.dry_run:
        print(f"Plan {plan.id}: dry run, nothing is sent")
        apply_plan(plan, clients, dry_run=True, progress=_print_dry_run)
        return EXIT_OK

    if not (args.yes or args.read_only):
        print(render_text(plan))
        if not _confirm(plan):
            return _fail("not confirmed: nothing was changed", EXIT_USAGE)

    print(f"Plan {plan.id}: {len(plan.steps)} step(s)" + (" (read-only: no writes)" if args.read_only else ""))

    def show(event: Any) -> None:
        line = progress_line(event)
        if line:
            print(line, flush=True)

    backoff = Backoff(total=args.iam_wait, first=min(1.0, args.iam_wait) if args.iam_wait else 0.0)
    result = apply_plan(plan, clients, progress=show, read_only=args.read_only, backoff=backoff, options=options,
                         backfill_again=args.backfill_again)
    print(safe(result.summary(), newlines=True))
    if result.job_id:
        print(f"Batch Replication job: {result.job_id} (follow it with: s3xrep jobs)")
    print(f"Plan id: {plan.id}")
    if result.journal_path is not None and result.journal_path.exists():
        print(f"Journal: {result.journal_path}")
        print(f"Undo with: s3xrep undo {plan.id}")
    if result.failed is not None:
        error = result.error
        return _fail(
            f"step {result.failed.step.id} failed: {error.message if error else result.failed.message}"
            + (f" (fix: {error.fix})" if error and error.fix else "")
            + "; run the same command again to continue from there",
            EXIT_FAILURE,
        )
    return EXIT_OK
