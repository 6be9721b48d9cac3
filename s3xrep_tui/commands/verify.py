"""``s3xrep verify``: compare both buckets' version listings and report what did not arrive.

Exit 0 when nothing is missing or mismatched, 1 when something that matters
differs (or AWS could not be read), 2 on bad arguments. One line on errors, no
traceback; progress goes to stderr only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.humanize import size
from ..core.text import safe
from ._status_line import StatusLine
from .plan import endpoint_spec
from .report import plan_id_arg

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_LIMIT = 20


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--limit {text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("--limit must be 0 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--athena-timeout {text!r} is not a number of seconds") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError("--athena-timeout must be more than 0 and at most 86400 seconds (a day)")
    return value


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "verify",
        help="compare source and destination versions (key and version id) and report what did not replicate",
    )
    parser.add_argument("--source", type=endpoint_spec, metavar="PROFILE:BUCKET")
    parser.add_argument("--dest", type=endpoint_spec, metavar="PROFILE:BUCKET")
    parser.add_argument("--migration", metavar="ID", help="verify every pair of a fleet migration (instead of "
                        "--source/--dest)")
    parser.add_argument("--prefix", default="", help="compare only keys under this prefix")
    parser.add_argument("--json", action="store_true", help="print one JSON object (every difference unless --limit)")
    parser.add_argument("--limit", type=_limit, metavar="N",
                        help=f"show the first N differences of each kind (default {DEFAULT_LIMIT}; with --json: all)")
    parser.add_argument("--inventory", action="store_true",
                        help="compare both buckets' newest complete S3 Inventory reports (DuckDB, on this machine) "
                             "instead of listing every version")
    parser.add_argument("--engine", choices=("duckdb", "athena"), default="duckdb",
                        help="where --inventory compares: duckdb (this machine, default) or athena (the source "
                             "account's Athena: makes a Glue database, two tables and a workgroup, journaled and "
                             "undoable, and is billed per byte scanned; implies --inventory)")
    parser.add_argument("--athena-timeout", type=_seconds, default=1800.0, metavar="SECONDS",
                        help="how long one Athena query may run before it is stopped (default 1800)")
    parser.add_argument("--plan", type=plan_id_arg, metavar="PLAN_ID",
                        help="record the result for this plan's report (default: the applied plan of these buckets)")
    parser.set_defaults(handler=run)


class _Progress(StatusLine):
    """``compared N versions (R/s)`` on one line of stderr, only when stderr is a terminal."""

    def __call__(self, progress: Any) -> None:
        if progress.done:
            return
        self.show(
            f"compared {progress.compared:,} versions "
            f"(listed {progress.source_listed:,} + {progress.destination_listed:,}, {progress.rate:,.0f}/s)"
        )


def run(args: argparse.Namespace) -> int:
    from ..core.names import check_bucket_name

    if args.migration:
        from .fleet_watch import run_verify

        if args.source or args.dest:
            print("s3xrep verify: give --source/--dest for one pair, or --migration ID, not both", file=sys.stderr)
            return EXIT_USAGE
        return run_verify(args)
    try:
        missing = [name for name, value in (("--source", args.source), ("--dest", args.dest)) if not value]
        if missing:
            raise ValueError(f"the following arguments are required: {', '.join(missing)} (or --migration ID)")
        check_bucket_name(args.source[1])
        check_bucket_name(args.dest[1])
    except ValueError as exc:
        print(f"s3xrep verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    limit = args.limit if args.limit is not None else (None if args.json else DEFAULT_LIMIT)
    progress = _Progress()
    try:
        report = _verify(args.source, args.dest, args.prefix, limit, progress, inventory=args.inventory,
                         athena=_athena_options(args))
    except Exception as exc:  # noqa: BLE001  AwsError, a listing out of order, anything boto3 raises: one line
        progress.clear()
        print(f"s3xrep verify: {safe(_one_line(exc))}", file=sys.stderr)
        return EXIT_USAGE if _bad_argument(exc) else EXIT_FAILURE
    finally:
        progress.clear()
    print(json.dumps(report.as_dict(), indent=2, default=str) if args.json else render_text(report))
    from ..aws.results import record_verify_for

    record_verify_for(report.as_dict(), getattr(args, "plan", None))  # for 's3xrep report' (never fails verify)
    return EXIT_OK if report.ok else EXIT_FAILURE


def _verify(source: tuple[str | None, str], dest: tuple[str | None, str], prefix: str, limit: int | None,
            progress: Any, *, inventory: bool = False, athena: dict[str, Any] | None = None) -> Any:
    from ..aws.clients import clients_for
    from ..aws.verify import verify_replication

    (source_profile, source_bucket), (dest_profile, dest_bucket) = source, dest
    if athena is not None:
        from ..aws.athena_verify import verify_with_athena

        return verify_with_athena(clients_for(source_profile), clients_for(dest_profile), source_bucket, dest_bucket,
                                  prefix=prefix, limit=limit, progress=progress.show, **athena)
    if inventory:
        from ..aws.inventory_verify import verify_from_inventory

        return verify_from_inventory(clients_for(source_profile), clients_for(dest_profile), source_bucket,
                                     dest_bucket, prefix=prefix, limit=limit, progress=progress.show)
    return verify_replication(clients_for(source_profile), clients_for(dest_profile), source_bucket, dest_bucket,
                              prefix=prefix, limit=limit, progress=progress)


def _athena_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """The Athena engine's arguments (None: DuckDB or listing); read-only is refused by the setup's first write."""
    if getattr(args, "engine", "duckdb") != "athena":
        return None
    return {"plan_id": getattr(args, "plan", None), "read_only": bool(getattr(args, "read_only", False)),
            "timeout": args.athena_timeout}


def _one_line(exc: BaseException) -> str:
    from ..aws.errors import AwsError, explain
    from ..core.verify import ListingOrderError

    if isinstance(exc, ListingOrderError):
        return str(exc)
    error = exc if isinstance(exc, AwsError) else explain(exc)
    return error.message + (f" (fix: {error.fix})" if error.fix else "")


def _bad_argument(exc: BaseException) -> bool:
    """An unknown profile and the like: the README's exit 2."""
    from ..aws.errors import AwsError, explain
    from ..core.verify import ListingOrderError

    return not isinstance(exc, ListingOrderError) and (exc if isinstance(exc, AwsError) else explain(exc)).bad_argument


def _line(result: Any) -> str:
    return f"    {result.outcome.value:<29} {result.key}  (version {result.version_id})\n" \
           f"    {'':<29} {result.reason}"


def render_text(report: Any) -> str:
    summary = report.summary
    scope = f" under {report.prefix!r}" if report.prefix else ""
    lines = [
        (f"Verify {report.source_bucket} (account {report.source_account}, {report.source_region}) -> "
         f"{report.destination_bucket} (account {report.destination_account}, {report.destination_region}){scope}"),
    ]
    inventories = getattr(report, "inventories", None)
    if inventories:
        lines.append(f"  from S3 Inventory: source as of {inventories[0].as_of}, destination as of {inventories[1].as_of}")
    if getattr(report, "projection", None) is not None:  # the Athena engine
        lines.append(f"  in Athena (workgroup {report.workgroup}): {report.queries} quer{'y' if report.queries == 1 else 'ies'}, "
                     f"{size(report.scanned_bytes, grouping=True)} scanned")
        lines.append(f"  projected at {report.projection.text()}")
    if report.rules >= 0:
        lines.append(f"  {report.rules} enabled replication rule{'s' if report.rules != 1 else ''} to the destination")
    for note in summary.notes:
        lines.append(f"  note: {note}")
    rate = summary.compared / report.seconds if report.seconds > 0 else 0.0
    lines += [
        f"  compared {summary.compared:,} versions in {report.seconds:.2f}s ({rate:,.0f}/s)",
        f"  source       {summary.source_versions:>10,} versions  {size(summary.source_bytes, grouping=True)}",
        f"  destination  {summary.destination_versions:>10,} versions  {size(summary.destination_bytes, grouping=True)}",
        "",
    ]
    for outcome, count in summary.counts.items():
        if count:
            tag = "  (matters)" if outcome.matters else ""
            lines.append(f"  {outcome.value:<29} {count:>10,}{tag}")
    statuses = getattr(report, "replication_status", None)
    if statuses:
        shown = ", ".join(f"{status} {n:,}" for status, n in sorted(statuses.items()))
        lines.append(f"  {'replication status (source)':<29} {shown}")
    if summary.etag_differs_expected:
        lines.append(f"  {'ETags differ as expected':<29} {summary.etag_differs_expected:>10,}  "
                     "(KMS, multipart or destination re-encryption; reference 7.2)")
    for title, kept, total in (
        ("Differences that matter", summary.differences, summary.mattering),
        ("Expected differences", summary.expected, summary.expected_differences),
    ):
        if not total:
            continue
        shown = f"first {len(kept)} of {total:,}" if len(kept) < total else f"{total:,}"
        lines += ["", f"{title} ({shown})"]
        lines += [_line(result) for result in kept]
    lines.append("")
    if summary.ok:
        lines.append("OK: nothing missing or mismatched.")
    else:
        lines.append(f"FAILED: {summary.mattering:,} version(s) missing or mismatched on the destination. "
                     "Versions written before the rule need Batch Replication (s3xrep apply); "
                     "FAILED ones need their cause fixed (s3xrep canary, s3xrep jobs) and a Batch job for FAILED.")
    return safe("\n".join(lines), newlines=True)  # keys and version ids are the other account's
