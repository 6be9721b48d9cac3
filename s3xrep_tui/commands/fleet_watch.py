"""The whole migration at once: ``undo --migration``, ``jobs --migration``, ``verify --migration``,
``report --migration`` (issue 20). Each pair is what today's command does for one pair; these go over
every pair of the migration's record (``aws.fleet_store``) and add one line of totals.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..core.text import safe

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_BLOCKED = 0, 1, 2, 3


def migration_arg(text: str) -> str:
    from ..aws.journal import check_plan_id

    try:
        return check_plan_id(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a migration id (apply --pairs prints it)") from None


def _fail(prog: str, message: str, code: int) -> int:
    print(f"{prog}: {safe(message)}", file=sys.stderr)
    return code


def _record(prog: str, mid: str) -> Any:
    from ..aws.fleet_store import load

    try:
        return load(mid)
    except (FileNotFoundError, ValueError) as exc:
        print(f"{prog}: {safe(str(exc))}", file=sys.stderr)
        return None


def _clients() -> Any:
    from ..aws.fleet_inspect import FleetClients

    return FleetClients()


# --- undo ------------------------------------------------------------------------------------------


def run_undo(args: argparse.Namespace, terminal: bool) -> int:
    prog = "s3xrep undo"
    from ..aws.fleet_apply import undo_fleet

    record = _record(prog, args.migration)
    if record is None:
        return EXIT_USAGE
    only = None
    if args.pair:
        only = []
        for key in args.pair:
            found = record.pair(key)
            if found is None:
                return _fail(prog, f"--pair {key}: migration {record.id} has no such pair (give its number, plan id "
                             "or source bucket; `s3xrep jobs --migration ID` lists them)", EXIT_USAGE)
            only.append(found)
    if not (args.yes or args.dry_run) and not terminal:
        return _fail(prog, "stdin is not a terminal, so the confirmation cannot be asked: pass --yes to undo",
                     EXIT_USAGE)
    chosen = only or list(record.pairs)
    if not (args.yes or args.dry_run):
        print(f"Undo {len(chosen)} pair(s) of migration {record.id}:")
        for pair in chosen:
            print(safe(f"  {pair.index:>3} {pair.label}  (plan {pair.plan_id})"))
        print("Type 'undo' to restore what apply replaced for these pairs, anything else to cancel: ", end="",
              flush=True)
        if sys.stdin.readline().strip() != "undo":
            return _fail(prog, "not confirmed: nothing was changed", EXIT_USAGE)
    lock = threading.Lock()

    def show(pair: Any, item: Any) -> None:
        with lock:
            print(safe(f"[{pair.index:>3}] {item.status:<13} {item.call:<29} {item.message}"), flush=True)

    results = undo_fleet(record, _clients(), only=only, dry_run=args.dry_run, progress=show)
    for outcome in results:
        text = outcome.error or (outcome.result.summary() if outcome.result else "")
        print(safe(f"  {outcome.pair.index:>3} {'ok    ' if outcome.ok else 'NOT OK'} {outcome.pair.label}: {text}",
                   newlines=True))
    bad = [o for o in results if not o.ok]
    print(f"migration {record.id}: {len(results) - len(bad)} of {len(results)} pair(s) undone"
          + (" (dry run)" if args.dry_run else ""))
    return EXIT_FAILURE if bad else EXIT_OK


# --- jobs ------------------------------------------------------------------------------------------


def _percent(fraction: float | None) -> str:
    return "  -  " if fraction is None else f"{fraction * 100:4.0f}%"


def status_lines(rows: list[Any], totals: Any) -> list[str]:
    lines = [f"  {'#':>3}  {'source':<28} {'destination':<28} {'state':<12} {'job':<10} {'done':>5} {'failed':>6} "
             f"{'latency':>8}  verify"]
    for row in rows:
        job = row.job
        verify = "never" if row.verify_ok is None else ("OK" if row.verify_ok else "DIFFERS")
        latency = "-" if row.latency is None else f"{row.latency:.0f}s"
        lines.append(f"  {row.pair.index:>3}  {row.pair.source_bucket:<28} {row.pair.destination_bucket:<28} "
                     f"{row.state:<12} {(job.status if job else '-'):<10} {_percent(row.progress):>5} "
                     f"{row.failures:>6} {latency:>8}  {verify}" + (f"  ({row.error})" if row.error else ""))
    lines.append(f"  total: {totals.pairs} pair(s), {totals.applied} applied, {totals.jobs_done} job(s) ended, "
                 f"{totals.objects_done:,}/{totals.objects_total:,} objects ({_percent(totals.fraction).strip()}), "
                 f"{totals.failures:,} failed, {totals.verified} verified, {totals.differences} with differences")
    return lines


def run_jobs(args: argparse.Namespace) -> int:
    prog = "s3xrep jobs"
    from ..aws.fleet_status import fleet_status, totals

    if args.action:
        return _fail(prog, f"'jobs {args.action}' names one job: drop --migration and give the job id", EXIT_USAGE)
    record = _record(prog, args.migration)
    if record is None:
        return EXIT_USAGE
    rows = fleet_status(record.pairs, _clients())
    sums = totals(rows)
    if args.json:
        print(json.dumps({"migration": record.id, "pairs": [r.to_dict() for r in rows], "totals": vars(sums)},
                         indent=2, default=str))
    else:
        print(safe("\n".join([f"Migration {record.id}"] + status_lines(rows, sums)), newlines=True))
    return EXIT_FAILURE if any(r.error for r in rows) or sums.failures else EXIT_OK


# --- verify ----------------------------------------------------------------------------------------


def run_verify(args: argparse.Namespace) -> int:
    prog = "s3xrep verify"
    from ..aws.fleet_status import STATUS_WORKERS
    from ..aws.results import record_verify
    from ..aws.verify import verify_replication

    record = _record(prog, args.migration)
    if record is None:
        return EXIT_USAGE
    clients = _clients()

    def one(pair: Any) -> tuple[Any, Any, str | None]:
        try:
            report = verify_replication(clients(pair.source_profile), clients(pair.destination_profile),
                                        pair.source_bucket, pair.destination_bucket, limit=args.limit or 20)
        except Exception as exc:  # noqa: BLE001  one pair's failure is that pair's line
            from ..aws.errors import AwsError, explain

            error = exc if isinstance(exc, AwsError) else explain(exc)
            return pair, None, error.message
        record_verify(pair.plan_id, report.as_dict())  # each pair's report and the fleet board read it
        return pair, report, None

    with ThreadPoolExecutor(max_workers=STATUS_WORKERS, thread_name_prefix="s3xrep-verify") as pool:
        outcomes = list(pool.map(one, record.pairs))
    if args.json:
        print(json.dumps({"migration": record.id, "pairs": [
            {"index": p.index, "plan_id": p.plan_id, "error": e, "report": r.as_dict() if r else None}
            for p, r, e in outcomes]}, indent=2, default=str))
    else:
        print(f"Verify migration {record.id}")
        for pair, report, error in outcomes:
            if report is None:
                print(safe(f"  {pair.index:>3} ERROR    {pair.label}: {error}"))
                continue
            s = report.summary
            print(safe(f"  {pair.index:>3} {'OK      ' if report.ok else 'DIFFERS '} {pair.label}: "
                       f"{s.compared:,} version(s) compared, {s.mattering:,} difference(s) that matter, "
                       f"{s.expected_differences:,} expected"))
    ok = sum(1 for _, r, e in outcomes if r is not None and r.ok)
    print(f"migration {record.id}: {ok} of {len(outcomes)} pair(s) verified")
    return EXIT_OK if ok == len(outcomes) else EXIT_FAILURE


# --- report ----------------------------------------------------------------------------------------


def run_report(args: argparse.Namespace) -> int:
    prog = "s3xrep report"
    from ..aws.fleet_report import fleet_report_markdown
    from ..aws.fleet_status import fleet_status, totals
    from ..aws.migration_report import write_report_file

    if args.format != "md":
        return _fail(prog, "a migration's report is Markdown (--format md); each pair's HTML: report PLAN_ID",
                     EXIT_USAGE)
    record = _record(prog, args.migration)
    if record is None:
        return EXIT_USAGE
    rows = fleet_status(record.pairs, _clients(), latency=False)
    sums = totals(rows)
    text = fleet_report_markdown(record, rows, sums)
    if args.out:
        print(write_report_file(Path(args.out), text))
    else:
        sys.stdout.write(safe(text, newlines=True))
    complete = sums.applied == sums.pairs and sums.verified == sums.pairs
    print(f"s3xrep report: migration {record.id}: " + ("complete and verified" if complete else "not complete"),
          file=sys.stderr)
    return EXIT_OK if complete else EXIT_FAILURE
