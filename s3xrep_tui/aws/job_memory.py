"""The Batch jobs this app created, remembered per plan, so a dropped session picks up where it was.

One small JSON file per plan, ``storage.data_dir()/jobs/<plan_id>.json`` (0600
in a 0700 directory, written atomically)::

    {"plan_id": "...", "jobs": [{"job_id", "account_id", "region", "description", "remembered_at"}]}

The apply journal (:mod:`.journal`) already records every ``s3control.create_job``
that succeeded (a ``done`` entry whose result has the ``JobId``); :func:`journal_jobs`
reads those, and :func:`sync_from_journal` copies them here, so jobs created by
``s3xrep apply`` or the Apply screen are marked as ours even when nothing called
:func:`remember`. A job id alone is no secret; nothing else is stored.

A missing file is an empty memory; an unreadable one too (logged, and replaced
by the next write). Safe to call from several threads of one process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import storage
from .journal import check_plan_id, journal_path, read_journal

__all__ = [
    "JOBS_DIR",
    "RememberedJob",
    "forget",
    "journal_jobs",
    "memory_path",
    "remember",
    "remembered",
    "remembered_ids",
    "sync_from_journal",
]

log = logging.getLogger(__name__)

JOBS_DIR = "jobs"
_lock = threading.Lock()


@dataclass(frozen=True)
class RememberedJob:
    job_id: str
    account_id: str = ""
    region: str = ""
    description: str = ""
    remembered_at: str = ""
    source: str = "app"  # "app" (remember) or "journal" (found in the apply journal)


def memory_path(plan_id: str) -> Path:
    """``data_dir()/jobs/<plan_id>.json`` (ValueError for a plan id that is not a safe file name)."""
    return storage.data_dir() / JOBS_DIR / f"{check_plan_id(plan_id)}.json"


def _read(plan_id: str) -> list[RememberedJob]:
    path = memory_path(plan_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("the job memory %s cannot be read (%s); starting empty", path, exc)
        return []
    jobs: list[RememberedJob] = []
    fields = RememberedJob.__dataclass_fields__
    for item in data.get("jobs") or () if isinstance(data, dict) else ():
        if isinstance(item, dict) and item.get("job_id"):
            jobs.append(RememberedJob(**{k: str(v) for k, v in item.items() if k in fields}))
    return jobs


def _write(plan_id: str, jobs: list[RememberedJob]) -> Path:
    text = json.dumps({"plan_id": plan_id, "jobs": [asdict(job) for job in jobs]}, indent=2, sort_keys=True)
    return storage.write_private(memory_path(plan_id), text + "\n")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def remembered(plan_id: str) -> list[RememberedJob]:
    """The jobs remembered for ``plan_id``, oldest first."""
    with _lock:
        return _read(plan_id)


def remembered_ids(plan_id: str) -> set[str]:
    return {job.job_id for job in remembered(plan_id)}


def remember(plan_id: str, job_id: str, *, account_id: str = "", region: str = "", description: str = "",
             source: str = "app") -> bool:
    """Remember that this app created ``job_id`` for ``plan_id``; False when it was already remembered."""
    if not job_id:
        raise ValueError("a job id is needed")
    with _lock:
        jobs = _read(plan_id)
        if any(job.job_id == job_id for job in jobs):
            return False
        jobs.append(RememberedJob(job_id, account_id, region, description, _now(), source))
        _write(plan_id, jobs)
        return True


def forget(plan_id: str, job_id: str) -> bool:
    """Stop marking ``job_id`` as ours; False when it was not remembered."""
    with _lock:
        jobs = _read(plan_id)
        kept = [job for job in jobs if job.job_id != job_id]
        if len(kept) == len(jobs):
            return False
        _write(plan_id, kept)
        return True


def journal_jobs(plan_id: str) -> list[RememberedJob]:
    """Jobs the plan's apply journal says were created (``s3control.create_job`` done; an undone one was
    cancelled, not deleted, so it stays ours)."""
    path = journal_path(plan_id)
    if not path.exists():
        return []
    read = read_journal(path)
    done = read.done()
    found: list[RememberedJob] = []
    for entry in read.writes():
        if entry.get("call") != "s3control.create_job":
            continue
        result: dict[str, Any] = (done.get(entry.get("id", "")) or {}).get("result") or {}
        job_id = result.get("JobId")
        if not job_id:
            continue
        after = entry.get("after") or {}
        found.append(RememberedJob(
            str(job_id), str(entry.get("account_id") or ""), str(entry.get("region") or ""),
            str(after.get("Description") or "") if isinstance(after, dict) else "", str(entry.get("ts") or ""),
            "journal",
        ))
    return found


def sync_from_journal(plan_id: str) -> list[RememberedJob]:
    """Remember every job the journal created that is not remembered yet; returns the whole memory."""
    for job in journal_jobs(plan_id):
        remember(plan_id, job.job_id, account_id=job.account_id, region=job.region, description=job.description,
                 source="journal")
    return remembered(plan_id)
