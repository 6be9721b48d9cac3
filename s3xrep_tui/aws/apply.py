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

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..core.merge import merge_bucket_policy, merge_key_policy, merge_replication
from ..core.models import MigrationOptions, Plan, Step
from ..core.ownership import describe_rule, rule_fingerprint, rule_is_ours
from ..core.policy_json import dump_policy, load_policy
from .apply_alarms import AlarmSteps
from .apply_executor import Side, _message, _role_name, _roles_in
from .apply_inventory import InventoryStep
from .apply_job import JobStep
from .apply_result import (
    ApplyCancelled,
    ApplyEvent,
    ApplyResult,
    EventStatus,
    Outcome,
    ProgressCallback,
    StepResult,
    StepStatus,
)
from .apply_roles import RoleSteps
from .backoff import ABSENT, Backoff
from .clients import Clients
from .errors import AwsError, error_code
from .journal import Journal

__all__ = [
    "ApplyCancelled", "ApplyEvent", "ApplyResult", "Backoff", "EventStatus", "ProgressCallback", "StepResult",
    "StepStatus", "apply_plan",
]


class _Executor(RoleSteps, JobStep, InventoryStep, AlarmSteps):
    def handlers(self) -> dict[str, Callable[[Step], Outcome]]:
        return {
            "s3.put_bucket_versioning": self.versioning,
            "iam.create_role": self.create_role,
            "iam.update_assume_role_policy": self.update_trust,
            "iam.put_role_policy": self.role_policy,
            "kms.put_key_policy": self.key_policy,
            "s3.put_bucket_policy": self.bucket_policy,
            "s3.put_bucket_replication": self.replication,
            "s3control.create_job": self.create_job,
            "s3.put_bucket_inventory_configuration": self.inventory_configuration,
            **self.alarm_handlers(),
        }

    # -- versioning ------------------------------------------------------------------------------

    def versioning(self, step: Step) -> Outcome:
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
            return Outcome("no-op", f"versioning already enabled on {bucket}")
        self.write(
            side, step, call=step.call, target=f"bucket {bucket}", region=region,
            before={"Status": status} if status else None, after={"Status": "Enabled"},
            send=lambda: s3.put_bucket_versioning(**request),
        )
        return Outcome("done", f"versioning enabled on {bucket}")

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
    ) -> Outcome:
        side = self.side(step.account)
        planned = self.plan.documents.get(step.document or "") if step.document else None
        if planned is None:
            planned = load_policy(step.request.get("Policy"))
        kept = set(self.plan.kept_sids.get(step.document or "", ()))  # someone else's, kept by the plan
        ours = [statement for statement in self._ours(planned) if statement["Sid"] not in kept]
        answer = self.call(side, read_what, read, absent=("NoSuchBucketPolicy",))
        current_text = None if answer is ABSENT else answer.get("Policy")
        current = load_policy(current_text) if current_text is not None else None
        merged = merge(current_text, ours)  # MergeError: a collision appeared since the plan
        target_policy = merged.policy
        remerged = target_policy != planned
        if current == target_policy:
            return Outcome("no-op", f"{what} already holds our statements")
        if remerged:
            self.emit(
                "info",
                f"{what} changed since the plan was made: merged our statements into it again "
                f"({merged.foreign} other statement(s) kept)",
            )
        self.write(
            side, step, call=step.call, target=target, region=region, before=current, after=target_policy,
            send=lambda: send(dump_policy(target_policy)),
            retry=self._principal_retry(_roles_in(ours)),
        )
        note = " (re-merged with a change made since the plan)" if remerged else ""
        return Outcome("done", f"{what} {'updated' if current else 'created'}{note}", remerged=remerged)

    def bucket_policy(self, step: Step) -> Outcome:
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
            merge=lambda text, ours: merge_bucket_policy(text, ours, family=self.family, bucket=bucket,
                                                         proven=self.proven(), adopt=self.options.adopt),
            send=lambda policy: s3.put_bucket_policy(Bucket=bucket, Policy=policy, ExpectedBucketOwner=owner),
        )

    def key_policy(self, step: Step) -> Outcome:
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
            merge=lambda text, ours: merge_key_policy(text, ours, family=self.family, key=key,
                                                      proven=self.proven(), adopt=self.options.adopt),
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

    def replication(self, step: Step) -> Outcome:
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
            return Outcome("no-op", f"{bucket} already replicates as planned")
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
        return Outcome("done", f"replication configuration of {bucket} in effect{note}", remerged=remerged)

    def _refuse_foreign_rule(self, current: dict[str, Any] | None, rule: dict[str, Any] | None, bucket: str) -> None:
        """A rule with our ID, neither ours by content nor by the journal's fingerprint: not replaced.

        Added since the plan, or ours edited since (the plan judged the rule it read the same way): the
        journal proves the exact rules this plan wrote, not every rule that carries our ID.
        """
        found = next((r for r in (current or {}).get("Rules") or [] if rule and r.get("ID") == rule.get("ID")), None)
        if found is None or rule is None or self.options.adopt:
            return
        read = self.journal.read()
        writes = [e for e in read.writes() if e.get("call") == "s3.put_bucket_replication"]
        proven = {e["rule_fingerprint"] for e in writes if e.get("rule_fingerprint")} | {  # older journals: the after
            rule_fingerprint(r) for e in writes for r in (e.get("after") or {}).get("Rules") or []
            if isinstance(r, dict) and r.get("ID") == rule.get("ID")}
        if not rule_is_ours(found, rule, proven):
            raise AwsError(
                f"the replication configuration of {bucket} now has a rule {rule.get('ID')} that this tool did not "
                f"write ({describe_rule(found)}): it changed since the plan was made; refusing to replace it",
                "plan again: the plan then names that rule and offers --rule-id or --adopt",
                "RuleNotOurs",
            )

    def _read_back(self, side: Side, s3: Any, bucket: str, owner: str, target: dict[str, Any]) -> None:
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

    def create_job(self, step: Step) -> Outcome:
        status, message, job_id = self.job_step(step)
        return Outcome(status, message, job_id=job_id)


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
