"""``s3xrep report``: one page for a stakeholder about a migration.

    s3xrep report PLAN_ID [--format md|html] [--out FILE] [--source-profile P] [--dest-profile P]

What was replicated where and when, the documents applied (before/after), the
Batch job's figures and failures by code, the last verify and canary results
(recorded by ``s3xrep verify`` / ``s3xrep canary`` and the TUI). Markdown goes
to stdout unless ``--out`` is given; HTML (self-contained, printable) goes to
``--out`` or ``data_dir()/reports/PLAN_ID.html``. Files are 0600.

Exit codes: 0 the migration is complete and the last verification found
nothing that matters; 1 it is not complete, or verify found differences that
matter (the report is still written); 2 bad arguments or an unknown plan.
Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..core.text import safe

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def plan_id_arg(text: str) -> str:
    """argparse type for a plan id (``verify --plan``, ``canary --plan``)."""
    from ..aws.journal import check_plan_id

    try:
        return check_plan_id(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "report",
        help="write a one-page migration report (Markdown or HTML): what, where, when, documents, job, verify, canary",
    )
    parser.add_argument("plan_id", type=plan_id_arg, metavar="PLAN_ID", nargs="?",
                        help="the plan id apply printed (see the journal directory)")
    parser.add_argument("--migration", metavar="ID", help="one report covering every pair of a fleet migration")
    parser.add_argument("--format", choices=("md", "html"), default="md", help="md (default) or html")
    parser.add_argument("--out", metavar="FILE", help="write here (0600); default: Markdown to stdout, "
                        "HTML to the data directory's reports/")
    parser.add_argument("--source-profile", metavar="P", default=None,
                        help="profile to read the Batch jobs with (default: the one the journal recorded)")
    parser.add_argument("--dest-profile", metavar="P", default=None,
                        help="accepted for symmetry; the report reads nothing with the destination's credentials")
    parser.add_argument("--examples", type=int, default=5, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def _usage(message: str) -> int:
    print(f"s3xrep report: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    from ..aws.migration_report import (
        UnknownPlan,
        default_report_path,
        gather_report,
        render,
        write_report_file,
    )

    if args.migration or args.plan_id is None:
        if args.migration and args.plan_id is None:
            from .fleet_watch import run_report

            return run_report(args)
        return _usage("give PLAN_ID for one pair, or --migration ID for a fleet")
    out = Path(args.out) if args.out else None
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        return _usage(f"--out {args.out}: " + ("is a directory" if out.is_dir() else "its folder does not exist"))
    try:
        report = gather_report(args.plan_id, source_profile=args.source_profile, examples=args.examples)
    except UnknownPlan as exc:
        return _usage(str(exc))
    except Exception as exc:  # noqa: BLE001  a bug or an unreadable file: one line
        return _fail(exc)
    text = render(report, args.format)
    if out is None and args.format == "md":
        sys.stdout.write(safe(text, newlines=True))  # keys and AWS's messages in it are foreign
    else:
        try:
            path = write_report_file(out or default_report_path(args.plan_id, args.format), text)
        except OSError as exc:
            return _fail(exc)
        print(f"{path}")
    verdict = "complete" if report.ok else report.status
    if report.complete and not report.ok:
        verdict = f"complete, but verify found {report.verify_differences:,} difference(s) that matter"
    print(f"s3xrep report: {args.plan_id}: {verdict}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILURE


def _fail(exc: BaseException) -> int:
    from ..aws.errors import AwsError

    if isinstance(exc, AwsError):
        text = exc.message + (f" (fix: {exc.fix})" if exc.fix else "")
    else:
        text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else str(exc)
    print(f"s3xrep report: {safe(text)}", file=sys.stderr)
    return EXIT_USAGE if getattr(exc, "bad_argument", False) else EXIT_FAILURE
