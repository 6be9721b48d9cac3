"""S3's limits on a replication configuration, enforced by the sandbox as S3 does (issue 17.3).

Driven with the stock AWS CLI (``aws s3api put-bucket-replication``) against the config file the
sandbox writes (what ``s3xrep sandbox`` prints). Every refused put stores nothing: the
configuration read back is the valid one put first.

The limits are AWS's documents; where AWS does not document the error text, the test says so
and the sandbox answers the way S3 answers the neighbouring schema errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

SRC, DST = "limits-src", "limits-dst"
ROLE = f"arn:aws:iam::{A}:role/limits-replication"
CLI_TIMEOUT = 120.0  # one aws process on a loaded 2-core machine


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(seed="empty", config_path=tmp_path_factory.mktemp("limits") / "aws-config") as running:
        source, destination = running.clients(A)("s3"), running.clients(B)("s3")
        source.create_bucket(Bucket=SRC)
        destination.create_bucket(Bucket=DST)
        for s3, bucket in ((source, SRC), (destination, DST)):
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        yield running


def rule(rule_id: str = "to-dst", priority: int = 1, **extra: Any) -> dict[str, Any]:
    destination = {"Bucket": f"arn:aws:s3:::{DST}", **extra.pop("destination", {})}
    return {"ID": rule_id, "Priority": priority, "Status": "Enabled", "Filter": extra.pop("filter", {"Prefix": ""}),
            "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": destination, **extra}


def put(sandbox: Sandbox, tmp_path: Path, *rules: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """``aws s3api put-bucket-replication`` with the stock CLI and only the sandbox's profiles."""
    document = tmp_path / "replication.json"
    document.write_text(json.dumps({"Role": ROLE, "Rules": list(rules)}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(sandbox.config_path), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_PAGER="", AWS_MAX_ATTEMPTS="1", AWS_EC2_METADATA_DISABLED="true", HOME=str(tmp_path))
    aws = Path(sys.executable).with_name("aws")
    return subprocess.run(
        [str(aws), "s3api", "put-bucket-replication", "--bucket", SRC, "--replication-configuration",
         f"file://{document}", "--profile", PROFILES["source"]],
        env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL,
    )


def refused(done: subprocess.CompletedProcess[str], code: str, message: str) -> None:
    assert done.returncode != 0, done.stdout
    assert f"({code}) when calling the PutBucketReplication operation: {message}" in done.stderr, done.stderr


@pytest.fixture
def stored(sandbox: Sandbox) -> Iterator[None]:
    """A valid configuration is in place before the test; afterwards it must still be, untouched."""
    s3 = sandbox.clients(A)("s3")
    good = {"Role": ROLE, "Rules": [rule("kept")]}
    s3.put_bucket_replication(Bucket=SRC, ReplicationConfiguration=good)
    yield
    assert [r["ID"] for r in s3.get_bucket_replication(Bucket=SRC)["ReplicationConfiguration"]["Rules"]] == ["kept"]


def test_more_than_1000_rules_is_malformed_xml(sandbox: Sandbox, tmp_path: Path, stored: None) -> None:
    """AWS, Amazon S3 API Reference, "PutBucketReplication"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html): "A replication
    configuration must include at least one rule, and can contain a maximum of 1,000"; and
    "ReplicationConfiguration" (.../API_ReplicationConfiguration.html), Rules: "can contain a maximum of
    1,000 rules". The error text is not documented: the limit is the published schema's, so the sandbox
    answers S3's schema error, MalformedXML. 1,000 rules are accepted."""
    rules = [rule(f"r{i}", i + 1, filter={"Prefix": f"p{i}/"}) for i in range(1001)]
    refused(put(sandbox, tmp_path, *rules), "MalformedXML", "The XML you provided was not well-formed")
    assert put(sandbox, tmp_path, *rules[:1000]).returncode == 0
    sandbox.clients(A)("s3").put_bucket_replication(Bucket=SRC, ReplicationConfiguration={
        "Role": ROLE, "Rules": [rule("kept")]})  # what ``stored`` checks for afterwards


def test_a_rule_id_over_255_characters_is_invalid_argument(sandbox: Sandbox, tmp_path: Path, stored: None) -> None:
    """AWS, Amazon S3 API Reference, "ReplicationRule"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html), ID: "A unique identifier
    for the rule. The maximum value is 255 characters." S3 words the refusal of a longer ID, for
    lifecycle rules, as InvalidArgument "ID length should not exceed allowed limit of 255"; the sandbox
    says the same for replication rules."""
    refused(put(sandbox, tmp_path, rule("r" * 256)), "InvalidArgument",
            "ID length should not exceed allowed limit of 255")


def test_duplicate_tag_keys_in_an_and_filter_are_invalid_request(sandbox: Sandbox, tmp_path: Path,
                                                                   stored: None) -> None:
    """AWS, Amazon S3 API Reference, "ReplicationRuleAndOperator"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRuleAndOperator.html): Tags, "An array
    of tags containing key and value pairs"; S3 refuses a filter whose tag keys repeat with InvalidRequest
    "Duplicate Tag Keys are not allowed." (the answer it gives for lifecycle And filters)."""
    tags = [{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]
    refused(put(sandbox, tmp_path, rule(filter={"And": {"Prefix": "x/", "Tags": tags}})), "InvalidRequest",
            "Duplicate Tag Keys are not allowed.")


@pytest.mark.parametrize("which", ["ReplicationTime", "Metrics"])
def test_rtc_and_metrics_minutes_other_than_15_are_invalid_argument(
    sandbox: Sandbox, tmp_path: Path, stored: None, which: str
) -> None:
    """AWS, Amazon S3 API Reference, "ReplicationTimeValue"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationTimeValue.html), Minutes: "Valid value:
    15" (used by ReplicationTime.Time and Metrics.EventThreshold); S3 User Guide, "Meeting compliance
    requirements with S3 Replication Time Control" (replication-time-control.html): RTC replicates within
    15 minutes. The error text is not documented: the sandbox answers InvalidArgument naming the element."""
    rtc = {"Status": "Enabled", "Time": {"Minutes": 30 if which == "ReplicationTime" else 15}}
    metrics = {"Status": "Enabled", "EventThreshold": {"Minutes": 30 if which == "Metrics" else 15}}
    element = "ReplicationTime.Time.Minutes" if which == "ReplicationTime" else "Metrics.EventThreshold.Minutes"
    refused(put(sandbox, tmp_path, rule(destination={"ReplicationTime": rtc, "Metrics": metrics})),
            "InvalidArgument", f"{element} must be 15 minutes")


def test_existing_object_replication_is_malformed_xml(sandbox: Sandbox, tmp_path: Path, stored: None) -> None:
    """botocore's S3 model (ReplicationRule.ExistingObjectReplication): "This parameter is no longer
    supported. To replicate existing objects, see Replicating existing objects with S3 Batch Replication"
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-batch.html). S3 answers a
    rule that carries it with MalformedXML on accounts where AWS Support has not enabled it
    (hashicorp/terraform-provider-aws#23803, #43746; the provider documents "Specifying this parameter will
    result in MalformedXML errors"). No sandbox account has it enabled: Batch Replication is the path."""
    for status in ("Enabled", "Disabled"):
        refused(put(sandbox, tmp_path, rule(ExistingObjectReplication={"Status": status})), "MalformedXML",
                "The XML you provided was not well-formed")
