"""Every wait is bounded: a frozen endpoint, a credential_process that hangs, and Ctrl-C during either.

Each test runs ``s3xrep plan`` as its own process (``python -m s3xrep_tui.cli``) and
waits on a condition with a bounded timeout: the process's exit, a connection the
frozen server accepted, the pid file the hanging credential_process wrote.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws.clients import CONNECT_TIMEOUT, READ_TIMEOUT, TIMEOUT_ATTEMPTS, WORST_WAIT
from s3xrep_tui.commands._interrupt import GRACE, LINE

KEYS = "aws_access_key_id = AKIAS3XREPWAITTEST01\naws_secret_access_key = " + "x" * 40 + "\n"


class FrozenServer:
    """Accepts TCP connections and never answers (a hung load balancer, a stopped proxy)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed: the test is over
                return
            self.held.append(connection)
            self.accepted.set()

    def close(self) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def frozen() -> Iterator[FrozenServer]:
    server = FrozenServer()
    yield server
    server.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with no AWS settings of the user's; the test writes the config file."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(tmp_path / "config"), S3XREP_DATA_DIR=str(tmp_path / "data"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"), AWS_EC2_METADATA_DISABLED="true")
    return env


def write_config(env: dict[str, str], text: str) -> None:
    Path(env["AWS_CONFIG_FILE"]).write_text(text)


def plan(env: dict[str, str], profile: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "s3xrep_tui.cli", "plan", "--source", f"{profile}:wait-src", "--dest", f"{profile}:wait-dst"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )


def finish(proc: subprocess.Popen[str], within: float) -> tuple[int, str, str, float]:
    """The process's exit code, output and how long it took, waiting at most ``within`` seconds."""
    started = time.monotonic()
    try:
        out, err = proc.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"s3xrep still running after {within:.0f} s")
    return proc.returncode, out, err, time.monotonic() - started


def wait_until(condition: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        threading.Event().wait(0.05)


def frozen_profile(env: dict[str, str], server: FrozenServer) -> None:
    write_config(env, f"[profile frozen]\n{KEYS}region = us-east-1\nendpoint_url = http://127.0.0.1:{server.port}\n")


def hanging_profile(env: dict[str, str], tmp_path: Path) -> Path:
    """A profile whose credential_process adds its pid to a file, then never answers."""
    script = tmp_path / "hang.py"
    pid_file = tmp_path / "credential-process.pid"
    script.write_text(f"import os, time\nopen({str(pid_file)!r}, 'a').write(f'{{os.getpid()}}\\n')\ntime.sleep(3600)\n")
    write_config(env, f"[profile hangs]\ncredential_process = {sys.executable} {script}\nregion = us-east-1\n"
                 "[profile via-role]\nrole_arn = arn:aws:iam::111111111111:role/ops\nsource_profile = hangs\n"
                 "region = us-east-1\n")
    return pid_file


def pids(pid_file: Path) -> list[int]:
    return [int(line) for line in pid_file.read_text().split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) is not running
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_frozen_endpoint_fails_plan_within_the_bound_in_one_line(env: dict[str, str], frozen: FrozenServer) -> None:
    """Today's bound: TIMEOUT_ATTEMPTS tries of READ_TIMEOUT each (16 s); it was 5 tries of 30 s (182 s measured)."""
    assert WORST_WAIT <= 20 and CONNECT_TIMEOUT <= 5
    frozen_profile(env, frozen)
    code, out, err, took = finish(plan(env, "frozen"), within=WORST_WAIT + 20)
    assert code == 1 and out == ""
    assert took < WORST_WAIT + 10, took
    (line,) = err.splitlines()
    assert f"did not answer within {READ_TIMEOUT:g} s, {TIMEOUT_ATTEMPTS} times" in line, line
    assert f"gave up after about {WORST_WAIT:g} s" in line and f"127.0.0.1:{frozen.port}" in line
    assert "(fix: check the network, proxy and any endpoint_url in the profile" in line and "Traceback" not in err


@pytest.mark.parametrize("profile", ["hangs", "via-role"])  # its own, or the source profile of a role's chain
def test_a_hanging_credential_process_is_stopped_at_its_deadline_naming_the_profile(
    profile: str, env: dict[str, str], tmp_path: Path
) -> None:
    pid_file = hanging_profile(env, tmp_path)
    env["S3XREP_CREDENTIAL_PROCESS_TIMEOUT"] = "2"
    code, _, err, took = finish(plan(env, profile), within=30)
    assert code == 1 and took < 15, took
    (line,) = err.splitlines()
    assert "the credential_process of profile 'hangs' did not finish within 2 s" in line, line
    assert "S3XREP_CREDENTIAL_PROCESS_TIMEOUT" in line
    wait_until(lambda: not any(alive(pid) for pid in pids(pid_file)), within=10)  # stopped, not left running


@pytest.mark.parametrize("hang", ["frozen endpoint", "credential_process"])
def test_ctrl_c_during_a_hang_exits_130_promptly_with_one_line(
    hang: str, env: dict[str, str], frozen: FrozenServer, tmp_path: Path
) -> None:
    if hang == "frozen endpoint":
        frozen_profile(env, frozen)
        proc = plan(env, "frozen")
        hanging = frozen.accepted.is_set
    else:
        pid_file = hanging_profile(env, tmp_path)
        proc = plan(env, "hangs")
        hanging = pid_file.exists
    wait_until(lambda: hanging() or proc.poll() is not None, within=30)
    assert proc.poll() is None, "s3xrep ended before it hung"
    proc.send_signal(signal.SIGINT)
    code, out, err, took = finish(proc, within=GRACE + 10)
    assert code == 130 and took < GRACE + 3, took
    assert err.splitlines() == [LINE], err
    if hang == "credential_process":  # SIGINT reached s3xrep alone (not a terminal's process group): it stopped the helper
        wait_until(lambda: not any(alive(pid) for pid in pids(pid_file)), within=10)
