"""The cut-over's go/no-go checklist, measured: each item read from AWS, the journal and the saved results.

* backlog: the rule's ``BytesPendingReplication`` / ``OperationsPendingReplication``
  (:func:`.replication_status.read_metrics`, the newest datapoint of each);
* FAILED versions: a ``ReplicationStatus`` sample of the source (:func:`.replication_status.sample_status`);
* verify and canary: the newest of each saved for the plan (:mod:`.results`);
* alarms: those the plan's journal created (``call="cloudwatch.put_metric_alarm"``, target =
  the alarm name, not undone since) and their state (``describe_alarms``);
* destination: versioning, the bucket policy and the replica key, from the plan's inputs.

Each item that cannot be read becomes ``unknown`` with the reason; nothing here raises for AWS.
Judging is :mod:`..core.cutover`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ..core import cutover as judge
from ..core.cutover import CheckItem, Checklist, DestinationFacts
from ..core.models import MigrationOptions, Plan, PlanInputs
from ..core.policy_json import load_policy
from ..core.resource_policies import destination_policy_statements
from . import results
from .clients import Clients
from .errors import AwsError, explain
from .identity import profile_of
from .journal import Journal
from .replication_status import read_metrics, sample_status

ALARM_CALL = "cloudwatch.put_metric_alarm"
SETTLED_UNDO = frozenset({"restored", "deleted", "cancelled", "unchanged", "note"})
DEFAULT_MAX_VERIFY_AGE = 24 * 3600.0
DEFAULT_LATENCY_GOAL = 900.0  # S3 RTC's 15 minutes
DEFAULT_SAMPLE = 1000


def _reason(exc: Exception, clients: Clients, what: str) -> str:
    error = exc if isinstance(exc, AwsError) else explain(exc, profile=profile_of(clients), what=what)
    return error.message + (f" (fix: {error.fix})" if error.fix else "")


def rule_id(plan: Plan) -> str:
    rule = ((plan.documents.get("replication_configuration") or {}).get("Rules") or [{}])
    ours = [r for r in rule if str(r.get("Destination", {}).get("Bucket", "")).endswith(f":::{plan.destination.name}")]
    return str((ours or rule)[-1].get("ID") or f"s3xrep-to-{plan.destination.name}")


def pending_now(clients: Clients, plan: Plan, *, period: int = 60, window: float = 900) -> tuple[float | None,
                                                                                                  float | None]:
    """(bytes, operations) pending: the newest datapoint of each metric in the window (None: no data)."""
    metrics = read_metrics(clients, plan.source.name, plan.destination.name, rule_id(plan),
                           region=plan.source.region, window=window, period=period)
    return metrics.bytes_pending.latest, metrics.operations_pending.latest


def planned_alarms(journal: Journal) -> list[dict[str, Any]]:
    """The alarm writes the journal holds that no undo has settled since (one per alarm name, newest)."""
    read = journal.read()
    undone = read.undone()
    found: dict[str, dict[str, Any]] = {}
    for entry in read.writes():
        if entry.get("call") != ALARM_CALL:
            continue
        if (undone.get(entry["id"]) or {}).get("status") in SETTLED_UNDO:
            found.pop(str(entry.get("target")), None)
            continue
        found[str(entry.get("target"))] = entry
    return list(found.values())


def alarm_states(clients: Mapping[str, Clients], entries: list[dict[str, Any]]) -> dict[str, str | None]:
    """``StateValue`` of each journaled alarm (None: not there any more). Raises AwsError."""
    states: dict[str, str | None] = {}
    by_place: dict[tuple[str, str | None], list[str]] = {}
    for entry in entries:
        by_place.setdefault((str(entry.get("account") or "source"), entry.get("region")), []).append(
            str(entry.get("target")))
    for (side, region), names in by_place.items():
        side_clients = clients[side]
        cloudwatch = side_clients("cloudwatch", region)
        for start in range(0, len(names), 100):  # DescribeAlarms takes up to 100 names
            chunk = names[start:start + 100]
            try:
                answer = cloudwatch.describe_alarms(AlarmNames=chunk, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
            except Exception as exc:
                raise explain(exc, profile=profile_of(side_clients), what="cloudwatch.describe_alarms") from exc
            seen = {a.get("AlarmName"): a.get("StateValue")
                    for a in (answer.get("MetricAlarms") or []) + (answer.get("CompositeAlarms") or [])}
            states.update({name: seen.get(name) for name in chunk})
    return states


def _guarded(item: Callable[[], CheckItem], fallback: Callable[[str], CheckItem]) -> CheckItem:
    try:
        return item()
    except AwsError as exc:
        return fallback(exc.message + (f" (fix: {exc.fix})" if exc.fix else ""))


def destination_facts(inputs: PlanInputs) -> DestinationFacts:
    dst = inputs.destination
    try:
        policy = load_policy(dst.policy) if dst.policy else None
    except ValueError:
        policy = {"Statement": []}
    key_state = inputs.replica_key.state if inputs.replica_key else None
    return DestinationFacts(dst.versioning if dst.exists else "missing", policy if isinstance(policy, dict) else None,
                            dst.encryption.algorithm, key_state)


def measure(
    plan: Plan,
    inputs: PlanInputs,
    clients: Mapping[str, Clients],
    *,
    options: MigrationOptions,
    max_verify_age: float = DEFAULT_MAX_VERIFY_AGE,
    latency_goal: float = DEFAULT_LATENCY_GOAL,
    sample: int = DEFAULT_SAMPLE,
    period: int = 60,
    journal: Journal | None = None,
    now: dt.datetime | None = None,
) -> Checklist:
    """Every item of the go/no-go checklist for the applied ``plan`` (``inputs``: its facts as read now)."""
    now = now or dt.datetime.now(dt.UTC)
    source = clients["source"]
    journal = journal or Journal(plan.id)

    def backlog() -> CheckItem:
        bytes_pending, operations = pending_now(source, plan, period=period)
        return judge.backlog_item(bytes_pending, operations, metrics_enabled=options.metrics_enabled)

    def failed() -> CheckItem:
        found = sample_status(source, plan.source.name, region=plan.source.region, prefix=options.prefix,
                              limit=sample, expected_owner=plan.source_account.id)
        return judge.failed_item(found.failed, found.sampled, truncated=found.truncated, examples=found.failed_keys)

    def alarms() -> CheckItem:
        entries = planned_alarms(journal)
        names = [str(e.get("target")) for e in entries]
        return judge.alarms_item(names, alarm_states(clients, entries) if entries else {})

    try:
        saved = results.latest(plan.id)
    except (OSError, ValueError):
        saved = {"verify": None, "canary": None}
    planned_policy = plan.documents.get("destination_bucket_policy")
    # the Sids we write, not every Sid of our family: a foreign one there is kept, and not ours to check
    role = str((plan.documents.get("replication_configuration") or {}).get("Role") or "")
    sids = [str(s["Sid"]) for s in destination_policy_statements(inputs, role)] if role else []
    items = [
        _guarded(backlog, lambda why: judge.backlog_item(None, None, metrics_enabled=True, error=why)),
        _guarded(failed, lambda why: judge.failed_item(None, 0, truncated=False, error=why)),
        judge.verify_item(saved.get("verify"), now=now, max_age=max_verify_age),
        judge.canary_item(saved.get("canary"), goal=latency_goal),
        _guarded(alarms, lambda why: judge.alarms_item(["?"], {}, error=why)),
        judge.destination_item(destination_facts(inputs), planned_policy=planned_policy, planned_sids=sids,
                               replica_key=options.replica_kms_key),
    ]
    return judge.checklist(plan.id, plan.source.name, plan.destination.name, items, measured_at=now)
