"""apply's executor: each account's clients, the journaled write, backoff and cancel, and the run over the steps.

The step handlers live in the subclasses (:mod:`.apply_roles`, :mod:`.apply_job`,
:mod:`.apply`); ``handlers`` maps each plan call to one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.merge import MergeError
from ..core.models import MigrationOptions, Plan, Step
from ..core.names import sid_family
from ..core.statement_proof import proven_statements
from .apply_result import ApplyCancelled, ApplyEvent, ApplyResult, EventStatus, Outcome, ProgressCallback, StepResult
from .backoff import Backoff, GaveUp, send_with_backoff, throttled
from .clients import Clients
from .errors import AwsError, explain
from .identity import caller_identity, profile_of
from .journal import Journal


@dataclass
class Side:
    name: str  # "source" | "destination"
    clients: Clients
    profile: str | None
    account_id: str


def _role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _roles_in(statements: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for statement in statements:
        principal = statement.get("Principal")
        values = principal.get("AWS") if isinstance(principal, dict) else None
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and ":role/" in value and _role_name(value) not in names:
                names.append(_role_name(value))
    return names


def _message(exc: ClientError) -> str:
    return str(((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message") or "")


class ExecutorBase:
    def __init__(
        self,
        plan: Plan,
        clients: Mapping[str, Clients],
        *,
        progress: ProgressCallback | None,
        read_only: bool,
        cancel: threading.Event | None,
        journal: Journal,
        backoff: Backoff,
        readback_timeout: float,
        options: MigrationOptions | None,
        backfill_again: bool = False,
    ) -> None:
        self.plan = plan
        self.backfill_again = backfill_again
        self.clients = clients
        self.progress = progress
        self.read_only = read_only
        self.cancel = cancel
        self.journal = journal
        self.backoff = backoff
        self.readback_timeout = readback_timeout
        self.options = options or MigrationOptions()
        self.sides: dict[str, Side] = {}
        self.created_roles: set[str] = set()
        self.family = sid_family(plan.source_account.id, plan.source.name, plan.destination.name)
        self._index = 0
        self._step: Step | None = None
        self._waits = 0

    # -- plumbing --------------------------------------------------------------------------------

    def proven(self) -> frozenset[str]:
        """The policy statements this plan's journal wrote (undo did not take them back): ours by proof."""
        read = self.journal.read()
        taken_back = {ref for ref, e in read.undone().items() if e.get("status") in ("deleted", "restored")}
        return proven_statements(read.writes(), taken_back)

    def emit(self, status: EventStatus, message: str = "", **extra: Any) -> None:
        if self.progress is not None and self._step is not None:
            self.progress(
                ApplyEvent(self._index, len(self.plan.steps), self._step, status, message, **extra)
            )

    def sleep(self, seconds: float) -> None:
        if self.cancel is not None:
            if self.cancel.wait(seconds):
                raise ApplyCancelled()
        else:
            time.sleep(seconds)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise ApplyCancelled()

    def side(self, name: str) -> Side:
        found = self.sides.get(name)
        if found is None:
            clients = self.clients[name]
            expected = self.plan.source_account.id if name == "source" else self.plan.destination_account.id
            account = caller_identity(clients).id
            if account != expected:
                raise AwsError(
                    f"the {name} credentials belong to account {account}, but the plan's {name} account is {expected}",
                    f"use the {name} profile the plan was made with",
                    "WrongAccount",
                )
            found = self.sides[name] = Side(name, clients, profile_of(clients), account)
        return found

    def region_of(self, side: str) -> str | None:
        return (self.plan.source if side == "source" else self.plan.destination).region

    def call(
        self,
        side: Side,
        what: str,
        send: Callable[[], Any],
        retry: Callable[[ClientError], str | None] | None = None,
        absent: tuple[str, ...] = (),
    ) -> Any:
        """Send one call; ``absent`` error codes give ``ABSENT``; ``retry`` names a wait reason.

        Throttling (``SlowDown``, ``TooManyRequestsException``, ...) is retried on every call,
        with the same bounded backoff, once botocore's own few quick retries have given up.
        """
        def reason(exc: ClientError) -> str | None:
            return (retry(exc) if retry else None) or throttled(exc)

        def waiting(why: str, delay: float, attempt: int, attempts: int) -> None:
            self._waits += 1
            self.emit("waiting", f"{why} (attempt {attempt}/{attempts})", attempt=attempt, attempts=attempts,
                      delay=delay)

        try:
            return send_with_backoff(send, self.backoff, reason=reason, on_wait=waiting, sleep=self.sleep,
                                     absent=absent, before_each=self.check_cancel)
        except GaveUp as gave_up:
            error = explain(gave_up.error, profile=side.profile, what=what)
            propagation = retry is not None and retry(gave_up.error)
            raise AwsError(
                gave_up.told(error.message),
                "IAM changes usually propagate within a minute: wait and run apply again; if it keeps "
                "failing, check that the role exists (iam get-role) and its name in the plan"
                if propagation else
                "AWS kept throttling these requests: wait a few minutes (or slow down other automation "
                "using these buckets and jobs) and run apply again; it continues from this step",
                error.code,
            ) from gave_up.error
        except (ClientError, BotoCoreError) as exc:
            raise explain(exc, profile=side.profile, what=what) from exc

    def write(
        self,
        side: Side,
        step: Step,
        *,
        call: str,
        target: str,
        region: str | None,
        before: Any,
        after: Any,
        send: Callable[[], Any],
        retry: Callable[[ClientError], str | None] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Any:
        """Journal (before, after, and ``extra`` fields), then send; refused in read-only mode."""
        if self.read_only:
            raise AwsError(
                f"read-only mode: refusing to send {call} to {target} ({side.name} account {side.account_id})",
                "leave read-only mode (run apply without --read-only) to make changes",
                "ReadOnly",
            )
        entry = self.journal.record(
            "write",
            step=step.id,
            call=call,
            account=side.name,
            account_id=side.account_id,
            profile=side.profile,
            region=region,
            target=target,
            before=before,
            after=after,
            **(extra or {}),
        )
        response = self.call(side, f"{call} on {target}", send, retry)
        result: dict[str, Any] = {}
        if isinstance(response, dict):
            # the job made, or the object version uploaded (repair's manifest: undo deletes exactly it)
            # (an SNS topic or subscription: undo removes exactly it)
            result.update({k: response[k] for k in ("JobId", "VersionId", "ETag", "TopicArn", "SubscriptionArn")
                           if response.get(k)})
        self.journal.record("done", ref=entry["id"], step=step.id, call=call, target=target, result=result)
        return response

    def handlers(self) -> dict[str, Callable[[Step], Outcome]]:
        """The plan call each step handler answers (the subclass that has them says)."""
        raise NotImplementedError

    # -- the run ---------------------------------------------------------------------------------

    def run(self, result: ApplyResult) -> None:
        handlers = self.handlers()
        steps = self.plan.steps
        for index, step in enumerate(steps, start=1):
            self._index, self._step, self._waits = index, step, 0
            try:
                self.check_cancel()
                self.emit("start", step.summary)
                handler = handlers.get(step.call)
                if handler is None:
                    raise AwsError(f"apply does not know the call {step.call}", "update s3xrep", "UnknownStep")
                outcome = handler(step)
            except ApplyCancelled:
                result.cancelled = True
                result.steps.append(StepResult(step, index, "cancelled", "cancelled before it finished"))
                self.emit("cancelled", "cancelled")
                self._not_run(result, index)
                return
            except (AwsError, MergeError) as exc:
                error = (
                    exc
                    if isinstance(exc, AwsError)
                    else AwsError(exc.message, exc.fix, exc.finding_id)
                )
                result.steps.append(StepResult(step, index, "failed", error.message, error=error, waits=self._waits))
                self.emit("failed", error.message, fix=error.fix)
                self._not_run(result, index)
                return
            result.steps.append(
                StepResult(
                    step, index, outcome.status, outcome.message, job_id=outcome.job_id,
                    remerged=outcome.remerged, waits=self._waits,
                )
            )
            self.emit(outcome.status, outcome.message, payload={"JobId": outcome.job_id} if outcome.job_id else None)

    def _not_run(self, result: ApplyResult, index: int) -> None:
        for later, step in enumerate(self.plan.steps[index:], start=index + 1):
            result.steps.append(StepResult(step, later, "not-run", "not run"))
