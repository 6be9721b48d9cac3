"""``s3xrep repair``: replicate exactly the versions verify finds missing, with a Batch Replication job.

Verifies the applied plan's pair (every difference), writes the missing versions
as a CSV manifest under our prefix, and runs a Batch Replication job on them;
versions a job cannot replicate by design are listed with their reason instead.
Re-checks each version on the destination and goes again (``--max-rounds``).
Without ``--yes`` it previews the documents and asks for the source bucket's
name; ``--dry-run`` previews and sends nothing. Journaled in the plan's journal:
``s3xrep undo PLAN_ID`` cancels a repair job still running and deletes the
manifest objects. Exit 0 clean, 1 versions still missing (or mismatched), 2 bad
arguments or no confirmation, 3 blocked (no applied plan, no Batch role).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.text import safe
from .apply import _stdin_is_terminal, progress_line
from .plan import EXIT_BLOCKED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_migration_arguments, options_from_args
from .report import plan_id_arg

PROG = "s3xrep repair"
SHOWN = 20  # not-repairable versions listed in text output


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "repair",
        help="replicate exactly the versions verify finds missing (a CSV manifest and a Batch Replication job)",
    )
    add_migration_arguments(parser)
    parser.add_argument("--plan", type=plan_id_arg, metavar="PLAN_ID",
                        help="the applied plan to repair (default: the plan of these buckets and options)")
    parser.add_argument("--yes", action="store_true", help="repair without asking for the typed confirmation")
    parser.add_argument("--dry-run", action="store_true", help="verify and preview the manifest and job; send nothing")
    parser.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                        help="verify and preview, but refuse every write")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--wait", type=float, default=900.0, metavar="SECONDS",
                        help="how long each round waits for its job (default 900)")
    parser.add_argument("--max-rounds", type=int, default=3, metavar="N",
                        help="jobs to run at most while versions are still missing (default 3)")
    parser.set_defaults(handler=run)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {safe(message)}", file=sys.stderr)
    return code


def _one_line(exc: BaseException) -> tuple[str, bool]:
    from ..aws.errors import AwsError, explain

    error = exc if isinstance(exc, AwsError) else explain(exc)
    return error.message + (f" (fix: {error.fix})" if error.fix else ""), error.bad_argument


def _print_preview(docs: Any, rows: int, out: Any = None) -> None:
    out = out or sys.stdout
    print(f"Manifest s3://{docs.bucket}/{docs.key} ({rows} version(s)), first lines:", file=out)
    for line in docs.head():
        print(f"    {line}", file=out)
    print(f"Inline policy s3xrep-repair-manifest of role {docs.role}:", file=out)
    print("    " + json.dumps(docs.role_policy, indent=2).replace("\n", "\n    "), file=out)
    print("create_job request:", file=out)
    print("    " + json.dumps(docs.job_request, indent=2, default=str).replace("\n", "\n    "), file=out)


def _not_repairable_lines(items: list[Any]) -> list[str]:
    lines = [f"Not repaired ({len(items)}): a job cannot replicate these" if items else ""]
    for item in items[:SHOWN]:
        lines.append(f"    {item.outcome:<22} {item.key}  (version {item.version_id})")
        lines.append(f"    {'':<22} {item.reason}")
    if len(items) > SHOWN:
        lines.append(f"    ... and {len(items) - SHOWN} more (--json lists every one)")
    return [line for line in lines if line]


def _confirm(source_bucket: str, rows: int) -> bool:
    print(f"\nThis uploads one manifest and starts a Batch Replication job on {rows} version(s).")
    print(f"Type the source bucket's name ({source_bucket}) to repair, anything else to cancel: ", end="", flush=True)
    try:
        return sys.stdin.readline().strip() == source_bucket
    except (OSError, ValueError):
        return False


def _show_only(args: argparse.Namespace, plan_id: str, candidates: Any, docs: Any) -> int:
    """Dry run, read-only, or nothing to replicate: what round 1 would write, nothing sent."""
    rows, skipped = candidates.rows, candidates.not_repairable
    if docs is not None and not args.json:
        print(("Dry run, nothing is sent. " if args.dry_run else "Read-only: nothing is sent. ")
              + "Round 1 would write:")
        _print_preview(docs, len(rows))
    if args.json:
        data: dict[str, Any] = {"plan_id": plan_id, "before": candidates.missing, "manifest_rows": len(rows),
                                "not_repairable": [n.as_dict() for n in skipped], "dry_run": True}
        if docs is not None:
            data.update(manifest=f"s3://{docs.bucket}/{docs.key}", manifest_head=docs.head(),
                        job_request=docs.job_request, role_policy=docs.role_policy)
        print(json.dumps(data, indent=2, default=str))
    clean = not rows and all(n.by_design for n in skipped)
    return EXIT_OK if clean or args.dry_run else EXIT_FAILURE


def _outcome(args: argparse.Namespace, plan_id: str, result: Any) -> int:
    """Before and after, the undo command; the exit code."""
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
    else:
        print(f"Before: {result.before} missing or mismatched. After: {result.after} "
              f"({result.repaired} of {len(result.rows)} replicated by {len(result.rounds)} job(s)).")
        print(f"Undo with: s3xrep undo {plan_id}")
    if result.error is not None:
        return _fail(result.error.message + (f" (fix: {result.error.fix})" if result.error.fix else ""), EXIT_FAILURE)
    if result.cancelled:
        return _fail("cancelled", EXIT_FAILURE)
    if not result.clean:
        return _fail(f"{result.after} version(s) still missing or mismatched on the destination", EXIT_FAILURE)
    return EXIT_OK


def run(args: argparse.Namespace) -> int:  # noqa: C901  (one command's flow, step by step)
    from ..core.names import check_bucket_name

    try:
        options = options_from_args(args)
        check_bucket_name(args.source[1])
        check_bucket_name(args.dest[1])
        if not args.wait >= 0:
            raise ValueError("--wait must be 0 or more seconds")
        if args.max_rounds < 1:
            raise ValueError("--max-rounds must be 1 or more")
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    read_only = bool(getattr(args, "read_only", False))
    if not (args.yes or args.dry_run or read_only) and not _stdin_is_terminal():
        return _fail("stdin is not a terminal, so the typed confirmation cannot be asked: pass --yes to repair",
                     EXIT_USAGE)

    from ..aws.clients import clients_for
    from ..aws.inspect import gather_inputs
    from ..aws.journal import Journal
    from ..aws.repair import find_candidates, preview, repair, stamp_now
    from ..core.plan import build_plan

    (source_profile, source_bucket), (dest_profile, dest_bucket) = args.source, args.dest
    try:
        clients = {"source": clients_for(source_profile), "destination": clients_for(dest_profile)}
        plan = build_plan(gather_inputs(clients["source"], clients["destination"], source_bucket, dest_bucket,
                                        options))
    except Exception as exc:  # noqa: BLE001  AwsError and anything boto3 raises: one line
        message, bad = _one_line(exc)
        return _fail(message, EXIT_USAGE if bad else EXIT_FAILURE)
    if args.plan and args.plan != plan.id:
        return _fail(f"--plan {args.plan} is not the plan of these buckets and options ({plan.id}): pass the "
                     "options the plan was applied with", EXIT_USAGE)
    journal = Journal(plan.id)
    try:
        applied = journal.exists()
    except OSError as exc:
        return _fail(f"cannot read the journal of plan {plan.id}: {exc}", EXIT_FAILURE)
    if not applied:
        return _fail(f"plan {plan.id} was never applied here (no journal): run s3xrep apply first", EXIT_BLOCKED)
    if not plan.documents.get("batch_job"):
        return _fail("the plan has no Batch Replication job, so no Batch role to repair with: plan without "
                     "--no-existing", EXIT_BLOCKED)
    try:
        candidates = find_candidates(plan, clients, options)
    except Exception as exc:  # noqa: BLE001
        message, bad = _one_line(exc)
        return _fail(message, EXIT_USAGE if bad else EXIT_FAILURE)

    rows, skipped = candidates.rows, candidates.not_repairable
    stamp = stamp_now()
    docs = preview(plan, options, rows, stamp=stamp) if rows else None
    text: list[str] = [f"Plan {plan.id}: verify found {candidates.missing} version(s) missing or mismatched; "
                       f"{len(rows)} to replicate, {len(skipped)} a job cannot replicate"]
    if not args.json:
        print(safe("\n".join(text + _not_repairable_lines(skipped)), newlines=True))
    if docs is None or args.dry_run or read_only:
        return _show_only(args, plan.id, candidates, docs)
    if not args.yes:
        _print_preview(docs, len(rows))
        if not _confirm(source_bucket, len(rows)):
            return _fail("not confirmed: nothing was changed", EXIT_USAGE)

    def show(event: Any) -> None:
        line = None if args.json else progress_line(event)
        if line:
            print(line, flush=True)

    def shown(round_: Any) -> None:
        if not args.json:
            print(safe(f"round {round_.number}: job {round_.job_id} {round_.status} ({round_.succeeded} succeeded, "
                       f"{round_.failed} failed); {round_.repaired} of {round_.rows} now on the destination"
                       + (f"; {round_.note}" if round_.note else "")), flush=True)

    result = repair(plan, clients, candidates, options=options, progress=show, journal=journal, wait=args.wait,
                    max_rounds=args.max_rounds, stamp=stamp, on_round=shown)
    return _outcome(args, plan.id, result)
