"""Bad input through ``s3xrep apply --yes`` (the command that writes), on the sandbox.

Each case: the exit code scripts rely on (2 bad arguments, 3 blocked by preflight,
1 AWS could not be read), one message that names the problem and one that says
the fix, no traceback, and nothing written: every bucket, role, key policy and
job of both accounts reads back exactly as before, and no journal was started.

The same findings are unit-tested one by one in tests/core/test_preflight.py and
tests/core/test_merge.py, and their wording per credential failure in
tests/aws/test_errors.py and tests/aws/test_credentials.py (see items.py); here
they are proven end to end, from the command line to the accounts.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws import clients as clients_module
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.cli import main
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.names import sid_family
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox, static_keys
from s3xrep_tui.sandbox.server import Call, Forward

from .conftest import DST_PROFILE, SRC_PROFILE, state


@dataclass
class Case:
    """``setup(ctx)`` prepares the accounts and returns the command's arguments."""

    setup: Callable[[Ctx], list[str]]
    exit: int
    problem: tuple[str, ...]  # every one of these is in the output (stderr, or the printed plan)
    fix: tuple[str, ...]
    command: str = "apply"


@dataclass
class Ctx:
    sandbox: Sandbox
    accounts: dict[str, Any]
    name: str
    config: Path
    extra_middleware: list[Any] = field(default_factory=list)

    @property
    def src(self) -> str:
        return f"bad-src-{self.name}"

    @property
    def dst(self) -> str:
        return f"bad-dst-{self.name}"

    def s3(self, account: str) -> Any:
        return self.accounts[account]("s3")

    def buckets(self, *, versioned: bool = True) -> None:
        self.s3(A).create_bucket(Bucket=self.src)
        self.s3(A).put_object(Bucket=self.src, Key="a.txt", Body=b"a")
        self.s3(B).create_bucket(Bucket=self.dst)
        if versioned:
            for account, bucket in ((A, self.src), (B, self.dst)):
                self.s3(account).put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def args(self, *extra: str, src: str | None = None, dst: str | None = None,
             src_profile: str = SRC_PROFILE, dst_profile: str = DST_PROFILE) -> list[str]:
        return ["--source", f"{src_profile}:{src or self.src}", "--dest", f"{dst_profile}:{dst or self.dst}",
                "--no-existing", *extra]

    def add_profile(self, text: str) -> None:
        with self.config.open("a") as handle:
            handle.write("\n" + text + "\n")

    def our_sids(self) -> list[str]:
        c = {"source": self.sandbox.clients(A), "destination": self.sandbox.clients(B)}
        plan = build_plan(gather_inputs(c["source"], c["destination"], self.src, self.dst,
                                        MigrationOptions(replicate_existing=False)))
        return [s["Sid"] for s in plan.documents["destination_bucket_policy"]["Statement"]
                if s["Sid"].startswith(sid_family(A, self.src, self.dst))]


def _rule(rule_id: str, priority: int, destination: str) -> dict[str, Any]:
    return {"ID": rule_id, "Priority": priority, "Status": "Enabled", "Filter": {"Prefix": f"p{priority}/"},
            "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": f"arn:aws:s3:::{destination}"}}


def _elsewhere(ctx: Ctx) -> str:
    """Another versioned bucket the existing rules replicate to."""
    name = f"bad-dr-{ctx.name}"
    ctx.s3(A).create_bucket(Bucket=name)
    ctx.s3(A).put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _replication(ctx: Ctx, rules: list[dict[str, Any]]) -> None:
    ctx.sandbox.clients(A)("iam").create_role(
        RoleName=f"other-{ctx.name}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    ctx.s3(A).put_bucket_replication(Bucket=ctx.src, ReplicationConfiguration={
        "Role": f"arn:aws:iam::{A}:role/other-{ctx.name}", "Rules": rules})


# --- the cases -------------------------------------------------------------------------------------


def invalid_bucket_name(ctx: Ctx) -> list[str]:
    return ctx.args(dst="Bad_Bucket..name")


def missing_bucket(ctx: Ctx) -> list[str]:
    ctx.s3(A).create_bucket(Bucket=ctx.src)
    return ctx.args()


def bucket_of_another_account(ctx: Ctx) -> list[str]:
    ctx.buckets()
    return ctx.args(dst=ctx.src)  # the destination profile (account B) names a bucket of account A


def same_bucket(ctx: Ctx) -> list[str]:
    ctx.buckets()
    return ctx.args(dst=ctx.src, dst_profile=SRC_PROFILE)


def same_account(ctx: Ctx) -> list[str]:
    ctx.buckets()
    ctx.s3(A).create_bucket(Bucket=f"{ctx.dst}-a")
    return ctx.args(dst=f"{ctx.dst}-a", dst_profile=SRC_PROFILE)


def object_lock_without_destination_lock(ctx: Ctx) -> list[str]:
    ctx.s3(A).create_bucket(Bucket=ctx.src, ObjectLockEnabledForBucket=True)
    ctx.s3(B).create_bucket(Bucket=ctx.dst)  # unversioned, no Object Lock
    return ctx.args()


def kms_source_without_replica_key(ctx: Ctx) -> list[str]:
    ctx.buckets()
    key = ctx.sandbox.clients(A)("kms").create_key()["KeyMetadata"]["Arn"]
    ctx.s3(A).put_bucket_encryption(Bucket=ctx.src, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
    return ctx.args()


def aws_managed_replica_key(ctx: Ctx) -> list[str]:
    ctx.buckets()
    return ctx.args("--replica-kms-key", f"arn:aws:kms:us-east-1:{B}:alias/aws/s3")


def v1_rule(ctx: Ctx) -> list[str]:
    ctx.buckets()
    _replication(ctx, [{"ID": "legacy-v1", "Prefix": "old/", "Status": "Enabled",
                        "Destination": {"Bucket": f"arn:aws:s3:::{_elsewhere(ctx)}"}}])
    return ctx.args()


def foreign_statement_with_our_sid(ctx: Ctx) -> list[str]:
    ctx.buckets()
    sid = ctx.our_sids()[0]
    ctx.s3(B).put_bucket_policy(Bucket=ctx.dst, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{ctx.dst}/*"}]}))
    return ctx.args()


def policy_over_20_kb(ctx: Ctx) -> list[str]:
    ctx.buckets()
    statements: list[dict[str, Any]] = []
    text = ""
    while len(text) < 20_200:  # fits now; ours would take it over
        i = len(statements)
        statements.append({"Sid": f"Reader{i}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:role/r{i:04d}"},
                           "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{ctx.dst}/team-{i:04d}/*"})
        text = json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))
    assert len(text) < 20 * 1024
    ctx.s3(B).put_bucket_policy(Bucket=ctx.dst, Policy=text)
    return ctx.args()


def thousand_rules(ctx: Ctx) -> list[str]:
    ctx.buckets()
    elsewhere = _elsewhere(ctx)
    _replication(ctx, [_rule(f"r{i}", i + 1, elsewhere) for i in range(1000)])
    return ctx.args()


class MalformedPolicy:
    """The destination's bucket policy reads back as text that is not a JSON object (a damaged document)."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def __call__(self, call: Call, forward: Forward) -> Any:
        from werkzeug.wrappers import Response

        if call.bucket == self.bucket and call.method == "GET" and "policy" in call.args and call.key is None:
            return Response('{"Version": "2012-10-17", "Statement": [{"Sid": "Broken",', status=200,
                            content_type="application/json")
        return forward()


def malformed_policy(ctx: Ctx) -> list[str]:
    ctx.buckets()
    ctx.extra_middleware.append(MalformedPolicy(ctx.dst))
    return ctx.args()


def prefix_too_long(ctx: Ctx) -> list[str]:
    return ctx.args("--prefix", "p" * 1025)


def negative_priority(ctx: Ctx) -> list[str]:
    ctx.buckets()
    return ctx.args("--priority", "-5")


def rule_id_over_255(ctx: Ctx) -> list[str]:
    ctx.buckets()
    return ctx.args("--rule-id", "r" * 300)


def repeated_tag_key(ctx: Ctx) -> list[str]:
    ctx.buckets()
    return ctx.args("--tag", "team=a", "--tag", "team=b")


def unknown_profile(ctx: Ctx) -> list[str]:
    return ctx.args(src_profile="no-such-profile")


class StsSays:
    """STS answers calls signed with ``access_key`` with an error (expired or unknown keys)."""

    def __init__(self, access_key: str, code: str, message: str) -> None:
        self.access_key, self.code, self.message = access_key, code, message

    def __call__(self, call: Call, forward: Forward) -> Any:
        from werkzeug.wrappers import Response

        if call.access_key == self.access_key:
            body = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                    f"<Code>{self.code}</Code><Message>{self.message}</Message></Error>"
                    "<RequestId>r</RequestId></ErrorResponse>")
            return Response(body, status=403, content_type="text/xml")
        return forward()


def expired_keys(ctx: Ctx) -> list[str]:
    key = "ASIA" + "EXPIRED" * 2 + "00"
    ctx.add_profile(f"[profile stale]\nregion = us-east-1\nendpoint_url = {ctx.sandbox.endpoint_url}\n"
                    f"aws_access_key_id = {key}\naws_secret_access_key = {'s' * 40}\naws_session_token = {'t' * 120}")
    ctx.extra_middleware.append(StsSays(key, "ExpiredToken", "The security token included in the request is expired"))
    return ctx.args(src_profile="stale")


def invalid_keys(ctx: Ctx) -> list[str]:
    key = "AKIA" + "REVOKED" * 2 + "00"
    ctx.add_profile(f"[profile revoked]\nregion = us-east-1\nendpoint_url = {ctx.sandbox.endpoint_url}\n"
                    f"aws_access_key_id = {key}\naws_secret_access_key = {'s' * 40}")
    ctx.extra_middleware.append(StsSays(key, "InvalidClientTokenId", "The security token included in the request is invalid."))
    return ctx.args(dst_profile="revoked")


def expired_sso_token(ctx: Ctx) -> list[str]:
    ctx.add_profile("[profile corp-sso]\nsso_session = corp\nsso_account_id = 333333333333\nsso_role_name = Admin\n"
                    "region = eu-central-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                    "sso_region = us-east-1")
    return ctx.args(src_profile="corp-sso")


def mfa_without_a_code(ctx: Ctx) -> list[str]:
    ctx.add_profile(f"[profile mfa-admin]\nrole_arn = arn:aws:iam::{A}:role/admin\nsource_profile = {SRC_PROFILE}\n"
                    f"mfa_serial = arn:aws:iam::{A}:mfa/alice\nregion = us-east-1\nendpoint_url = {ctx.sandbox.endpoint_url}")
    return ctx.args(src_profile="mfa-admin")


def no_region_for_jobs(ctx: Ctx) -> list[str]:
    key, secret = static_keys(A)
    ctx.add_profile(f"[profile nowhere]\nendpoint_url = {ctx.sandbox.endpoint_url}\n"
                    f"aws_access_key_id = {key}\naws_secret_access_key = {secret}")
    return ["jobs", "--profile", "nowhere"]


def endpoint_that_does_not_answer(ctx: Ctx) -> list[str]:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key, secret = static_keys(B)
    ctx.add_profile(f"[profile unreachable]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:{port}\n"
                    f"aws_access_key_id = {key}\naws_secret_access_key = {secret}")
    return ctx.args(dst_profile="unreachable")


CASES: dict[str, Case] = {
    "invalid bucket name": Case(invalid_bucket_name, 2, ("bucket name 'Bad_Bucket..name'", "lowercase letters",
                                                         "two adjacent dots"), ("may only contain",)),
    "bucket does not exist": Case(missing_bucket, 3, ("does not exist",), ("create-bucket --bucket bad-dst-missing",)),
    "bucket of another account": Case(bucket_of_another_account, 1, (f"is not owned by account {B}",),
                                      ("pick a bucket of account",)),
    "same bucket on both sides": Case(same_bucket, 3, ("the same bucket", "cannot replicate to itself"),
                                      ("Choose a different destination bucket",)),
    "same account on both sides": Case(same_account, 0, (f"are both in account {A}",),
                                       ("use that account's profile for --dest",), command="plan"),
    "unversioned destination of an Object Lock source": Case(
        object_lock_without_destination_lock, 3, ("has Object Lock", "DstBucketObjectLockConfigMissing"),
        ("once bad-dst-objectlock is versioned", "put-object-lock-configuration")),
    "KMS source without a replica key": Case(kms_source_without_replica_key, 3, ("no replica KMS key was given",),
                                             ("--replica-kms-key",)),
    "aws/s3 managed key across accounts": Case(aws_managed_replica_key, 3, ("is AWS-managed (aws/s3)",),
                                               ("Create a customer-managed key",)),
    "existing V1 replication rule": Case(v1_rule, 3, ("V1 rules", "legacy-v1"), ("Convert rule(s) legacy-v1 to V2",)),
    "foreign statement using our Sid": Case(foreign_statement_with_our_sid, 3,
                                            ("refusing to overwrite a statement we did not write",),
                                            ("rename the Sid of that statement",)),
    "merged policy over 20 KB": Case(policy_over_20_kb, 3, ("bytes after adding our statements; the limit is 20,480",),
                                     ("shorten or consolidate the other statements",)),
    "source at the 1,000-rule limit": Case(thousand_rules, 3, ("already has 1,000 replication rules",),
                                           ("Remove or consolidate unused rules",)),
    "malformed existing policy": Case(malformed_policy, 3, ("the bucket policy of bad-dst-malformed is not valid JSON",),
                                      ("correct the bucket policy of bad-dst-malformed by hand",)),
    "prefix over 1,024 characters": Case(prefix_too_long, 2, ("prefix is 1025 characters",), ("at most 1024",)),
    "negative rule priority": Case(negative_priority, 2, ("rule priority -5 is not allowed",),
                                   ("S3 takes a priority from 0 to 2147483647",)),
    "rule ID over 255 characters": Case(rule_id_over_255, 2, ("rule ID is 300 characters",),
                                        ("S3 allows at most 255",)),
    "tag key given twice": Case(repeated_tag_key, 2, ("tag key 'team' is given more than once",),
                                ("keep one value per key",)),
    "unknown profile": Case(unknown_profile, 2, ("profile 'no-such-profile' is not in",),
                            ("aws configure --profile no-such-profile",)),
    "expired keys": Case(expired_keys, 1, ("profile 'stale' have expired (ExpiredToken)",), ("refresh them",)),
    "invalid keys": Case(invalid_keys, 1, ("AWS rejected the credentials of profile 'revoked'",),
                         ("check the access key and secret of profile 'revoked'",)),
    "expired SSO token": Case(expired_sso_token, 1, ("the SSO session of profile 'corp-sso' has expired",),
                              ("aws sso login --profile corp-sso",)),
    "assume-role that needs MFA": Case(mfa_without_a_code, 1, ("needs an MFA code", "arn:aws:iam::111111111111:mfa/alice"),
                                       ("--mfa-code",)),
    "no region anywhere": Case(no_region_for_jobs, 2, ("no region",),
                               ("pass --region (the source bucket's region) or set one in the profile",)),
    "endpoint that does not answer": Case(endpoint_that_does_not_answer, 1, ("does not answer",),
                                          ("is the sandbox running?",)),
}
IDS = {
    "bucket does not exist": "missing", "unversioned destination of an Object Lock source": "objectlock",
    "malformed existing policy": "malformed",
}


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sandbox's config the case may add profiles to."""
    path = tmp_path / "aws-config"
    path.write_text(sandbox.config_path.read_text())
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_says_what_and_how_to_fix_exits_with_its_code_and_writes_nothing(
    case: str, sandbox: Sandbox, accounts: dict[str, Any], config: Path, cli_env: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = CASES[case]
    short = "".join(w[:3] for w in case.split() if w.isalnum()).lower()[:20]
    ctx = Ctx(sandbox, accounts, IDS.get(case, short), config)
    argv = spec.setup(ctx)
    if case == "endpoint that does not answer":  # botocore's own retries (seconds of backoff) are not what is tested
        monkeypatch.setattr(clients_module, "_RETRIES", {"total_max_attempts": 1, "mode": "standard"})
    before = state(sandbox)
    command = argv if argv[0] == "jobs" else [spec.command, *argv, *(["--yes"] if spec.command == "apply" else [])]
    with monkeypatch.context() as patch:
        for extra in ctx.extra_middleware:
            patch.setattr(sandbox._server.app, "middlewares", [extra, *sandbox._server.app.middlewares])
        code = main(command)
    out, err = capsys.readouterr()
    said = out + err
    assert code == spec.exit, said
    for text in spec.problem + spec.fix:
        assert text in said, f"{text!r} not said:\n{said}"
    assert "Traceback" not in said
    if code != 0:
        assert err.count("\n") == 1 and err.startswith("s3xrep "), err  # one line on stderr
    assert state(sandbox) == before  # nothing written, in either account
    assert not (cli_env / "journal").exists()
