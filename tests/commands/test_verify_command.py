"""``s3xrep verify`` and ``s3xrep canary`` with an AWS config pointing at the sandbox's two demo profiles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import PROFILES
from tests.aws.test_verify import SharedSandbox, new_pair, shared_sandbox
from tests.sandbox.helpers import Setup, wait_final

SRC, DST = PROFILES["source"], PROFILES["destination"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSandbox]:
    yield from shared_sandbox(tmp_path_factory.mktemp("verify-cli"))


@pytest.fixture
def env(sandbox: SharedSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SharedSandbox:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return sandbox


@pytest.fixture
def pair(env: SharedSandbox) -> Setup:
    setup = new_pair(env)
    for key in ("a", "b", "c/d"):
        version = setup.s3a.put_object(Bucket=setup.src, Key=key, Body=key.encode())["VersionId"]
        assert wait_final(setup.s3a, setup.src, key, version) == "COMPLETED"
    return setup


def _run(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _verify(capsys: Any, setup: Setup, *args: str) -> tuple[int, str, str]:
    return _run(capsys, "verify", "--source", f"{SRC}:{setup.src}", "--dest", f"{DST}:{setup.dst}", *args)


def _canary(capsys: Any, setup: Setup, *args: str) -> tuple[int, str, str]:
    return _run(capsys, "canary", "--source", f"{SRC}:{setup.src}", "--dest", f"{DST}:{setup.dst}",
                "--timeout", "20", *args)


# -- verify ------------------------------------------------------------------------------------------


def test_verify_all_replicated_exits_0(pair: Setup, capsys: Any) -> None:
    code, out, err = _verify(capsys, pair)
    assert code == 0, err
    assert err == ""  # stderr is not a terminal: no progress
    assert "replicated" in out and "OK: nothing missing or mismatched." in out
    assert "1 enabled replication rule to the destination" in out


def test_verify_json(pair: Setup, capsys: Any) -> None:
    code, out, _ = _verify(capsys, pair, "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert data["counts"]["replicated"] == 3 and data["compared"] == 3
    assert data["source"]["bucket"] == pair.src and data["destination"]["account"] == "222222222222"


def test_verify_missing_exits_1_and_names_the_version(pair: Setup, capsys: Any) -> None:
    version = pair.s3b.list_object_versions(Bucket=pair.dst, Prefix="c/d")["Versions"][0]["VersionId"]
    pair.s3b.delete_object(Bucket=pair.dst, Key="c/d", VersionId=version)
    pair.s3b.put_object(Bucket=pair.dst, Key="only-b", Body=b"x")
    code, out, _ = _verify(capsys, pair)
    assert code == 1
    assert "Differences that matter (1)" in out and f"c/d  (version {version})" in out
    assert "Expected differences (1)" in out and "only-b" in out
    assert out.rstrip().splitlines()[-1].startswith("FAILED: 1 version(s)")
    code, out, _ = _verify(capsys, pair, "--json")
    data = json.loads(out)
    assert code == 1 and data["counts"]["missing"] == 1 and data["counts"]["extra"] == 1
    assert data["differences"][0]["key"] == "c/d" and data["differences"][0]["matters"] is True


def test_verify_limit_and_prefix(pair: Setup, capsys: Any) -> None:
    for version in pair.s3b.list_object_versions(Bucket=pair.dst)["Versions"]:
        pair.s3b.delete_object(Bucket=pair.dst, Key=version["Key"], VersionId=version["VersionId"])
    code, out, _ = _verify(capsys, pair, "--limit", "1")
    assert code == 1 and "Differences that matter (first 1 of 3)" in out
    code, out, _ = _verify(capsys, pair, "--json", "--limit", "2")
    data = json.loads(out)
    assert len(data["differences"]) == 2 and data["differences_not_kept"] == 1
    code, out, _ = _verify(capsys, pair, "--json", "--prefix", "c/")
    assert json.loads(out)["counts"]["missing"] == 1 and json.loads(out)["prefix"] == "c/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nocolon", "--dest", "x:y-bucket"], "is not PROFILE:BUCKET"),
        (["--source", "a:Bad_Bucket", "--dest", "x:y-bucket"], "bucket"),
        (["--source", "a:src-bucket", "--dest", "x:y-bucket", "--limit", "-1"], "--limit must be 0 or more"),
        (["--source", "a:src-bucket"], "required"),
    ],
)
def test_verify_bad_arguments_exit_2(env: SharedSandbox, capsys: Any, args: list[str], message: str) -> None:
    code, out, err = _run(capsys, "verify", *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_verify_unknown_profile_and_bucket_are_one_line(env: SharedSandbox, capsys: Any) -> None:
    code, _, err = _run(capsys, "verify", "--source", "nobody:some-bucket", "--dest", f"{DST}:other-bucket")
    assert code == 2 and "profile 'nobody'" in err and len(err.strip().splitlines()) == 1  # a bad argument
    assert "Traceback" not in err
    code, _, err = _run(capsys, "verify", "--source", f"{SRC}:no-such-bucket-here", "--dest", f"{DST}:x-bucket")
    assert code == 1 and "does not exist" in err and err.startswith("s3xrep verify: source")


# -- canary ------------------------------------------------------------------------------------------


def test_canary_replicates_exits_0(pair: Setup, capsys: Any) -> None:
    code, out, err = _canary(capsys, pair)
    assert code == 0, out + err
    assert "replicated" in out and "OK: live replication works end to end." in out
    assert "ok    readable" in out and err == ""


def test_canary_json(pair: Setup, capsys: Any) -> None:
    code, out, _ = _canary(capsys, pair, "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["status"] == "replicated"
    assert data["key"].startswith(".s3xrep-canary/") and len(data["cleanup"]) == 2


def test_canary_failed_exits_1_with_the_fix(pair: Setup, capsys: Any) -> None:
    original = pair.s3b.get_bucket_policy(Bucket=pair.dst)["Policy"]
    pair.s3b.delete_bucket_policy(Bucket=pair.dst)
    try:
        code, out, _ = _canary(capsys, pair)
    finally:
        pair.s3b.put_bucket_policy(Bucket=pair.dst, Policy=original)
    assert code == 1
    assert "replication FAILED" in out and "fix: AWS does not say why" in out


def test_canary_without_a_rule_exits_1(env: SharedSandbox, capsys: Any) -> None:
    setup = new_pair(env, replicate=False)
    code, out, _ = _canary(capsys, setup, "--json")
    assert code == 1 and json.loads(out)["status"] == "not-configured"


def test_canary_bad_timeout_exits_2(env: SharedSandbox, capsys: Any) -> None:
    code, _, err = _run(capsys, "canary", "--source", "a:src-bucket", "--dest", "b:dst-bucket", "--timeout", "0")
    assert code == 2 and "--timeout must be more than 0" in err


# -- progress -----------------------------------------------------------------------------------------


class _Terminal:
    """A stderr that says it is a terminal and keeps what was written."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_progress_goes_to_stderr_only_on_a_terminal(pair: Setup, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code = main(["verify", "--source", f"{SRC}:{pair.src}", "--dest", f"{DST}:{pair.dst}"])
    assert code == 0 and "\rcompared " in terminal.text and terminal.text.endswith("\r\x1b[K")
    terminal.text = ""
    code = main(["canary", "--source", f"{SRC}:{pair.src}", "--dest", f"{DST}:{pair.dst}", "--timeout", "20"])
    assert code == 0 and "\rcanary: waiting" in terminal.text and terminal.text.endswith("\r\x1b[K")
    assert "OK" in capsys.readouterr().out
