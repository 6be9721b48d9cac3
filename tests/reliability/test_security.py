"""Security: no secret anywhere the app writes; the files it writes are private.

A demo session on the sandbox with recognisable fake secrets: keys added in the app
(keyring identities, secret ``SECRETSECRET...``, session token ``TOKENTOKEN...``), an
assume-role profile answered with an MFA code, and the sandbox's own static secrets.
Headless commands (plan with --out and an export, apply, jobs, jobs show, verify,
canary, undo --dry-run) run with every logger at DEBUG into a log file (botocore's
wire logging included); then a Pilot session of the app (preview with its export,
monitor, verify with its export, a screenshot of each screen). Then every file under
the session's folders and everything printed is searched for each secret.

Already proven elsewhere (items.py): the credentials layer's own secret test
(tests/aws/test_credentials_secrets.py), journal and job-memory modes, the
preview/verify exports' modes. Read-only mode: test_read_only.py.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.keyring_store import default_store, use_store
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox, static_keys
from tests.sandbox.helpers import wait_for

SECRET = "SECRETSECRET" * 3 + "SECR"  # 40 characters, like a real secret access key
TOKEN = "TOKENTOKEN" * 40
MFA_CODE = "918273"
LOGGERS = ("", "botocore", "boto3", "urllib3", "s3transfer", "s3xrep_tui")
SRC, DST, REPORT = "sec-legacy-media", "sec-platform-media", "sec-legacy-reports"


def secrets() -> dict[str, str]:
    return {
        "keyring secret": SECRET, "session token": TOKEN, "token prefix": TOKEN[:24],
        "sandbox secret (source)": static_keys(A)[1], "sandbox secret (destination)": static_keys(B)[1],
    }


def leaks(text: str) -> list[str]:
    found = [what for what, secret in secrets().items() if secret in text]
    if re.search(rf"(?<![0-9]){MFA_CODE}(?![0-9])", text):
        found.append("MFA code")
    return found


@contextlib.contextmanager
def debug_log(path: Path) -> Iterator[Path]:
    """Every logger at DEBUG into ``path``, as a user chasing a problem would run it."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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


@pytest.fixture(scope="module")
def session(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The headless half of the demo session; what it printed and where it wrote."""
    root = tmp_path_factory.mktemp("session")
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    for bucket in (SRC, REPORT):
        s3a.create_bucket(Bucket=bucket)
    for i in range(5):
        s3a.put_object(Bucket=SRC, Key=f"media/{i}.bin", Body=os.urandom(64))
    s3b.create_bucket(Bucket=DST)
    config = root / "aws-config"
    config.write_text(sandbox.config_text() + (
        f"\n[profile mfa-admin]\nrole_arn = arn:aws:iam::{A}:role/s3xrep-admin\nsource_profile = s3xrep-demo-source\n"
        f"mfa_serial = arn:aws:iam::{A}:mfa/alice\nregion = us-east-1\nendpoint_url = {sandbox.endpoint_url}\n"))
    os.chmod(config, 0o600)
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(root / "none"),
           "S3XREP_DATA_DIR": str(root / "data"), "HOME": str(root / "home"), "AWS_EC2_METADATA_DISABLED": "true"}
    (root / "home").mkdir()
    out, err = io.StringIO(), io.StringIO()
    codes: dict[str, int] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        use_store(None)
        store = default_store()
        store.save("legacy", static_keys(A)[0], SECRET, TOKEN, "us-east-1", endpoint_url=sandbox.endpoint_url)
        store.save("platform", static_keys(B)[0], SECRET, TOKEN, "us-east-1", endpoint_url=sandbox.endpoint_url)
        source, dest = f"keyring:legacy:{SRC}", f"keyring:platform:{DST}"
        both = ["--source", source, "--dest", dest]
        with debug_log(root / "s3xrep.log"), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            codes["plan"] = main(["plan", *both, "--report-bucket", REPORT, "--json", "--out", str(root / "documents")])
            codes["plan aws-cli"] = main(["plan", *both, "--report-bucket", REPORT, "--format", "terraform",
                                          "--out", str(root / "terraform")])
            codes["plan with MFA"] = main(["--mfa-code", MFA_CODE, "plan", "--source", f"mfa-admin:{SRC}",
                                           "--dest", dest, "--no-existing"])
            codes["apply"] = main(["apply", *both, "--report-bucket", REPORT, "--yes"])
            job_id = re.search(r"Batch Replication job: (\S+)", out.getvalue()).group(1)  # type: ignore[union-attr]
            wait_for(lambda: sandbox.clients(A)("s3control").describe_job(AccountId=A, JobId=job_id)["Job"]["Status"]
                     == "Complete", timeout=30, what="the job")
            codes["jobs"] = main(["jobs", "--profile", "keyring:legacy"])
            codes["jobs show"] = main(["jobs", "--profile", "keyring:legacy", "show", job_id])
            codes["verify"] = main(["verify", *both])
            codes["canary"] = main(["canary", *both, "--timeout", "20"])
            plan_id = re.search(r"Plan id: (\S+)", out.getvalue()).group(1)  # type: ignore[union-attr]
            codes["undo dry run"] = main(["undo", plan_id, "--dry-run", "--source-profile", "keyring:legacy",
                                          "--dest-profile", "keyring:platform"])
        yield {"root": root, "out": out.getvalue(), "err": err.getvalue(), "codes": codes, "plan_id": plan_id,
               "job_id": job_id, "env": env}
        use_store(None)


def written_files(root: Path, *, but: tuple[Path, ...] = ()) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p not in but]


def test_a_headless_demo_session_writes_and_prints_no_secret(session: dict[str, Any]) -> None:
    assert session["codes"] == {"plan": 0, "plan aws-cli": 0, "plan with MFA": 0, "apply": 0, "jobs": 0,
                                "jobs show": 0, "verify": 0, "canary": 0, "undo dry run": 0}, session["err"]
    root: Path = session["root"]
    log = (root / "s3xrep.log").read_text()
    assert "GetCallerIdentity" in log and re.search(r"(?i)x-amz-security-token", log)  # DEBUG wire logging was on
    assert "AssumeRole" in log  # the MFA profile was used
    files = written_files(root, but=(root / "aws-config",))  # the sandbox's profiles hold its keys, by design
    kinds = {p.relative_to(root).parts[0] for p in files}
    assert {"s3xrep.log", "data", "documents", "terraform"} <= kinds
    assert any(p.suffix == ".jsonl" for p in files)  # the journal
    for path in files:
        assert leaks(path.read_text(errors="replace")) == [], path
    assert leaks(session["out"]) == [] and leaks(session["err"]) == []
    assert "Traceback" not in session["err"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_the_app_writes_are_0600_in_0700_directories(session: dict[str, Any], sandbox: Sandbox) -> None:
    root: Path = session["root"]
    data = root / "data"
    journal = data / "journal" / f"{session['plan_id']}.jsonl"
    private = [journal, *(root / "documents").iterdir(), *(root / "terraform").iterdir(), sandbox.config_path]
    private += [p for p in data.rglob("*") if p.is_file()]  # results, anything else in the data directory
    assert {p.parent.name for p in private if data in p.parents} >= {"journal", "results"}
    for path in private:
        assert _mode(path) == 0o600, path
        assert _mode(path.parent) == 0o700, path.parent
    for path in written_files(data):
        assert _mode(path) == 0o600


async def test_an_app_session_writes_no_secret_in_exports_screenshots_or_the_log(
    session: dict[str, Any], sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input

    from s3xrep_tui.aws.inspect import gather_inputs
    from s3xrep_tui.aws.profiles import ProfileInfo
    from s3xrep_tui.core.models import Account
    from s3xrep_tui.core.plan import build_plan
    from s3xrep_tui.tui.app import S3xrepApp
    from s3xrep_tui.tui.screens.monitor import MonitorScreen
    from s3xrep_tui.tui.screens.preview import ExportScreen, PreviewScreen
    from s3xrep_tui.tui.screens.verify import VerifyScreen
    from s3xrep_tui.tui.state import Choice, Identity

    for name, value in session["env"].items():
        monkeypatch.setenv(name, value)
    use_store(None)
    store = default_store()
    store.save("legacy", static_keys(A)[0], SECRET, TOKEN, "us-east-1", endpoint_url=sandbox.endpoint_url)
    store.save("platform", static_keys(B)[0], SECRET, TOKEN, "us-east-1", endpoint_url=sandbox.endpoint_url)

    def choice(name: str, account: str) -> Choice:
        profile = ProfileInfo(name=f"keyring:{name}", kind="keyring", region="us-east-1",
                              endpoint_url=sandbox.endpoint_url, detail="keys added in the app")
        return Choice(profile, Identity("resolved", Account(id=account, arn=f"arn:aws:iam::{account}:user/admin")))

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with debug_log(tmp_path / "app.log"):
        app = S3xrepApp(log_path=tmp_path / "app.log")
        async with app.run_test(size=(120, 40)) as pilot:
            app.source, app.destination = choice("legacy", A), choice("platform", B)
            app.source_bucket, app.destination_bucket = SRC, DST
            from s3xrep_tui.core.models import MigrationOptions

            app.options = MigrationOptions(report_bucket=REPORT)
            app.save_screenshot("accounts.svg", path=str(shots))
            inputs = gather_inputs(app.clients("source"), app.clients("destination"), SRC, DST, app.options)
            app.plan = build_plan(inputs)  # what the options screen hands the preview
            await app.push_screen(PreviewScreen(plan=app.plan, inputs=inputs))
            await pilot.pause()
            app.save_screenshot("preview.svg", path=str(shots))
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, ExportScreen)
            app.screen.query_one(Input).value = str(tmp_path / "exported")
            await pilot.press("enter")
            await pilot.pause()
            await app.push_screen(MonitorScreen())
            await pilot.pause(0.5)
            app.save_screenshot("monitor.svg", path=str(shots))
            verify = VerifyScreen(export_dir=tmp_path / "verify-exports", stamp=lambda: "20261103T090000Z")
            await app.push_screen(verify)
            await wait_until(pilot, lambda: verify.state in ("done", "failed"), "verify")
            await pilot.press("e")
            await pilot.pause()
            app.save_screenshot("verify.svg", path=str(shots))
    use_store(None)
    files = written_files(tmp_path)
    assert {p.name for p in files} >= {"preview.svg", "monitor.svg", "verify.svg", "app.log"}
    assert any(p.parent.name == "exported" for p in files) and any(p.parent.name == "verify-exports" for p in files)
    for path in files:
        assert leaks(path.read_text(errors="replace")) == [], path
    for path in [p for p in files if p.parent.name in ("exported", "verify-exports")]:
        assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    data = Path(session["env"]["S3XREP_DATA_DIR"])  # the monitor remembered the plan's job: private too
    assert any(p.parent.name != "journal" and p.parent.name != "results" for p in data.rglob("*.json*")), \
        sorted(data.rglob("*"))
    for path in written_files(data):
        assert _mode(path) == 0o600 and _mode(path.parent) == 0o700, path


async def wait_until(pilot: Any, condition: Any, what: str, timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
