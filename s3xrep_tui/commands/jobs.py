"""``s3xrep jobs``: S3 Batch Operations jobs of an account and region, headless.

    s3xrep jobs [--profile P] [--region R] [--all] [--status S]... [--json] [--watch [--interval S]]
    s3xrep jobs [--profile P] [--region R] show JOB_ID [--json] [--examples N]
    s3xrep jobs [--profile P] [--region R] confirm JOB_ID
    s3xrep jobs [--profile P] [--region R] cancel JOB_ID
    s3xrep jobs [--profile P] [--region R] priority JOB_ID N

The list shows the Batch Replication jobs AWS keeps (unfinished ones and those
that ended in the last 90 days); ``--all`` adds jobs of other operations.
``--watch`` re-polls (each poll starts ``--interval`` seconds after the
previous one returned) until every listed job is terminal, or Ctrl-C.

Exit codes: 0 success; 1 an AWS error, ``show`` of a job that failed or has
failed tasks, or ``--watch`` that saw a job end that way; 2 bad arguments;
130 interrupted. Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC
from typing import Any

from ..core.humanize import duration, rate_text
from ..core.text import safe

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_WATCH_RETRIES = 5  # consecutive failed polls before --watch gives up
_ACTIONS = ("show", "confirm", "cancel", "priority")


# ---------------------------------------------------------------------------------------- arguments


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"interval {text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("interval must be between 0 and 3600 seconds")
    return value


def _priority(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"priority {text!r} is not an integer") from None
    if not 0 <= value <= 2147483647:
        raise argparse.ArgumentTypeError("priority must be between 0 and 2147483647 (higher runs first)")
    return value


def _account_id(text: str) -> str:
    if not (len(text) == 12 and text.isdigit()):
        raise argparse.ArgumentTypeError(f"account id {text!r} is not 12 digits")
    return text


def _job_id(text: str) -> str:
    text = text.strip()
    if not text or len(text) > 36 or not all(c.isalnum() or c == "-" for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a job id")
    return text


def _add_common(parser: argparse.ArgumentParser, *, nested: bool) -> None:
    """Options accepted before and after the action word (``jobs --json show X`` = ``jobs show X --json``)."""
    default = argparse.SUPPRESS if nested else None
    parser.add_argument("--profile", default=default,
                        help="profile of the account that owns the jobs (the source account); default: ambient")
    parser.add_argument("--region", default=default,
                        help="region of the jobs (the source bucket's region); default: the profile's")
    parser.add_argument("--account-id", type=_account_id, default=default,
                        help="account id (default: asked from STS)")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS if nested else False,
                        help="print JSON")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "jobs",
        help="list, watch, show, confirm, cancel and re-prioritise S3 Batch Operations jobs",
        description="S3 Batch Operations jobs (Batch Replication) of one account and region.",
    )
    _add_common(parser, nested=False)
    parser.add_argument("--all", action="store_true", help="jobs of every operation, not only Batch Replication")
    parser.add_argument("--status", action="append", default=[], metavar="STATUS",
                        help="only jobs in this status (repeatable): Active, Suspended, Complete, ...")
    parser.add_argument("--watch", action="store_true", help="re-poll until every listed job has ended")
    parser.add_argument("--interval", type=_interval, default=15.0, help="seconds between polls (default 15)")
    parser.add_argument("--migration", metavar="ID", help="every pair of a fleet migration: its job, progress, "
                        "failures, latency and last verify, with totals")
    actions = parser.add_subparsers(dest="action", metavar="{show,confirm,cancel,priority}")
    show = actions.add_parser("show", help="one job: status, progress, failure reasons, report by failure code")
    show.add_argument("job_id", type=_job_id, metavar="JOB_ID")
    show.add_argument("--examples", type=int, default=5, help="example keys per failure code (default 5)")
    confirm = actions.add_parser("confirm", help="confirm a Suspended job (it moves to Ready and runs)")
    confirm.add_argument("job_id", type=_job_id, metavar="JOB_ID")
    cancel = actions.add_parser("cancel", help="cancel a job (tasks already done stay done)")
    cancel.add_argument("job_id", type=_job_id, metavar="JOB_ID")
    priority = actions.add_parser("priority", help="set a job's priority (higher runs first)")
    priority.add_argument("job_id", type=_job_id, metavar="JOB_ID")
    priority.add_argument("priority", type=_priority, metavar="N")
    for nested in (show, confirm, cancel, priority):
        _add_common(nested, nested=True)
    parser.set_defaults(handler=run, action=None)


# ---------------------------------------------------------------------------------------- running


def _fail(error: Any) -> int:
    fix = getattr(error, "fix", "")
    print(safe(f"s3xrep jobs: {getattr(error, 'message', error)}" + (f" (fix: {fix})" if fix else "")), file=sys.stderr)
    return EXIT_USAGE if getattr(error, "bad_argument", False) else EXIT_FAILURE


def _usage(message: str) -> int:
    print(f"s3xrep jobs: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    from ..core.failure_codes import ALL_JOB_STATUSES

    statuses = []
    for text in getattr(args, "status", []) or []:
        for name in (s.strip() for s in text.split(",")):
            match = next((s for s in ALL_JOB_STATUSES if s.lower() == name.lower()), None)
            if match is None:
                return _usage(f"unknown job status {name!r} (one of {', '.join(sorted(ALL_JOB_STATUSES))})")
            statuses.append(match)
    if getattr(args, "migration", None):
        from .fleet_watch import run_jobs

        return run_jobs(args)
    if args.action == "show" and args.examples < 0:
        return _usage("--examples must be 0 or more")
    if args.watch and args.action:
        return _usage("--watch applies to the list, not to 'jobs " + args.action + "'")
    try:
        from ..aws.clients import clients_for
        from ..aws.errors import AwsError, explain
        from ..aws.jobs import account_of

        clients = clients_for(args.profile)
        region = args.region or clients.default_region
        if not region:
            return _usage("no region: pass --region (the source bucket's region) or set one in the profile")
        account_id = args.account_id or account_of(clients)
        context = (clients, account_id, region)
        if args.action == "show":
            return _show(args, *context)
        if args.action in ("confirm", "cancel", "priority"):
            return _change(args, *context)
        if args.watch:
            return _watch(args, statuses, *context)
        jobs = _list(args, statuses, *context)
        _print_list(args, jobs, account_id, region, clients=clients)
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # AwsError and anything boto3 raises: one line, no traceback
        return _fail(exc if isinstance(exc, AwsError) else explain(exc, profile=args.profile))


def _list(args: argparse.Namespace, statuses: list[str], clients: Any, account_id: str, region: str) -> list[Any]:
    from ..aws.jobs import REPLICATE_OPERATION, list_jobs

    return list_jobs(clients, account_id, region, statuses or None,
                     operation=None if args.all else REPLICATE_OPERATION)


def _print_list(args: argparse.Namespace, jobs: list[Any], account_id: str, region: str, *,
                one_line: bool = False, clients: Any = None) -> None:
    from . import jobs_alarms

    alarms = jobs_alarms.gather(clients, account_id, region) if clients is not None else []
    if args.json:
        document = {"account_id": account_id, "region": region, "jobs": [job.to_dict() for job in jobs],
                    "alarms": jobs_alarms.as_json(alarms)}
        if one_line:
            document["time"] = _now_text()
        print(json.dumps(document, indent=None if one_line else 2, default=str), flush=True)
    else:
        print(render_list(jobs, account_id, region), flush=True)
        if alarms:
            print(jobs_alarms.render(alarms), flush=True)


def _watch(args: argparse.Namespace, statuses: list[str], clients: Any, account_id: str, region: str) -> int:
    from ..aws.errors import AwsError

    started_unfinished: set[str] | None = None
    failures = 0
    clear = sys.stdout.isatty() and not args.json
    while True:
        try:
            jobs = _list(args, statuses, clients, account_id, region)
            failures = 0
        except AwsError as error:
            failures += 1
            if failures >= _WATCH_RETRIES:
                return _fail(error)
            print(f"s3xrep jobs: {error.message} (retrying in {args.interval:g}s)", file=sys.stderr, flush=True)
            time.sleep(args.interval)
            continue
        if started_unfinished is None:
            started_unfinished = {job.job_id for job in jobs if not job.terminal}
        else:
            started_unfinished |= {job.job_id for job in jobs if not job.terminal}
        if clear:
            print("\x1b[H\x1b[2J", end="")
        elif not args.json:
            print(f"-- {_now_text()}")
        _print_list(args, jobs, account_id, region, one_line=True, clients=clients)
        if all(job.terminal for job in jobs):
            watched = [job for job in jobs if job.job_id in started_unfinished]
            return EXIT_FAILURE if any(job.has_failures for job in watched) else EXIT_OK
        time.sleep(args.interval)  # the next poll starts only after this one returned


def _show(args: argparse.Namespace, clients: Any, account_id: str, region: str) -> int:
    from ..aws.completion_reports import read_report_summary
    from ..aws.errors import AwsError
    from ..aws.jobs import describe_job

    job = describe_job(clients, account_id, region, args.job_id)
    summary = None
    report_error = None
    if job.terminal:
        try:
            summary = read_report_summary(clients, job, examples=args.examples)
        except AwsError as error:
            report_error = error
    failed = job.has_failures or bool(summary and summary.failed)
    if args.json:
        document = {
            "job": job.to_dict(),
            "report": summary.to_dict() if summary else None,
            "report_error": {"message": report_error.message, "fix": report_error.fix} if report_error else None,
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        print(render_detail(job, summary, report_error))
    return EXIT_FAILURE if failed else EXIT_OK


def _change(args: argparse.Namespace, clients: Any, account_id: str, region: str) -> int:
    from ..aws.jobs import cancel_job, confirm_job, set_priority

    if args.action == "priority":
        priority = set_priority(clients, account_id, region, args.job_id, args.priority)
        result: dict[str, Any] = {"job_id": args.job_id, "priority": priority}
        text = f"job {args.job_id}: priority {priority}"
    else:
        change = (confirm_job if args.action == "confirm" else cancel_job)(clients, account_id, region, args.job_id)
        result = {"job_id": change.job_id, "status": change.status, "reason": change.reason}
        verb = "confirmed" if args.action == "confirm" else "cancel requested"
        text = f"job {change.job_id}: {verb}, now {change.status}"
    print(json.dumps(result) if args.json else safe(text))
    return EXIT_OK


# ---------------------------------------------------------------------------------------- rendering


def _now_text() -> str:
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def progress_text(job: Any) -> str:
    progress = job.progress
    if not progress.total:
        return "-" if job.status in ("New", "Preparing") else "0 tasks"
    percent = f"{progress.fraction * 100:.0f}%" if progress.fraction is not None else ""
    return f"{progress.done:,}/{progress.total:,} {percent}".strip()


def render_list(jobs: list[Any], account_id: str, region: str) -> str:
    header = f"Batch Operations jobs of account {account_id} in {region}"
    if not jobs:
        return header + ": none"
    rows = [("JOB ID", "STATUS", "PROGRESS", "FAILED", "RATE", "ETA", "ELAPSED", "PRI", "DESCRIPTION")]
    for job in jobs:
        rows.append((
            job.job_id,
            job.status,
            progress_text(job),
            f"{job.progress.failed:,}",
            rate_text(job.rate),
            duration(job.eta_seconds),
            duration(job.elapsed()),
            str(job.priority),
            safe(job.description or (job.operation if job.operation != "S3ReplicateObject" else "")),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [header]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return safe("\n".join(line.rstrip() for line in lines), newlines=True)


def render_detail(job: Any, summary: Any, report_error: Any = None) -> str:
    progress = job.progress
    lines = [f"Job {job.job_id}  (account {job.account_id}, region {job.region})"]

    def field(label: str, value: Any) -> None:
        if value not in (None, ""):
            lines.append(f"  {label:<12} {value}")

    field("status", f"{job.status} ({job.outcome})")
    field("reason", job.status_reason)
    if job.suspended_cause:
        field("suspended", f"{job.suspended_cause}: confirm with 's3xrep jobs confirm {job.job_id}'")
    field("description", job.description)
    field("operation", job.operation)
    field("priority", job.priority)
    field("created", job.created.isoformat(timespec="seconds") if job.created else "")
    field("ended", job.terminated.isoformat(timespec="seconds") if job.terminated else "")
    field("elapsed", f"{duration(job.elapsed())} (active {duration(progress.elapsed_active)})")
    if progress.total:
        field("tasks", f"{progress.total:,} total, {progress.succeeded:,} succeeded, {progress.failed:,} failed "
                       f"({progress_text(job)})")
    field("rate", rate_text(job.rate) if job.rate is not None else "")
    field("eta", duration(job.eta_seconds) if job.eta_seconds is not None else "")
    field("role", job.role_arn)
    field("manifest", job.manifest)
    if job.report and job.report.enabled:
        field("report", f"s3://{job.report.bucket}/{job.report.job_prefix(job.job_id)}/ ({job.report.scope})")
    if job.failure_reasons:
        lines += ["", "Job failure"]
        for reason in job.failure_reasons:
            lines.append(f"  {reason.code}: {reason.reason}")
            lines.append(f"      fix: {reason.fix}")
    if report_error is not None:
        lines += ["", f"Report: could not be read: {report_error.message} (fix: {report_error.fix})"]
    elif summary is not None:
        scope = " (failed tasks only)" if summary.failed_only else ""
        lines += ["", (f"Report{scope}: {summary.succeeded:,} succeeded, {summary.failed:,} failed  "
                       f"({summary.location})")]
        for group in summary.groups:
            plural = "task" if group.count == 1 else "tasks"
            lines.append(f"  {group.code}  {group.count:,} {plural}  e.g. {', '.join(group.examples)}")
            lines.append(f"      {group.meaning}")
            lines.append(f"      fix: {group.fix}")
        lines += [f"  warning: {warning}" for warning in summary.warnings]
    elif job.terminal and job.report and job.report.enabled:
        lines += ["", "Report: none (no task ran)"]
    if job.status == "Complete" and not progress.failed:
        lines += ["", "Every task succeeded."]
    return safe("\n".join(lines), newlines=True)  # keys, descriptions and reasons come from AWS
