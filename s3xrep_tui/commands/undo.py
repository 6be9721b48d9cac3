"""``s3xrep undo PLAN_ID``: restore what ``apply`` replaced, from the plan's journal.

Reopens the profiles the journal names (``--source-profile``/``--dest-profile``
override them). Without ``--yes`` it shows what it would do and asks for
``undo`` to be typed (a terminal is required). ``--dry-run`` reads the current
state and says what would be restored, changing nothing.

The journal is verified first (a checksum per record): with damaged lines undo
does not start, names them, and exits 3; ``--skip-record LINE`` (repeatable)
names the damaged lines to go without, and then the run exits 1 at best, since
what they recorded is not restored.

Exit codes: 0 everything restored (or nothing needed it); 1 something was not
restored (a document changed since apply, a role still named by a policy, a
skipped damaged line, a failed call; each with its reason); 2 bad arguments; 3
refused: the journal is damaged (nothing was changed). A ``--dry-run`` exits 0
when the dry run itself succeeded (it read what it needed), whatever it
reports would not be restored; 1 when a call failed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.text import safe
from ._teardown import add_journal_options, bad_skip_record, fail, failed, open_journal, stdin_is_terminal, waiting
from .plan import EXIT_FAILURE, EXIT_OK, EXIT_USAGE

PROG = "s3xrep undo"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("undo", help="restore the documents an apply replaced (from its journal)")
    parser.add_argument("plan_id", metavar="PLAN_ID", nargs="?", help="the plan id apply printed")
    parser.add_argument("--migration", metavar="ID", help="undo a fleet migration's pairs (apply --pairs printed the id)")
    parser.add_argument("--pair", action="append", default=[], metavar="N|PLAN_ID|SOURCE",
                        help="with --migration: only this pair (repeatable)")
    parser.add_argument("--yes", action="store_true", help="undo without asking")
    parser.add_argument("--dry-run", action="store_true", help="say what would be restored; change nothing")
    add_journal_options(parser, "go on without this damaged journal line (repeatable; undo names them when it refuses)")
    parser.set_defaults(handler=run)


def _fail(message: str, code: int) -> int:
    return fail(PROG, message, code)


def _refusal(exc: Any) -> str:
    lines = " ".join(f"--skip-record {d.line}" for d in exc.damaged)
    return (f"{exc}. Undo restores from the record of what apply did, and that record is incomplete, so it does "
            f"not start (nothing was changed). Look at those lines; to undo the rest anyway pass {lines} (what "
            "they recorded is then not restored, and undo exits 1)")


def _line(item: Any) -> str:
    text = f"  {item.status:<13} {item.account:<11} {item.call:<29} {item.message}"
    return safe(text + (f" (fix: {item.fix})" if item.fix and item.status in ("skipped", "failed", "note") else ""))


def run(args: argparse.Namespace) -> int:
    from ..aws.journal import check_plan_id

    if args.migration or args.pair:
        from .fleet_watch import run_undo

        if args.plan_id or not args.migration:
            return _fail("give PLAN_ID for one pair, or --migration ID [--pair N] for a fleet", EXIT_USAGE)
        return run_undo(args, stdin_is_terminal())
    try:
        if args.plan_id is None:
            raise ValueError("the following arguments are required: PLAN_ID (or --migration ID)")
        check_plan_id(args.plan_id)
        problem = bad_skip_record(args.skip_record)
        if problem:
            raise ValueError(problem)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    opened = open_journal(PROG, args, _refusal, verb="undo", asks=not (args.yes or args.dry_run))
    if isinstance(opened, int):
        return opened
    from ..aws.undo import undo

    path, clients, skips = opened
    try:
        if not args.yes and not args.dry_run:
            preview = undo(args.plan_id, clients, dry_run=True, skip_records=skips)
            print(f"Undo plan {args.plan_id} (journal {path}):")
            for item in preview.items:
                print(_line(item))
            if not preview.items:
                print("  nothing to undo")
                return EXIT_OK
            print("Type 'undo' to restore the documents above, anything else to cancel: ", end="", flush=True)
            if sys.stdin.readline().strip() != "undo":
                return _fail("not confirmed: nothing was changed", EXIT_USAGE)
        print(f"Undo plan {args.plan_id}" + (" (dry run: nothing is changed)" if args.dry_run else ""))
        result = undo(args.plan_id, clients, dry_run=args.dry_run, skip_records=skips,
                      progress=lambda item: print(_line(item), flush=True), on_wait=waiting)
    except Exception as exc:  # AwsError and anything boto3 raises: one line, no traceback
        return failed(PROG, exc)
    print(safe(result.summary(), newlines=True))
    print(f"Journal: {result.journal_path}")
    if args.dry_run:  # the dry run succeeded unless a call failed; what it would skip is reported above
        if any(item.status == "failed" for item in result.items):
            return _fail("the dry run could not read everything it needed (see 'failed' above)", EXIT_FAILURE)
        return EXIT_OK
    if not result.ok:
        return _fail("some documents were not restored (see 'skipped'/'failed' above)", EXIT_FAILURE)
    return EXIT_OK
