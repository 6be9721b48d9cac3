"""Sandbox start/stop, accounts and config file, the demo seed, the AWS CLI and the `s3xrep sandbox` command."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from s3xrep_tui.sandbox import seed
from s3xrep_tui.sandbox.emulator import (
    DESTINATION_ACCOUNT,
    PROFILES,
    SIMULATOR_NOTE,
    SOURCE_ACCOUNT,
    Sandbox,
    active_sandbox,
    is_sandbox_endpoint,
)

from .helpers import make_setup, wait_final


def _port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def test_start_and_stop_leave_no_thread_or_port_behind(tmp_path):
    before = set(threading.enumerate())
    sandbox = Sandbox(seed="empty", replication_delay=0.05, config_path=tmp_path / "c")
    sandbox.start()
    url = sandbox.endpoint_url
    assert url.startswith("http://127.0.0.1:") and _port_open(url)
    assert active_sandbox() is sandbox and is_sandbox_endpoint(url) and sandbox.is_simulator
    sandbox.clients(SOURCE_ACCOUNT)("s3").list_buckets()
    sandbox.stop()
    assert not _port_open(url)
    assert active_sandbox() is None
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []


def test_one_sandbox_per_process(sandbox, tmp_path):
    with pytest.raises(RuntimeError):
        Sandbox(seed="empty", config_path=tmp_path / "other").start()
    assert active_sandbox() is sandbox


def test_accounts_profiles_and_config_file(sandbox):
    for account in (SOURCE_ACCOUNT, DESTINATION_ACCOUNT):
        identity = sandbox.clients(account)("sts").get_caller_identity()
        assert identity["Account"] == account
    mode = stat.S_IMODE(os.stat(sandbox.config_path).st_mode)
    assert mode == 0o600
    config = configparser.ConfigParser()
    config.read(sandbox.config_path)
    for role, account in (("source", SOURCE_ACCOUNT), ("destination", DESTINATION_ACCOUNT)):
        section = config[f"profile {PROFILES[role]}"]
        assert section["endpoint_url"] == sandbox.endpoint_url
        assert section["region"] == "us-east-1"
        assert (section["aws_access_key_id"], section["aws_secret_access_key"]) == sandbox.credentials(account)
    assert "SIMULATOR" in SIMULATOR_NOTE and sandbox.SIMULATOR_NOTE == SIMULATOR_NOTE


def test_profiles_work_through_boto3(sandbox, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    session = boto3.Session(profile_name=PROFILES["destination"])
    assert session.client("sts").get_caller_identity()["Account"] == DESTINATION_ACCOUNT


def test_server_prints_nothing_to_stderr(sandbox, capfd):
    s3 = sandbox.clients(SOURCE_ACCOUNT)("s3")
    s3.create_bucket(Bucket="quiet")
    with pytest.raises(Exception):
        s3.head_object(Bucket="quiet", Key="missing")
    sandbox.clients(SOURCE_ACCOUNT)("kms").create_key()
    out, err = capfd.readouterr()
    assert err == "" and out == ""


def test_demo_seed_is_ready_within_seconds(tmp_path):
    started = time.perf_counter()
    with Sandbox(seed="demo", replication_delay=0.05, config_path=tmp_path / "c") as sandbox:
        elapsed = time.perf_counter() - started
        print(f"demo sandbox ready in {elapsed:.2f}s (seeding {sandbox.seed_seconds:.2f}s)")
        s3a = sandbox.clients(SOURCE_ACCOUNT)("s3")
        s3b = sandbox.clients(DESTINATION_ACCOUNT)("s3")
        names = {b["Name"] for b in s3a.list_buckets()["Buckets"]}
        assert {seed.MEDIA, seed.ARCHIVE, seed.SECURE, seed.RECORDS, seed.SOURCE_REPORTS} <= names
        assert "Status" not in s3a.get_bucket_versioning(Bucket=seed.MEDIA)
        media = s3a.list_objects_v2(Bucket=seed.MEDIA)
        assert media["KeyCount"] == 1000 and media["IsTruncated"]
        history = s3a.list_object_versions(Bucket=seed.ARCHIVE)
        assert history.get("DeleteMarkers") and len(history["Versions"]) > len({v["Key"] for v in history["Versions"]})
        head = s3a.head_object(Bucket=seed.SECURE, Key="finance/2020/statement-000.pdf")
        assert head["ServerSideEncryption"] == "aws:kms"
        assert s3a.get_object_lock_configuration(Bucket=seed.RECORDS)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
        assert s3b.get_bucket_ownership_controls(Bucket=seed.DEST_MEDIA)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
        assert seed.AUDIT_SID in s3b.get_bucket_policy(Bucket=seed.DEST_MEDIA)["Policy"]
        aliases = {a["AliasName"] for a in sandbox.clients(DESTINATION_ACCOUNT)("kms").list_aliases()["Aliases"]}
        assert seed.REPLICA_KEY_ALIAS in aliases


def _aws(config: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(config)
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(config.parent / "no-credentials")
    done = subprocess.run([sys.executable, "-m", "awscli", *args, "--output", "json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_aws_cli_reads_replication_and_lists_replicas(sandbox):
    import json

    s = make_setup(sandbox)
    vid = s.s3a.put_object(Bucket=s.src, Key="cli/obj", Body=b"1")["VersionId"]
    assert wait_final(s.s3a, s.src, "cli/obj") == "COMPLETED"
    config = json.loads(_aws(sandbox.config_path, "--profile", PROFILES["source"], "s3api", "get-bucket-replication",
                             "--bucket", s.src))["ReplicationConfiguration"]
    assert config == {"Role": s.role_arn, "Rules": s.rules}
    listed = json.loads(_aws(sandbox.config_path, "--profile", PROFILES["destination"], "s3api", "list-object-versions",
                             "--bucket", s.dst))
    assert [(v["Key"], v["VersionId"]) for v in listed["Versions"]] == [("cli/obj", vid)]
    whoami = json.loads(_aws(sandbox.config_path, "--profile", PROFILES["destination"], "sts", "get-caller-identity"))
    assert whoami["Account"] == DESTINATION_ACCOUNT
    roles = json.loads(_aws(sandbox.config_path, "--profile", PROFILES["source"], "iam", "list-roles"))
    assert [r["Arn"] for r in roles["Roles"]] == [s.role_arn]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# "inherited ignored": how a script's background job (or a pytest-xdist worker's child) starts;
# Python then never raises KeyboardInterrupt, and Ctrl-C once did nothing (seen in CI)
@pytest.mark.parametrize("sigint", ["default", "inherited ignored"])
def test_sandbox_command_runs_in_the_foreground_and_stops_on_ctrl_c(tmp_path, sigint):
    config = tmp_path / "cfg"
    proc = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "s3xrep_tui.cli", "sandbox", "--seed", "empty",
         "--aws-config", str(config), "--log-file", str(tmp_path / "log")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_ignore_sigint if sigint == "inherited ignored" else None,
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(lines)
        assert f"export AWS_CONFIG_FILE={config}" in text
        endpoint = next(l.split()[-1] for l in lines if l.startswith("endpoint:"))
        assert endpoint.startswith("http://127.0.0.1:") and _port_open(endpoint)
        assert "SIMULATOR" in text
        whoami = _aws(config, "--profile", PROFILES["source"], "sts", "get-caller-identity")
        assert SOURCE_ACCOUNT in whoami
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=45)
        except subprocess.TimeoutExpired:  # say where every thread was
            proc.send_signal(signal.SIGABRT)  # faulthandler prints each thread's stack
            out, err = proc.communicate(timeout=10)
            pytest.fail(f"the sandbox did not stop within 45 s of Ctrl-C; its threads:\n{err}\n{out}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert "sandbox stopped." in out
    assert err == ""
    assert not _port_open(endpoint)


def test_job_dwell_comes_from_the_argument_else_the_environment_else_the_demo_default(monkeypatch, capsys):
    from s3xrep_tui.cli import main
    from s3xrep_tui.sandbox.emulator import DEFAULT_JOB_DWELL, JOB_DWELL_ENV

    assert Sandbox(job_dwell=0.25).job_dwell == 0.25
    monkeypatch.setenv(JOB_DWELL_ENV, "1.5")
    assert Sandbox().job_dwell == 1.5
    monkeypatch.setenv(JOB_DWELL_ENV, "soon")  # not a number: the default, not a crash
    assert Sandbox().job_dwell == DEFAULT_JOB_DWELL >= 2.0
    monkeypatch.delenv(JOB_DWELL_ENV)
    assert Sandbox().job_dwell == DEFAULT_JOB_DWELL
    assert main(["sandbox", "--job-dwell", "-1"]) == 2
    assert "--job-dwell -1 is out of range: give 0 to 3600 seconds" in capsys.readouterr().err
