"""The go/no-go checklist of a cut-over: each item's measured value, its limit and its verdict.

Every item is judged from what was measured (the aws layer measures; this module only
judges), so the verdicts are deterministic and testable:

* ``go``: measured and within the limit;
* ``blocked``: measured and outside it (``blocks`` says what to do);
* ``unknown``: could not be measured (no data, not readable): not green, so not go;
* ``n/a``: nothing to check (no alarms were planned): neutral, never blocks.

Every item ``go`` or ``n/a`` means go. Pure: no boto3, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .humanize import size as human_size

Verdict = Literal["go", "blocked", "unknown", "n/a"]
GREEN: frozenset[str] = frozenset({"go", "n/a"})
# The words a screen shows with each verdict (never colour alone)
VERDICT_WORDS: dict[str, str] = {"go": "GO", "blocked": "BLOCKED", "unknown": "UNKNOWN", "n/a": "N/A"}


@dataclass(frozen=True)
class CheckItem:
    id: str
    label: str
    measured: str  # what was measured, in words
    limit: str  # what go needs
    verdict: Verdict
    blocks: str = ""  # what blocks and what to do (empty when go)

    @property
    def green(self) -> bool:
        return self.verdict in GREEN

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Checklist:
    plan_id: str
    source_bucket: str
    destination_bucket: str
    items: tuple[CheckItem, ...]
    measured_at: str = ""

    @property
    def go(self) -> bool:
        return bool(self.items) and all(item.green for item in self.items)

    @property
    def blocking(self) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if not item.green)

    def green_ids(self) -> list[str]:
        return [item.id for item in self.items if item.green]

    def as_dict(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "source_bucket": self.source_bucket,
                "destination_bucket": self.destination_bucket, "go": self.go, "measured_at": self.measured_at,
                "items": [item.as_dict() for item in self.items]}


# ---------------------------------------------------------------------------------------- the items


def backlog_item(bytes_pending: float | None, operations_pending: float | None, *, metrics_enabled: bool,
                 error: str | None = None) -> CheckItem:
    """BytesPendingReplication and OperationsPendingReplication (latest Maximum) both zero."""
    label, limit = "Replication backlog", "0 bytes and 0 operations pending"
    if error:
        return CheckItem("backlog", label, "could not be read", limit, "unknown", error)
    if not metrics_enabled:
        return CheckItem("backlog", label, "replication metrics are off on the rule", limit, "unknown",
                         "plan with --metrics (or RTC) and apply again: without them the backlog cannot be measured")
    if bytes_pending is None and operations_pending is None:
        return CheckItem("backlog", label, "no datapoints in the window (S3 sends none while idle)", limit, "go")
    ops, size = operations_pending or 0, bytes_pending or 0
    measured = f"{ops:,.0f} operations, {human_size(size)} pending"
    if ops or size:
        return CheckItem("backlog", label, measured, limit, "blocked",
                         "wait for the backlog to drain (the cut-over's final drain waits for it)")
    return CheckItem("backlog", label, measured, limit, "go")


def failed_item(failed: int | None, sampled: int, *, truncated: bool, examples: Sequence[str] = (),
                error: str | None = None) -> CheckItem:
    """No version in scope reads ReplicationStatus FAILED (over the sampled versions)."""
    label = "FAILED versions in scope"
    limit = f"0 FAILED among {'the first ' if truncated else ''}{sampled:,} versions sampled"
    if error or failed is None:
        return CheckItem("failed", label, "could not be read", limit, "unknown", error or "sample again")
    measured = f"{failed:,} FAILED of {sampled:,} sampled" + (" (more not sampled)" if truncated else "")
    if failed:
        shown = ", ".join(examples[:3])
        return CheckItem("failed", label, measured, limit, "blocked",
                         f"fix the cause and run s3xrep repair{f' (e.g. {shown})' if shown else ''}")
    return CheckItem("failed", label, measured, limit, "go")


def _parse_ts(text: str | None) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def verify_item(entry: Mapping[str, Any] | None, *, now: dt.datetime, max_age: float) -> CheckItem:
    """The newest recorded verify is clean and younger than ``max_age`` seconds."""
    label, limit = "Clean verify", f"clean, newer than {_age(max_age)}"
    if not entry:
        return CheckItem("verify", label, "no verify recorded for this plan", limit, "blocked",
                         "run s3xrep verify (the cut-over's final verify runs one too)")
    when = _parse_ts(entry.get("ts"))
    result = entry.get("result") or {}
    matter = int(result.get("differences_that_matter") or 0)
    age = (now - when).total_seconds() if when else None
    clean = bool(result.get("ok"))
    measured = (f"{'clean' if clean else f'{matter:,} difference(s) that matter'}, "
                f"{_age(age) + ' ago' if age is not None else 'at an unknown time'}")
    if not clean:
        return CheckItem("verify", label, measured, limit, "blocked", "run s3xrep repair, then verify again")
    if age is None or age > max_age:
        return CheckItem("verify", label, measured, limit, "blocked", "too old: run s3xrep verify again")
    return CheckItem("verify", label, measured, limit, "go")


def canary_item(entry: Mapping[str, Any] | None, *, goal: float) -> CheckItem:
    """The canary's last round trip replicated within ``goal`` seconds with every check passing."""
    label, limit = "Canary round trip", f"replicated, every check passed, within {goal:g} s"
    if not entry:
        return CheckItem("canary", label, "no canary recorded for this plan", limit, "blocked", "run s3xrep canary")
    result = entry.get("result") or {}
    seconds = result.get("seconds_to_replicate")
    when = f" ({entry.get('ts')})" if entry.get("ts") else ""
    if not result.get("ok"):
        status = result.get("status") or "failed"
        return CheckItem("canary", label, f"{status}{when}", limit, "blocked",
                         str(result.get("fix") or result.get("message") or "run s3xrep canary and fix what it says"))
    if seconds is None:
        return CheckItem("canary", label, f"replicated, time not recorded{when}", limit, "unknown", "run s3xrep canary")
    measured = f"{float(seconds):.1f} s{when}"
    if float(seconds) > goal:
        return CheckItem("canary", label, measured, limit, "blocked",
                         "slower than the latency goal: look at the backlog, or raise --latency-goal")
    return CheckItem("canary", label, measured, limit, "go")


def alarms_item(planned: Sequence[str], states: Mapping[str, str | None], *, error: str | None = None) -> CheckItem:
    """Every alarm the journal created is in state OK. None planned: neutral (n/a)."""
    label, limit = "Alarms", "every alarm OK"
    if not planned:
        return CheckItem("alarms", label, "no alarms were planned", limit, "n/a")
    if error:
        return CheckItem("alarms", label, f"{len(planned)} alarm(s), states not readable", limit, "unknown", error)
    not_ok = [(name, states.get(name)) for name in planned if states.get(name) != "OK"]
    measured = f"{len(planned) - len(not_ok)} of {len(planned)} OK"
    if not not_ok:
        return CheckItem("alarms", label, measured, limit, "go")
    shown = "; ".join(f"{name}: {state or 'missing'}" for name, state in not_ok[:3])
    verdict: Verdict = "blocked" if any(state in ("ALARM", None) for _, state in not_ok) else "unknown"
    return CheckItem("alarms", label, measured, limit, verdict, shown)


@dataclass(frozen=True)
class DestinationFacts:
    """What the destination is now (read by the aws layer)."""

    versioning: str | None = None  # "Enabled", "Suspended", "Unversioned"; None: not readable
    policy: dict[str, Any] | None = None  # the bucket policy now (None: none)
    encryption: str | None = None  # default algorithm now (None: none)
    replica_key_state: str | None = None  # KeyState of the plan's replica KMS key, when it names one
    error: str | None = None


def _statement_present(policy: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return any(isinstance(s, dict) and s == wanted for s in statements)


def destination_item(facts: DestinationFacts, *, planned_policy: Mapping[str, Any] | None,
                     planned_sids: Sequence[str], replica_key: str | None) -> CheckItem:
    """Destination versioning Enabled, our planned policy statements in place, the replica key usable."""
    label = "Destination as planned"
    limit = "versioning Enabled, our policy statements in place" + (", replica key Enabled" if replica_key else "")
    if facts.error:
        return CheckItem("destination", label, "could not be read", limit, "unknown", facts.error)
    problems: list[str] = []
    if facts.versioning != "Enabled":
        problems.append(f"versioning is {facts.versioning or 'off'}")
    wanted = [s for s in ((planned_policy or {}).get("Statement") or []) if isinstance(s, dict)
              and s.get("Sid") in set(planned_sids)]
    missing = [str(s.get("Sid")) for s in wanted if not _statement_present(facts.policy, s)]
    if missing:
        problems.append(f"policy statement(s) {', '.join(missing)} missing or changed")
    if replica_key and facts.replica_key_state != "Enabled":
        problems.append(f"replica key {replica_key} is {facts.replica_key_state or 'not readable'}")
    statements = f"{len(wanted) - len(missing)} of {len(wanted)} statement(s)" if wanted else "no statements planned"
    measured = (f"versioning {facts.versioning or 'off'}, {statements}, encryption {facts.encryption or 'none'}"
                + (f", replica key {facts.replica_key_state or '?'}" if replica_key else ""))
    if problems:
        return CheckItem("destination", label, measured, limit, "blocked",
                         "; ".join(problems) + ": run s3xrep apply again (it converges)")
    return CheckItem("destination", label, measured, limit, "go")


def checklist(plan_id: str, source_bucket: str, destination_bucket: str, items: Sequence[CheckItem], *,
              measured_at: dt.datetime | None = None) -> Checklist:
    when = measured_at.isoformat(timespec="seconds") if measured_at else ""
    return Checklist(plan_id, source_bucket, destination_bucket, tuple(items), when)


def checklist_lines(checklist_: Checklist) -> list[str]:
    """The checklist as plain text lines: verdict word first (never colour alone)."""
    lines = [f"{'GO' if checklist_.go else 'NO-GO'}: cut-over of {checklist_.source_bucket} -> "
             f"{checklist_.destination_bucket} (plan {checklist_.plan_id})"]
    for item in checklist_.items:
        lines.append(f"  [{VERDICT_WORDS[item.verdict]:<7}] {item.label}: {item.measured} (go needs {item.limit})")
        if item.blocks:
            lines.append(f"            {item.blocks}")
    return lines
