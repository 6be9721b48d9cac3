"""Faults during apply: each survived, nothing lost, the next run converges, undo still restores.

* the sandbox stopped in the middle of apply, at each of the sixteen writes in turn (nine, and seven for the alarms), two ways:
  the write never reached AWS ("dropped"), or it did and its answer was lost ("lost");
* the apply process killed with SIGKILL while a write is in flight (a child process
  against the sandbox of this test process, which survives it);
* throttling (S3 ``SlowDown`` 503, s3control ``TooManyRequestsException``) and IAM
  propagation delays at every call that names a new role: retried with bounded
  backoff, each wait reported (``waiting`` events; the CLI prints them);
* a statement using our Sids with someone else's principal, added between plan and
  apply: refused, nothing overwritten.

Already proven elsewhere (referenced in tests/reliability/items.py, not repeated):
an interruption after each step by an exception, the invalid-principal wait and
its bound, a statement or a rule added between plan and apply re-merged, the
monitor's "retrying" when the sandbox stops mid-poll, a truncated journal line.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.apply import ApplyEvent, Backoff
from s3xrep_tui.aws.journal import Journal, journal_path
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.cli import main
from s3xrep_tui.core.names import sid_family
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.sandbox.server import Call, Forward, s3_error
from tests.apply_world import FAST, World

from .conftest import (
    CALLS,
    DST_PROFILE,
    SRC_PROFILE,
    middleware,
    start_server,
    stop_server,
)


@pytest.fixture(scope="module", autouse=True)
def _one_attempt(one_attempt: None) -> None:
    """Before the module's sandbox and clients exist (autouse fixtures come first)."""


def is_write(call: Call) -> bool:
    """A call apply makes to change something (bucket configuration, IAM, a Batch job)."""
    if call.service == "s3" and call.is_s3control:
        return call.method == "POST" and call.request.path.rstrip("/").endswith("/jobs")
    if call.service == "s3":
        return call.method in ("PUT", "POST", "DELETE") and call.bucket is not None and call.key is None
    if call.service == "iam":
        return any(f"Action={a}".encode() in call.body for a in ("CreateRole", "PutRolePolicy", "UpdateAssumeRolePolicy"))
    if call.service in ("sns", "cloudwatch", "monitoring", "sqs"):  # the alarms (issue 18), whatever the protocol
        where = call.body + call.request.path.encode() + call.request.headers.get("X-Amz-Target", "").encode()
        return any(f"{sep}{a}".encode() in where for a in ALARM_WRITES for sep in ("Action=", "/", "."))
    return False


ALARM_WRITES = ("CreateTopic", "SetTopicAttributes", "Subscribe", "PutMetricAlarm", "CreateQueue")


class CutAtWrite:
    """On the ``n``-th write, stop the sandbox's server and drop the connection.

    ``dropped``: the write never reaches moto; ``lost``: moto applies it, the answer never
    arrives. Either way the client sees the endpoint go away mid-call.
    """

    def __init__(self, sandbox: Sandbox, n: int, mode: str) -> None:
        self.sandbox, self.n, self.mode = sandbox, n, mode
        self.seen = 0
        self.where: tuple[str, int] | None = None

    def __call__(self, call: Call, forward: Forward) -> Any:
        if self.where is not None or not is_write(call):
            return forward()
        self.seen += 1
        if self.seen != self.n:
            return forward()
        response = forward() if self.mode == "lost" else s3_error("InternalError", "never sent", 500)
        self.where = stop_server(self.sandbox)
        connection = call.request.environ.get("werkzeug.socket")
        if connection is not None:
            connection.shutdown(socket.SHUT_RDWR)
        return response


def _journal_is_consistent(plan_id: str) -> Any:
    read = Journal(plan_id).read()
    assert read.problems == []
    ids = {e["id"] for e in read.writes()}
    assert set(read.done()) <= ids  # every "done" completes a journaled write
    for entry in read.writes():
        assert entry["plan_id"] == plan_id and entry["step"] and entry["call"] and "before" in entry and "after" in entry
    return read


@pytest.mark.parametrize("mode", ["dropped", "lost"])
@pytest.mark.parametrize("n", range(1, len(CALLS) + 1))
def test_the_sandbox_stopped_at_each_write_then_a_rerun_converges_and_undo_restores(
    world: Callable[[str], World], sandbox: Sandbox, n: int, mode: str
) -> None:
    w = world(f"cut-{mode}-{n}")
    plan = w.plan()
    assert [s.call for s in plan.steps] == CALLS
    cut = CutAtWrite(sandbox, n, mode)
    with middleware(sandbox, cut):
        first = w.apply(plan)
    assert cut.where is not None, "the server was not stopped"
    try:
        # the run stops at that step with a plain reason and a fix, later steps untouched
        assert [r.status for r in first.steps] == ["done"] * (n - 1) + ["failed"] + ["not-run"] * (len(CALLS) - n)
        assert first.error is not None and first.error.code == "EndpointUnreachable"
        assert "does not answer" in first.error.message and "is the sandbox running?" in first.error.fix
        assert "run apply again" in first.summary()
        # the journal holds the interrupted write (before it was sent) and nothing more
        read = _journal_is_consistent(plan.id)
        assert [e["call"] for e in read.writes()] == CALLS[:n]
        assert len(read.done()) == n - 1
        assert read.writes()[-1]["id"] not in read.done()
    finally:
        start_server(sandbox, *cut.where)

    again = w.apply(plan)
    assert again.ok, again.summary()
    statuses = [r.status for r in again.steps]
    assert statuses[: n - 1] == ["no-op"] * (n - 1) and statuses[n:] == ["done"] * (len(CALLS) - n)
    if mode == "dropped":
        assert statuses[n - 1] == "done"
    else:  # it was applied: found holding (a job: found running, or the same job for the same token)
        assert statuses[n - 1] == "no-op" or CALLS[n - 1] == "s3control.create_job"
    w.assert_applied()
    read = _journal_is_consistent(plan.id)
    assert len({(e["call"], e["target"]) for e in read.writes()}) == len(CALLS)

    result = undo(plan.id, w.clients)
    assert result.ok, [(i.call, i.status, i.message) for i in result.items if i.status in ("skipped", "failed")]
    w.assert_undone()


# --- SIGKILL ---------------------------------------------------------------------------------------


class HoldWrite:
    """Holds the ``n``-th write until released (then answers an error: its caller is gone)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0
        self.arrived = threading.Event()
        self.released = threading.Event()

    def __call__(self, call: Call, forward: Forward) -> Any:
        if not is_write(call):
            return forward()
        self.seen += 1
        if self.seen != self.n:
            return forward()
        self.arrived.set()
        self.released.wait(60)
        return s3_error("InternalError", "the caller was killed", 500)


def _child_env(sandbox: Sandbox, tmp_path: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    home = tmp_path / "child-home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home), AWS_CONFIG_FILE=str(sandbox.config_path), S3XREP_DATA_DIR=str(data),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"), AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.mark.parametrize("n", [3, 7, 9])  # create_role, put_bucket_policy, create_job
def test_apply_killed_mid_write_leaves_a_readable_consistent_journal_and_a_rerun_converges(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], n: int,
) -> None:
    w = world(f"kill{n}")
    plan = w.plan()
    hold = HoldWrite(n)
    argv = ["apply", "--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}",
            "--report-bucket", w.report, "--yes"]
    with middleware(sandbox, hold):
        child = subprocess.Popen([sys.executable, "-m", "s3xrep_tui.cli", *argv], env=_child_env(sandbox, tmp_path, cli_env),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert hold.arrived.wait(60), "the child never reached the write"
            lines = journal_path(plan.id).read_text().splitlines()
            assert json.loads(lines[-1])["kind"] == "write" and json.loads(lines[-1])["call"] == CALLS[n - 1]
            child.send_signal(signal.SIGKILL)
            child.wait(30)
        finally:
            hold.released.set()
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()  # type: ignore[union-attr]
            child.stderr.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL

    read = _journal_is_consistent(plan.id)
    assert [e["call"] for e in read.writes()] == CALLS[:n]
    assert len(read.done()) == n - 1 and read.writes()[-1]["id"] not in read.done()
    assert read.profiles() == {"source": SRC_PROFILE, "destination": DST_PROFILE}

    assert main(argv) == 0, capsys.readouterr().err  # the same command again: it continues
    out = capsys.readouterr().out
    assert "applied:" in out and f"s3xrep undo {plan.id}" in out
    w.assert_applied()
    _journal_is_consistent(plan.id)

    assert main(["undo", plan.id, "--yes"]) == 0, capsys.readouterr().err
    w.assert_undone()


# --- throttling and IAM propagation ------------------------------------------------------------------


class Throttle:
    """Answers matching calls with a throttling error ``times`` times (then lets them through)."""

    def __init__(self, match: Callable[[Call], bool], error: Callable[[], Any], times: int) -> None:
        self.match, self.error, self.left = match, error, times
        self.answered = 0

    def __call__(self, call: Call, forward: Forward) -> Any:
        if self.left > 0 and self.match(call):
            self.left -= 1
            self.answered += 1
            return self.error()
        return forward()


def slow_down() -> Any:
    return s3_error("SlowDown", "Please reduce your request rate.", 503)


def too_many_requests() -> Any:
    return s3_error("TooManyRequestsException", "Rate exceeded", 429)


def is_s3_bucket_call(call: Call) -> bool:
    return call.service == "s3" and not call.is_s3control and call.bucket is not None and call.key is None


def is_s3control(call: Call) -> bool:
    return call.service == "s3" and call.is_s3control


THROTTLES = {
    "SlowDown on every S3 bucket call": (is_s3_bucket_call, slow_down, "SlowDown"),
    "TooManyRequestsException on s3control": (is_s3control, too_many_requests, "TooManyRequestsException"),
}


@pytest.mark.parametrize("case", sorted(THROTTLES))
def test_throttling_is_retried_with_bounded_backoff_and_each_wait_is_reported(
    world: Callable[[str], World], sandbox: Sandbox, case: str
) -> None:
    match, error, code = THROTTLES[case]
    w = world(f"throttle-{code.lower()[:8]}")
    plan = w.plan()
    events: list[ApplyEvent] = []
    with middleware(sandbox, Throttle(match, error, times=3)) as throttle:
        result = w.apply(plan, progress=events.append)
    assert result.ok, result.summary()
    assert throttle.answered == 3
    waits = [e for e in events if e.status == "waiting"]
    assert len(waits) == 3, [e.message for e in events]
    for event in waits:
        assert code in event.message and "throttl" in event.message
        assert event.delay is not None and 0 < event.delay <= FAST.max_delay
        assert event.attempts == FAST.attempts
    assert sum(r.waits for r in result.steps) == 3
    w.assert_applied()


@pytest.mark.parametrize("case", sorted(THROTTLES))
def test_throttling_that_never_stops_fails_within_the_bound_with_a_fix(
    world: Callable[[str], World], sandbox: Sandbox, case: str
) -> None:
    match, error, code = THROTTLES[case]
    w = world(f"throttled-{code.lower()[:8]}")
    plan = w.plan()
    bound = Backoff(total=0.3, first=0.02, factor=2.0, max_delay=0.1)
    started = time.monotonic()
    with middleware(sandbox, Throttle(match, error, times=10_000)):
        result = w.apply(plan, backoff=bound)
    elapsed = time.monotonic() - started
    assert result.failed is not None and result.error is not None and result.error.code == code
    assert f"after {bound.attempts} attempts" in result.error.message
    assert "throttl" in result.error.fix and "run apply again" in result.error.fix
    assert result.failed.waits == bound.attempts - 1
    assert elapsed < 10  # the waits add up to bound.total (0.3 s), plus the calls


def test_the_cli_prints_each_throttling_wait(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("throttle-cli")
    with middleware(sandbox, Throttle(lambda c: is_s3_bucket_call(c) and c.method == "PUT" and "policy" in c.args,
                                      slow_down, times=1)):
        code = main(["apply", "--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}",
                     "--report-bucket", w.report, "--yes", "--iam-wait", "0.2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [line for line in out.splitlines() if "waiting (" in line]
    assert len(lines) == 1 and all("s3.put_bucket_policy" in line and "SlowDown" in line and "next try in" in line
                                   for line in lines), out
    w.assert_applied()


@pytest.mark.parametrize("times, restored", [(3, True), (10_000, False)])
def test_undo_retries_throttling_like_apply_and_says_when_it_gives_up(
    world: Callable[[str], World], sandbox: Sandbox, times: int, restored: bool
) -> None:
    w = world(f"throttle-undo-{times}")
    plan = w.plan()
    assert w.apply(plan).ok
    waits: list[tuple[str, float]] = []
    bound = Backoff(total=0.3, first=0.02, factor=2.0, max_delay=0.1)
    with middleware(sandbox, Throttle(is_s3_bucket_call, slow_down, times=times)):
        result = undo(plan.id, w.clients, backoff=bound, on_wait=lambda message, delay: waits.append((message, delay)))
    assert waits and all("SlowDown" in message and "throttl" in message and 0 < delay <= 0.1
                         for message, delay in waits)
    if restored:
        assert result.ok and len(waits) == 3, [(i.status, i.message) for i in result.items]
        w.assert_undone()
    else:  # every S3 write fails within the bound, with the fix; the IAM ones still go through
        failed = [item for item in result.items if item.status == "failed"]
        assert failed and all(f"after {bound.attempts} attempts" in item.message
                              and "run undo again" in item.fix for item in failed)
        again = undo(plan.id, w.clients, backoff=FAST)  # AWS stopped throttling: a second undo finishes
        assert again.ok, [(i.status, i.message) for i in again.items]
        w.assert_undone()


class NotYetVisible:
    """IAM eventual consistency: after each CreateRole, ``times`` rejections of calls naming the new role."""

    def __init__(self, match: Callable[[Call], bool], error: Callable[[], Any], times: int) -> None:
        self.match, self.error, self.times = match, error, times
        self.left = 0
        self.rejected = 0

    def __call__(self, call: Call, forward: Forward) -> Any:
        if call.service == "iam" and b"Action=CreateRole" in call.body:
            self.left = self.times
            return forward()
        if self.left > 0 and self.match(call):
            self.left -= 1
            self.rejected += 1
            return self.error()
        return forward()


def _iam_error(code: str, message: str) -> Any:
    from werkzeug.wrappers import Response

    body = (f'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>")
    return Response(body, status=404, content_type="text/xml")


IAM_DELAYS = {
    # put_role_policy right after create_role: the role is not visible yet
    "iam.put_role_policy": (
        lambda c: c.service == "iam" and b"Action=PutRolePolicy" in c.body,
        lambda: _iam_error("NoSuchEntity", "The role with name s3xrep-repl cannot be found."),
        "waiting for IAM to show the new role",
    ),
    # put_bucket_replication naming a role S3 cannot assume yet
    "s3.put_bucket_replication": (
        lambda c: is_s3_bucket_call(c) and c.method == "PUT" and "replication" in c.args,
        lambda: s3_error("InvalidRequest", "Unable to assume the role: the role is not valid yet", 400),
        "waiting for IAM to propagate role",
    ),
    # create_job with a role Batch Operations cannot assume yet
    "s3control.create_job": (
        lambda c: is_s3control(c) and c.method == "POST",
        lambda: s3_error("AccessDenied", "Batch Operations cannot assume the role", 403),
        "waiting for IAM to propagate role",
    ),
}


@pytest.mark.parametrize("call", sorted(IAM_DELAYS))
def test_an_iam_propagation_delay_at_each_call_naming_a_new_role_is_waited_out_and_reported(
    world: Callable[[str], World], sandbox: Sandbox, call: str
) -> None:
    match, error, reason = IAM_DELAYS[call]
    w = world(f"iam-{call.split('.')[1].replace('_', '-')[:12]}")
    events: list[ApplyEvent] = []
    with middleware(sandbox, NotYetVisible(match, error, times=2)) as delay:
        result = w.apply(progress=events.append)
    assert result.ok, result.summary()
    assert delay.rejected >= 2
    waits = [e for e in events if e.status == "waiting" and e.step.call == call]
    assert len(waits) >= 2 and all(reason in e.message for e in waits), [e.message for e in events]
    assert all(e.delay and e.delay <= FAST.max_delay for e in waits)
    journal = Journal(result.plan_id).read()
    assert [e["call"] for e in journal.writes()] == CALLS  # the retried write journaled once
    w.assert_applied()


# --- a concurrent change that collides -------------------------------------------------------------


def test_a_foreign_statement_taking_our_sid_between_plan_and_apply_is_refused_not_overwritten(
    world: Callable[[str], World], sandbox: Sandbox
) -> None:
    w = world("collide")
    plan = w.plan()
    ours = plan.documents["destination_bucket_policy"]["Statement"][-1]
    assert ours["Sid"].startswith(sid_family(A, w.src, w.dst))
    intruder = {**ours, "Principal": {"AWS": f"arn:aws:iam::{B}:root"}}
    edited = {"Version": "2012-10-17", "Statement": [json.loads(w.original_policy)["Statement"][0], intruder]}
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(edited))
    result = w.apply(plan)
    assert result.failed is not None and result.failed.step.call == "s3.put_bucket_policy"
    assert result.error is not None and result.error.code == "policy-sid-collision"
    assert "refusing to overwrite a statement we did not write" in result.error.message
    assert "rename the Sid" in result.error.fix
    assert w.dst_policy() == edited  # untouched
    assert w.replication() is None  # nothing after the refused step
    read = Journal(plan.id).read()
    assert "s3.put_bucket_policy" not in [e["call"] for e in read.writes()]

