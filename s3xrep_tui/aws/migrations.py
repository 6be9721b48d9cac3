"""The migrations this machine applied: one per apply journal, for the app's home screen.

Reads ``storage.data_dir()/journal/*.jsonl`` (:mod:`.journal`), the jobs the
journal and the app remember (:mod:`.job_memory`) and the last verify and canary
results (:mod:`.results`). Nothing is sent to AWS: the journal says which
buckets, accounts, profiles (names only, never secrets), rule and jobs a
migration used, which is what resuming it needs.

A journal that cannot be read is still listed, with its problem, so a user sees
it rather than wonders where it went.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.finish import finished
from . import job_memory, results
from .journal import check_plan_id, journal_dir, read_journal
from .undo import pending_writes

__all__ = ["Migration", "list_migrations", "migration"]

log = logging.getLogger(__name__)

_REPLICATION_CALL = "s3.put_bucket_replication"


@dataclass(frozen=True)
class Migration:
    """One applied plan, as its journal tells it."""

    plan_id: str
    journal_path: Path
    source_bucket: str | None = None
    destination_bucket: str | None = None
    source_account: str | None = None
    destination_account: str | None = None
    profiles: dict[str, str | None] = field(default_factory=dict)  # "source"/"destination" -> profile name
    region: str | None = None  # the source bucket's region
    rule_id: str | None = None
    applied_at: str | None = None  # the first write's time (ISO 8601, UTC)
    last_write_at: str | None = None
    writes: int = 0
    undone: bool = False  # every write settled by an undo (not by a finish)
    undo_started: bool = False  # an undo ran (maybe not everything was restored)
    job_ids: tuple[str, ...] = ()
    last_verify: dict[str, Any] | None = None  # results.latest()["verify"]
    last_canary: dict[str, Any] | None = None
    problems: tuple[str, ...] = ()
    finished_at: str | None = None  # when ``s3xrep finish`` took the plumbing down (the journal's finish record)

    @property
    def state(self) -> str:
        """A word for the table: finished, undone, undo partial, applied, empty, damaged."""
        if self.finished_at:
            return "finished"
        if self.undone:
            return "undone"
        if self.undo_started:
            return "undo partial"
        if self.writes == 0:
            return "damaged" if self.problems else "nothing written"
        return "applied"

    @property
    def verify_text(self) -> str:
        entry = self.last_verify
        if not entry:
            return "never"
        ok = (entry.get("result") or {}).get("ok")
        return f"{'OK' if ok else 'differences'} {short_time(entry.get('ts'))}"

    @property
    def resumable(self) -> bool:
        """Enough is known to reopen the monitor: both buckets and the source profile or account."""
        return bool(self.source_bucket and self.destination_bucket)


def short_time(ts: Any) -> str:
    """``2026-12-03T15:01:02.123+00:00`` -> ``2026-12-03 15:01 UTC`` (anything else as it is)."""
    text = str(ts or "")
    if len(text) >= 16 and text[10] == "T":
        return f"{text[:10]} {text[11:16]} UTC"
    return text or "?"


def _name(target: Any) -> str | None:
    parts = str(target or "").split(" ")
    return parts[1] if len(parts) >= 2 and parts[0] == "bucket" else None


def _rule_id(after: Any) -> str | None:
    config = after.get("ReplicationConfiguration", after) if isinstance(after, dict) else None
    rules = config.get("Rules") if isinstance(config, dict) else None
    ids = [rule.get("ID") for rule in rules or () if isinstance(rule, dict) and rule.get("ID")]
    return next((i for i in ids if str(i).startswith("s3xrep")), ids[-1] if ids else None)


def migration(plan_id: str, path: Path | None = None) -> Migration:
    """What the journal of ``plan_id`` says about its migration."""
    path = path or journal_dir() / f"{check_plan_id(plan_id)}.jsonl"
    check_plan_id(plan_id)  # also when the caller found the file: a foreign name is not a plan
    read = read_journal(path)
    writes = read.writes()
    buckets: dict[str, str] = {}
    accounts: dict[str, str] = {}
    region: str | None = None
    rule: str | None = None
    for entry in writes:
        side = entry.get("account")
        if side not in ("source", "destination"):
            continue
        bucket = _name(entry.get("target"))
        if bucket:
            buckets.setdefault(side, bucket)
            if side == "source" and region is None:
                region = entry.get("region") or None
        if entry.get("account_id"):
            accounts.setdefault(side, str(entry["account_id"]))
        if entry.get("call") == _REPLICATION_CALL:
            rule = _rule_id(entry.get("after")) or rule
    if "source" not in buckets or "destination" not in buckets:  # "<source>-to-<destination>-<hash>"
        head, _, _ = plan_id.rpartition("-")
        source, sep, destination = head.partition("-to-")
        if sep:
            buckets.setdefault("source", source)
            buckets.setdefault("destination", destination)
    try:
        jobs = tuple(dict.fromkeys(j.job_id for j in job_memory.journal_jobs(plan_id) + job_memory.remembered(plan_id)))
        latest = results.latest(plan_id)
    except (OSError, ValueError):
        jobs, latest = (), {"verify": None, "canary": None}
    undone = read.undone()
    finished_at = (finished(read.entries) or {}).get("ts")
    return Migration(
        plan_id=plan_id, journal_path=path, source_bucket=buckets.get("source"),
        destination_bucket=buckets.get("destination"), source_account=accounts.get("source"),
        destination_account=accounts.get("destination"), profiles=read.profiles(), region=region, rule_id=rule,
        applied_at=writes[0].get("ts") if writes else None, last_write_at=writes[-1].get("ts") if writes else None,
        writes=len(writes), undone=bool(writes) and bool(undone) and not pending_writes(read) and not finished_at,
        undo_started=bool(undone), job_ids=jobs, last_verify=latest.get("verify"), last_canary=latest.get("canary"),
        problems=tuple(read.problems), finished_at=finished_at,
    )


def list_migrations(directory: Path | None = None) -> list[Migration]:
    """Every journal's migration, the most recently written first (an empty list when there is none)."""
    directory = directory or journal_dir()
    try:
        paths = [p for p in directory.iterdir() if p.suffix == ".jsonl" and not p.name.startswith(".")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:  # unreadable: the app still opens (on Accounts); the log says why
        log.warning("the journal directory %s cannot be listed: %s", directory, exc)
        return []
    found: list[Migration] = []
    for path in paths:
        try:
            found.append(migration(path.stem, path))
        except (OSError, ValueError):
            continue  # not a plan id (a foreign file): not ours to list
    found.sort(key=lambda m: (m.last_write_at or "", m.plan_id), reverse=True)
    return found
