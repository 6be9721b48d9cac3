"""Helpers for sandbox tests: polling and a replication set-up made with real boto3 calls."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox

T = TypeVar("T")

S3_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
SRC_ACTIONS = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
               "s3:GetObjectRetention", "s3:GetObjectLegalHold"]
DST_ACTIONS = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"]


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds.

    Starts at 10 ms and backs off to 100 ms: quick when things are quick, cheap when not.
    """
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {value!r}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


def head_status(s3: Any, bucket: str, key: str, version_id: str | None = None) -> str | None:
    kwargs = {"VersionId": version_id} if version_id else {}
    return s3.head_object(Bucket=bucket, Key=key, **kwargs).get("ReplicationStatus")


def wait_final(s3: Any, bucket: str, key: str, version_id: str | None = None, timeout: float = 5.0) -> str:
    """Wait until a source version leaves PENDING; returns COMPLETED or FAILED."""
    return wait_for(lambda: (s := head_status(s3, bucket, key, version_id)) in ("COMPLETED", "FAILED") and s,
                    timeout, what=f"replication of {bucket}/{key}")


def wait_engine_final(sandbox: Sandbox, bucket: str, key: str, version_id: str, timeout: float = 5.0) -> str:
    """Same as wait_final, read from the engine (works for delete markers too)."""
    return wait_for(lambda: (s := sandbox.engine.status(bucket, key, version_id)) in ("COMPLETED", "FAILED") and s,
                    timeout, what=f"replication of {bucket}/{key}@{version_id}")


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Setup:
    sandbox: Sandbox
    src: str
    dst: str
    role_arn: str
    s3a: Any
    s3b: Any
    iam: Any
    rules: list[dict[str, Any]] = field(default_factory=list)

    def failure(self, key: str, version_id: str) -> str | None:
        return self.sandbox.engine.failure_code(self.src, key, version_id)

    def put_rules(self, *rules: dict[str, Any]) -> None:
        self.rules = list(rules)
        self.s3a.put_bucket_replication(Bucket=self.src, ReplicationConfiguration={"Role": self.role_arn, "Rules": self.rules})


def rule(dst: str, *, rule_id: str = "to-dst", priority: int = 1, flt: dict[str, Any] | None = None,
         delete_markers: bool = False, **destination: Any) -> dict[str, Any]:
    return {"ID": rule_id, "Priority": priority, "Status": "Enabled", "Filter": {} if flt is None else flt,
            "DeleteMarkerReplication": {"Status": "Enabled" if delete_markers else "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{dst}", **destination}}


def make_setup(sandbox: Sandbox, *, src: str = "src-bucket", dst: str = "dst-bucket",
               trust: dict[str, Any] | None = None, src_actions: list[str] | None = None,
               dst_actions: list[str] | None = None, dst_policy: str | None | bool = True,
               dst_versioned: bool = True, dst_ownership: str | None = None, role_name: str = "s3-repl",
               replicate: bool = True, **rule_kwargs: Any) -> Setup:
    """Source bucket in A, destination in B, a replication role in A, B's bucket policy, one rule."""
    a, b = sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT)
    s3a, s3b, iam = a("s3"), b("s3"), a("iam")
    s3a.create_bucket(Bucket=src)
    s3a.put_bucket_versioning(Bucket=src, VersioningConfiguration={"Status": "Enabled"})
    s3b.create_bucket(Bucket=dst)
    if dst_versioned:
        s3b.put_bucket_versioning(Bucket=dst, VersioningConfiguration={"Status": "Enabled"})
    if dst_ownership:
        s3b.put_bucket_ownership_controls(Bucket=dst, OwnershipControls={"Rules": [{"ObjectOwnership": dst_ownership}]})
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust or S3_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="replication", PolicyDocument=policy(
        {"Effect": "Allow", "Action": src_actions if src_actions is not None else SRC_ACTIONS, "Resource": f"arn:aws:s3:::{src}/*"},
        {"Effect": "Allow", "Action": dst_actions if dst_actions is not None else DST_ACTIONS, "Resource": f"arn:aws:s3:::{dst}/*"},
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": f"arn:aws:s3:::{src}"},
    ))
    if dst_policy is True:
        dst_policy = policy({"Sid": "ReplFromA", "Effect": "Allow", "Principal": {"AWS": role_arn},
                             "Action": DST_ACTIONS, "Resource": f"arn:aws:s3:::{dst}/*"})
    if isinstance(dst_policy, str):
        s3b.put_bucket_policy(Bucket=dst, Policy=dst_policy)
    setup = Setup(sandbox, src, dst, role_arn, s3a, s3b, iam)
    if replicate:
        setup.put_rules(rule(dst, **rule_kwargs))
    return setup
