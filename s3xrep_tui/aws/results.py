"""What verify and the canary found, remembered per plan, for the migration report.

One append-only JSON-lines file per plan, ``storage.data_dir()/results/<plan_id>.jsonl``
(0600 in a 0700 directory, one fsynced line per outcome)::

    {"ts": "...", "kind": "verify" | "canary" | "estimate", "plan_id": "...", "result": {...}}

``result`` is ``VerifyReport.as_dict()`` (its lists of differences cut to the
first :data:`KEEP` of each kind, the rest counted in ``*_not_kept``),
``CanaryResult.as_dict()`` or the plan's cost estimate (``Estimate.as_dict()``,
recorded when the plan is made). :func:`latest` gives the newest of each kind.

Callers rarely know the plan id: :func:`find_plan_id` derives it the way
``core.plan.plan_id`` does (source account and bucket, destination account and
bucket, rule id) and keeps it only when that plan has an apply journal; when
an account or the rule id is unknown, a journal named after the two buckets
that nothing contradicts is taken if it is the only one. No journal, no
record: results of a pair that was never applied have no report to go to.

Recording never breaks verify or the canary: the ``*_for`` helpers log and
return None when the file cannot be written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from .. import storage
from .journal import check_plan_id, journal_dir, journal_path, read_journal

__all__ = [
    "KEEP",
    "RESULTS_DIR",
    "find_plan_id",
    "latest",
    "plan_id_for",
    "read_results",
    "record_canary",
    "record_canary_for",
    "record_verify",
    "record_verify_for",
    "results_path",
]

log = logging.getLogger(__name__)

RESULTS_DIR = "results"
KINDS = ("verify", "canary", "estimate")
KEEP = 20  # differences kept per kind in a recorded verify result


def results_path(plan_id: str) -> Path:
    """``data_dir()/results/<plan_id>.jsonl`` (ValueError for a plan id that is not a safe file name)."""
    return storage.data_dir() / RESULTS_DIR / f"{check_plan_id(plan_id)}.jsonl"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _trimmed_verify(report: dict[str, Any], keep: int) -> dict[str, Any]:
    data = dict(report)
    for kept, not_kept in (("differences", "differences_not_kept"), ("expected", "expected_not_kept")):
        items = list(data.get(kept) or ())
        if len(items) > keep:
            data[not_kept] = int(data.get(not_kept) or 0) + len(items) - keep
            items = items[:keep]
        data[kept] = items
    return data


def _record(plan_id: str, kind: str, result: dict[str, Any], ts: str | None) -> dict[str, Any]:
    entry = {"ts": ts or _now(), "kind": kind, "plan_id": plan_id, "result": result}
    storage.append_private(results_path(plan_id), json.dumps(entry, separators=(",", ":"), default=str))
    return entry


def record_verify(plan_id: str, report_dict: dict[str, Any], *, keep: int = KEEP,
                  ts: str | None = None) -> dict[str, Any]:
    """Append a verification (``VerifyReport.as_dict()``) to the plan's results; returns the entry."""
    return _record(plan_id, "verify", _trimmed_verify(report_dict, keep), ts)


def record_canary(plan_id: str, result_dict: dict[str, Any], *, ts: str | None = None) -> dict[str, Any]:
    """Append a canary run (``CanaryResult.as_dict()``) to the plan's results; returns the entry."""
    return _record(plan_id, "canary", dict(result_dict), ts)


def record_estimate(plan_id: str, estimate_dict: dict[str, Any], *, ts: str | None = None) -> dict[str, Any]:
    """Append a cost and time estimate (``Estimate.as_dict()``, made before apply) to the plan's results."""
    return _record(plan_id, "estimate", dict(estimate_dict), ts)


def read_results(plan_id: str) -> list[dict[str, Any]]:
    """Every readable entry, oldest first (a truncated or foreign line is skipped)."""
    try:
        raw = results_path(plan_id).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    entries = []
    for line in raw.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("kind") in KINDS and isinstance(
                entry.get("result"), dict):
            entries.append(entry)
    return entries


def latest(plan_id: str) -> dict[str, dict[str, Any] | None]:
    """``{"verify": entry or None, "canary": ..., "estimate": ...}``: the newest of each kind."""
    found: dict[str, dict[str, Any] | None] = dict.fromkeys(KINDS)
    for entry in read_results(plan_id):
        found[entry["kind"]] = entry
    return found


# ---------------------------------------------------------------------------------------- the plan id


def plan_id_for(source_account: str, source_bucket: str, destination_account: str, destination_bucket: str,
                rule_id: str | None = None) -> str:
    """``core.plan.plan_id`` from its parts (``rule_id`` None: the default ``s3xrep-to-DEST``)."""
    rule = rule_id or f"s3xrep-to-{destination_bucket}"[:255]
    key = f"{source_account}:{source_bucket}:{destination_account}:{destination_bucket}:{rule}"
    return f"{source_bucket}-to-{destination_bucket}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _journal_accounts(path: Path) -> dict[str, str]:
    accounts: dict[str, str] = {}
    for entry in read_journal(path).writes():
        side, account = entry.get("account"), entry.get("account_id")
        if side in ("source", "destination") and account:
            accounts.setdefault(side, str(account))
    return accounts


def find_plan_id(source_bucket: str, destination_bucket: str, *, source_account: str | None = None,
                 destination_account: str | None = None, rule_id: str | None = None) -> str | None:
    """The id of the applied plan for this pair (one with a journal), or None when there is none or it is ambiguous."""
    if not source_bucket or not destination_bucket:
        return None
    rules = list(dict.fromkeys((rule_id, None)))  # the rule the caller saw, then the default one
    if source_account and destination_account:
        for rule in rules:
            exact = plan_id_for(source_account, source_bucket, destination_account, destination_bucket, rule)
            if journal_path(exact).exists():
                return exact
    pattern = re.compile(rf"^{re.escape(source_bucket)}-to-{re.escape(destination_bucket)}-[0-9a-f]{{8}}\.jsonl$")
    try:
        candidates = sorted(p for p in journal_dir().iterdir() if pattern.match(p.name))
    except FileNotFoundError:
        return None
    exact_matches, possible = [], []
    for path in candidates:
        known = _journal_accounts(path)
        source = source_account or known.get("source")
        destination = destination_account or known.get("destination")
        if (source_account and known.get("source", source_account) != source_account) or (
                destination_account and known.get("destination", destination_account) != destination_account):
            continue  # the journal says other accounts
        plan = path.name[: -len(".jsonl")]
        if source and destination and any(
                plan_id_for(source, source_bucket, destination, destination_bucket, rule) == plan for rule in rules):
            exact_matches.append(plan)
        else:
            possible.append(plan)
    if exact_matches:
        return exact_matches[0]
    return possible[0] if len(possible) == 1 else None


# ---------------------------------------------------------------------------------------- for callers


def record_verify_for(report_dict: dict[str, Any], plan_id: str | None = None) -> str | None:
    """Record a verification under ``plan_id`` or the plan derived from its buckets and accounts.

    Returns the plan id, or None when no applied plan matches (or the file could not be written: logged).
    """
    source, destination = report_dict.get("source") or {}, report_dict.get("destination") or {}
    try:
        plan = plan_id or find_plan_id(str(source.get("bucket") or ""), str(destination.get("bucket") or ""),
                                       source_account=source.get("account") or None,
                                       destination_account=destination.get("account") or None)
        if plan is None:
            return None
        record_verify(plan, report_dict)
        return plan
    except (OSError, ValueError) as exc:
        log.warning("the verify result could not be recorded: %s", exc)
        return None


def record_canary_for(result_dict: dict[str, Any], plan_id: str | None = None, *, source_account: str | None = None,
                      destination_account: str | None = None) -> str | None:
    """Record a canary run under ``plan_id`` or the plan derived from its buckets, rule id (and accounts).

    Returns the plan id, or None when no applied plan matches (or the file could not be written: logged).
    """
    try:
        plan = plan_id or find_plan_id(str(result_dict.get("source_bucket") or ""),
                                       str(result_dict.get("destination_bucket") or ""),
                                       source_account=source_account, destination_account=destination_account,
                                       rule_id=result_dict.get("rule_id") or None)
        if plan is None:
            return None
        record_canary(plan, result_dict)
        return plan
    except (OSError, ValueError) as exc:
        log.warning("the canary result could not be recorded: %s", exc)
        return None
