"""The canary: prove live replication end to end with one small object.

How long to wait: S3 replicates most objects within 15 minutes
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html).

1. Read the source's replication configuration and pick the enabled rule to the
   destination; the canary key is ``<rule prefix>.s3xrep-canary/<uuid>`` (or
   under the prefix the caller passes), tagged with the rule's tags.
2. ``put_object`` with ``ChecksumAlgorithm=SHA256`` and ``ExpectedBucketOwner``.
3. Poll ``head_object(VersionId)`` until ``ReplicationStatus`` is COMPLETED
   (or the legacy COMPLETE) or FAILED, or the timeout. No status at all for
   ``absent_grace`` seconds means no rule applied to the object.
4. With the destination's credentials: ``head_object(VersionId)`` is a REPLICA
   with the same version id, size and checksum, and ``get_object`` returns the
   same bytes (the destination account can read it).
5. Delete both versions by version id (the source with the source's
   credentials, the replica with the destination's): version-specific deletes
   are not replicated.

AWS's ``head_object`` does not say why replication FAILED; a caller that can
learn the failure code (an event notification, a one-object Batch job report)
passes ``failure_code_of``; the fix then comes from ``core.failure_codes``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from botocore.exceptions import ClientError

from ..core.failure_codes import fix_for
from ..core.verify import rule_prefix, rule_tags, rules_to
from .bucket_access import BucketAccess
from .clients import Clients
from .errors import AwsError, error_code, explain, who
from .identity import caller_identity, profile_of

CANARY_FOLDER = ".s3xrep-canary/"
COMPLETED = frozenset({"COMPLETED", "COMPLETE"})
DEFAULT_TIMEOUT = 900.0  # most objects replicate within 15 minutes (see above)
DEFAULT_ABSENT_GRACE = 120.0
NO_FAILURE_CODE_FIX = (
    "AWS does not say why on the object: see the replication failure notification "
    "(s3:Replication:OperationFailedReplication), or run a one-object Batch Replication job with a completion report"
)

Status = Literal["replicated", "failed", "timeout", "not-replicating", "not-configured", "cancelled"]
Cancel = Callable[[], bool] | threading.Event | None


@dataclass(frozen=True)
class CanaryCheck:
    name: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class CanaryProgress:
    phase: Literal["put", "waiting", "checking", "cleaning-up", "done"]
    elapsed: float
    replication_status: str | None = None


@dataclass
class CanaryResult:
    """What the canary found. ``ok``: replicated and every check passed."""

    status: Status
    source_bucket: str
    destination_bucket: str
    key: str | None = None
    version_id: str | None = None
    rule_id: str | None = None
    replication_status: str | None = None  # the last one seen on the source
    seconds_to_replicate: float | None = None  # put -> COMPLETED/FAILED
    seconds: float = 0.0  # the whole run
    checks: list[CanaryCheck] = field(default_factory=list)
    failure_code: str | None = None
    fix: str | None = None
    message: str = ""
    cleanup: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "replicated" and all(check.ok for check in self.checks)

    @property
    def failed_checks(self) -> list[CanaryCheck]:
        return [check for check in self.checks if not check.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "status": self.status,
            "message": self.message,
            "source_bucket": self.source_bucket,
            "destination_bucket": self.destination_bucket,
            "key": self.key,
            "version_id": self.version_id,
            "rule_id": self.rule_id,
            "replication_status": self.replication_status,
            "seconds_to_replicate": None if self.seconds_to_replicate is None else round(self.seconds_to_replicate, 3),
            "seconds": round(self.seconds, 3),
            "checks": [check.as_dict() for check in self.checks],
            "failure_code": self.failure_code,
            "fix": self.fix,
            "cleanup": list(self.cleanup),
        }


def _is_cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def _pause(seconds: float, cancel: Cancel) -> None:
    if isinstance(cancel, threading.Event):
        cancel.wait(seconds)
    elif seconds > 0:
        time.sleep(seconds)


def _pick_rule(rules: list[dict[str, Any]], prefix: str | None) -> dict[str, Any] | None:
    """The highest-priority enabled rule whose filter a key under ``prefix`` can satisfy."""
    ordered = sorted(rules, key=lambda r: -int(r.get("Priority") or 0))
    for rule in ordered:
        wanted = rule_prefix(rule)
        if prefix is None or prefix.startswith(wanted):
            return rule
    return None


def canary_key(rule: Mapping[str, Any] | None, prefix: str | None, token: str | None = None) -> str:
    """``<prefix or the rule's prefix>.s3xrep-canary/<uuid>``."""
    base = prefix if prefix is not None else (rule_prefix(rule) if rule is not None else "")
    return f"{base}{CANARY_FOLDER}{token or uuid.uuid4()}"


def run_canary(
    source: Clients,
    destination: Clients,
    source_bucket: str,
    destination_bucket: str,
    *,
    prefix: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    absent_grace: float = DEFAULT_ABSENT_GRACE,
    poll_interval: float = 0.05,
    max_poll_interval: float = 5.0,
    source_owner: str | None = None,
    destination_owner: str | None = None,
    progress: Callable[[CanaryProgress], None] | None = None,
    cancel: Cancel = None,
    failure_code_of: Callable[[str, str], str | None] | None = None,
    keep: bool = False,
    read_only: bool = False,
) -> CanaryResult:
    """Put a canary object, wait for it to replicate, check the replica, clean up (see the module's docstring).

    Raises :class:`AwsError` (naming the side and profile) when a call that the
    canary cannot do without fails (reading the buckets, the put); everything
    after the put is reported in the result, and cleanup always runs (unless
    ``keep``). ``read_only``: the canary writes (and deletes) an object, so it is
    refused with AwsError ``ReadOnly`` before anything is sent.
    """
    if read_only:
        raise AwsError(f"read-only mode: refusing to put a canary object into {source_bucket}",
                       "leave read-only mode to run the canary (it writes one small object, then deletes it)",
                       "ReadOnly")
    started = time.monotonic()
    src = BucketAccess(source, source_bucket, source_owner or _account(source, "source"), "source")
    dst = BucketAccess(destination, destination_bucket, destination_owner or _account(destination, "destination"), "destination")
    result = CanaryResult(status="not-configured", source_bucket=source_bucket, destination_bucket=destination_bucket)

    def report(phase: Any, status: str | None = None) -> None:
        if progress is not None:
            progress(CanaryProgress(phase, time.monotonic() - started, status))

    rule = _canary_rule(result, src, prefix)
    if rule is None:
        result.seconds = time.monotonic() - started
        return result
    result.rule_id = str(rule.get("ID") or "") or None
    key = canary_key(rule, prefix)
    body = json.dumps({"s3xrep": "canary", "rule": result.rule_id, "key": key,
                       # a fixed-width time: every canary is the same size (a float's repr is not)
                       "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
    result.key = key

    put: dict[str, Any] = {"Key": key, "Body": body, "ChecksumAlgorithm": "SHA256", "ContentType": "application/json"}
    if tags := rule_tags(rule):
        put["Tagging"] = urlencode(tags)
    report("put")
    answer = src.call("put_object", **put)
    put_at = time.monotonic()
    version_id = answer.get("VersionId")
    result.version_id = version_id
    if not version_id or version_id == "null":
        result.status = "not-replicating"
        result.message = f"the source bucket {source_bucket!r} is not versioned: the canary got no version id"
        result.fix = "enable versioning on both buckets (s3xrep apply does)"
        _cleanup(result, src, dst, key, None, keep, replicated=False)
        result.seconds = time.monotonic() - started
        return result
    try:
        _wait(result, src, key, version_id, put_at, timeout, absent_grace, poll_interval, max_poll_interval,
              report, cancel, failure_code_of)
        if result.status == "replicated":
            report("checking", result.replication_status)
            _check_replica(result, dst, key, version_id, body, answer.get("ChecksumSHA256") or _sha256_b64(body))
    finally:
        report("cleaning-up", result.replication_status)
        _cleanup(result, src, dst, key, version_id, keep, replicated=result.replication_status in COMPLETED)
        result.seconds = time.monotonic() - started
        report("done", result.replication_status)
    return result


def _canary_rule(result: CanaryResult, src: BucketAccess, prefix: str | None) -> dict[str, Any] | None:
    """The enabled rule to the destination that covers ``prefix``; None with the result's message and fix."""
    try:
        configuration = src.call("get_bucket_replication").get("ReplicationConfiguration")
    except AwsError as exc:
        if exc.code != "ReplicationConfigurationNotFoundError":
            raise
        configuration = None
    rules = rules_to(configuration, result.destination_bucket)
    rule = _pick_rule(rules, prefix)
    if rule is None:
        result.message = (
            f"the source bucket {result.source_bucket!r} has no enabled replication rule to "
            f"{result.destination_bucket!r}"
            if not rules else
            f"no enabled replication rule to {result.destination_bucket!r} covers keys under {prefix!r} "
            f"(rule prefixes: {', '.join(repr(rule_prefix(r)) for r in rules)})"
        )
        result.fix = "apply the plan (s3xrep apply), or pass a --prefix the rule covers"
    return rule


def _wait(result: CanaryResult, src: BucketAccess, key: str, version_id: str, put_at: float, timeout: float,
          absent_grace: float, interval: float, max_interval: float, report: Callable[..., None], cancel: Cancel,
          failure_code_of: Callable[[str, str], str | None] | None) -> None:
    deadline = put_at + timeout
    absent_deadline = put_at + min(absent_grace, timeout)
    seen_status = False
    while True:
        status = src.call("head_object", Key=key, VersionId=version_id).get("ReplicationStatus")
        now = time.monotonic()
        result.replication_status = status
        report("waiting", status)
        if status in COMPLETED:
            result.status = "replicated"
            result.seconds_to_replicate = now - put_at
            return
        if status == "FAILED":
            result.status = "failed"
            result.seconds_to_replicate = now - put_at
            code = failure_code_of(key, version_id) if failure_code_of is not None else None
            result.failure_code = code
            result.fix = fix_for(code) if code else NO_FAILURE_CODE_FIX
            result.message = f"replication of the canary FAILED{f' with {code}' if code else ''}"
            return
        seen_status = seen_status or status is not None
        if not seen_status and now >= absent_deadline:
            result.status = "not-replicating"
            result.message = (
                f"S3 gave the canary no replication status in {now - put_at:.0f}s: the rule {result.rule_id!r} "
                f"does not apply to {key!r} (not matching, not active yet, or the object is not eligible, "
                "e.g. SSE-KMS without the rule's opt-in)"
            )
            result.fix = ("check the rule with 'aws s3api get-bucket-replication'; a rule put moments ago can take "
                          "a while to apply; SSE-KMS objects need SourceSelectionCriteria and a ReplicaKmsKeyID")
            return
        if now >= deadline:
            result.status = "timeout"
            result.message = f"the canary was still {status or 'without a status'} after {timeout:.0f}s"
            result.fix = ("replication can take longer than this (large backlogs, no RTC); run the canary again with "
                          "a longer --timeout, and watch the replication metrics")
            return
        if _is_cancelled(cancel):
            result.status = "cancelled"
            result.message = "cancelled while waiting for the canary to replicate"
            return
        _pause(min(interval, max(0.0, deadline - now)), cancel)
        interval = min(interval * 1.5, max_interval)


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _check_replica(result: CanaryResult, dst: BucketAccess, key: str, version_id: str, body: bytes,
                   source_checksum: str | None) -> None:
    checks = result.checks
    try:
        head = dst.s3.head_object(Bucket=dst.bucket, Key=key, VersionId=version_id, ChecksumMode="ENABLED",
                                  ExpectedBucketOwner=dst.owner)
    except ClientError as exc:
        code = error_code(exc)
        status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        if status == 404 or code in ("404", "NoSuchKey", "NoSuchVersion"):
            detail = (f"the source says COMPLETED but the destination has no version {version_id} of {key!r} "
                      f"({who(dst.profile)})")
        elif status == 403 or code in ("403", "AccessDenied"):
            detail = (f"{who(dst.profile)} may not read the replica (403): replicas owned by the source account are "
                      "unreadable to the destination; use BucketOwnerEnforced or owner override")
        else:
            detail = explain(exc, profile=dst.profile, what="s3.head_object on the replica").message
        checks.append(CanaryCheck("replica-readable", False, detail))
        result.message = "the replica could not be read with the destination's credentials"
        return
    status = head.get("ReplicationStatus")
    checks.append(CanaryCheck("replica-status", status == "REPLICA", f"ReplicationStatus {status}"))
    replica_version = head.get("VersionId")
    checks.append(CanaryCheck("version-id", replica_version == version_id,
                              f"replica version {replica_version}, source version {version_id}"))
    size = head.get("ContentLength")
    checks.append(CanaryCheck("size", size == len(body), f"replica {size} bytes, source {len(body)} bytes"))
    replica_checksum = head.get("ChecksumSHA256")
    if source_checksum and replica_checksum:
        checks.append(CanaryCheck("checksum", replica_checksum == source_checksum,
                                  f"SHA256 {replica_checksum} (source {source_checksum})"))
    try:
        data = dst.s3.get_object(Bucket=dst.bucket, Key=key, VersionId=version_id,
                                 ExpectedBucketOwner=dst.owner)["Body"].read()
        same = data == body
        checks.append(CanaryCheck("readable", same, "the destination's credentials read the same bytes" if same
                                  else f"read {len(data)} bytes that differ from what was put"))
    except Exception as exc:  # noqa: BLE001  (reported as a failed check)
        checks.append(CanaryCheck("readable", False,
                                  explain(exc, profile=dst.profile, what="s3.get_object on the replica").message))
    if result.failed_checks:
        result.message = "the canary replicated, but the replica failed: " + ", ".join(
            c.name for c in result.failed_checks)
    else:
        result.message = f"the canary replicated in {result.seconds_to_replicate:.2f}s and the replica checks out"


def _cleanup(result: CanaryResult, src: BucketAccess, dst: BucketAccess, key: str, version_id: str | None, keep: bool,
             *, replicated: bool) -> None:
    if version_id is None or keep:
        if keep and version_id is not None:
            result.cleanup.append(f"kept {key} version {version_id} on both sides (keep=True)")
        return
    for side, wanted in ((src, True), (dst, replicated)):
        if not wanted:
            continue
        try:
            side.s3.delete_object(Bucket=side.bucket, Key=key, VersionId=version_id, ExpectedBucketOwner=side.owner)
            result.cleanup.append(f"deleted {side.side} version {version_id}")
        except Exception as exc:  # noqa: BLE001  (cleanup reports, never hides the result)
            message = explain(exc, profile=side.profile, what=f"s3.delete_object on {side.bucket!r}").message
            result.cleanup.append(f"could not delete {side.side} version {version_id} of {key!r}: {message}")
    if not replicated:
        result.cleanup.append(
            "the replica was not checked; if replication completes later, delete it from the destination by version id"
            if result.status in ("timeout", "cancelled") else "no replica to delete")


def _account(clients: Clients, side: str) -> str:
    try:
        return caller_identity(clients).id
    except AwsError as exc:
        raise exc.within(f"{side} ({who(profile_of(clients))})") from exc.__cause__


__all__ = [
    "COMPLETED",
    "NO_FAILURE_CODE_FIX",
    "CanaryCheck",
    "CanaryProgress",
    "CanaryResult",
    "canary_key",
    "run_canary",
]
