"""Secrets never reach the log (even at DEBUG, botocore's wire logging included), stderr or errors.

Recognisable fake secrets go through the keyring store, ``clients_for``,
``resolve_identity`` and an MFA role assumption against moto, and through
failures (rejected keys, a missing MFA code, an unknown name); then the log
file, everything written to stdout/stderr and every error's text are searched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws import credentials, keyring_store
from s3xrep_tui.aws.clients import clients_for
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.profiles import list_profiles, resolve_identity

from .test_credentials import config, fake_sts, mfa_config  # noqa: F401  (fixtures)
from .test_keyring import MemoryKeyring, memory_keyring  # noqa: F401  (fixtures)

SECRET = "SECRETSECRETSECRETSECRETSECRETSECRETSECR"
TOKEN = "TOKENTOKEN" * 40
SOURCE_SECRET = "SOURCESECRETSOURCESECRETSOURCESECRET0000"
MFA_CODE = "918273"
LOGGERS = ("", "botocore", "boto3", "urllib3", "s3transfer", "s3xrep_tui")


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every logger at DEBUG into one file, as a user debugging with --log-level DEBUG would have."""
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield path
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_no_secret_reaches_the_log_stderr_or_an_error(
    config: Path,  # noqa: F811
    endpoint: str,
    fake_sts: str,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
    debug_log: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    config.write_text(mfa_config(endpoint, source_secret=SOURCE_SECRET))
    texts: list[str] = []

    def failing(call) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AwsError) as caught:
            call()
        texts.extend([caught.value.message, caught.value.fix, repr(caught.value), str(caught.value)])

    store = keyring_store.default_store()
    entry = store.save("second", "AKIAKEYRINGTEST00001", SECRET, TOKEN, "us-east-1", endpoint_url=endpoint)
    texts += [repr(entry), repr(store.load("second")), repr(list_profiles()), repr(store.summaries())]
    # the happy paths: keys with a session token (sent as X-Amz-Security-Token), and an MFA role
    assert resolve_identity("keyring:second").id == "123456789012"
    assert clients_for("keyring:second")("sts").get_caller_identity()["Account"] == "123456789012"
    credentials.set_mfa_code("mfa-role", MFA_CODE)
    role = clients_for("mfa-role")
    assert role("sts").get_caller_identity()["Account"] == "333333333333"
    assumed = role.session.get_credentials().get_frozen_credentials()  # moto's answer, logged by botocore at DEBUG
    # the unhappy ones
    store.save("rejected", "AKIAINVALIDTOKEN0001", SECRET, TOKEN, "us-east-1", endpoint_url=fake_sts)
    failing(lambda: resolve_identity("keyring:rejected"))
    store.save("expired", "AKIAEXPIREDTOKEN0001", SECRET, TOKEN, "us-east-1", endpoint_url=fake_sts)
    failing(lambda: resolve_identity("keyring:expired"))
    credentials.forget_credentials()
    failing(lambda: resolve_identity("mfa-role"))  # MfaRequired, raised inside botocore's refresh
    failing(lambda: credentials.set_mfa_code("mfa-role", MFA_CODE + "0"))
    failing(lambda: resolve_identity("keyring:ghost"))
    store.delete("second")

    log = debug_log.read_text(encoding="utf-8")
    out, err = capfd.readouterr()
    assert "OperationModel(name=AssumeRole)" in log and "GetCallerIdentity" in log  # botocore's DEBUG was on
    assert re.search(r"(?i)x-amz-security-token", log)  # the header was logged, masked
    assert "Refreshing temporary credentials failed" not in log  # our MFA refusal is not logged as botocore's failure
    everything = {"log": log, "stdout": out, "stderr": err, "errors": "\n".join(texts)}
    secrets = {
        "secret": SECRET, "token": TOKEN, "token prefix": TOKEN[:30], "source secret": SOURCE_SECRET,
        "assumed secret": assumed.secret_key, "assumed token": assumed.token,
    }
    for where, text in everything.items():
        for what, secret in secrets.items():
            assert secret not in text, f"the {what} is in the {where}"
        assert not re.search(rf"(?<!\d){MFA_CODE}(?!\d)", text), f"the MFA code is in the {where}"
    assert err == ""
