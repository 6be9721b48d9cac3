"""The sandbox's Batch Operations worker: moves each job through its states and runs its tasks.

Preparing checks the role, the report bucket and the manifest (read, or
generated from the source bucket's replication state); Active runs the tasks
at ``task_rate`` per second, each judged by :mod:`iam_eval` and replicated by
the engine; finishing writes the completion report. The routes that create and
change jobs are :class:`batch.BatchOperations`, a subclass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import Any

from s3xrep_tui.core.names import bucket_from_arn
from s3xrep_tui.sandbox import batch_manifest as manifests
from s3xrep_tui.sandbox import iam_eval
from s3xrep_tui.sandbox.batch_inventory_manifest import INVENTORY_MANIFEST_FORMAT, read_inventory_manifest
from s3xrep_tui.sandbox.batch_manifest import JobFailure, Task
from s3xrep_tui.sandbox.batch_model import (
    _FAILURE_RATE_LIMIT,
    _ROLE_ARN,
    BATCH_SERVICE,
    REPORT_NOT_WRITABLE,
    TERMINAL,
    Job,
    _now,
)
from s3xrep_tui.sandbox.batch_report import TaskResult, report_prefix, write_report
from s3xrep_tui.sandbox.moto_access import bucket_owner, find_bucket, is_delete_marker, s3_backend

log = logging.getLogger("s3xrep_tui.sandbox.batch")


class JobRunner:
    """The worker thread and the job states; the constructor's arguments are documented on BatchOperations."""

    def __init__(
        self,
        engine: Any,
        task_rate: float = 50.0,
        *,
        failure_threshold_min_tasks: int = 1000,
        tick: float = 0.02,
        dwell: float = 0.0,
    ) -> None:
        self.engine = engine
        self.task_rate = float(task_rate)
        self.dwell = float(dwell)
        self.failure_threshold_min_tasks = int(failure_threshold_min_tasks)
        self._tick = tick
        self._jobs: dict[tuple[str, str, str], Job] = {}
        self._tokens: dict[tuple[str, str, str], tuple[str, str]] = {}  # -> (fingerprint, job id)
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-batch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._tick)
            self._wake.clear()
            try:
                self.step()
            except Exception:  # keep the worker alive; the job that broke is failed below
                log.exception("batch worker step failed")

    def step(self) -> None:
        """Advance every unfinished job once (the worker calls this; tests may too)."""
        with self._lock:
            jobs = sorted(
                (job for job in self._jobs.values() if job.status not in TERMINAL),
                key=lambda j: (-j.priority, j.creation_time),
            )
        for job in jobs:
            try:
                self._advance(job)
            except Exception:
                log.exception("batch job %s failed unexpectedly", job.job_id)
                with self._lock:
                    self._fail(job, "InternalError", "The sandbox failed while running this job; see its log.")

    def _advance(self, job: Job) -> None:
        with self._lock:
            now = time.monotonic()
            if job.status != job.seen_status:
                job.seen_status, job.state_since = job.status, now
            dwelt = now - job.state_since >= self.dwell
            status = job.status
            if not dwelt and status in ("New", "Preparing", "Ready"):  # Active dwells by not finishing early
                return
            if status == "New":
                job.status = "Preparing"
                self._wake.set()
                return  # Preparing's own dwell starts at the next step
        if status == "Preparing":
            self._prepare(job)
        elif status == "Ready":
            with self._lock:
                if job.status == "Ready":
                    job.status = "Active"
                    job.active_since = time.monotonic()
        elif status == "Active":
            self._run_tasks(job, may_finish=dwelt)
        elif status in ("Completing", "Cancelling", "Failing"):
            self._finish(job)

    def _prepare(self, job: Job) -> None:
        try:
            tasks = self._preflight_and_manifest(job)
        except JobFailure as failure:
            with self._lock:
                if job.status == "Preparing":
                    self._fail(job, failure.code, failure.reason)
            return
        with self._lock:
            job.tasks = tasks
            job.total = len(tasks)
            if job.status != "Preparing":  # cancelled meanwhile
                return
            if job.confirmation_required:
                job.status = "Suspended"
                job.suspended_date = _now()
                job.suspended_cause = "AwaitingConfirmation"
            else:
                job.status = "Ready"
        self._wake.set()

    def _fail(self, job: Job, code: str, reason: str) -> None:
        job.failure_reasons.append({"FailureCode": code, "FailureReason": reason})
        self._stop_clock(job)
        job.status = "Failing"
        self._wake.set()

    @staticmethod
    def _stop_clock(job: Job) -> None:
        if job.active_since is not None:
            job.active_seconds += time.monotonic() - job.active_since
            job.active_since = None

    # ------------------------------------------------------------------ preparing

    def _preflight_and_manifest(self, job: Job) -> list[Task]:
        role = job.role_arn
        role_account = _ROLE_ARN.match(role).group(1)  # type: ignore[union-attr]  # validated at create
        source = {"aws:SourceAccount": job.account_id, "aws:SourceArn": job.arn}  # confused-deputy conditions
        if not iam_eval.role_trusts(role_account, role, BATCH_SERVICE, source):
            raise JobFailure(
                "AssumeRoleNotPermitted",
                f"Batch Operations could not assume the role {role}: its trust policy does not allow {BATCH_SERVICE}.",
            )
        self._check_report_writable(job)
        generator = (job.request.get("ManifestGenerator") or {}).get("S3JobManifestGenerator")
        if generator:
            tasks = self._generate(job, generator)
        else:
            tasks = self._read_manifest(job)
        return tasks

    def _check_report_writable(self, job: Job) -> None:
        report = job.request.get("Report") or {}
        if not report.get("Enabled"):
            return
        bucket = bucket_from_arn(report.get("Bucket"))
        owner = bucket_owner(bucket)
        expected = report.get("ExpectedBucketOwner")
        key = f"{report_prefix(report.get('Prefix'), job.job_id)}/manifest.json"
        if owner is None or (expected and expected != owner):
            raise JobFailure("ReportNotWritable", REPORT_NOT_WRITABLE)
        if not self.permitted(job.role_arn, "s3:PutObject", bucket, key):
            raise JobFailure("ReportNotWritable", REPORT_NOT_WRITABLE)

    def _generate(self, job: Job, generator: dict[str, Any]) -> list[Task]:
        source = bucket_from_arn(generator.get("SourceBucket"))
        bucket = find_bucket(source)
        if bucket is None:
            raise JobFailure("SrcBucketNotFound", f"The source bucket {source} does not exist.")
        owner = bucket_owner(source)
        expected = generator.get("ExpectedBucketOwner")
        if expected and expected != owner:
            raise JobFailure(
                "ExpectedBucketOwnerMismatch", f"The source bucket {source} is not owned by account {expected}."
            )
        if bucket.region_name != job.region:
            raise JobFailure(
                "SrcBucketInvalidRegion",
                f"The source bucket {source} is in {bucket.region_name}; create the job in that region "
                f"(this job is in {job.region}).",
            )
        configuration = getattr(self.engine, "configuration", None)  # the engine keeps the config as put
        config = configuration(source) if callable(configuration) else getattr(bucket, "replication", None)
        if not config:
            raise JobFailure(
                "SrcBucketReplicationConfigMissing",
                f"The source bucket {source} has no replication configuration.",
            )
        tasks = manifests.generate(self.engine, source, generator.get("Filter") or {})
        if not tasks:
            raise JobFailure("ManifestGenerationNoKeysFound", manifests.NO_KEYS_REASON)
        if generator.get("EnableManifestOutput"):
            self._write_generated_manifest(job, generator, source, tasks)
        return tasks

    def _write_generated_manifest(
        self, job: Job, generator: dict[str, Any], source: str, tasks: list[Task]
    ) -> None:
        location = generator.get("ManifestOutputLocation") or {}
        bucket = bucket_from_arn(location.get("Bucket"))
        owner = bucket_owner(bucket)
        prefix = (location.get("ManifestPrefix") or "").strip("/")
        base = f"{prefix}/job-{job.job_id}" if prefix else f"job-{job.job_id}"
        expected = location.get("ExpectedManifestBucketOwner")
        if (
            owner is None
            or (expected and expected != owner)
            or not self.permitted(job.role_arn, "s3:PutObject", bucket, f"{base}/manifest.json")
        ):
            raise JobFailure(
                "ManifestNotWritable",
                "The generated manifest could not be written to your manifest bucket. Please check your permissions.",
            )
        data = manifests.manifest_csv(tasks)
        data_key = f"{base}/data/{hashlib.sha1(data).hexdigest()}.csv"
        manifests.put_object(bucket, data_key, data)
        document = {
            "sourceBucket": source,
            "destinationBucket": f"arn:aws:s3:::{bucket}",
            "version": "2021-11-30",
            "creationTimestamp": str(int(time.time() * 1000)),
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, VersionId",
            "files": [{"key": data_key, "size": len(data), "MD5checksum": hashlib.md5(data).hexdigest()}],
        }
        stored = manifests.put_object(bucket, f"{base}/manifest.json", json.dumps(document, indent=2).encode())
        with self._lock:
            job.generated_manifest = {
                "Format": "S3InventoryReport_CSV_20211130",
                "Location": {
                    "ObjectArn": f"arn:aws:s3:::{bucket}/{base}/manifest.json",
                    "ObjectVersionId": stored.version_id if stored.version_id != "null" else None,
                    "ETag": stored.etag.strip('"'),
                },
            }
            if job.generated_manifest["Location"]["ObjectVersionId"] is None:
                del job.generated_manifest["Location"]["ObjectVersionId"]

    def _read_manifest(self, job: Job) -> list[Task]:
        manifest = job.request["Manifest"]
        location = manifest.get("Location") or {}
        bucket, key = manifests.object_from_arn(location.get("ObjectArn", ""))
        owner = bucket_owner(bucket)
        version_id = location.get("ObjectVersionId")
        forbidden = JobFailure("ManifestNotReadable", manifests.MANIFEST_FORBIDDEN_REASON)
        if owner is None:
            raise forbidden
        if not self.permitted(job.role_arn, "s3:GetObject", bucket, key):
            raise forbidden
        if version_id and not self.permitted(job.role_arn, "s3:GetObjectVersion", bucket, key):
            raise forbidden
        stored = s3_backend(owner).get_object(bucket, key, version_id)
        if stored is None or is_delete_marker(stored):
            raise forbidden
        expected_etag = (location.get("ETag") or "").strip('"')
        if expected_etag != stored.etag.strip('"'):
            raise JobFailure(
                "ManifestETagMismatch",
                f"The manifest object's ETag {stored.etag.strip(chr(34))} does not match the ETag {expected_etag} "
                "given in the job.",
            )
        if manifest["Spec"].get("Format") == INVENTORY_MANIFEST_FORMAT:
            return read_inventory_manifest(stored.value, lambda b, k: self._readable(job, b, k))
        return manifests.read_csv_manifest(stored.value, list(manifest["Spec"]["Fields"]))

    def _readable(self, job: Job, bucket: str, key: str) -> bytes | None:
        """An inventory data file, read as the job's role (None: it may not, or it is not there)."""
        owner = bucket_owner(bucket)
        if owner is None or not self.permitted(job.role_arn, "s3:GetObject", bucket, key):
            return None
        stored = s3_backend(owner).get_object(bucket, key)
        return None if stored is None or is_delete_marker(stored) else bytes(stored.value)

    # ------------------------------------------------------------------ permissions

    def permitted(self, role_arn: str, action: str, bucket: str, key: str | None = None) -> bool:
        """Would ``role_arn`` be allowed ``action`` on the bucket (or object)? Identity policy
        plus bucket policy, with cross-account rules (both must allow)."""
        match = _ROLE_ARN.match(role_arn)
        role_account = match.group(1) if match else ""
        resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
        context = {"aws:SecureTransport": True, "aws:PrincipalAccount": role_account, "aws:PrincipalArn": role_arn}
        identity = bool(iam_eval.role_allows(role_account, role_arn, action, resource, context))
        stored = find_bucket(bucket)
        decision = "none"
        if stored is not None and stored.policy:
            policy = stored.policy.decode() if isinstance(stored.policy, bytes) else str(stored.policy)
            decision = iam_eval.resource_policy_decision(policy, role_arn, action, resource, context)
        if decision == "deny":
            return False
        if bucket_owner(bucket) == role_account:
            return identity or decision == "allow"
        return identity and decision == "allow"

    # ------------------------------------------------------------------ active

    def _run_tasks(self, job: Job, *, may_finish: bool = True) -> None:
        with self._lock:
            if job.status != "Active":
                return
            due = int(job.elapsed_active() * self.task_rate) + 1 - job.next_task
            batch = job.tasks[job.next_task : job.next_task + max(0, min(due, 1000))]
        for task in batch:
            result = self._run_task(job, task)
            with self._lock:
                job.next_task += 1
                job.results.append(result)
                if result.succeeded:
                    job.succeeded += 1
                else:
                    job.failed += 1
                ran = job.succeeded + job.failed
                if (
                    ran >= self.failure_threshold_min_tasks
                    and job.failed / ran > _FAILURE_RATE_LIMIT
                    and job.status == "Active"
                ):
                    self._fail(
                        job,
                        "TaskFailureThresholdExceeded",
                        f"Job failed: more than 50% of tasks failed after {ran} tasks ran.",
                    )
                if job.status != "Active":  # cancelled or failed meanwhile
                    return
        with self._lock:
            if job.status == "Active" and job.next_task >= len(job.tasks) and may_finish:
                self._stop_clock(job)
                job.status = "Completing"
                self._wake.set()

    def _run_task(self, job: Job, task: Task) -> TaskResult:
        if task.missing_version:
            return TaskResult(task, False, 400, "InvalidRequest", "Task failed due to missing VersionId")
        owner = bucket_owner(task.bucket)
        if owner is None:
            return TaskResult(task, False, 400, "SrcBucketNotFound", f"The bucket {task.bucket} does not exist.")
        version_id = task.version_id
        if version_id is None:
            current = s3_backend(owner).get_object(task.bucket, task.key)
            if current is None:
                return TaskResult(task, False, 404, "NoSuchKey", "The specified key does not exist.")
            version_id = current.version_id
            task = Task(task.bucket, task.key, version_id)
        if not self.permitted(job.role_arn, "s3:InitiateReplication", task.bucket, task.key):
            return TaskResult(
                task,
                False,
                400,
                "InitiateReplicationNotPermitted",
                f"The role {job.role_arn} is not allowed s3:InitiateReplication on this object.",
            )
        try:
            code = self.engine.replicate_now(task.bucket, task.key, version_id, via_batch=True)
        except Exception:
            log.exception("replicate_now failed on %s/%s?versionId=%s", task.bucket, task.key, version_id)
            return TaskResult(task, False, 500, "InternalError", "The sandbox failed to replicate this object.")
        if code:
            return TaskResult(task, False, 400, code, f"Replication of this object failed: {code}")
        return TaskResult(task, True, 200, "", "Successful")

    # ------------------------------------------------------------------ finishing

    def _finish(self, job: Job) -> None:
        with self._lock:
            status = job.status
            self._stop_clock(job)
            results = list(job.results)
            report = job.request.get("Report") or {}
        if results and report.get("Enabled"):
            try:
                job_keys = write_report(
                    bucket_from_arn(report.get("Bucket")),
                    report.get("Prefix"),
                    job.job_id,
                    results,
                    failed_only=report.get("ReportScope") == "FailedTasksOnly",
                )
            except Exception:
                log.exception("could not write the report of job %s", job.job_id)
                job_keys = []
                if status == "Completing":
                    with self._lock:
                        job.failure_reasons.append({"FailureCode": "ReportNotWritable", "FailureReason": REPORT_NOT_WRITABLE})
                        status = job.status = "Failing"
        else:
            job_keys = []
        final = {"Completing": "Complete", "Cancelling": "Cancelled", "Failing": "Failed"}[status]
        with self._lock:
            job.report_keys = job_keys
            job.status = final
            job.termination_date = _now()

