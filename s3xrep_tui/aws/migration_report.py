"""Gather a migration report: the journal, the jobs (asked of AWS), the latest verify and canary results.

The jobs are read with the source account's credentials: ``clients`` when the
caller has them (the TUI), else the profile the journal recorded for the
source side (or ``source_profile``). A job AWS no longer knows (jobs disappear
90 days after they end) is reported as such; any other failure to read a job
or its completion report becomes a line of the report, never an exception:
the report is still written. Only an unknown plan raises :class:`UnknownPlan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import storage
from ..core.errors import S3xrepError
from ..core.report import MigrationReport, build_report, render_html, render_markdown
from . import job_memory, results
from .clients import Clients
from .errors import AwsError, explain
from .journal import check_plan_id, journal_path, read_journal

__all__ = [
    "REPORTS_DIR",
    "UnknownPlan",
    "default_report_path",
    "gather_report",
    "render",
    "write_report_file",
]

REPORTS_DIR = "reports"
FORMATS = ("md", "html")


class UnknownPlan(S3xrepError, ValueError):
    """No journal for this plan id (or the id is not one)."""


def _one_line(error: AwsError) -> str:
    return error.message + (f" (fix: {error.fix})" if error.fix else "")


def _jobs(plan_id: str, clients: Callable[[], Clients], examples: int) -> list[dict[str, Any]]:
    from .completion_reports import read_report_summary
    from .jobs import describe_job

    found: dict[str, job_memory.RememberedJob] = {}
    for job in [*job_memory.journal_jobs(plan_id), *job_memory.remembered(plan_id)]:
        found.setdefault(job.job_id, job)
    items: list[dict[str, Any]] = []
    for job in found.values():
        item: dict[str, Any] = {"job_id": job.job_id, "account_id": job.account_id, "region": job.region,
                                "detail": None, "report": None, "report_error": None, "error": None, "missing": False}
        items.append(item)
        try:
            detail = describe_job(clients(), job.account_id, job.region or None, job.job_id)
        except AwsError as exc:
            if exc.code == "NotFound":
                item["missing"] = True
            else:
                item["error"] = _one_line(exc)
            continue
        except Exception as exc:  # noqa: BLE001  anything boto3 raises: a line of the report
            item["error"] = _one_line(explain(exc))
            continue
        item["detail"] = detail.to_dict()
        if detail.terminal:
            try:
                summary = read_report_summary(clients(), detail, examples=examples)
                item["report"] = summary.to_dict() if summary else None
            except AwsError as exc:
                item["report_error"] = _one_line(exc)
            except Exception as exc:  # noqa: BLE001
                item["report_error"] = _one_line(explain(exc))
    return items


def gather_report(
    plan_id: str,
    *,
    clients: Clients | None = None,
    source_profile: str | None = None,
    examples: int = 5,
    now: dt.datetime | None = None,
) -> MigrationReport:
    """The report of ``plan_id``; raises :class:`UnknownPlan` when there is no journal for it.

    ``clients``: the source account's clients (the jobs live there); default:
    ``clients_for(source_profile or the profile the journal recorded)``, opened
    only when the plan created a job.
    """
    try:
        path = journal_path(plan_id)
    except ValueError as exc:
        raise UnknownPlan(str(exc)) from None
    if not path.exists():
        raise UnknownPlan(f"no plan {plan_id!r}: there is no journal at {path} (apply writes one)")
    journal = read_journal(path)
    profiles = journal.profiles()
    if source_profile is not None:
        profiles["source"] = source_profile
    opened: list[Clients] = []

    def source_clients() -> Clients:
        if clients is not None:
            return clients
        if not opened:
            from .clients import clients_for

            opened.append(clients_for(profiles.get("source")))
        return opened[0]

    jobs = _jobs(plan_id, source_clients, examples)
    newest = results.latest(plan_id)
    moment = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    return build_report(plan_id, journal.entries, jobs=jobs, verify=newest["verify"], canary=newest["canary"],
                        profiles=profiles, generated_at=moment, notes=journal.problems, estimate=newest.get("estimate"))


def render(report: MigrationReport, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return render_html(report) if fmt == "html" else render_markdown(report)


def default_report_path(plan_id: str, fmt: str) -> Path:
    """``data_dir()/reports/<plan_id>.<md|html>``."""
    return storage.data_dir() / REPORTS_DIR / f"{check_plan_id(plan_id)}.{fmt}"


def write_report_file(path: Path, text: str) -> Path:
    """Write ``text`` atomically as a 0600 file, never through a link; under the data directory its
    folder is made 0700, elsewhere the folder is left as it is (it must exist)."""
    path = Path(path)
    try:
        inside = path.resolve().is_relative_to(storage.data_dir().resolve())
    except OSError:
        inside = False
    return storage.write_private(path, text, own_dir=inside)
