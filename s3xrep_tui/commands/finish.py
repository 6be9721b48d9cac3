"""``s3xrep finish PLAN_ID``: take a completed migration's replication plumbing down; the data stays.

Shows first, as a table (element, account, action, why), what goes (our rules,
roles, policy statements and whatever else the journal says we created) and
what stays (every object, every foreign rule and statement, versioning, the
destination's encryption and ownership), then asks for ``finish`` to be typed
(``--yes`` skips that; a terminal is required otherwise). ``--dry-run`` and
``--read-only`` show the table and change nothing.

Finish is for a migration that is cut over (``s3xrep cutover`` journals that);
``--not-cut-over`` goes on without it, with a warning. It refuses while versions
of the source are still PENDING replication unless ``--allow-pending``.

Exit codes: 0 finished (or nothing to do); 1 something was not removed (each
with its reason); 2 bad arguments; 3 blocked (not cut over, replication
pending, a damaged journal): nothing was changed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.text import safe
from ._teardown import add_journal_options, bad_skip_record, fail, failed, open_journal, waiting
from .plan import EXIT_BLOCKED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE

PROG = "s3xrep finish"
CONFIRM_WORD = "finish"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("finish", help="decommission a completed migration: plumbing down, data stays")
    parser.add_argument("plan_id", metavar="PLAN_ID", help="the plan id apply printed")
    parser.add_argument("--yes", action="store_true", help="finish without asking")
    parser.add_argument("--dry-run", action="store_true", help="show what goes and what stays; change nothing")
    parser.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,  # not to hide `s3xrep --read-only`
                        help="read the current state but refuse every write (the same as --dry-run here)")
    parser.add_argument("--not-cut-over", action="store_true",
                        help="finish although the journal has no cut-over record (applications must not use the "
                             "source any more)")
    parser.add_argument("--allow-pending", action="store_true",
                        help="finish although versions of the source are still PENDING replication")
    add_journal_options(parser, "go on without this damaged journal line (repeatable)")
    parser.set_defaults(handler=run)


def _fail(message: str, code: int) -> int:
    return fail(PROG, message, code)


def table_lines(rows: list[Any]) -> list[str]:
    """The goes/stays table, escaped for a terminal."""
    lines = [f"  {'ACTION':<12}{'ACCOUNT':<13}{'ELEMENT':<58}WHY"]
    for row in rows:
        lines.append(safe(f"  {row.action:<12}{row.account:<13}{row.element:<58}{row.why}"))
    return lines


def _blocked(blockers: list[tuple[str, str]]) -> int:
    for message, fix in blockers:
        print(f"{PROG}: blocked: {safe(message)} (fix: {safe(fix)})", file=sys.stderr)
    return EXIT_BLOCKED


def _show(result: Any) -> None:
    for warning in result.warnings:
        print(f"{PROG}: warning: {safe(warning)}", file=sys.stderr)
    if result.rows:
        print("\n".join(table_lines(result.rows)))


def _confirm() -> bool:
    print(f"Type '{CONFIRM_WORD}' to remove what is marked 'remove' above, anything else to cancel: ",
          end="", flush=True)
    return sys.stdin.readline().strip() == CONFIRM_WORD


def _check(args: argparse.Namespace) -> str | None:
    from ..aws.journal import check_plan_id

    try:
        check_plan_id(args.plan_id)
    except ValueError as exc:
        return str(exc)
    return bad_skip_record(args.skip_record)


def _refusal(exc: Any) -> str:
    return (f"{exc}: finish works from the record of what apply did and does not start (nothing was changed); "
            "see s3xrep undo --help for --skip-record")


def run(args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem:
        return _fail(problem, EXIT_USAGE)
    show_only = args.dry_run or bool(getattr(args, "read_only", False))
    opened = open_journal(PROG, args, _refusal, verb="finish", asks=not (args.yes or show_only))
    if isinstance(opened, int):
        return opened
    from ..aws.finish import FinishBlocked, finish, why

    path, clients, skips = opened
    kwargs = {"not_cut_over": args.not_cut_over, "allow_pending": args.allow_pending, "skip_records": skips}
    try:
        preview = finish(args.plan_id, clients, dry_run=True, **kwargs)
        print(f"Finish plan {args.plan_id} (journal {path})" + (": dry run, nothing is changed" if show_only else ""))
        if preview.already_finished or preview.undone:
            print(safe(preview.summary()))
            return EXIT_OK
        _show(preview)
        if show_only:
            if preview.blockers:
                return _blocked(preview.blockers)
            failed_read = any(item.status == "failed" for item in preview.items)
            return _fail("the dry run could not read everything it needed", EXIT_FAILURE) if failed_read else EXIT_OK
        if preview.blockers:
            return _blocked(preview.blockers)
        if not args.yes and not _confirm():
            return _fail("not confirmed: nothing was changed", EXIT_USAGE)
        result = finish(args.plan_id, clients, **kwargs,
                        progress=lambda item: print(safe(f"  {item.status:<10} {why(item)}"), flush=True),
                        on_wait=waiting)
    except FinishBlocked as exc:
        return _blocked(exc.blockers)
    except Exception as exc:  # noqa: BLE001  AwsError and anything boto3 raises: one line, no traceback
        return failed(PROG, exc)
    print(safe(result.summary()))
    if not result.ok:
        return _fail("some elements were not removed (see 'skipped'/'failed' above); run finish again once fixed",
                     EXIT_FAILURE)
    print(f"Finished at {result.finished_at}; the journal {result.journal_path} records what was removed and what "
          "stays (s3xrep report shows it)")
    return EXIT_OK
