"""Repair what verify finds: a CSV manifest of the missing versions, a Batch Replication job on exactly them.

:func:`find_candidates` runs a full verify (every difference kept: a recorded
result keeps only the first few) and sorts its findings with ``core.repair``
(a HEAD of each missing source version tells replicas and SSE-KMS objects
apart). :func:`repair` then, per round: uploads the manifest under our prefix
(the plan's report bucket, else the source bucket), lets the plan's Batch role
read exactly that object (an inline policy of ours), creates the job with the
manifest's ETag, waits for it (bounded), HEADs each version on the destination,
and goes again with what is still missing, at most ``max_rounds`` times.

Every write goes through apply's executor: journaled in the plan's journal
before it is sent, refused in read-only mode, retried with the same bounded
backoff, so ``s3xrep undo PLAN`` cancels a repair job still running, deletes
the manifest objects we uploaded and the inline policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from ..core.models import MigrationOptions, Plan, Step
from ..core.names import Partition
from ..core.policy_json import dump_policy, load_policy
from ..core.repair import (
    POLICY_NAME,
    NotRepairable,
    Row,
    SourceFacts,
    kms_opted_in,
    manifest_csv,
    manifest_key,
    manifest_read_policy,
    repair_description,
    repair_job_request,
    triage,
)
from ..core.verify import Result
from .apply import ApplyCancelled, ProgressCallback, _Executor
from .apply_job import TERMINAL_JOB_STATUSES
from .backoff import ABSENT, Backoff
from .clients import Clients
from .errors import AwsError, explain
from .journal import Journal
from .verify import VerifyReport, verify_replication

DEFAULT_WAIT = 900.0  # seconds one round waits for its job
DEFAULT_ROUNDS = 3
PREVIEW_LINES = 5
ETAG_PLACEHOLDER = "<the ETag S3 answers for the uploaded manifest>"


@dataclass
class Candidates:
    """What verify found, sorted for repair."""

    report: VerifyReport
    rows: list[Row]
    not_repairable: list[NotRepairable]

    @property
    def missing(self) -> int:
        return self.report.summary.mattering


@dataclass
class Round:
    number: int
    rows: int
    manifest: str  # s3://bucket/key
    job_id: str | None = None
    status: str | None = None  # the job's last status
    succeeded: int = 0
    failed: int = 0
    repaired: int = 0
    still_missing: int = 0
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RepairResult:
    plan_id: str
    before: int  # versions that mattered in the verify repair started from
    rows: list[Row]
    not_repairable: list[NotRepairable]
    rounds: list[Round] = field(default_factory=list)
    still_missing: list[Row] = field(default_factory=list)
    error: AwsError | None = None
    cancelled: bool = False

    @property
    def repaired(self) -> int:
        return len(self.rows) - len(self.still_missing)

    @property
    def after(self) -> int:
        """What still matters: versions still missing and mismatches a job cannot fix."""
        return len(self.still_missing) + sum(1 for n in self.not_repairable if not n.by_design)

    @property
    def clean(self) -> bool:
        return self.error is None and not self.cancelled and self.after == 0

    def as_dict(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "before": self.before, "after": self.after, "clean": self.clean,
                "manifest_rows": len(self.rows), "repaired": self.repaired,
                "still_missing": [r.as_dict() for r in self.still_missing],
                "not_repairable": [n.as_dict() for n in self.not_repairable],
                "rounds": [r.as_dict() for r in self.rounds],
                "error": None if self.error is None else {"message": self.error.message, "fix": self.error.fix},
                "cancelled": self.cancelled}


# -- finding what to repair -------------------------------------------------------------------------


def _source_facts(s3: Any, bucket: str, owner: str) -> Callable[[Result], SourceFacts]:
    def facts_of(result: Result) -> SourceFacts:
        if result.source is not None and result.source.is_delete_marker:
            return SourceFacts()
        try:
            head = s3.head_object(Bucket=bucket, Key=result.key, VersionId=result.version_id,
                                  ExpectedBucketOwner=owner)
        except (ClientError, BotoCoreError):
            return SourceFacts()  # unknown (an SSE-C object answers 400): let the job try
        return SourceFacts(head.get("ReplicationStatus"), head.get("ServerSideEncryption"))
    return facts_of


def find_candidates(plan: Plan, clients: Mapping[str, Clients], options: MigrationOptions, *,
                    cancel: threading.Event | None = None) -> Candidates:
    """Verify the plan's pair (every difference kept) and sort what it found for repair."""
    report = verify_replication(
        clients["source"], clients["destination"], plan.source.name, plan.destination.name,
        prefix=options.prefix or "", limit=None, source_owner=plan.source_account.id,
        destination_owner=plan.destination_account.id, cancel=cancel)
    return candidates_from(report, plan, clients, options)


def candidates_from(report: VerifyReport, plan: Plan, clients: Mapping[str, Clients],
                    options: MigrationOptions) -> Candidates:
    """Sort a verify's findings for repair (the app's last verify: its kept differences)."""
    source, destination = plan.source, plan.destination
    s3 = clients["source"]("s3", source.region)
    try:
        configuration = s3.get_bucket_replication(Bucket=source.name, ExpectedBucketOwner=plan.source_account.id)
    except (ClientError, BotoCoreError):
        configuration = {}
    kms = kms_opted_in((configuration or {}).get("ReplicationConfiguration"), destination.name)
    summary = report.summary
    rows, skipped = triage(summary.differences + summary.expected, source.name, statuses=options.existing_statuses,
                           kms_replicated=kms, facts_of=_source_facts(s3, source.name, plan.source_account.id))
    return Candidates(report, rows, skipped)


# -- the preview ------------------------------------------------------------------------------------


def manifest_location(plan: Plan, options: MigrationOptions) -> tuple[str, str | None]:
    """(bucket, report prefix) the manifests go to: the plan's report bucket, else the source bucket."""
    if options.report_bucket:
        return options.report_bucket, options.report_prefix
    return plan.source.name, None


def manifest_owner(plan: Plan, options: MigrationOptions) -> str:
    """The account of the manifest's bucket (the plan's job names the report bucket's owner)."""
    report = (plan.documents.get("batch_job") or {}).get("Report") or {}
    if options.report_bucket and report.get("ExpectedBucketOwner"):
        return str(report["ExpectedBucketOwner"])
    return plan.source_account.id


def stamp_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class Preview:
    bucket: str
    key: str
    manifest: bytes
    job_request: dict[str, Any]
    role_policy: dict[str, Any]
    role: str

    def head(self, lines: int = PREVIEW_LINES) -> list[str]:
        return self.manifest.decode("utf-8").splitlines()[:lines]


def preview(plan: Plan, options: MigrationOptions, rows: list[Row], *, stamp: str, round_no: int = 1,
            etag: str = ETAG_PLACEHOLDER, version_id: str | None = None) -> Preview:
    """The documents one round writes: the manifest, the role's read policy, the create_job request."""
    job = plan.documents.get("batch_job")
    if not job:
        raise AwsError("the plan has no Batch Replication job, so it has no Batch role to repair with",
                       "plan and apply with existing objects replicated (the default), then run repair", "NoBatchRole")
    bucket, prefix = manifest_location(plan, options)
    key = manifest_key(prefix, plan.id, stamp, round_no)
    partition = cast(Partition, str(job["RoleArn"]).split(":")[1])
    request = repair_job_request(job, manifest_bucket=bucket, manifest_key=key, etag=etag, version_id=version_id,
                                 description=repair_description(plan.source.name, plan.destination.name, stamp,
                                                                round_no), partition=partition)
    role = str(job["RoleArn"]).rsplit("/", 1)[-1]
    return Preview(bucket, key, manifest_csv(rows), request,
                   manifest_read_policy(bucket, key, partition, by_version=bool(version_id)), role)


# -- the run ----------------------------------------------------------------------------------------


class _Repairer(_Executor):
    """apply's executor (journal, read-only, backoff, account checks), driven round by round."""

    def step_now(self, step: Step, index: int, total: int) -> None:
        self.plan = self.plan.model_copy(update={"steps": (step,) * total})  # events count a round's steps
        self._index, self._step, self._waits = index, step, 0
        self.emit("start", step.summary)

    def upload(self, step: Step, bucket: str, key: str, body: bytes, owner: str) -> dict[str, Any]:
        side = self.side("source")
        s3 = side.clients("s3", self.region_of("source"))
        after = {"Bucket": bucket, "Key": key, "Bytes": len(body), "SHA256": hashlib.sha256(body).hexdigest()}
        return self.write(side, step, call="s3.put_object", target=f"object {bucket}/{key}",
                          region=self.region_of("source"), before=None, after=after,
                          send=lambda: s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/csv",
                                                     ExpectedBucketOwner=owner))

    def require_role(self, role: str) -> None:
        """The Batch role exists before the first write: ``apply --no-existing`` made none, and a repair
        that puts its manifest and then fails at the role would fail so on every run."""
        side = self.side("source")
        iam = side.clients("iam")
        found = self.call(side, f"iam.get_role {role!r}", lambda: iam.get_role(RoleName=role), absent=("NoSuchEntity",))
        if found is ABSENT:
            raise AwsError(
                f"the Batch Replication role {role} does not exist (the plan was applied with --no-existing, "
                "or the role was deleted): nothing written",
                "run s3xrep apply again without --no-existing (it creates the role and backfills), then repair",
                "NoSuchEntity",
            )

    def allow_read(self, step: Step, role: str, document: dict[str, Any]) -> None:
        side = self.side("source")
        iam = side.clients("iam")
        current = self.call(side, f"iam.get_role_policy {POLICY_NAME!r} of role {role!r}",
                            lambda: iam.get_role_policy(RoleName=role, PolicyName=POLICY_NAME),
                            absent=("NoSuchEntity",))
        before = None if current is ABSENT else load_policy(current.get("PolicyDocument"))
        if before == document:
            return
        self.write(side, step, call="iam.put_role_policy", target=f"role {role} policy {POLICY_NAME}", region=None,
                   before=before, after=document,
                   send=lambda: iam.put_role_policy(RoleName=role, PolicyName=POLICY_NAME,
                                                    PolicyDocument=dump_policy(document)))

    def start_job(self, step: Step, request: dict[str, Any]) -> str:
        side = self.side("source")
        s3c = side.clients("s3control", self.region_of("source"))

        def role_rejected(exc: ClientError) -> str | None:
            text = str(((exc.response or {}).get("Error") or {}).get("Message") or "").lower()
            return "waiting for IAM to propagate the Batch role" if "role" in text else None

        response = self.write(side, step, call="s3control.create_job", target=f"job {request['Description']}",
                              region=self.region_of("source"), before=None, after=request,
                              send=lambda: s3c.create_job(**request), retry=role_rejected)
        return str(response["JobId"])

    def wait_job(self, account: str, job_id: str, seconds: float) -> dict[str, Any]:
        side = self.side("source")
        s3c = side.clients("s3control", self.region_of("source"))
        deadline = time.monotonic() + seconds
        delay = 0.2
        while True:
            job = self.call(side, f"s3control.describe_job {job_id}",
                            lambda: s3c.describe_job(AccountId=account, JobId=job_id))["Job"]
            if job.get("Status") in TERMINAL_JOB_STATUSES or time.monotonic() + delay > deadline:
                return dict(job)
            self.sleep(delay)
            delay = min(delay * 2, 5.0)

    def present(self, rows: list[Row], bucket: str, owner: str) -> list[bool]:
        """Is each version on the destination now? (A delete marker answers HEAD with 405.)"""
        side = self.side("destination")
        s3 = side.clients("s3", self.region_of("destination"))
        found = []
        for row in rows:
            self.check_cancel()
            try:
                s3.head_object(Bucket=bucket, Key=row.key, VersionId=row.version_id, ExpectedBucketOwner=owner)
                found.append(True)
            except ClientError as exc:
                status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
                if status == 405:
                    found.append(True)
                elif status in (400, 404):
                    found.append(False)
                else:
                    raise explain(exc, profile=side.profile, what=f"s3.head_object on bucket {bucket!r}") from exc
            except BotoCoreError as exc:
                raise explain(exc, profile=side.profile, what=f"s3.head_object on bucket {bucket!r}") from exc
        return found


def _steps(plan: Plan, preview_: Preview, round_no: int) -> tuple[Step, Step, Step]:
    head = f"repair-{round_no}"
    return (
        Step(id=f"{head}-manifest", account="source", call="s3.put_object", action="create",
             summary=f"upload the repair manifest s3://{preview_.bucket}/{preview_.key}",
             request={"Bucket": preview_.bucket, "Key": preview_.key}, document="repair_manifest"),
        Step(id=f"{head}-read", account="source", call="iam.put_role_policy", action="update",
             summary=f"let role {preview_.role} read exactly that manifest",
             request={"RoleName": preview_.role, "PolicyName": POLICY_NAME, "PolicyDocument": preview_.role_policy},
             document="repair_manifest_read_policy"),
        Step(id=f"{head}-job", account="source", call="s3control.create_job", action="create",
             summary="Batch Replication job on exactly the manifest's versions", request=preview_.job_request,
             document="repair_job"),
    )


def repair(
    plan: Plan,
    clients: Mapping[str, Clients],
    candidates: Candidates,
    *,
    options: MigrationOptions | None = None,
    progress: ProgressCallback | None = None,
    read_only: bool = False,
    cancel: threading.Event | None = None,
    journal: Journal | None = None,
    backoff: Backoff | None = None,
    wait: float = DEFAULT_WAIT,
    max_rounds: int = DEFAULT_ROUNDS,
    stamp: str | None = None,
    on_round: Callable[[Round], None] | None = None,
) -> RepairResult:
    """Replicate ``candidates.rows`` with Batch Replication jobs, round by round; never raises for AWS failures."""
    options = options or MigrationOptions()
    stamp = stamp or stamp_now()
    result = RepairResult(plan.id, candidates.missing, list(candidates.rows), list(candidates.not_repairable))
    remaining = list(candidates.rows)
    executor = _Repairer(plan, clients, progress=progress, read_only=read_only, cancel=cancel,
                         journal=journal or Journal(plan.id), backoff=backoff or Backoff(), readback_timeout=30.0,
                         options=options)
    owner = manifest_owner(plan, options)
    try:
        for round_no in range(1, max(1, max_rounds) + 1):
            if not remaining:
                break
            first = preview(plan, options, remaining, stamp=stamp, round_no=round_no)
            if round_no == 1:
                executor.require_role(first.role)
            upload, read, job = _steps(plan, first, round_no)
            executor.step_now(upload, 1, 3)
            answer = executor.upload(upload, first.bucket, first.key, first.manifest, owner)
            version = answer.get("VersionId")
            docs = preview(plan, options, remaining, stamp=stamp, round_no=round_no, etag=str(answer.get("ETag", "")),
                           version_id=version if version and version != "null" else None)
            executor.emit("done", f"{len(remaining)} version(s) in s3://{first.bucket}/{first.key}")
            upload, read, job = _steps(plan, docs, round_no)
            executor.step_now(read, 2, 3)
            executor.allow_read(read, docs.role, docs.role_policy)
            executor.emit("done", f"role {docs.role} may read that manifest (s3:GetObject on exactly its key)")
            executor.step_now(job, 3, 3)
            job_id = executor.start_job(job, docs.job_request)
            executor.emit("done", f"Batch Replication job {job_id} created", payload={"JobId": job_id})
            this = Round(round_no, len(remaining), f"s3://{docs.bucket}/{docs.key}", job_id=job_id)
            described = executor.wait_job(docs.job_request["AccountId"], job_id, wait)
            summary = described.get("ProgressSummary") or {}
            this.status = described.get("Status")
            this.succeeded = int(summary.get("NumberOfTasksSucceeded") or 0)
            this.failed = int(summary.get("NumberOfTasksFailed") or 0)
            if this.status not in TERMINAL_JOB_STATUSES:
                this.note = f"still {this.status} after {wait:.0f}s: follow it with s3xrep jobs, then run repair again"
            elif this.status == "Failed":
                reasons = described.get("FailureReasons") or []
                this.note = "; ".join(str(r.get("FailureReason") or r.get("FailureCode")) for r in reasons)
            found = executor.present(remaining, plan.destination.name, plan.destination_account.id)
            remaining = [row for row, ok in zip(remaining, found, strict=True) if not ok]
            this.repaired, this.still_missing = this.rows - len(remaining), len(remaining)
            result.rounds.append(this)
            if on_round is not None:
                on_round(this)
            if this.status not in TERMINAL_JOB_STATUSES:
                break  # a job still running: another would race it
    except ApplyCancelled:
        result.cancelled = True
    except AwsError as exc:
        result.error = exc
    result.still_missing = remaining
    return result


__all__ = ["Candidates", "Preview", "RepairResult", "Round", "candidates_from", "find_candidates", "manifest_location",
           "preview", "repair", "stamp_now"]
