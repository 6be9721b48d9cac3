"""Deny statements that would block replication are found by ``s3xrep plan`` (exit 3), quoted.

Issue 14.9. Each blocking case is proven twice: ``plan`` on the sandbox exits 3 with a
finding that quotes the denying statement (Sid and JSON), and the sandbox agrees that the
statement breaks replication (a plan applied before the Deny was added, then an object
written: FAILED). A Deny that replication's requests do not meet (non-TLS requests only)
must not block: ``plan`` exits 0 and an object replicates. Evaluation follows AWS's
"Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny in any applicable policy overrides every Allow.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.cli import main
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import FAST, World
from tests.sandbox.helpers import wait_final

from .conftest import DST_PROFILE, SRC_PROFILE


def _deny_everyone(w: World) -> dict[str, Any]:
    return {"Sid": "DenyEverything", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{w.dst}", f"arn:aws:s3:::{w.dst}/*"]}


def _not_principal(w: World) -> dict[str, Any]:
    return {"Sid": "OnlyAccountB", "Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{B}:root"},
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            "Resource": f"arn:aws:s3:::{w.dst}/*"}


def _tls_only(w: World) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{w.dst}", f"arn:aws:s3:::{w.dst}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


# the cryptographic actions only: moto's KMS applies any Deny naming kms:DescribeKey (or kms:*) to
# every caller, conditions ignored, so B could not describe its own key (AWS would let B)
KEY_DENY = {"Sid": "DenyOtherAccounts", "Effect": "Deny", "Principal": "*",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:CallerAccount": B}}}


def _add_to_bucket_policy(w: World, statement: dict[str, Any]) -> None:
    policy = w.dst_policy() or {"Version": "2012-10-17", "Statement": []}
    policy["Statement"].append(statement)
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(policy))


def _add_to_key_policy(w: World, key: str, statement: dict[str, Any]) -> None:
    kms = w.accounts[B]("kms")
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append(statement)
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


def _kms_world(w: World) -> str:
    """SSE-KMS source (key in A), a replica key in B; returns the replica key's ARN."""
    source_key = w.accounts[A]("kms").create_key(Description="source")["KeyMetadata"]["Arn"]
    w.s3a().put_bucket_encryption(Bucket=w.src, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": source_key}}]})
    return w.accounts[B]("kms").create_key(Description="replicas")["KeyMetadata"]["Arn"]


def _plan_cli(w: World, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["plan", "--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}",
                 "--report-bucket", w.report, *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def _apply(w: World, options: MigrationOptions) -> None:
    plan = build_plan(gather_inputs(w.clients["source"], w.clients["destination"], w.src, w.dst, options))
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    result = apply_plan(plan, w.clients, options=options, backoff=FAST)
    assert result.ok, result.summary()


def _replicates(w: World, key: str) -> str:
    version = w.s3a().put_object(Bucket=w.src, Key=key, Body=b"payload")["VersionId"]
    return wait_final(w.s3a(), w.src, key, version)


BUCKET_DENIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "Deny Principal * on s3:*": _deny_everyone,
    "NotPrincipal Deny on the replication actions": _not_principal,
}


@pytest.mark.parametrize("case", sorted(BUCKET_DENIES))
def test_a_bucket_policy_deny_blocks_the_plan_quoting_the_statement(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    w = world("deny-" + BUCKET_DENIES[case].__name__.strip("_").replace("_", "-"))
    statement = BUCKET_DENIES[case](w)
    _add_to_bucket_policy(w, statement)
    code, said = _plan_cli(w, capsys)
    assert code == 3, said
    assert f'Statement "{statement["Sid"]}" of the bucket policy of {w.dst} denies s3:ReplicateObject' in said, said
    assert json.dumps(statement, separators=(",", ":")) in said
    assert "Blocked: fix the BLOCKING findings above" in said


@pytest.mark.parametrize("case", sorted(BUCKET_DENIES))
def test_the_sandbox_agrees_the_bucket_policy_deny_fails_replication(world: Callable[[str], World], case: str) -> None:
    w = world("agree-" + BUCKET_DENIES[case].__name__.strip("_").replace("_", "-"))
    _apply(w, w.options)
    assert _replicates(w, "before.txt") == "COMPLETED"
    _add_to_bucket_policy(w, BUCKET_DENIES[case](w))
    assert _replicates(w, "after.txt") == "FAILED"


def test_a_key_policy_denying_other_accounts_blocks_the_plan(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("deny-key")
    key = _kms_world(w)
    _add_to_key_policy(w, key, KEY_DENY)
    code, said = _plan_cli(w, capsys, "--replica-kms-key", key)
    assert code == 3, said
    assert f'Statement "DenyOtherAccounts" of the key policy of {key} denies kms:Encrypt on {key}' in said, said
    assert json.dumps(KEY_DENY, separators=(",", ":")) in said


def test_the_sandbox_agrees_the_key_policy_deny_fails_replication(world: Callable[[str], World]) -> None:
    w = world("agree-key")
    key = _kms_world(w)
    _apply(w, MigrationOptions(report_bucket=w.report, replica_kms_key=key))
    assert _replicates(w, "before.txt") == "COMPLETED"
    _add_to_key_policy(w, key, KEY_DENY)
    assert _replicates(w, "after.txt") == "FAILED"


def test_a_deny_of_insecure_transport_does_not_block(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("deny-tls")
    _add_to_bucket_policy(w, _tls_only(w))
    code, said = _plan_cli(w, capsys)
    assert code == 0, said
    assert "DenyInsecureTransport" not in said.split("Documents")[0]  # no finding names it
    _apply(w, w.options)
    assert _replicates(w, "tls.txt") == "COMPLETED"
