"""The whole migration through the CLI, start to finish, on one sandbox (issue 18, "done when").

Foreign state first (a replication rule with its own role, bucket policy statements and event
notification entries on both buckets); then plan and apply with alarms on; a replication
failure (the destination denies the replica for a while), seen as an event in the inbox with its
reason in words and as the alarm in ALARM in ``s3xrep jobs``; the cause fixed; verify finds the
missing version, repair replicates exactly it, verify is clean; the go/no-go checklist is green
with every item measured; the cut-over with the write freeze (a writer not spared is refused,
one named with --allow-writer and the replication roles still write); the way back carries a
write in the destination to the source and does not send a replica back; the way back taken
down; finish removes everything of ours and nothing else; the journal and the report say
finished. What is asserted is mostly what the user reads: exit codes and the commands' text.

The alarms are evaluated by the test (the sandbox's evaluation thread is stopped): "the cause
fixed" includes CloudWatch's next minutes, which are evaluated two minutes ahead instead of
waited for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.clients import Clients
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import accounts_view

from ..sandbox.helpers import head_status, wait_final, wait_for

SRC, DST, DR, REP = "story-src", "story-dst", "story-dr", "story-reports"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
FAST = ["--period", "1", "--sample", "200"]
JOBS = ["jobs", "--profile", PROFILES["source"], "--region", "us-east-1"]
OLD = [f"old/{i}.txt" for i in range(4)]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("whole-story") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, job_dwell=0.0,
                 config_path=config) as running:
        assert running.alarms is not None
        running.alarms.stop()  # the test evaluates the alarms, at the moments it says
        yield running


def _read(sandbox: Sandbox, account: str, service: str) -> Any:
    return sandbox.clients(account)(service)


def _statement(sid: str, bucket: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*"}


def _inbox(sandbox: Sandbox, account: str, name: str) -> str:
    """A foreign SQS queue S3 may send to; returns its ARN."""
    sqs = _read(sandbox, account, "sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SQS:SendMessage",
         "Resource": arn}]})})
    return arn


def _seed_foreign(sandbox: Sandbox) -> None:
    """What was there before us: a DR rule with its role, policy statements, notification entries."""
    s3a, s3b, iam = _read(sandbox, A, "s3"), _read(sandbox, B, "s3"), _read(sandbox, A, "iam")
    for bucket in (SRC, DR, REP):
        s3a.create_bucket(Bucket=bucket)
    for bucket in (SRC, DR):
        s3a.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3b.create_bucket(Bucket=DST)
    for key in OLD:
        s3a.put_object(Bucket=SRC, Key=key, Body=key.encode())
    s3a.put_bucket_policy(Bucket=SRC, Policy=json.dumps({"Version": "2012-10-17",
                                                         "Statement": [_statement("TeamReadsSource", SRC)]}))
    s3b.put_bucket_policy(Bucket=DST, Policy=json.dumps({"Version": "2012-10-17",
                                                         "Statement": [_statement("TeamReadsDest", DST)]}))
    iam.create_role(RoleName="team-dr", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=[{"Key": "team", "Value": "dr"}])
    iam.put_role_policy(RoleName="team-dr", PolicyName="team-dr", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    s3a.put_bucket_replication(Bucket=SRC, ReplicationConfiguration={
        "Role": f"arn:aws:iam::{A}:role/team-dr",
        "Rules": [{"ID": "team-dr", "Priority": 5, "Status": "Enabled", "Filter": {"Prefix": "dr/"},
                   "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": f"arn:aws:s3:::{DR}"}}]})
    for s3, bucket, account in ((s3a, SRC, A), (s3b, DST, B)):
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
            {"Id": "team-uploads", "QueueArn": _inbox(sandbox, account, f"team-inbox-{bucket}"),
             "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "up/"}]}}}]})


def _foreign_view(sandbox: Sandbox) -> dict[str, Any]:
    return accounts_view(sandbox, ((A, SRC), (B, DST)))


def _versions(sandbox: Sandbox) -> list[list[tuple[str, str]]]:
    return [sorted((v["Key"], v["VersionId"]) for v in _read(sandbox, account, "s3").list_object_versions(
        Bucket=bucket).get("Versions", [])) for account, bucket in ((A, SRC), (B, DST))]


def _out(capsys: Any) -> str:
    captured = capsys.readouterr()
    return captured.out + captured.err


def _fail_one_version(sandbox: Sandbox) -> str:
    """The destination denies replicas for a while: one new version FAILS. Returns its version id."""
    s3a, s3b = _read(sandbox, A, "s3"), _read(sandbox, B, "s3")
    kept = s3b.get_bucket_policy(Bucket=DST)["Policy"]
    denied = json.loads(kept)
    denied["Statement"].append({"Sid": "Blocked", "Effect": "Deny", "Principal": "*", "Action": "s3:ReplicateObject",
                                "Resource": f"arn:aws:s3:::{DST}/*"})
    s3b.put_bucket_policy(Bucket=DST, Policy=json.dumps(denied))
    version = s3a.put_object(Bucket=SRC, Key="reports/q3.csv", Body=b"quarter")["VersionId"]
    assert wait_final(s3a, SRC, "reports/q3.csv", version, timeout=30) == "FAILED"
    s3b.put_bucket_policy(Bucket=DST, Policy=kept)  # the cause fixed: the policy exactly as apply left it
    return version


def _jobs_text(sandbox: Sandbox, capsys: Any, *, now: dt.datetime | None = None) -> str:
    """``s3xrep jobs`` after one alarm evaluation (at ``now``). The sandbox's publisher writes the metrics each
    second; a flush by hand here could put a peak and the zero after it in one second, whose Maximum would
    then read the peak until the next minute's heartbeat (and the go/no-go backlog with it)."""
    assert sandbox.alarms is not None
    sandbox.alarms.evaluate(now=now)
    assert main(JOBS) == 0
    return capsys.readouterr().out


def _repair_manifest(sandbox: Sandbox) -> list[list[str]]:
    """The rows of the CSV manifest of the one repair job (bucket, key, version id)."""
    s3c = _read(sandbox, A, "s3control")
    (job,) = [j for j in s3c.list_jobs(AccountId=A)["Jobs"] if j.get("Description", "").startswith(f"s3xrep repair: {SRC} ")]
    arn = s3c.describe_job(AccountId=A, JobId=job["JobId"])["Job"]["Manifest"]["Location"]["ObjectArn"]
    bucket, key = arn.split(":::", 1)[1].split("/", 1)
    body = _read(sandbox, A, "s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [[b, unquote(k), v] for b, k, v in csv.reader(io.StringIO(body))]


def _operator(sandbox: Sandbox) -> tuple[str, Any]:
    """An IAM user of the source account with keys of its own: (its ARN, an S3 client as it)."""
    iam = _read(sandbox, A, "iam")
    arn = iam.create_user(UserName="story-operator")["User"]["Arn"]
    key = iam.create_access_key(UserName="story-operator")["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            region_name=sandbox.region)
    return arn, Clients(session, endpoint_url=sandbox.endpoint_url)("s3")


@dataclass
class Story:
    """One migration's shared state through the phases (the buckets' clients, the pair's arguments, capsys)."""

    sandbox: Sandbox
    capsys: Any
    s3a: Any = None
    s3b: Any = None
    plan_id: str = ""
    pair: list[str] = field(default_factory=lambda: [
        "--source", f"{PROFILES['source']}:{SRC}", "--dest", f"{PROFILES['destination']}:{DST}", "--report-bucket", REP])

    def __post_init__(self) -> None:
        self.s3a, self.s3b = _read(self.sandbox, A, "s3"), _read(self.sandbox, B, "s3")

    def out(self) -> str:
        return str(self.capsys.readouterr().out)


def _plan_and_apply_with_alarms(story: Story) -> None:
    assert main(["plan", *story.pair]) == 0
    planned = story.out()
    assert "put-metric-alarm" in planned and "create-topic" in planned and "1 other rule(s) kept" in planned
    assert main(["apply", *story.pair, "--yes", "--iam-wait", "0.1"]) == 0
    story.plan_id = next(line.split(": ", 1)[1] for line in story.out().splitlines() if line.startswith("Plan id: "))
    wait_for(lambda: all(head_status(story.s3a, SRC, key) == "COMPLETED" for key in OLD), timeout=60,
             what="the backfill")
    jobs = _jobs_text(story.sandbox, story.capsys)
    assert f"Alarms of migration {story.plan_id}:" in jobs and "ALARM " not in jobs


def _a_failure_is_seen(story: Story) -> str:
    """The event reaches our topic and s3xrep jobs with its reason in words; the alarm goes to ALARM."""
    failed = _fail_one_version(story.sandbox)
    notifications = story.sandbox.notifications
    assert notifications is not None
    (event,) = wait_for(lambda: [m for m in notifications.messages()
                                 if m["message"]["Records"][0]["s3"]["object"]["versionId"] == failed],
                        what="the failure event")
    assert event["destination"].endswith(f":{A}:s3xrep-replication-{SRC}-to-{DST}")
    jobs = wait_for(lambda: "ALARM " in (t := _jobs_text(story.sandbox, story.capsys)) and "FAILED reports/q3.csv" in t
                    and t, timeout=20, what="the alarm and the event in s3xrep jobs")
    assert re.search(rf"ALARM +s3xrep-{SRC}-to-{DST}-failed-replication ", jobs), jobs
    assert (f"FAILED reports/q3.csv {failed}: the destination refused the replica write (s3:ReplicateObject) "
            "[DstPutObjectNotPermitted]") in jobs, jobs
    return failed


def _verify_and_repair(story: Story, failed: str) -> None:
    """Verify finds the missing version, repair replicates exactly it, verify is clean."""
    verify = ["verify", *story.pair[:4]]
    assert main(verify) == 1
    assert re.search(r"missing +1  \(matters\)", story.out())
    assert main(["repair", *story.pair, "--yes", "--wait", "30"]) == 0
    out = story.out()
    assert "verify found 1 version(s) missing or mismatched; 1 to replicate, 0 a job cannot replicate" in out, out
    assert "Before: 1 missing or mismatched. After: 0 (1 of 1 replicated by 1 job(s))" in out, out
    assert _repair_manifest(story.sandbox) == [[SRC, "reports/q3.csv", failed]]  # exactly the missing version
    assert story.s3b.head_object(Bucket=DST, Key="reports/q3.csv", VersionId=failed)["ReplicationStatus"] == "REPLICA"
    assert main(verify) == 0
    assert main(["canary", *story.pair[:4]]) == 0
    story.out()


def _go(story: Story) -> None:
    """CloudWatch's next minutes without failures: the alarm back to OK; go/no-go all green, every item measured."""
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=2)
    jobs = _jobs_text(story.sandbox, story.capsys, now=later)
    assert "ALARM " not in jobs and re.search(rf"OK +s3xrep-{SRC}-to-{DST}-failed-replication ", jobs), jobs
    wait_for(lambda: main(["cutover", *story.pair, *FAST, "--check"]) == 0, timeout=30, what="go")
    lines = story.out().splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("GO: cut-over of"))
    items = [line for line in lines[start + 1:] if line.startswith("  [")]
    assert len(items) >= 6 and all(line.startswith("  [GO     ]") for line in items), lines[start:]
    assert any("Alarms: 2 of 2 OK" in line for line in items), items


def _cut_over_with_the_freeze(story: Story) -> None:
    """A writer the freeze does not spare is refused; the one named and the replication role still write."""
    operator_arn, as_operator = _operator(story.sandbox)
    assert main(["cutover", *story.pair, *FAST, "--freeze", "--allow-writer", operator_arn, "--yes",
                 "--drain-timeout", "30"]) == 0
    out = story.out()
    assert "Cut-over recorded" in out and f"object writes on {SRC} denied to all but" in out and operator_arn in out
    with pytest.raises(ClientError) as refused:
        story.s3a.put_object(Bucket=SRC, Key="late.txt", Body=b"too late")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    spared = as_operator.put_object(Bucket=SRC, Key="operator.txt", Body=b"spared")["VersionId"]
    assert wait_final(story.s3a, SRC, "operator.txt", spared, timeout=30) == "COMPLETED"  # the replication role writes
    freeze = next(s for s in json.loads(story.s3a.get_bucket_policy(Bucket=SRC)["Policy"])["Statement"]
                  if s["Sid"].endswith("WriteFreeze"))
    role_arn = story.s3a.get_bucket_replication(Bucket=SRC)["ReplicationConfiguration"]["Role"]
    assert role_arn in freeze["Condition"]["ArnNotLike"]["aws:PrincipalArn"]  # the replication role is spared
    record = [e for e in Journal(story.plan_id).read().entries if e["kind"] == "cutover"][-1]
    assert record["frozen"] and record["verify_ok"] and record["drained"]["drained"]


def _the_way_back(story: Story) -> str:
    """A new write in the destination replicates to the (frozen) source; a replica is not sent back. Its plan id."""
    s3a, s3b = story.s3a, story.s3b
    assert main(["cutover", *story.pair, "--reverse", "--yes"]) == 0
    out = story.out()
    reverse_id = next(line.split()[2].rstrip(":") for line in out.splitlines() if line.startswith("Reverse plan"))
    assert f"Replication {DST} -> {SRC} is on (plan {reverse_id})" in out
    back = s3b.put_object(Bucket=DST, Key="after-cutover.txt", Body=b"written in the new bucket")["VersionId"]
    assert wait_final(s3b, DST, "after-cutover.txt", back, timeout=30) == "COMPLETED"
    assert s3a.head_object(Bucket=SRC, Key="after-cutover.txt", VersionId=back)["ReplicationStatus"] == "REPLICA"
    wait_for(lambda: story.sandbox.engine.pending_count() == 0, what="an empty replication queue")
    assert [v["VersionId"] for v in s3b.list_object_versions(Bucket=DST, Prefix="after-cutover.txt")["Versions"]] == [back]
    assert s3b.head_object(Bucket=DST, Key=OLD[0])["ReplicationStatus"] == "REPLICA"  # came by replication ...
    assert len(s3a.list_object_versions(Bucket=SRC, Prefix=OLD[0])["Versions"]) == 1  # ... and was not sent back
    return reverse_id


def _finish(story: Story, reverse_id: str) -> None:
    """The rollback window over: the way back comes down, then finish takes our plumbing away."""
    assert main(["undo", reverse_id, "--yes"]) == 0, _out(story.capsys)
    out = story.out()
    assert f"replication configuration of {DST} deleted (there was none before apply)" in out, out
    assert f"role s3xrep-repl-{DST} deleted (apply created it)" in out, out
    assert main(["finish", story.plan_id, "--dry-run"]) == 0
    table = story.out()
    assert "remove" in table and "stays" in table and "rule team-dr" in table
    assert main(["finish", story.plan_id, "--yes"]) == 0, _out(story.capsys)
    out = story.out()
    assert "Finished at" in out and "removed" in out and "not removed" not in out, out


@pytest.mark.e2e
def test_the_whole_migration_from_apply_to_finish(sandbox: Sandbox, env: Path, capsys: Any) -> None:
    _seed_foreign(sandbox)
    before = _foreign_view(sandbox)
    story = Story(sandbox, capsys)
    _plan_and_apply_with_alarms(story)
    failed = _a_failure_is_seen(story)
    _verify_and_repair(story, failed)  # the cause was fixed in _fail_one_version
    _go(story)
    _cut_over_with_the_freeze(story)
    reverse_id = _the_way_back(story)
    data = _versions(sandbox)
    _finish(story, reverse_id)

    assert _foreign_view(sandbox) == before  # every foreign rule, role, statement, notification; nothing of ours
    assert _versions(sandbox) == data and all(data)  # every object version in both buckets
    assert story.s3a.put_object(Bucket=SRC, Key="writes-again.txt", Body=b"the freeze went with finish")["VersionId"]
    finished = [e for e in Journal(story.plan_id).read().entries if e["kind"] == "finish"][-1]
    assert finished["complete"] and finished["not_cut_over"] is False
    assert main(["finish", story.plan_id, "--yes"]) == 0
    assert "nothing to do: the migration was finished at" in story.out()
    assert main(["report", story.plan_id, "--format", "md"]) == 0
    report = story.out()
    assert "**Status: FINISHED**" in report and "## Finished" in report and "; cut over " in report
    assert "### What was removed" in report and "### What stays" in report
