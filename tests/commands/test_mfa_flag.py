"""Headless commands and MFA: ``--mfa-code`` is used, and without it and a terminal, one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from s3xrep_tui.aws.credentials import set_mfa_code_provider
from s3xrep_tui.cli import main
from tests.aws.conftest import endpoint  # noqa: F401  (fixture)
from tests.aws.test_credentials import ROLE_ACCOUNT, config, mfa_config  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _reset_provider() -> None:
    yield
    set_mfa_code_provider(None)


def test_the_flag_feeds_the_assume_role(config: Path, endpoint: str, capsys) -> None:  # noqa: F811
    config.write_text(mfa_config(endpoint))
    code = main(["--mfa-code", "445566", "plan", "--source", "mfa-role:no-such-src", "--dest", "mfa-role:no-such-dst",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3  # the buckets do not exist: blocked, but the identity resolved through MFA
    assert out["source"]["account"] == ROLE_ACCOUNT


def test_without_the_flag_or_a_terminal_it_is_one_line(
    config: Path, endpoint: str, capsys, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    config.write_text(mfa_config(endpoint))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code = main(["plan", "--source", "mfa-role:no-such-src", "--dest", "mfa-role:no-such-dst"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "--mfa-code" in err and "Traceback" not in err
