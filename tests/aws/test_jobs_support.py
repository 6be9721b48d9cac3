"""Shared set-up for the Batch jobs, report, status and ``jobs`` command tests (no tests here).

A fresh Sandbox per test (``sandbox`` fixture), a replication set-up made with
real boto3 calls (as ``tests.sandbox.helpers.make_setup`` makes it), a Batch Replication
role and a report bucket in the source account, and ``create_job``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.clients import Clients
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from tests.sandbox.helpers import DST_ACTIONS, S3_TRUST, SRC_ACTIONS, Setup, policy, rule, wait_for

A, B = SOURCE_ACCOUNT, DESTINATION_ACCOUNT
REGION = "us-east-1"
REPORT_PREFIX = "s3xrep/batch-reports"
BATCH_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "batchoperations.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

__all__ = ["REGION", "A", "B", "World", "clients_of", "make_world", "sandbox", "wait_for"]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0,
                 config_path=tmp_path / "aws-config") as running:
        yield running


@dataclass
class World:
    setup: Setup
    clients: Any  # Clients of account A
    report: str
    batch_role_arn: str

    @property
    def src(self) -> str:
        return self.setup.src

    @property
    def dst(self) -> str:
        return self.setup.dst

    def s3control(self, region: str = REGION) -> Any:
        return self.clients("s3control", region)

    def create_job(self, *, confirm: bool = False, scope: str = "AllTasks", statuses: list[str] | None = None,
                   prefix: str | None = None, priority: int = 10, description: str = "s3xrep test job",
                   region: str = REGION) -> str:
        flt: dict[str, Any] = {"EligibleForReplication": True}
        if statuses:
            flt["ObjectReplicationStatuses"] = statuses
        if prefix is not None:
            flt["KeyNameConstraint"] = {"MatchAnyPrefix": [prefix]}
        return self.s3control(region).create_job(
            AccountId=A,
            ConfirmationRequired=confirm,
            Operation={"S3ReplicateObject": {}},
            Report={"Enabled": True, "Bucket": f"arn:aws:s3:::{self.report}", "Format": "Report_CSV_20180820",
                    "Prefix": REPORT_PREFIX, "ReportScope": scope},
            ManifestGenerator={"S3JobManifestGenerator": {
                "SourceBucket": f"arn:aws:s3:::{self.src}", "EnableManifestOutput": False, "Filter": flt}},
            Priority=priority,
            RoleArn=self.batch_role_arn,
            Description=description,
        )["JobId"]

    def put(self, *keys: str, body: bytes = b"data") -> dict[str, str]:
        """Put objects in the source; returns key -> version id."""
        return {key: self.setup.s3a.put_object(Bucket=self.src, Key=key, Body=body)["VersionId"] for key in keys}


_SESSIONS: dict[str, Any] = {}


def clients_of(sandbox: Sandbox, account: str) -> Clients:
    """``sandbox.clients(account)`` with one boto3 Session per account for the whole run: its loader
    caches the service models, so a fresh sandbox's clients cost little (its keys never change)."""
    session = _SESSIONS.get(account)
    if session is None:
        session = _SESSIONS[account] = sandbox.session(account)
    return Clients(session, endpoint_url=sandbox.endpoint_url)


def _setup(sandbox: Sandbox, dst_policy: bool) -> tuple[Clients, Setup]:
    """What ``tests.sandbox.helpers.make_setup`` does (buckets, replication role, B's policy), no rule yet."""
    a, b = clients_of(sandbox, A), clients_of(sandbox, B)
    s3a, s3b, iam = a("s3"), b("s3"), a("iam")
    src, dst = "src-bucket", "dst-bucket"
    s3a.create_bucket(Bucket=src)
    s3a.put_bucket_versioning(Bucket=src, VersioningConfiguration={"Status": "Enabled"})
    s3b.create_bucket(Bucket=dst)
    s3b.put_bucket_versioning(Bucket=dst, VersioningConfiguration={"Status": "Enabled"})
    role_arn = iam.create_role(RoleName="s3-repl", AssumeRolePolicyDocument=json.dumps(S3_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="s3-repl", PolicyName="replication", PolicyDocument=policy(
        {"Effect": "Allow", "Action": SRC_ACTIONS, "Resource": f"arn:aws:s3:::{src}/*"},
        {"Effect": "Allow", "Action": DST_ACTIONS, "Resource": f"arn:aws:s3:::{dst}/*"},
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
         "Resource": f"arn:aws:s3:::{src}"},
    ))
    if dst_policy:
        s3b.put_bucket_policy(Bucket=dst, Policy=policy({
            "Sid": "ReplFromA", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": DST_ACTIONS,
            "Resource": f"arn:aws:s3:::{dst}/*"}))
    return a, Setup(sandbox, src, dst, role_arn, s3a, s3b, iam)


def make_world(sandbox: Sandbox, *, keys: tuple[str, ...] = ("a.txt", "b.txt", "logs/c.txt"),
               initiate: bool = True, dst_policy: bool = True, metrics: bool = False,
               replicate_first: bool = False, flt: dict[str, Any] | None = None) -> World:
    """Source and destination with a rule; the objects are written *before* the rule (so Batch
    Replication has work) unless ``replicate_first``."""
    rule_kwargs: dict[str, Any] = {"flt": flt}
    if metrics:
        rule_kwargs["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    clients, setup = _setup(sandbox, dst_policy)
    world = World(setup, clients, "report-bucket", "")
    if not replicate_first:
        world.put(*keys)
    setup.put_rules(rule(setup.dst, **rule_kwargs))
    if replicate_first:
        world.put(*keys)
    setup.s3a.create_bucket(Bucket=world.report)
    iam = clients("iam")
    arn = iam.create_role(RoleName="s3xrep-batch", AssumeRolePolicyDocument=json.dumps(BATCH_TRUST))["Role"]["Arn"]
    statements = [
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
         "Resource": f"arn:aws:s3:::{setup.src}"},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
         "Resource": f"arn:aws:s3:::{world.report}/*"},
    ]
    if initiate:
        statements.append({"Effect": "Allow", "Action": ["s3:InitiateReplication"],
                           "Resource": f"arn:aws:s3:::{setup.src}/*"})
    iam.put_role_policy(RoleName="s3xrep-batch", PolicyName="batch", PolicyDocument=policy(*statements))
    world.batch_role_arn = arn
    return world
