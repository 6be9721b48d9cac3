"""Live S3 replication and ReplicationStatus: the engine.

moto stores a replication configuration and never replicates. Here:

* :class:`ReplicationEngine` decides, at write time, whether a new version or
  delete marker is eligible and where it goes (every destination bucket of an
  Enabled rule covering it; of several rules to one destination, the
  highest-priority one), marks it PENDING, and a worker thread replicates it after
  ``replication_delay`` straight into moto's S3 backend of the destination
  account, with the same version id, after checking what AWS checks (role
  trust and policies, destination bucket policy, KMS key state and policy,
  destination versioning / Object Lock). Each destination's outcome is
  COMPLETED or FAILED with AWS's failure code; the source reads as
  ``replication_state`` sums them up, and replicas read back as REPLICA.
* ``replication_middleware.ReplicationMiddleware`` feeds it from HTTP (writes,
  configurations) and ``replication_config`` speaks S3's XML and validation.

moto internals used (moto 5.2.5): ``moto.s3.models.s3_backends`` and its
``bucket_accounts`` map, ``FakeBucket.keys`` (a ``_VersionedKeyStore``: one list
of versions per key, last = current), ``FakeKey`` / ``FakeDeleteMarker``,
``S3Backend.tagger`` (object tags keyed by ``FakeKey.arn``), ``moto.kms.models.kms_backends``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import iam_eval, kms_checks
from .moto_access import (
    find_bucket,
    find_version,
    is_delete_marker,
    object_tags,
    s3_backend,
)
from .replication_state import StatusBook

log = logging.getLogger(__name__)

# Object sub-resources: a request carrying one of these does not write a new version.
_NOT_REPLICATED_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})

Key = tuple[str, str, str]  # (bucket, key, version id)


@dataclass(frozen=True)
class ReplicationEvent:
    kind: Literal["pending", "completed", "failed"]
    source_account: str
    source_bucket: str
    destination_bucket: str
    rule_id: str
    key: str
    version_id: str
    size: int
    latency: float | None
    failure_code: str | None
    metrics_enabled: bool
    via_batch: bool


@dataclass(order=True)
class _Task:
    due: float
    seq: int
    bucket: str = field(compare=False)
    key: str = field(compare=False)
    version_id: str = field(compare=False)
    role: str = field(compare=False)
    rule: dict[str, Any] = field(compare=False)
    written_at: float = field(compare=False)


def rule_destination_bucket(rule: dict[str, Any]) -> str:
    arn = rule.get("Destination", {}).get("Bucket", "")
    return arn.split(":::", 1)[1] if ":::" in arn else arn


def rule_metrics_enabled(rule: dict[str, Any]) -> bool:
    destination = rule.get("Destination", {})
    return (
        destination.get("Metrics", {}).get("Status") == "Enabled"
        or destination.get("ReplicationTime", {}).get("Status") == "Enabled"
    )


def _filter_covers(rule: dict[str, Any], key: str, tags: dict[str, str], delete_marker: bool) -> bool:
    if "Filter" not in rule:  # V1 schema
        return key.startswith(rule.get("Prefix") or "")
    flt = rule.get("Filter") or {}
    if "Prefix" in flt:
        return key.startswith(flt.get("Prefix") or "")
    if "Tag" in flt:
        tag = flt["Tag"]
        return not delete_marker and tags.get(tag.get("Key")) == tag.get("Value")
    if "And" in flt:
        conj = flt["And"] or {}
        wanted = conj.get("Tags") or []
        if wanted and delete_marker:
            return False
        return key.startswith(conj.get("Prefix") or "") and all(tags.get(t.get("Key")) == t.get("Value") for t in wanted)
    return True


def _priority(rule: dict[str, Any]) -> int:
    return int(rule.get("Priority") or 0)


def kms_opted_in(rule: dict[str, Any]) -> bool:
    criteria = rule.get("SourceSelectionCriteria") or {}
    return (criteria.get("SseKmsEncryptedObjects") or {}).get("Status") == "Enabled"


def _delete_markers_replicated(rule: dict[str, Any]) -> bool:
    if "Filter" not in rule:  # V1 rules replicate user delete markers implicitly
        return True
    return (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"


# -- the engine ----------------------------------------------------------------------------


class ReplicationEngine:
    """Replication state, the worker that replicates, and the listeners told about it."""

    def __init__(self, *, replication_delay: float = 1.0, region: str = "us-east-1") -> None:
        self.replication_delay = replication_delay
        self.region = region
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[_Task] = []
        self._seq = itertools.count()
        self._configs: dict[str, dict[str, Any]] = {}
        self._book = StatusBook()
        self._owner: dict[Key, str] = {}
        self._hard_deleted: set[tuple[Key, str]] = set()  # replicas deleted by version id: Batch never redoes them
        self._listeners: list[Callable[[ReplicationEvent], None]] = []
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- lifecycle

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-replication", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._heap.clear()
            self._wake.notify_all()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    # -- public API

    def add_listener(self, fn: Callable[[ReplicationEvent], None]) -> None:
        with self._lock:
            self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[ReplicationEvent], None]) -> None:
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def status(self, bucket: str, key: str, version_id: str) -> str | None:
        return self._book.status((bucket, key, str(version_id)))

    def failure_code(self, bucket: str, key: str, version_id: str) -> str | None:
        return self._book.failure_code((bucket, key, str(version_id)))

    def pending_count(self) -> int:
        with self._lock:
            return len(self._heap)

    def configuration(self, bucket: str) -> dict[str, Any] | None:
        """The replication configuration of ``bucket`` exactly as put (botocore's shape), or None."""
        return self._configs.get(bucket)

    def set_configuration(self, bucket: str, config: dict[str, Any] | None) -> None:
        with self._lock:
            if config is None:
                self._configs.pop(bucket, None)
            else:
                self._configs[bucket] = config

    def owner(self, bucket: str, key: str, version_id: str, default: str | None = None) -> str | None:
        """The account that owns a version (writer, or as replication dictated)."""
        return self._owner.get((bucket, key, str(version_id)), default)

    def record_owner(self, bucket: str, key: str, version_id: str, account_id: str) -> None:
        self._owner[(bucket, key, str(version_id))] = account_id

    def matching_rule(self, bucket: str, key: str, version_id: str) -> dict[str, Any] | None:
        """Highest-priority rule of those Batch Replication would replicate that version with, or None.

        Replicas count: Batch Replication replicates them (ObjectReplicationStatuses REPLICA).
        """
        config = self._configs.get(bucket)
        source = find_bucket(bucket)
        if config is None or source is None:
            return None
        version = find_version(source, key, version_id)
        if version is None:
            return None
        rules = self._match(config, source, version, replicas=True)
        return max(rules, key=_priority) if rules else None

    def replicate_now(self, bucket: str, key: str, version_id: str, *, via_batch: bool = True) -> str | None:
        """Replicate one version now (Batch Replication's path). Returns the failure code or None."""
        config = self._configs.get(bucket)
        source = find_bucket(bucket)
        if source is None:
            return "SrcBucketNotFound"
        if config is None:
            return "SrcBucketReplicationConfigMissing"
        version = find_version(source, key, version_id)
        if version is None:
            return "SrcVersionNotFound"
        rules = self._match(config, source, version, replicas=via_batch)
        if not rules:
            return "SrcObjectNotEligible"
        ident = (bucket, key, str(version_id))
        hard_deleted = {id(rule) for rule in rules if via_batch and self._replica_hard_deleted(ident, rule)}
        for rule in rules:  # every destination PENDING before the first finishes
            self._set_pending(source, version, rule, via_batch)
        failures = []
        for rule in rules:
            if id(rule) in hard_deleted:
                code: str | None = "DstObjectHardDeleted"  # a replica deleted by version id is never re-replicated
                self._finish(source, version, rule, code, time.monotonic(), via_batch)
            else:
                code = self._execute(source, version, config["Role"], rule, time.monotonic(), via_batch)
            if code:
                failures.append(code)
        return failures[0] if failures else None

    # -- write hook (called by the middleware after moto accepted a write)

    def on_write(self, bucket: str, key: str, version_id: str, writer_account: str) -> None:
        source = find_bucket(bucket)
        if source is None:
            return
        owner = source.account_id if source.ownership_rule == "BucketOwnerEnforced" else writer_account
        self.record_owner(bucket, key, version_id, owner)
        config = self._configs.get(bucket)
        if config is None or not source.is_versioned:
            return
        version = find_version(source, key, version_id)
        if version is None:
            return
        rules = self._match(config, source, version)
        now = time.monotonic()
        for rule in rules:  # every destination PENDING before the first finishes
            self._set_pending(source, version, rule, via_batch=False)
        with self._wake:
            if self._stopping:
                return
            for rule in rules:
                heapq.heappush(self._heap, _Task(now + self.replication_delay, next(self._seq), bucket, key,
                                                 str(version_id), config["Role"], rule, now))
            self._wake.notify()

    # -- internals

    def _replica_hard_deleted(self, ident: Key, rule: dict[str, Any]) -> bool:
        """Replicated to that destination before, and the replica is gone (deleted by version id)."""
        name = rule_destination_bucket(rule)
        destination = find_bucket(name)
        if (ident, name) in self._hard_deleted:  # the FAILED it left must not make the next job succeed
            return destination is not None and find_version(destination, ident[1], ident[2]) is None
        gone = (
            self._book.destination_status(ident, name) == "COMPLETED"
            and destination is not None
            and find_version(destination, ident[1], ident[2]) is None
        )
        if gone:
            self._hard_deleted.add((ident, name))
        return gone

    def _match(self, config: dict[str, Any], source: Any, version: Any, *, replicas: bool = False) -> list[dict[str, Any]]:
        """The rules a version replicates by: per destination bucket, the highest-priority covering rule.

        Replicas only with ``replicas`` (Batch Replication): live rules never replicate them again.
        """
        delete_marker = is_delete_marker(version)
        if not replicas and self._book.status((source.name, version.name, str(version.version_id))) == "REPLICA":
            return []
        tags = object_tags(source, version)
        kms = not delete_marker and str(version.encryption or "").startswith("aws:kms")
        if not delete_marker and version.storage_class in _NOT_REPLICATED_CLASSES:
            return []
        best: dict[str, dict[str, Any]] = {}
        for rule in config.get("Rules", []):
            if rule.get("Status") != "Enabled":
                continue
            if kms and not kms_opted_in(rule):
                continue
            if not _filter_covers(rule, version.name, tags, delete_marker):
                continue
            destination = rule_destination_bucket(rule)
            if destination not in best or _priority(rule) > _priority(best[destination]):
                best[destination] = rule
        return [rule for rule in best.values() if not delete_marker or _delete_markers_replicated(rule)]

    def _event(self, kind: str, source: Any, version: Any, rule: dict[str, Any], latency: float | None,
               code: str | None, via_batch: bool) -> ReplicationEvent:
        return ReplicationEvent(
            kind=kind,  # type: ignore[arg-type]
            source_account=source.account_id,
            source_bucket=source.name,
            destination_bucket=rule_destination_bucket(rule),
            rule_id=str(rule.get("ID", "")),
            key=version.name,
            version_id=str(version.version_id),
            size=0 if is_delete_marker(version) else int(version.size),
            latency=latency,
            failure_code=code,
            metrics_enabled=rule_metrics_enabled(rule),
            via_batch=via_batch,
        )

    def _emit(self, event: ReplicationEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("replication listener %r failed", listener)

    def _set_pending(self, source: Any, version: Any, rule: dict[str, Any], via_batch: bool) -> None:
        ident = (source.name, version.name, str(version.version_id))
        self._book.set(ident, rule_destination_bucket(rule), "PENDING")
        self._emit(self._event("pending", source, version, rule, None, None, via_batch))

    def _finish(self, source: Any, version: Any, rule: dict[str, Any], code: str | None, started: float,
                via_batch: bool) -> None:
        ident = (source.name, version.name, str(version.version_id))
        latency = time.monotonic() - started
        if code is None:
            self._book.set(ident, rule_destination_bucket(rule), "COMPLETED")
            self._emit(self._event("completed", source, version, rule, latency, None, via_batch))
        else:
            self._book.set(ident, rule_destination_bucket(rule), "FAILED", code)
            log.info("replication of %s/%s %s failed: %s", source.name, version.name, version.version_id, code)
            self._emit(self._event("failed", source, version, rule, latency, code, via_batch))

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._heap or self._heap[0].due > time.monotonic()):
                    timeout = self._heap[0].due - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopping:
                    return
                task = heapq.heappop(self._heap)
            try:
                self._process(task)
            except Exception:
                log.exception("replicating %s/%s %s crashed", task.bucket, task.key, task.version_id)

    def _process(self, task: _Task) -> None:
        source = find_bucket(task.bucket)
        if source is None:
            return
        version = find_version(source, task.key, task.version_id)
        if version is None:  # deleted by version id before it replicated
            return
        self._execute(source, version, task.role, task.rule, task.written_at, via_batch=False)

    def _execute(self, source: Any, version: Any, role: str, rule: dict[str, Any], started: float,
                 via_batch: bool) -> str | None:
        try:
            code = self._replicate(source, version, role, rule)
        except Exception:
            log.exception("replicating %s/%s crashed", source.name, version.name)
            code = "InternalError"
        self._finish(source, version, rule, code, started, via_batch)
        return code

    def _replicate(self, source: Any, version: Any, role: str, rule: dict[str, Any]) -> str | None:
        """Check what S3 checks, then write the replica. Returns AWS's failure code, or None."""
        role_account = iam_eval.account_of(role or "")
        if role_account != source.account_id or not iam_eval.role_trusts(
            role_account, role, "s3.amazonaws.com",
            {"aws:SourceAccount": source.account_id, "aws:SourceArn": f"arn:aws:s3:::{source.name}"},
        ):
            return "AssumeRoleNotPermitted"
        src_arn = f"arn:aws:s3:::{source.name}/{version.name}"
        if not iam_eval.role_allows(role_account, role, "s3:GetObjectVersionForReplication", src_arn):
            return "SrcGetObjectNotPermitted"
        destination = find_bucket(rule_destination_bucket(rule))
        if destination is None:
            return "DstBucketNotFound"
        if destination.versioning_status != "Enabled":
            return "DstBucketUnversioned"
        if source.object_lock_enabled and not destination.object_lock_enabled:
            return "DstBucketObjectLockConfigMissing"
        dst_arn = f"arn:aws:s3:::{destination.name}/{version.name}"
        policy = destination.policy
        cross_account = destination.account_id != role_account

        # what S3 sends with the role's requests to the destination (TLS, the role's own account)
        context = {"aws:SecureTransport": True, "aws:PrincipalAccount": role_account, "aws:PrincipalArn": role}

        def allowed(action: str) -> bool:
            if not iam_eval.role_allows(role_account, role, action, dst_arn, context):
                return False
            decision = iam_eval.resource_policy_decision(policy, role, action, dst_arn, context)
            return decision == "allow" or (decision == "none" and not cross_account)

        if is_delete_marker(version):
            if not allowed("s3:ReplicateDelete"):
                return "DstDelObjNotPermitted"
            self._write_delete_marker(destination, version)
            return None

        destination_spec = rule.get("Destination", {})
        if not allowed("s3:ReplicateObject"):
            return "DstPutObjectNotPermitted"
        owner_override = "AccessControlTranslation" in destination_spec
        if owner_override and not allowed("s3:ObjectOwnerOverrideToBucketOwner"):
            return "DstPutObjectNotPermitted"
        tags = object_tags(source, version)
        if tags and not iam_eval.role_allows(role_account, role, "s3:GetObjectVersionTagging", src_arn):
            tags = {}  # AWS replicates the object without its tags
        if tags and not allowed("s3:ReplicateTags"):
            return "DstPutTaggingNotPermitted"

        encrypted = kms_checks.replica_encryption(source, destination, version, destination_spec, role, role_account)
        if encrypted.code:
            return encrypted.code

        if destination.ownership_rule == "BucketOwnerEnforced" or owner_override:
            owner = destination.account_id
        else:
            owner = self.owner(source.name, version.name, version.version_id, source.account_id) or source.account_id
        storage_class = destination_spec.get("StorageClass") or version.storage_class
        self._write_object(destination, version, storage_class, encrypted, tags, owner)
        return None

    def _insert_version(self, destination: Any, replica: Any) -> None:
        versions = [v for v in (destination.keys.getlist(replica.name, []) or []) if str(v.version_id) != str(replica.version_id)]
        position = len(versions)
        while position > 0 and versions[position - 1].last_modified > replica.last_modified:
            position -= 1
        versions.insert(position, replica)
        destination.keys.setlist(replica.name, versions)
        ident = (destination.name, replica.name, str(replica.version_id))
        self._book.mark_replica(ident)

    def _write_object(self, destination: Any, version: Any, storage_class: str | None,
                      encrypted: kms_checks.ReplicaEncryption, tags: dict[str, str], owner: str) -> None:
        from moto.s3.models import FakeKey

        replica = FakeKey(
            name=version.name,
            value=version.value,
            account_id=destination.account_id,
            region_name=destination.region_name,
            storage=storage_class or "STANDARD",
            etag=version.etag.strip('"'),
            is_versioned=True,
            version_id=str(version.version_id),
            bucket_name=destination.name,
            encryption=encrypted.encryption,
            kms_key_id=encrypted.kms_key_id,
            bucket_key_enabled=encrypted.bucket_key,
            lock_mode=version.lock_mode,
            lock_legal_status=version.lock_legal_status,
            lock_until=version.lock_until,
            checksum_value=version.checksum_value,
        )
        replica.last_modified = version.last_modified
        replica.set_metadata(dict(version.metadata), replace=True)
        replica.checksum_algorithm = version.checksum_algorithm
        replica.website_redirect_location = version.website_redirect_location
        self._insert_version(destination, replica)
        backend = s3_backend(destination.account_id)
        backend.tagger.delete_all_tags_for_resource(replica.arn)
        if tags:
            backend.tagger.tag_resource(replica.arn, [{"Key": k, "Value": v} for k, v in tags.items()])
        self.record_owner(destination.name, replica.name, replica.version_id, owner)

    def _write_delete_marker(self, destination: Any, version: Any) -> None:
        from moto.s3.models import FakeDeleteMarker

        marker = FakeDeleteMarker.__new__(FakeDeleteMarker)
        marker.key = destination.keys.get(version.name)
        marker.name = version.name
        marker.last_modified = version.last_modified
        marker._version_id = str(version.version_id)
        self._insert_version(destination, marker)
        self.record_owner(destination.name, marker.name, marker.version_id, destination.account_id)
