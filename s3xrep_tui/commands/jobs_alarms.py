"""The alarms part of ``s3xrep jobs``: each local migration of this account with its alarms' states
and recent failure events (issue 18), after the jobs.

The migrations are this machine's journals whose source account is the one listed; the
alarms are those their journals created (aws.alarm_status). States are words (OK, ALARM,
INSUFFICIENT_DATA), never colours; every AWS string is escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.text import safe

if TYPE_CHECKING:  # boto3 comes with them: imported when the command runs (s3xrep --version stays light)
    from ..aws.alarm_status import AlarmStatus


def gather(clients: Any, account_id: str, region: str) -> list[tuple[str, AlarmStatus]]:
    """(plan id, its alarm status) for each migration of ``account_id`` in ``region`` that has alarms."""
    from ..aws.alarm_status import alarm_status
    from ..aws.migrations import list_migrations

    found: list[tuple[str, AlarmStatus]] = []
    for migration in list_migrations():
        if migration.source_account != account_id or migration.undone:
            continue
        if migration.region and migration.region != region:
            continue
        status = alarm_status(clients, migration.plan_id, region=region)
        if status.alarms or status.events or status.note:
            found.append((migration.plan_id, status))
    return found


def as_json(found: list[tuple[str, AlarmStatus]]) -> list[dict[str, Any]]:
    return [{"plan_id": plan_id,
             "alarms": [{"name": a.name, "state": a.state, "reason": a.reason, "metric": a.metric} for a in s.alarms],
             "failure_events": [{"key": e.key, "version_id": e.version_id, "reason": e.reason, "meaning": e.meaning,
                                 "time": e.time} for e in s.events],
             "note": s.note} for plan_id, s in found]


def render(found: list[tuple[str, AlarmStatus]], events_shown: int = 5) -> str:
    lines: list[str] = []
    for plan_id, status in found:
        lines.append(f"Alarms of migration {plan_id}:")
        for alarm in status.alarms:
            lines.append(f"  {alarm.state:<17} {alarm.name}  {alarm.reason}")
        if status.events:
            lines.append(f"  recent failure events ({len(status.events)}):")
            for event in status.events[:events_shown]:
                lines.append(f"    FAILED {event.key} {event.version_id}: {event.meaning} [{event.reason}]")
        elif status.note:
            lines.append(f"  {status.note}")
    return safe("\n".join(lines), newlines=True)
