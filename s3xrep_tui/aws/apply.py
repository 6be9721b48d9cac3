"""The journaled apply: a plan's steps, in order, each with the right account's clients.

Every step re-reads the current state first and does nothing when it already
holds, so a re-run after a failure at any step converges without duplicates
("retry from the failed step" is simply a re-run). Before each write the
previous document is saved in the plan's journal (:mod:`.journal`), then the
write is sent.

* Regions: every s3 call in its bucket's region, s3control in the source
  bucket's region, iam global, kms in the key's region.
* ``ExpectedBucketOwner`` on every bucket call (reads included).
* IAM is eventually consistent: calls that name a role (``put_bucket_policy``
  answering ``MalformedPolicy: Invalid principal``, ``put_bucket_replication``
  and ``create_job`` rejecting the role, ``put_role_policy`` not seeing a role
  created a moment ago) are retried with bounded exponential backoff, and each
  wait is reported with its reason.
* Throttling (S3 ``SlowDown``, s3control ``TooManyRequestsException``, ...) is
  retried on any call with the same bounded backoff, each wait reported.
* Concurrent changes: policies and the replication configuration are merged
  again, with the same core merge functions, against the document as read
  just before writing; when that differs from the plan's document the step
  says it re-merged (another statement or rule added meanwhile survives).
* ``create_job`` only after ``list_jobs`` shows no running job with the same
  description, and not when this plan's journal already created that job; an
  interrupted request is resent with its own token (the same job), and after our
  job ended a fresh backfill gets a new token (``core.batch_job``).
* ``dry_run`` sends nothing at all (each step is reported with its request);
  ``read_only`` reads but refuses every write.

Synchronous and cancellable (``cancel`` event, checked between steps and
during every wait); progress goes to a callback, so a UI runs this in a
worker thread. An exception raised by the callback propagates (it aborts the
run; the journal stays consistent because each entry is written first).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from ..core.merge import (
    MergeError,
    merge_bucket_policy,
    merge_key_policy,
    merge_replication,
)
from ..core.models import MigrationOptions, Plan, Step
from ..core.names import sid_family
from ..core.ownership import MANAGED_TAG, MANAGED_VALUE, describe_rule, role_tags, rule_fingerprint, rule_is_ours
from .apply_job import JobStep
from .backoff import ABSENT, Backoff, GaveUp, send_with_backoff, throttled
from .clients import Clients
from .errors import AwsError, error_code, explain
from .identity import caller_identity, profile_of
from .journal import Journal

EventStatus = Literal["start", "waiting", "info", "done", "no-op", "failed", "dry-run", "cancelled"]
StepStatus = Literal["done", "no-op", "failed", "not-run", "dry-run", "cancelled"]


@dataclass(frozen=True)
class ApplyEvent:
    """One progress report: ``status`` of step ``index`` (1-based) of ``total``.

    ``start`` before a step; ``waiting`` before each backoff sleep (``attempt``
    is the next try, of ``attempts``; ``delay`` seconds); ``info`` for notes
    (re-merged, read back); then exactly one of ``done``, ``no-op``, ``failed``,
    ``dry-run`` or ``cancelled``. ``payload``: the request (dry-run), or
    ``{"JobId": ...}`` for the Batch job.
    """

    index: int
    total: int
    step: Step
    status: EventStatus
    message: str = ""
    fix: str = ""
    attempt: int | None = None
    attempts: int | None = None
    delay: float | None = None
    payload: Any = None

    @property
    def position(self) -> str:
        width = max(2, len(str(self.total)))
        return f"[{self.index:0{width}d}/{self.total:0{width}d}]"


ProgressCallback = Callable[[ApplyEvent], None]


@dataclass
class StepResult:
    step: Step
    index: int
    status: StepStatus
    message: str = ""
    error: AwsError | None = None
    job_id: str | None = None
    remerged: bool = False
    waits: int = 0


@dataclass
class ApplyResult:
    plan_id: str
    journal_path: Path | None
    steps: list[StepResult] = field(default_factory=list)
    dry_run: bool = False
    read_only: bool = False
    cancelled: bool = False

    @property
    def failed(self) -> StepResult | None:
        return next((r for r in self.steps if r.status == "failed"), None)

    @property
    def ok(self) -> bool:
        return not self.cancelled and self.failed is None

    @property
    def error(self) -> AwsError | None:
        failed = self.failed
        return failed.error if failed else None

    @property
    def job_id(self) -> str | None:
        return next((r.job_id for r in self.steps if r.job_id), None)

    def summary(self) -> str:
        if self.dry_run:
            return f"dry run: {len(self.steps)} step(s) shown, nothing was sent"
        counts: dict[str, int] = {}
        for r in self.steps:
            counts[r.status] = counts.get(r.status, 0) + 1
        tally = ", ".join(f"{n} {s}" for s, n in counts.items())
        failed = self.failed
        if failed is not None:
            return (
                f"step {failed.step.id} ({failed.step.call}) failed: {tally}. Fix the cause and run apply again: "
                "it continues from that step (steps already done are checked and skipped)"
            )
        if self.cancelled:
            return f"cancelled: {tally}. Run apply again to continue"
        return f"applied: {tally}"


class ApplyCancelled(Exception):
    """The cancel event was set."""


class _Outcome:
    def __init__(self, status: StepStatus, message: str, *, job_id: str | None = None, remerged: bool = False):
        self.status = status
        self.message = message
        self.job_id = job_id
        self.remerged = remerged


@dataclass
class _Side:
    name: str  # "source" | "destination"
    clients: Clients
    profile: str | None
    account_id: str


def _parse(document: Any) -> Any:
    """A policy document as returned by AWS (dict, JSON text or URL-encoded JSON) -> dict."""
    if document is None or isinstance(document, dict):
        return document
    text = str(document)
    try:
        return json.loads(text)
    except ValueError:
        from urllib.parse import unquote

        return json.loads(unquote(text))


def _dumps(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


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


class _Executor(JobStep):
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
        self.sides: dict[str, _Side] = {}
        self.created_roles: set[str] = set()
        self.family = sid_family(plan.source_account.id, plan.source.name, plan.destination.name)
        self._index = 0
        self._step: Step | None = None
        self._waits = 0

    # -- plumbing --------------------------------------------------------------------------------

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

    def side(self, name: str) -> _Side:
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
            found = self.sides[name] = _Side(name, clients, profile_of(clients), account)
        return found

    def region_of(self, side: str) -> str | None:
        return (self.plan.source if side == "source" else self.plan.destination).region

    def call(
        self,
        side: _Side,
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
        side: _Side,
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
            result.update({k: response[k] for k in ("JobId", "VersionId", "ETag") if response.get(k)})
        self.journal.record("done", ref=entry["id"], step=step.id, call=call, target=target, result=result)
        return response

    # -- the run ---------------------------------------------------------------------------------

    def run(self, result: ApplyResult) -> None:
        handlers: dict[str, Callable[[Step], _Outcome]] = {
            "s3.put_bucket_versioning": self.versioning,
            "iam.create_role": self.create_role,
            "iam.update_assume_role_policy": self.update_trust,
            "iam.put_role_policy": self.role_policy,
            "kms.put_key_policy": self.key_policy,
            "s3.put_bucket_policy": self.bucket_policy,
            "s3.put_bucket_replication": self.replication,
            "s3control.create_job": self.create_job,
        }
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

    # -- versioning ------------------------------------------------------------------------------

    def versioning(self, step: Step) -> _Outcome:
        side = self.side(step.account)
        request = step.request
        bucket, owner = request["Bucket"], request.get("ExpectedBucketOwner", side.account_id)
        region = self.region_of(step.account)
        s3 = side.clients("s3", region)
        answer = self.call(
            side, f"s3.get_bucket_versioning on bucket {bucket!r}",
            lambda: s3.get_bucket_versioning(Bucket=bucket, ExpectedBucketOwner=owner),
        )
        status = answer.get("Status")
        if status == "Enabled":
            return _Outcome("no-op", f"versioning already enabled on {bucket}")
        self.write(
            side, step, call=step.call, target=f"bucket {bucket}", region=region,
            before={"Status": status} if status else None, after={"Status": "Enabled"},
            send=lambda: s3.put_bucket_versioning(**request),
        )
        return _Outcome("done", f"versioning enabled on {bucket}")

    # -- IAM -------------------------------------------------------------------------------------

    def _get_role(self, side: _Side, name: str) -> dict[str, Any] | None:
        iam = side.clients("iam")
        answer = self.call(side, f"iam.get_role {name!r}", lambda: iam.get_role(RoleName=name), absent=("NoSuchEntity",))
        return None if answer is ABSENT else answer["Role"]

    def _create_role(self, side: _Side, step: Step, name: str, trust: dict[str, Any], description: str) -> None:
        iam = side.clients("iam")
        self.write(
            side, step, call="iam.create_role", target=f"role {name}", region=None, before=None, after=trust,
            send=lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=_dumps(trust), Description=description,
                                         Tags=role_tags(self.plan.id)),
        )
        self.created_roles.add(name)

    def _set_trust(self, side: _Side, step: Step, name: str, current: Any, trust: dict[str, Any]) -> None:
        iam = side.clients("iam")
        self.write(
            side, step, call="iam.update_assume_role_policy", target=f"role {name}", region=None,
            before=current, after=trust,
            send=lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=_dumps(trust)),
            retry=self._role_not_visible(name),
        )

    def create_role(self, step: Step) -> _Outcome:
        side = self.side(step.account)
        name = step.request["RoleName"]
        trust = _parse(step.request["AssumeRolePolicyDocument"])
        role = self._get_role(side, name)
        if role is None:
            self._create_role(side, step, name, trust, step.request.get("Description", "s3xrep"))
            return _Outcome("done", f"role {name} created")
        if not self._tagged_ours(side, name):
            raise AwsError(
                f"role {name} was absent when the plan was made but exists now, and it is not ours (no "
                f"{MANAGED_TAG}={MANAGED_VALUE} tag): refusing to change it",
                "plan again: the plan then says whose role it is and offers --role-name or --adopt",
                "RoleNotOurs",
            )
        current = _parse(role.get("AssumeRolePolicyDocument"))
        if current == trust:
            return _Outcome("no-op", f"role {name} already exists with this trust policy")
        self._set_trust(side, step, name, current, trust)
        return _Outcome("done", f"role {name} already existed: its trust policy was updated")

    def update_trust(self, step: Step) -> _Outcome:
        side = self.side(step.account)
        name = step.request["RoleName"]
        trust = _parse(step.request["PolicyDocument"])
        role = self._get_role(side, name)
        if role is None:
            self._create_role(side, step, name, trust, "s3xrep: replication")
            return _Outcome("done", f"role {name} no longer existed: created it")
        current = _parse(role.get("AssumeRolePolicyDocument"))
        adopted = self.options.adopt and self._adopt(side, step, name, current)
        if current == trust:
            return _Outcome("done" if adopted else "no-op", f"role {name} " + (
                "tagged ours; already trusted as needed" if adopted else "already trusted as needed"))
        self._set_trust(side, step, name, current, trust)
        return _Outcome("done", f"trust policy of role {name} updated" + ("; tagged ours" if adopted else ""))

    def _role_tags(self, side: _Side, name: str) -> dict[str, str]:
        iam = side.clients("iam")
        answer = self.call(side, f"iam.list_role_tags {name!r}", lambda: iam.list_role_tags(RoleName=name))
        return {t["Key"]: t.get("Value", "") for t in answer.get("Tags") or []}

    def _tagged_ours(self, side: _Side, name: str) -> bool:
        return self._role_tags(side, name).get(MANAGED_TAG) == MANAGED_VALUE

    def _adopt(self, side: _Side, step: Step, name: str, trust: Any) -> bool:
        """A role the user adopted (--adopt), untagged: journal all of it (trust, policies, tags), then tag it ours."""
        tags = self._role_tags(side, name)
        if tags.get(MANAGED_TAG) == MANAGED_VALUE:
            return False
        iam = side.clients("iam")
        inline = self.call(side, f"iam.list_role_policies {name!r}", lambda: iam.list_role_policies(RoleName=name))
        policies = {
            policy: _parse(self.call(side, f"iam.get_role_policy {policy!r} of role {name!r}",
                                     lambda policy=policy: iam.get_role_policy(RoleName=name, PolicyName=policy))
                           .get("PolicyDocument"))
            for policy in inline.get("PolicyNames") or []
        }
        attached = self.call(side, f"iam.list_attached_role_policies {name!r}",
                             lambda: iam.list_attached_role_policies(RoleName=name))
        ours = role_tags(self.plan.id)[:1]  # managed-by only: the role was not created by this plan
        self.write(
            side, step, call="iam.tag_role", target=f"role {name}", region=None,
            before={"Tags": tags, "AssumeRolePolicyDocument": trust, "InlinePolicies": policies,
                    "AttachedPolicies": [p.get("PolicyArn") for p in attached.get("AttachedPolicies") or []]},
            after={"Tags": {t["Key"]: t["Value"] for t in ours}},
            send=lambda: iam.tag_role(RoleName=name, Tags=ours),
        )
        return True

    def _role_not_visible(self, name: str) -> Callable[[ClientError], str | None]:
        def reason(exc: ClientError) -> str | None:
            if error_code(exc) == "NoSuchEntity" and name in self.created_roles:
                return f"waiting for IAM to show the new role {name}"
            return None

        return reason

    def role_policy(self, step: Step) -> _Outcome:
        side = self.side(step.account)
        request = step.request
        name, policy_name = request["RoleName"], request["PolicyName"]
        wanted = _parse(request["PolicyDocument"])
        iam = side.clients("iam")
        answer = self.call(
            side, f"iam.get_role_policy {policy_name!r} of role {name!r}",
            lambda: iam.get_role_policy(RoleName=name, PolicyName=policy_name),
            absent=("NoSuchEntity",),
        )
        current = None if answer is ABSENT else _parse(answer.get("PolicyDocument"))
        if current == wanted:
            return _Outcome("no-op", f"role {name} already has inline policy {policy_name} as planned")
        self.write(
            side, step, call=step.call, target=f"role {name} policy {policy_name}", region=None,
            before=current, after=wanted,
            send=lambda: iam.put_role_policy(**request),
            retry=self._role_not_visible(name),
        )
        return _Outcome("done", f"inline policy {policy_name} {'updated' if current else 'added'} on role {name}")

    # -- resource policies -----------------------------------------------------------------------

    def _ours(self, document: Any) -> list[dict[str, Any]]:
        statements = (document or {}).get("Statement") or []
        return [s for s in statements if isinstance(s.get("Sid"), str) and s["Sid"].startswith(self.family)]

    @staticmethod
    def _principal_retry(roles: list[str]) -> Callable[[ClientError], str | None]:
        label = ", ".join(roles) or "the role"

        def reason(exc: ClientError) -> str | None:
            code, text = error_code(exc), _message(exc).lower()
            if code in ("MalformedPolicy", "MalformedPolicyDocumentException") and "principal" in text:
                return f"waiting for IAM to propagate role {label}"
            return None

        return reason

    def _policy_step(
        self,
        step: Step,
        *,
        what: str,
        target: str,
        region: str | None,
        read: Callable[[], Any],
        merge: Callable[[str | None, list[dict[str, Any]]], Any],
        send: Callable[[str], Any],
        read_what: str,
    ) -> _Outcome:
        side = self.side(step.account)
        planned = self.plan.documents.get(step.document or "") if step.document else None
        if planned is None:
            planned = _parse(step.request.get("Policy"))
        ours = self._ours(planned)
        answer = self.call(side, read_what, read, absent=("NoSuchBucketPolicy",))
        current_text = None if answer is ABSENT else answer.get("Policy")
        current = _parse(current_text) if current_text is not None else None
        merged = merge(current_text, ours)  # MergeError: a collision appeared since the plan
        target_policy = merged.policy
        remerged = target_policy != planned
        if current == target_policy:
            return _Outcome("no-op", f"{what} already holds our statements")
        if remerged:
            self.emit(
                "info",
                f"{what} changed since the plan was made: merged our statements into it again "
                f"({merged.foreign} other statement(s) kept)",
            )
        self.write(
            side, step, call=step.call, target=target, region=region, before=current, after=target_policy,
            send=lambda: send(_dumps(target_policy)),
            retry=self._principal_retry(_roles_in(ours)),
        )
        note = " (re-merged with a change made since the plan)" if remerged else ""
        return _Outcome("done", f"{what} {'updated' if current else 'created'}{note}", remerged=remerged)

    def bucket_policy(self, step: Step) -> _Outcome:
        side = self.side(step.account)
        bucket = step.request["Bucket"]
        owner = step.request.get("ExpectedBucketOwner", side.account_id)
        region = self.region_of(step.account)
        s3 = side.clients("s3", region)
        return self._policy_step(
            step,
            what=f"the bucket policy of {bucket}",
            target=f"bucket {bucket}",
            region=region,
            read=lambda: s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=owner),
            read_what=f"s3.get_bucket_policy on bucket {bucket!r}",
            merge=lambda text, ours: merge_bucket_policy(text, ours, family=self.family, bucket=bucket),
            send=lambda policy: s3.put_bucket_policy(Bucket=bucket, Policy=policy, ExpectedBucketOwner=owner),
        )

    def key_policy(self, step: Step) -> _Outcome:
        key = step.request["KeyId"]
        name = step.request.get("PolicyName", "default")
        parts = key.split(":")
        region = parts[3] if len(parts) > 5 and parts[3] else self.region_of("destination")
        kms = self.side(step.account).clients("kms", region)
        return self._policy_step(
            step,
            what=f"the key policy of {key}",
            target=f"key {key}",
            region=region,
            read=lambda: kms.get_key_policy(KeyId=key, PolicyName=name),
            read_what=f"kms.get_key_policy {key!r}",
            merge=lambda text, ours: merge_key_policy(text, ours, family=self.family, key=key),
            send=lambda policy: kms.put_key_policy(KeyId=key, PolicyName=name, Policy=policy),
        )

    # -- replication -----------------------------------------------------------------------------

    def _our_rule(self, planned: dict[str, Any]) -> dict[str, Any] | None:
        rules = planned.get("Rules") or []
        rule_id = self.options.rule_id_for(self.plan.destination.name)
        found = next((r for r in rules if r.get("ID") == rule_id), None)
        if found is None:  # options not passed: the one rule replicating to our destination
            ours = [r for r in rules if str((r.get("Destination") or {}).get("Bucket", "")).endswith(
                f":::{self.plan.destination.name}") and str(r.get("ID", "")).startswith("s3xrep-")]
            found = ours[0] if len(ours) == 1 else None
        return found

    def replication(self, step: Step) -> _Outcome:
        side = self.side(step.account)
        request = step.request
        bucket = request["Bucket"]
        owner = request.get("ExpectedBucketOwner", side.account_id)
        region = self.region_of(step.account)
        s3 = side.clients("s3", region)
        planned = request["ReplicationConfiguration"]
        answer = self.call(
            side, f"s3.get_bucket_replication on bucket {bucket!r}",
            lambda: s3.get_bucket_replication(Bucket=bucket, ExpectedBucketOwner=owner),
            absent=("ReplicationConfigurationNotFoundError",),
        )
        current = None if answer is ABSENT else answer.get("ReplicationConfiguration")
        target = planned
        remerged = False
        rule = self._our_rule(planned)
        self._refuse_foreign_rule(current, rule, bucket)
        if current != planned and rule is not None:
            merged = merge_replication(
                current, rule, role=planned["Role"], replace_role=self.options.replace_existing_role,
                priority=self.options.priority,
            )
            if merged.role != planned["Role"]:
                raise AwsError(
                    f"the replication configuration of {bucket} now uses role {merged.role}, not the plan's "
                    f"{planned['Role']}: it changed since the plan was made",
                    "plan again (the new plan grants the role it finds), or pass --replace-role",
                    "ReplicationRoleChanged",
                )
            target = merged.configuration
            remerged = target != planned
        if current == target:
            return _Outcome("no-op", f"{bucket} already replicates as planned")
        if remerged:
            self.emit(
                "info",
                f"the replication configuration of {bucket} changed since the plan was made: merged our rule "
                f"into it again ({len(merged.other_rules)} other rule(s) kept)",
            )
        role = _role_name(target["Role"])

        def role_rejected(exc: ClientError) -> str | None:
            if error_code(exc) in ("InvalidArgument", "InvalidRequest") and "role" in _message(exc).lower():
                return f"waiting for IAM to propagate role {role}"
            return None

        written = next((r for r in target.get("Rules") or [] if rule and r.get("ID") == rule.get("ID")), None)
        self.write(
            side, step, call=step.call, target=f"bucket {bucket}", region=region, before=current, after=target,
            send=lambda: s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=target, ExpectedBucketOwner=owner),
            retry=role_rejected,
            # proof for later plans that the rule with our ID is ours (core.ownership)
            extra={"rule_fingerprint": rule_fingerprint(written)} if written is not None else None,
        )
        self._read_back(side, s3, bucket, owner, target)
        note = " (re-merged with a change made since the plan)" if remerged else ""
        return _Outcome("done", f"replication configuration of {bucket} in effect{note}", remerged=remerged)

    def _refuse_foreign_rule(self, current: dict[str, Any] | None, rule: dict[str, Any] | None, bucket: str) -> None:
        """A rule with our ID added since the plan, neither ours by content nor by the journal: not replaced.

        One this plan's journal wrote (and undo did not take back) is ours even when edited since: it is re-merged.
        """
        found = next((r for r in (current or {}).get("Rules") or [] if rule and r.get("ID") == rule.get("ID")), None)
        if found is None or rule is None or self.options.adopt:
            return
        read = self.journal.read()
        undone = read.undone()
        writes = [e for e in read.writes() if e.get("call") == "s3.put_bucket_replication"]
        if any(e["id"] not in undone and rule.get("ID") in {r.get("ID") for r in (e.get("after") or {}).get("Rules") or []}
               for e in writes):
            return
        if not rule_is_ours(found, rule, {e["rule_fingerprint"] for e in writes if e.get("rule_fingerprint")}):
            raise AwsError(
                f"the replication configuration of {bucket} now has a rule {rule.get('ID')} that this tool did not "
                f"write ({describe_rule(found)}): it changed since the plan was made; refusing to replace it",
                "plan again: the plan then names that rule and offers --rule-id or --adopt",
                "RuleNotOurs",
            )

    def _read_back(self, side: _Side, s3: Any, bucket: str, owner: str, target: dict[str, Any]) -> None:
        """GetBucketReplication is eventually consistent: poll until every rule we wrote is there."""
        wanted = {r.get("ID") for r in target.get("Rules") or []}
        deadline = time.monotonic() + self.readback_timeout
        delay = 0.05
        polls = 0
        while True:
            answer = self.call(
                side, f"s3.get_bucket_replication on bucket {bucket!r}",
                lambda: s3.get_bucket_replication(Bucket=bucket, ExpectedBucketOwner=owner),
                absent=("ReplicationConfigurationNotFoundError",),
            )
            config = None if answer is ABSENT else answer.get("ReplicationConfiguration") or {}
            if config and config.get("Role") == target.get("Role") and wanted <= {r.get("ID") for r in config.get("Rules") or []}:
                if polls:
                    self.emit("info", f"read back: the replication configuration of {bucket} is in effect")
                return
            if time.monotonic() >= deadline:
                raise AwsError(
                    f"the replication configuration of {bucket} was written but get_bucket_replication did not "
                    f"show it within {self.readback_timeout:.0f}s",
                    "S3 is eventually consistent here: run apply again in a minute (it checks and continues)",
                    "ReplicationNotVisible",
                )
            polls += 1
            self.emit("waiting", f"waiting for get_bucket_replication to show our rule (poll {polls})", delay=delay)
            self.sleep(delay)
            delay = min(delay * 2, 2.0)

    # -- Batch Replication job -------------------------------------------------------------------

    def create_job(self, step: Step) -> _Outcome:
        status, message, job_id = self.job_step(step)
        return _Outcome(status, message, job_id=job_id)


def apply_plan(
    plan: Plan,
    clients: Mapping[str, Clients],
    *,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
    read_only: bool = False,
    cancel: threading.Event | None = None,
    journal: Journal | None = None,
    backoff: Backoff | None = None,
    readback_timeout: float = 30.0,
    options: MigrationOptions | None = None,
    backfill_again: bool = False,
) -> ApplyResult:
    """Run ``plan``'s steps in order; ``clients`` maps "source"/"destination" to each account's Clients.

    Never raises for AWS failures: the result names the failed step and its
    :class:`AwsError` (message and fix); later steps are "not-run". A blocked
    plan is refused (ValueError) unless ``dry_run``. ``options`` (the plan's
    MigrationOptions) lets a concurrent change to the replication configuration
    be re-merged exactly as the plan did; without it our rule is recognised by
    its default ID. When this plan's earlier Batch job ended, a fresh backfill
    (objects still NONE or FAILED, a new token) starts after an undo of it, or
    with ``backfill_again``; otherwise the step says it ended. Exceptions
    raised by ``progress`` propagate.
    """
    if plan.blocked and not dry_run:
        raise ValueError(f"plan {plan.id} is blocked by preflight findings; fix them and plan again")
    if dry_run:
        result = ApplyResult(plan.id, None, dry_run=True)
        total = len(plan.steps)
        for index, step in enumerate(plan.steps, start=1):
            result.steps.append(StepResult(step, index, "dry-run", f"would send {step.call} ({step.action} per plan)"))
            if progress is not None:
                progress(ApplyEvent(index, total, step, "dry-run", f"{step.call} ({step.action} per plan)", payload=step.request))
        return result
    journal = journal or Journal(plan.id)
    result = ApplyResult(plan.id, journal.path, read_only=read_only)
    _Executor(
        plan,
        clients,
        progress=progress,
        read_only=read_only,
        cancel=cancel,
        journal=journal,
        backoff=backoff or Backoff(),
        readback_timeout=readback_timeout,
        options=options,
        backfill_again=backfill_again,
    ).run(result)
    return result
