"""``s3xrep cutover``: the go/no-go checklist, the cut-over, lifting its freeze, and the way back.

* ``--check``: the checklist with each item's measured value; exit 0 go, 1 blocked (or unknown).
* no mode flag: the cut-over. Refused (exit 3) while an item other than the backlog and the
  verify is not green (the final drain and the final verify take care of those two). After the
  typed confirmation (the destination bucket's name, or ``--yes``): the write freeze with
  ``--freeze`` (journaled; ``--allow-writer ARN`` spares more principals), the final drain
  (bounded by ``--drain-timeout``), the final verify, and the journal's record of it all.
  Exit 0 done, 1 the drain timed out or the final verify is not clean.
* ``--lift-freeze``: takes exactly our freeze statement out of the source bucket policy.
* ``--reverse``: plans and applies replication destination -> source for a rollback window
  (its own plan and journal; with ``--replica-modifications`` both rules sync replica changes).
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

PROG = "s3xrep cutover"
HANDLED_BY_THE_CUTOVER = frozenset({"backlog", "verify"})  # the final drain and final verify see to these


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("give a number of seconds above 0")
    return value


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("cutover", help="go/no-go checklist, cut-over (write freeze, final drain, final verify), "
                            "and replication back for a rollback window")
    add_migration_arguments(parser)
    parser.add_argument("--plan", type=plan_id_arg, metavar="PLAN_ID",
                        help="the applied plan (default: the plan of these buckets and options)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only show the go/no-go checklist (exit 0 go, 1 blocked)")
    mode.add_argument("--lift-freeze", action="store_true", help="take our write freeze off the source again")
    mode.add_argument("--reverse", action="store_true",
                      help="replicate the destination back to the source (a rollback window)")
    parser.add_argument("--freeze", action="store_true",
                        help="deny object writes on the source to all but the replication roles (journaled)")
    parser.add_argument("--allow-writer", action="append", default=[], metavar="PRINCIPAL_ARN",
                        help="a principal the freeze spares (repeatable)")
    parser.add_argument("--max-verify-age", type=_seconds, default=24 * 3600.0, metavar="SECONDS",
                        help="a clean verify must be newer than this (default 86400)")
    parser.add_argument("--latency-goal", type=_seconds, default=900.0, metavar="SECONDS",
                        help="the canary's round trip must be within this (default 900, RTC's 15 minutes)")
    parser.add_argument("--drain-timeout", type=_seconds, default=900.0, metavar="SECONDS",
                        help="how long the final drain waits for the backlog (default 900)")
    parser.add_argument("--period", type=int, default=60, metavar="SECONDS",
                        help="CloudWatch period the backlog is read in (default 60)")
    parser.add_argument("--sample", type=int, default=1000, metavar="N",
                        help="versions whose ReplicationStatus is sampled (default 1000)")
    parser.add_argument("--yes", action="store_true", help="no typed confirmation")
    parser.add_argument("--dry-run", action="store_true", help="show the checklist and what would be done; send nothing")
    parser.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                        help="measure, but refuse every write")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {safe(message)}", file=sys.stderr)
    return code


def _one_line(exc: BaseException) -> tuple[str, bool]:
    from ..aws.errors import AwsError, explain
    from ..core.merge import MergeError

    if isinstance(exc, MergeError):
        return f"{exc.message} (fix: {exc.fix})", False
    error = exc if isinstance(exc, AwsError) else explain(exc)
    return error.message + (f" (fix: {error.fix})" if error.fix else ""), error.bad_argument


def _confirm(what: str, name: str) -> bool:
    print(f"\n{what}")
    print(f"Type the bucket's name ({name}) to go ahead, anything else to cancel: ", end="", flush=True)
    try:
        return sys.stdin.readline().strip() == name
    except (OSError, ValueError):
        return False


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.json:
        print(safe(text, newlines=True), flush=True)


def _context(args: argparse.Namespace) -> Any:
    """(options, clients, inputs, plan) of the applied plan; raises ValueError / AwsError."""
    from ..aws.clients import clients_for
    from ..aws.inspect import gather_inputs
    from ..core.plan import build_plan

    options = options_from_args(args)
    (source_profile, source_bucket), (dest_profile, dest_bucket) = args.source, args.dest
    clients = {"source": clients_for(source_profile), "destination": clients_for(dest_profile)}
    inputs = gather_inputs(clients["source"], clients["destination"], source_bucket, dest_bucket, options)
    return options, clients, inputs, build_plan(inputs)


def run(args: argparse.Namespace) -> int:  # noqa: C901  (one command's modes, one after the other)
    from ..core.freeze import check_exempt
    from ..core.names import check_bucket_name

    try:
        check_bucket_name(args.source[1])
        check_bucket_name(args.dest[1])
        allow = check_exempt(args.allow_writer)
        if args.period < 1 or args.sample < 1:
            raise ValueError("--period and --sample must be 1 or more")
        options_from_args(args)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    read_only = bool(getattr(args, "read_only", False))
    writes = not (args.check or args.dry_run or read_only)
    if writes and not args.yes and not _stdin_is_terminal():
        return _fail("stdin is not a terminal, so the typed confirmation cannot be asked: pass --yes", EXIT_USAGE)
    from ..aws.journal import Journal

    try:
        options, clients, inputs, plan = _context(args)
    except Exception as exc:  # noqa: BLE001  AwsError and anything boto3 raises: one line
        message, bad = _one_line(exc)
        return _fail(message, EXIT_USAGE if bad else EXIT_FAILURE)
    if args.plan and args.plan != plan.id:
        return _fail(f"--plan {args.plan} is not the plan of these buckets and options ({plan.id}): pass the "
                     "options the plan was applied with", EXIT_USAGE)
    journal = Journal(plan.id)
    if not journal.exists():
        return _fail(f"plan {plan.id} was never applied here (no journal): run s3xrep apply first", EXIT_BLOCKED)
    try:
        if args.lift_freeze:
            return _lift(args, plan, clients, journal, read_only)
        if args.reverse:
            from ._cutover_reverse import run_reverse

            return run_reverse(args, options, clients, inputs, plan, read_only=read_only)
        return _cutover(args, options, clients, inputs, plan, journal, allow, read_only)
    except Exception as exc:  # noqa: BLE001  an AWS failure or a refused merge mid-way: one line, no traceback
        message, bad = _one_line(exc)
        return _fail(message, EXIT_USAGE if bad else EXIT_FAILURE)


def _lift(args: argparse.Namespace, plan: Any, clients: Any, journal: Any, read_only: bool) -> int:
    from ..aws.cutover_run import lift_freeze_now

    if not args.yes and not read_only and not args.dry_run and not _confirm(
            f"This lifts the write freeze from {plan.source.name}.", plan.source.name):
        return _fail("not confirmed: nothing was changed", EXIT_USAGE)
    if args.dry_run:
        _say(args, f"Dry run: would lift the write freeze from {plan.source.name}")
        return EXIT_OK
    message = lift_freeze_now(plan, clients, journal=journal, read_only=read_only)
    print(json.dumps({"plan_id": plan.id, "lifted": message}) if args.json else safe(message))
    reverse = _applied_reverse(plan)
    if reverse and not args.json:  # its undo knows the freeze went (aws.undo_cutover.freeze_lifted_since)
        print(safe(f"note: the way back ({reverse}) is still up: s3xrep undo {reverse} takes it down "
                   "(the freeze stays lifted)"))
    return EXIT_OK


def _applied_reverse(plan: Any) -> str | None:
    """The id of this plan's way back when its journal has writes not undone, else None."""
    from ..aws.journal import Journal
    from ..aws.results import plan_id_for
    from ..aws.undo import pending_writes

    reverse = plan_id_for(plan.destination_account.id, plan.destination.name, plan.source_account.id,
                          plan.source.name)
    journal = Journal(reverse)
    try:
        return reverse if journal.exists() and pending_writes(journal.read()) else None
    except (OSError, ValueError):
        return None


def _cutover(args: argparse.Namespace, options: Any, clients: Any, inputs: Any, plan: Any, journal: Any,
             allow: tuple[str, ...], read_only: bool) -> int:
    from ..aws.cutover import measure
    from ..aws.cutover_run import planned_freeze, run_cutover
    from ..core.cutover import checklist_lines

    checklist = measure(plan, inputs, clients, options=options, max_verify_age=args.max_verify_age,
                        latency_goal=args.latency_goal, sample=args.sample, period=args.period, journal=journal)
    if args.check:
        print(json.dumps(checklist.as_dict(), indent=2) if args.json else safe("\n".join(checklist_lines(checklist)),
                                                                               newlines=True))
        return EXIT_OK if checklist.go else EXIT_FAILURE
    _say(args, "\n".join(checklist_lines(checklist)))
    refusing = [item for item in checklist.blocking if item.id not in HANDLED_BY_THE_CUTOVER]
    if refusing:
        return _fail("no-go: " + "; ".join(f"{i.label}: {i.blocks or i.measured}" for i in refusing), EXIT_BLOCKED)
    if args.freeze:
        _say(args, "The write freeze statement (merged into the source bucket policy by Sid):\n"
             + json.dumps(planned_freeze(plan, allow), indent=2))
    if args.dry_run or read_only:
        _say(args, ("Dry run" if args.dry_run else "Read-only") + ": nothing sent. The cut-over would "
             + ("freeze the source, " if args.freeze else "") + "drain the backlog and verify once more.")
        return EXIT_OK
    if not args.yes and not _confirm(
            f"This cuts over {plan.source.name} -> {plan.destination.name}"
            + (" and freezes object writes on the source" if args.freeze else "") + ".", plan.destination.name):
        return _fail("not confirmed: nothing was changed", EXIT_USAGE)
    def shown(p: Any) -> None:
        _say(args, f"drain: {p.operations or 0:.0f} operation(s), {p.bytes or 0:.0f} byte(s) pending in CloudWatch, "
             f"{p.pending_sampled} PENDING sampled ({p.elapsed:.0f} s)")

    done = run_cutover(plan, clients, checklist, options=options, freeze_writes=args.freeze, allow=allow,
                       drain_timeout=args.drain_timeout, period=args.period, sample=args.sample, on_progress=shown,
                       journal=journal)
    if done.froze:
        _say(args, done.froze)
    entry, drained, report = done.entry, done.drained, done.verify
    outcome = {"plan_id": plan.id, "at": entry["at"], "green": entry["green"], "frozen": args.freeze,
               "drained": drained.drained, "verify_ok": None if report is None else report.ok}
    if args.json:
        print(json.dumps(outcome, indent=2))
    if not drained.drained:
        return _fail(f"the backlog did not drain within {args.drain_timeout:g} s; the cut-over is recorded as not "
                     "drained" + (" and the source stays frozen (--lift-freeze lifts it)" if args.freeze else ""),
                     EXIT_FAILURE)
    if report is not None and not report.ok:
        return _fail(f"the final verify found {report.summary.mattering} difference(s) that matter: run s3xrep "
                     "repair, then cut over again", EXIT_FAILURE)
    _say(args, f"Cut-over recorded at {entry['at']} (green: {', '.join(entry['green'])}). Applications may now use "
         f"{plan.destination.name}." + (" The source is frozen: s3xrep cutover ... --lift-freeze lifts it."
                                        if args.freeze else "")
         + " A way back: s3xrep cutover ... --reverse.")
    return EXIT_OK


__all__ = ["add_parser", "progress_line", "run"]
