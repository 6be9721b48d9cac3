"""A fresh migration in a sandbox: buckets, the plan, apply, and the state read back (apply and reliability tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from s3xrep_tui.aws.apply import Backoff, apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions, Plan
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox

FAST = Backoff(total=0.1, first=0.005, factor=2.0, max_delay=0.05)  # 0.005, 0.01, 0.02, 0.04, 0.025 -> 6 attempts


def get_or_none(call: Callable[[], Any], *absent: str) -> Any:
    """``call()``, or None when it fails with one of the ``absent`` error codes."""
    try:
        return call()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in absent:
            return None
        raise


def foreign_policy(bucket: str, *sids: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
             "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            for sid in sids
        ],
    }


@dataclass
class World:
    sandbox: Sandbox
    accounts: dict[str, Any]
    src: str
    dst: str
    report: str
    original_policy: str

    @property
    def clients(self) -> dict[str, Any]:
        return {"source": self.accounts[A], "destination": self.accounts[B]}

    @property
    def options(self) -> MigrationOptions:
        return MigrationOptions(report_bucket=self.report)

    def plan(self) -> Plan:
        c = self.clients
        return build_plan(gather_inputs(c["source"], c["destination"], self.src, self.dst, self.options))

    def apply(self, plan: Plan | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("backoff", FAST)
        return apply_plan(plan or self.plan(), self.clients, options=self.options, **kwargs)

    def s3a(self) -> Any:
        return self.accounts[A]("s3")

    def s3b(self) -> Any:
        return self.accounts[B]("s3")

    def iam(self) -> Any:
        return self.accounts[A]("iam")

    def dst_policy(self) -> dict[str, Any] | None:
        text = get_or_none(lambda: self.s3b().get_bucket_policy(Bucket=self.dst)["Policy"], "NoSuchBucketPolicy")
        return json.loads(text) if text else None

    def replication(self) -> dict[str, Any] | None:
        return get_or_none(lambda: self.s3a().get_bucket_replication(Bucket=self.src)["ReplicationConfiguration"],
                    "ReplicationConfigurationNotFoundError")

    def roles(self) -> set[str]:
        iam = self.iam()
        names = {f"s3xrep-repl-{self.src}", f"s3xrep-batch-{self.src}"}
        return {n for n in names if get_or_none(lambda n=n: iam.get_role(RoleName=n), "NoSuchEntity")}

    def jobs(self) -> list[dict[str, Any]]:
        jobs = self.accounts[A]("s3control").list_jobs(AccountId=A)["Jobs"]
        return [j for j in jobs if self.src in (j.get("Description") or "")]

    def snapshot(self) -> dict[str, Any]:
        return {
            "versioning": (self.s3a().get_bucket_versioning(Bucket=self.src).get("Status"),
                           self.s3b().get_bucket_versioning(Bucket=self.dst).get("Status")),
            "policy": self.dst_policy(),
            "replication": self.replication(),
            "roles": self.roles(),
            "jobs": len(self.jobs()),
        }

    def assert_applied(self) -> None:
        policy = self.dst_policy()
        assert policy is not None
        sids = [s.get("Sid") for s in policy["Statement"]]
        assert sids[0] == "Other" and len(sids) > 1 and all(s.startswith("S3xrep") for s in sids[1:])
        assert policy["Statement"][0] == json.loads(self.original_policy)["Statement"][0]
        config = self.replication()
        assert config is not None and [r["ID"] for r in config["Rules"]] == [f"s3xrep-to-{self.dst}"]
        assert self.roles() == {f"s3xrep-repl-{self.src}", f"s3xrep-batch-{self.src}"}
        assert len(self.jobs()) == 1  # never a duplicate job

    def assert_undone(self) -> None:
        assert self.dst_policy() == json.loads(self.original_policy)
        assert self.replication() is None
        assert self.roles() == set()
        assert self.alarm_resources() == {"notifications": [], "topics": [], "alarms": []}

    def alarm_resources(self) -> dict[str, list[str]]:
        """What of the alarms (issue 18) names this world's source: notification entries, topics, alarms."""
        a = self.accounts[A]
        config = a("s3").get_bucket_notification_configuration(Bucket=self.src)
        topics = [t["TopicArn"] for t in a("sns").list_topics().get("Topics") or [] if f"-{self.src}-" in t["TopicArn"]]
        alarms = a("cloudwatch").describe_alarms(AlarmNamePrefix=f"s3xrep-{self.src}-").get("MetricAlarms") or []
        return {"notifications": [e["Id"] for e in config.get("TopicConfigurations") or []], "topics": topics,
                "alarms": [m["AlarmName"] for m in alarms]}


def make_world(sandbox: Sandbox, accounts: dict[str, Any], name: str) -> World:
    """A source with three objects, a destination whose policy has a foreign statement, a report bucket."""
    src, dst, report = f"src-{name}", f"dst-{name}", f"rep-{name}"
    s3a, s3b = accounts[A]("s3"), accounts[B]("s3")
    s3a.create_bucket(Bucket=src)
    s3a.create_bucket(Bucket=report)
    for i in range(3):
        s3a.put_object(Bucket=src, Key=f"photos/{i}.jpg", Body=b"x" * (i + 1))
    s3b.create_bucket(Bucket=dst)
    original = json.dumps(foreign_policy(dst, "Other"), indent=2)
    s3b.put_bucket_policy(Bucket=dst, Policy=original)
    return World(sandbox, accounts, src, dst, report, original)


def accounts_view(sandbox: Any, sides: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Every document and resource a migration could touch (objects aside), for each ``(account, bucket)``:
    a whole story compares it before and after to show what is not ours was left as it was."""
    view: dict[str, Any] = {}
    for account, bucket in sides:
        clients = sandbox.clients(account)
        s3, iam = clients("s3"), clients("iam")
        notifications = s3.get_bucket_notification_configuration(Bucket=bucket)
        notifications.pop("ResponseMetadata", None)
        view[bucket] = {
            "policy": json.loads(get_or_none(lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"],  # noqa: B023
                                             "NoSuchBucketPolicy") or "null"),
            "replication": get_or_none(lambda: s3.get_bucket_replication(Bucket=bucket)[  # noqa: B023
                "ReplicationConfiguration"], "ReplicationConfigurationNotFoundError"),
            "notifications": notifications,
            "roles": {r["RoleName"]: (r["AssumeRolePolicyDocument"], iam.list_role_policies(
                RoleName=r["RoleName"])["PolicyNames"]) for r in iam.list_roles()["Roles"]},
            "topics": sorted(t["TopicArn"] for t in clients("sns").list_topics()["Topics"]),
            "queues": sorted(clients("sqs").list_queues().get("QueueUrls") or []),
            "alarms": sorted(a["AlarmName"] for a in clients("cloudwatch").describe_alarms()["MetricAlarms"]),
        }
    return view
