"""CloudWatch alarm evaluation on the replication metrics (moto stores alarms but never evaluates them).

What AWS documents (Amazon CloudWatch User Guide, "Using Amazon CloudWatch alarms",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html, and
"Configuring how CloudWatch alarms treat missing data"): a metric alarm looks at the last
``EvaluationPeriods`` periods of ``Period`` seconds, applies its ``Statistic`` to the datapoints
of each, compares with ``Threshold`` by ``ComparisonOperator``; a period without data is
treated as ``TreatMissingData`` says (``missing`` by default, ``notBreaching``, ``breaching``,
``ignore``: keep the state). On a state change the alarm records the new state with a reason,
and runs its ``AlarmActions`` (ALARM) or ``OKActions`` (OK): for an SNS topic it publishes the
alarm's JSON notification (AlarmName, NewStateValue, NewStateReason, OldStateValue, ...).

Only alarms on the ``AWS/S3`` namespace are evaluated (the metrics this sandbox publishes).
A bounded thread evaluates every ``period`` seconds; :meth:`AlarmEvaluator.evaluate` runs once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

from .metrics import NAMESPACE

log = logging.getLogger(__name__)

_COMPARE = {
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def _statistic(values: list[float], statistic: str) -> float:
    if statistic == "Sum":
        return sum(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "SampleCount":
        return float(len(values))
    return sum(values) / len(values)  # Average


def _stamp(when: dt.datetime) -> str:
    return when.strftime("%d/%m/%y %H:%M:%S")


def judge(alarm: Any, data: list[tuple[dt.datetime, float]], now: dt.datetime) -> tuple[str, str] | None:
    """(state, reason) for ``alarm`` given its metric's datapoints; None: keep the state (missing data ignored)."""
    compare, words = _COMPARE.get(alarm.comparison_operator, _COMPARE["GreaterThanThreshold"])
    period = int(alarm.period or 60)
    periods = int(alarm.evaluation_periods or 1)
    threshold = float(alarm.threshold)
    window = [(when, value) for when, value in data if now - dt.timedelta(seconds=period * periods) <= when <= now]
    if not window:
        treat = alarm.treat_missing_data or "missing"
        if treat == "ignore":
            return None
        if treat == "missing":
            return "INSUFFICIENT_DATA", (f"Insufficient Data: {periods} datapoint{'s' if periods > 1 else ''} "
                                         "were unknown.")
        state = "ALARM" if treat == "breaching" else "OK"
        kind = "Breaching" if treat == "breaching" else "NonBreaching"
        return state, (f"Threshold Crossed: no datapoints were received for {periods} period{'s' * (periods > 1)} "
                       f"and {periods} missing datapoint{'s' * (periods > 1)} was treated as [{kind}].")
    value = _statistic([v for _, v in window], alarm.statistic or "Average")
    latest = max(when for when, _ in window)
    breaching = compare(value, threshold)
    reason = (f"Threshold Crossed: 1 datapoint [{value:g} ({_stamp(latest)})] was "
              f"{'' if breaching else 'not '}{words} the threshold ({threshold:g}).")
    return ("ALARM" if breaching else "OK"), reason


class AlarmEvaluator:
    """Evaluates moto's AWS/S3 alarms of the given accounts and runs their SNS actions on state changes."""

    def __init__(self, accounts: tuple[str, ...], *, period: float = 1.0) -> None:
        self.accounts = accounts
        self.period = period
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-alarms", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self.period):
            try:
                self.evaluate()
            except Exception:
                log.exception("evaluating alarms failed")

    def evaluate(self, now: dt.datetime | None = None) -> list[tuple[str, str, str]]:
        """One evaluation of every alarm; returns the (alarm, old state, new state) changes."""
        from moto.cloudwatch.models import cloudwatch_backends

        changes: list[tuple[str, str, str]] = []
        with self._lock:  # the thread and an on-demand call never evaluate at once
            for account in self.accounts:
                for region, backend in list(cloudwatch_backends[account].items()):
                    moment = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
                    for alarm in list(backend.alarms.values()):
                        if alarm.namespace != NAMESPACE or not alarm.metric_name:
                            continue
                        change = self._evaluate_one(account, region, backend, alarm, moment)
                        if change:
                            changes.append(change)
        return changes

    def _evaluate_one(self, account: str, region: str, backend: Any, alarm: Any,
                      now: dt.datetime) -> tuple[str, str, str] | None:
        wanted = {(d.name, d.value) for d in alarm.dimensions}
        data = [(_naive(m.timestamp), float(m.value)) for m in backend.metric_data
                if m.namespace == alarm.namespace and m.name == alarm.metric_name and hasattr(m, "value")
                and {(d.name, d.value) for d in m.dimensions} == wanted]
        verdict = judge(alarm, data, now)
        # AWS starts a new alarm in INSUFFICIENT_DATA; moto says OK "Unchecked: Initial alarm creation"
        old = "INSUFFICIENT_DATA" if str(alarm.state_reason).startswith("Unchecked") else alarm.state_value
        if verdict is None or verdict[0] == old:
            return None
        state, reason = verdict
        alarm.update_state(reason, json.dumps({"version": "1.0", "queryDate": now.isoformat()}), state)
        actions = alarm.alarm_actions if state == "ALARM" else alarm.ok_actions if state == "OK" else []
        if alarm.actions_enabled:
            for arn in actions or []:
                _publish(account, arn, _notification(alarm, account, region, old, now))
        return alarm.name, old, state


def _naive(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def _notification(alarm: Any, account: str, region: str, old: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "AlarmName": alarm.name, "AlarmDescription": alarm.description, "AWSAccountId": account,
        "AlarmArn": alarm.alarm_arn, "NewStateValue": alarm.state_value, "NewStateReason": alarm.state_reason,
        "StateChangeTime": now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "Region": region, "OldStateValue": old,
        "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace,
                    "StatisticType": "Statistic", "Statistic": str(alarm.statistic or "").upper(),
                    "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
                    "Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods,
                    "ComparisonOperator": alarm.comparison_operator, "Threshold": alarm.threshold,
                    "TreatMissingData": alarm.treat_missing_data or "missing"},
    }


def _publish(account: str, topic_arn: str, message: dict[str, Any]) -> None:
    """Publish to an SNS topic of ``account`` as CloudWatch does (a topic that is gone is skipped)."""
    from moto.sns.models import sns_backends

    parts = topic_arn.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        return
    try:
        topic = sns_backends[parts[4]][parts[3]].get_topic(topic_arn)
    except Exception:
        log.info("alarm action: topic %s not found", topic_arn)
        return
    topic.publish(json.dumps(message), subject=f'ALARM: "{message["AlarmName"]}" in {message["Region"]}'[:100]
                  if message["NewStateValue"] == "ALARM" else f'OK: "{message["AlarmName"]}" in {message["Region"]}'[:100])
