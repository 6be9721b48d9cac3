"""Identities beyond the config file: keys in the keyring, MFA codes, and every failure as advice.

MFA runs against moto (its STS accepts AssumeRole with SerialNumber and
TokenCode); failures moto cannot produce (invalid or expired keys) come from a
tiny HTTP server answering STS's error XML, so they still travel botocore's
real code path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    NoRegionError,
    RefreshWithMFAUnsupportedError,
)

from s3xrep_tui.aws import credentials, keyring_store
from s3xrep_tui.aws.clients import clients_for, open_session
from s3xrep_tui.aws.credentials import (
    require_region,
    set_mfa_code,
    set_mfa_code_provider,
    terminal_mfa_code_provider,
)
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.profiles import explain_identity, list_profiles, resolve_identity

from .test_keyring import memory_keyring, no_keyring  # noqa: F401  (fixtures)
from .test_profiles import isolate

ROLE_ACCOUNT = "333333333333"
MFA_SERIAL = "arn:aws:iam::111111111111:mfa/ops"

# Keys a fake STS maps to an error code (the access key id picks it).
FAKE_ERRORS = {
    "AKIAEXPIREDTOKEN0001": ("ExpiredToken", 400, "The security token included in the request is expired"),
    "AKIAINVALIDTOKEN0001": ("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
    "AKIABADSIGNATURE0001": ("SignatureDoesNotMatch", 403, "The request signature we calculated does not match"),
}


class FakeSts(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth = self.headers.get("Authorization", "")
        key = auth.split("Credential=", 1)[-1].split("/", 1)[0]
        code, status, message = FAKE_ERRORS.get(key, ("InvalidClientTokenId", 403, "unknown key"))
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_sts() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An isolated AWS world (empty config file) and clean MFA state."""
    path, credentials_file = tmp_path / "config", tmp_path / "credentials"
    path.write_text("")
    credentials_file.write_text("")
    isolate(monkeypatch, tmp_path, path, credentials_file)
    credentials.forget_credentials()
    set_mfa_code_provider(None)
    yield path
    credentials.forget_credentials()
    set_mfa_code_provider(None)


def mfa_config(endpoint: str, source_secret: str = "source-secret-not-shown") -> str:
    return f"""\
[profile base]
aws_access_key_id = AKIASOURCEKEYS000001
aws_secret_access_key = {source_secret}
region = us-east-1
endpoint_url = {endpoint}

[profile mfa-role]
role_arn = arn:aws:iam::{ROLE_ACCOUNT}:role/migrate
source_profile = base
mfa_serial = {MFA_SERIAL}
region = eu-west-1
endpoint_url = {endpoint}

[profile no-region]
aws_access_key_id = AKIASOURCEKEYS000002
aws_secret_access_key = x
"""


# --- keyring identities ------------------------------------------------------------


@pytest.mark.usefixtures("memory_keyring")
def test_keyring_identities_are_listed_as_their_own_kind_and_resolve(
    config: Path, endpoint: str
) -> None:
    config.write_text("[profile keyring:clash]\nregion = us-east-1\n\n[profile plain]\nregion = us-east-1\n")
    store = keyring_store.default_store()
    store.save("second", "AKIAKEYRINGTEST00001", "keyring-secret-" + "k" * 25, region="eu-west-2", endpoint_url=endpoint)
    listed = {p.name: p for p in list_profiles()}
    entry = listed["keyring:second"]
    assert (entry.kind, entry.region, entry.key, entry.label) == ("keyring", "eu-west-2", "keyring:second", "keyring:second")
    assert entry.detail == "access keys in the OS keyring"
    assert "keyring:clash" not in listed and "plain" in listed  # the prefix is ours: a file profile cannot take it
    assert "keyring:second" not in {p.name for p in list_profiles(include_ambient=False)}  # the demo shows none
    assert resolve_identity("keyring:second").id == "123456789012"  # moto's account for keys it does not know
    clients = clients_for("keyring:second")
    assert clients.default_region == "eu-west-2"
    assert clients("sts").get_caller_identity()["Account"] == "123456789012"
    assert clients_for("keyring:second", region="ap-south-1").default_region == "ap-south-1"
    assert open_session("keyring:second").get_credentials().access_key == "AKIAKEYRINGTEST00001"


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_added_keys_are_listed_as_kept_in_memory(config: Path) -> None:
    store = keyring_store.default_store()
    assert not store.persistent
    store.save("second", "AKIAKEYRINGTEST00001", "x" * 40, "t" * 50)
    entry = {p.name: p for p in list_profiles()}["keyring:second"]
    assert entry.detail == "access keys in memory until you quit with a session token"


@pytest.mark.usefixtures("no_keyring")
def test_an_unknown_keyring_name_is_one_line(config: Path) -> None:
    for attempt in (lambda: resolve_identity("keyring:ghost"), lambda: clients_for("keyring:ghost")):
        with pytest.raises(AwsError) as caught:
            attempt()
        assert caught.value.code == "KeyringEntryNotFound"
        assert "no keys named 'ghost'" in caught.value.message and "no usable keyring" in caught.value.message
        assert "accounts screen" in caught.value.fix


# --- MFA against moto ---------------------------------------------------------------


def test_mfa_code_provider_is_asked_once_and_the_role_is_cached_for_the_run(config: Path, endpoint: str) -> None:
    config.write_text(mfa_config(endpoint))
    asked: list[tuple[str, str]] = []

    def provider(profile: str, serial: str) -> str:
        asked.append((profile, serial))
        return "123456"

    sent: list[dict] = []
    clients = clients_for("mfa-role", mfa_code_provider=provider)
    clients.session.events.register("provide-client-params.sts.AssumeRole", lambda params, **_: sent.append(dict(params)))
    answer = clients("sts").get_caller_identity()
    assert answer["Account"] == ROLE_ACCOUNT and ":assumed-role/migrate/" in answer["Arn"]
    assert asked == [("mfa-role", MFA_SERIAL)]
    assert sent and sent[0]["SerialNumber"] == MFA_SERIAL and sent[0]["TokenCode"] == "123456"
    # later sessions of the run (the apply, the monitor…) reuse the role without a code
    assert resolve_identity("mfa-role").id == ROLE_ACCOUNT
    assert clients_for("mfa-role")("sts").get_caller_identity()["Account"] == ROLE_ACCOUNT
    assert len(asked) == 1


def test_a_code_set_for_a_profile_is_used_once(config: Path, endpoint: str) -> None:
    config.write_text(mfa_config(endpoint))
    with pytest.raises(AwsError) as caught:
        resolve_identity("mfa-role")
    assert caught.value.code == "MfaRequired" and MFA_SERIAL in caught.value.message
    set_mfa_code("mfa-role", " 654321 ")
    assert resolve_identity("mfa-role").id == ROLE_ACCOUNT
    credentials.forget_credentials()  # the cached role is gone, and so is the code
    with pytest.raises(AwsError) as caught:
        resolve_identity("mfa-role")
    assert caught.value.code == "MfaRequired"


def test_a_code_that_is_not_six_digits_is_refused_before_sending(config: Path) -> None:
    with pytest.raises(AwsError) as caught:
        set_mfa_code("mfa-role", "12345")
    assert caught.value.code == "InvalidMfaCode"


def test_headless_commands_ask_on_the_terminal(config: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config.write_text(mfa_config(endpoint))
    prompts: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(credentials.getpass, "getpass", lambda prompt: prompts.append(prompt) or "112233")
    set_mfa_code_provider(terminal_mfa_code_provider())
    assert resolve_identity("mfa-role").id == ROLE_ACCOUNT
    assert prompts == [f"MFA code for {MFA_SERIAL} (profile mfa-role): "]


def test_headless_commands_take_the_code_from_a_flag(config: Path, endpoint: str) -> None:
    config.write_text(mfa_config(endpoint))
    assert resolve_identity("mfa-role", terminal_mfa_code_provider("445566")).id == ROLE_ACCOUNT


def test_headless_without_a_terminal_fails_in_one_line_on_stderr_and_no_traceback(config: Path, endpoint: str) -> None:
    config.write_text(mfa_config(endpoint))
    script = (
        "import sys\n"
        "from s3xrep_tui.aws.credentials import set_mfa_code_provider, terminal_mfa_code_provider\n"
        "from s3xrep_tui.aws.errors import AwsError\n"
        "from s3xrep_tui.aws.clients import clients_for\n"
        "set_mfa_code_provider(terminal_mfa_code_provider(None))\n"
        "try:\n"
        "    clients_for('mfa-role')('sts').get_caller_identity()\n"
        "except AwsError as e:\n"
        "    print(f'error: {e.message}; {e.fix}')\n"
        "    sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
                            env=dict(os.environ), timeout=60)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"error: profile mfa-role needs an MFA code ({MFA_SERIAL}) and there is no terminal to ask for it; "
        "pass --mfa-code CODE, or run the command interactively"
    )
    assert result.stderr == ""


# --- failures as advice -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key_id", "token", "code", "message", "fix"),
    [
        ("AKIAINVALIDTOKEN0001", None, "InvalidClientTokenId", "AWS rejected the keys stored as k",
         "check the access key id and secret of k"),
        ("AKIABADSIGNATURE0001", None, "SignatureDoesNotMatch", "AWS rejected the keys stored as k",
         "add them again on the accounts screen"),
        ("AKIAEXPIREDTOKEN0001", "t" * 120, "ExpiredToken", "the session keys stored as k have expired",
         "get new temporary keys"),
    ],
)
@pytest.mark.usefixtures("no_keyring")
def test_rejected_keyring_keys_say_to_add_them_again(
    config: Path, fake_sts: str, key_id: str, token: str | None, code: str, message: str, fix: str
) -> None:
    keyring_store.default_store().save("k", key_id, "secret-" + "z" * 30, token, "us-east-1", endpoint_url=fake_sts)
    with pytest.raises(AwsError) as caught:
        resolve_identity("keyring:k")
    error = caught.value
    assert (error.code, message in error.message, fix in error.fix) == (code, True, True), repr(error)


@pytest.mark.parametrize(
    ("key_id", "session_token", "code", "message", "fix"),
    [
        ("AKIAINVALIDTOKEN0001", None, "InvalidClientTokenId", "AWS rejected the credentials of profile 'p'",
         "aws configure --profile p"),
        ("AKIABADSIGNATURE0001", None, "SignatureDoesNotMatch",
         "the secret access key does not belong to the access key id", "aws configure --profile p"),
        ("AKIAEXPIREDTOKEN0001", "t" * 120, "ExpiredToken", "the session token in profile p has expired",
         "put fresh temporary keys in profile p"),
    ],
)
def test_rejected_profile_keys_name_the_profile(
    config: Path, fake_sts: str, key_id: str, session_token: str | None, code: str, message: str, fix: str
) -> None:
    token_line = f"aws_session_token = {session_token}\n" if session_token else ""
    config.write_text(f"[profile p]\naws_access_key_id = {key_id}\naws_secret_access_key = s\n{token_line}"
                      f"region = us-east-1\nendpoint_url = {fake_sts}\n")
    with pytest.raises(AwsError) as caught:
        resolve_identity("p")
    error = caught.value
    assert (error.code, message in error.message, fix in error.fix) == (code, True, True), repr(error)


@pytest.mark.usefixtures("no_keyring")
def test_an_endpoint_that_does_not_answer_names_the_keys(config: Path) -> None:
    keyring_store.default_store().save("k", "AKIAKEYRINGTEST00001", "s" * 40, region="us-east-1",
                                       endpoint_url="http://127.0.0.1:9")
    with pytest.raises(AwsError) as caught:
        resolve_identity("keyring:k")
    assert caught.value.code == "EndpointUnreachable"
    assert caught.value.message == "STS at 127.0.0.1:9 is not answering"
    assert "endpoint of keys k" in caught.value.fix


@pytest.mark.usefixtures("no_keyring")
def test_a_missing_region_says_region_flag_or_profile_setting(config: Path, endpoint: str) -> None:
    config.write_text(mfa_config(endpoint))
    assert require_region("mfa-role") == "eu-west-1"
    assert require_region("no-region", "ap-south-1") == "ap-south-1"
    with pytest.raises(AwsError) as caught:
        require_region("no-region")
    assert caught.value.code == "NoRegion"
    assert caught.value.fix == "pass --region REGION, or add 'region = us-east-1' (say) to [profile no-region] in the AWS config file"
    keyring_store.default_store().save("k", "AKIAKEYRINGTEST00001", "s" * 40)
    with pytest.raises(AwsError) as caught:
        require_region("keyring:k")
    assert "--region" in caught.value.fix and "re-add the keys 'k' with a region" in caught.value.fix
    # botocore's own NoRegionError (a regional client with no region) gets the same advice
    with pytest.raises(NoRegionError) as raw:
        boto3.Session(profile_name="no-region").client("sqs")
    advice = explain_identity(raw.value, "no-region")
    assert advice.code == "NoRegion" and "--region" in advice.fix


def test_mfa_failures_that_only_aws_produces() -> None:
    rejected = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "MultiFactorAuthentication failed with invalid MFA one time pass code."}},
        "AssumeRole",
    )
    advice = explain_identity(rejected, "mfa-role")
    assert advice.code == "MfaCodeRejected" and "the MFA code for profile mfa-role was not accepted" == advice.message
    expired = explain_identity(RefreshWithMFAUnsupportedError(), "mfa-role")
    assert expired.code == "MfaExpired" and "new MFA code" in expired.fix


def test_unknown_profile_and_expired_sso_keep_their_advice(config: Path) -> None:
    config.write_text("[profile s]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
                      "sso_account_id = 111111111111\nsso_role_name = Admin\n")
    with pytest.raises(AwsError) as caught:
        resolve_identity("nope")
    assert caught.value.code == "ProfileNotFound" and "aws configure list-profiles" in caught.value.fix
    with pytest.raises(AwsError) as caught:
        resolve_identity("s")
    assert caught.value.code == "SSOTokenExpired" and caught.value.fix == "run 'aws sso login --profile s'"
