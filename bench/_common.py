"""Shared helpers of the benchmarks: load average, statistics, JSON output, a pty runner.

Nothing here is imported by s3xrep_tui: the benchmarks observe the app from
outside (a pty, botocore's event hooks, Textual's Pilot), so production code
carries no measuring overhead.
"""

from __future__ import annotations

import json
import os
import platform
import re
import select
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages (2 cores: above 2 means we share the CPU)."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def stats(values: Sequence[float], digits: int = 4) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), digits),
        "p90": round(pct(90), digits),
        "p99": round(pct(99), digits),
        "max": round(ordered[-1], digits),
        "min": round(ordered[0], digits),
    }


def emit(name: str, result: dict[str, Any], save: bool) -> None:
    """Print the JSON; with ``save`` also write bench/results/<name>.json."""
    result = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), **result}
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{name}.json").write_text(text + "\n")


def timed_run(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, from wait4) of one run of ``argv``."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, list(argv))
    return wall, usage.ru_utime + usage.ru_stime


def interleaved(commands: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[Any]]:
    """Run every command once per round, the order rotating each round (load hits all alike)."""
    names = list(commands)
    times: dict[str, list[Any]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for n in order:
            times[n].append(commands[n]())
    return times


_ANSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def plain(data: bytes) -> str:
    return _ANSI.sub(b"", data).decode("utf-8", "replace")


class PtyApp:
    """A command on a pseudo-terminal of a given size (a real Textual driver, output drained)."""

    def __init__(self, argv: Sequence[str], size: tuple[int, int] = (120, 40), env: dict[str, str] | None = None):
        import fcntl
        import pty
        import termios

        self.master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows), **(env or {}))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full_env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.output = bytearray()

    def read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.output.extend(chunk)
        return bool(chunk)

    def wait_for(self, text: str, timeout: float) -> float | None:
        """Seconds from launch until ``text`` was on the terminal (None: not within ``timeout``)."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if text in plain(bytes(self.output[-200000:])):
                return time.perf_counter() - self.started
            self.read(0.005)
        return None

    def main_thread_sched(self) -> dict[str, float]:
        """The main thread's CPU seconds and seconds spent waiting for a CPU (run queue) so far.

        ``wall - runqueue_wait`` estimates what the wall time would be on an idle machine.
        """
        return main_thread_sched(self.proc.pid)


    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self, quit_keys: bytes = b"\x11", timeout: float = 10.0) -> int | None:
        try:
            self.send(quit_keys)
        except OSError:
            pass
        deadline = time.perf_counter() + timeout
        while self.proc.poll() is None and time.perf_counter() < deadline:
            self.read(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        return self.proc.returncode


def main_thread_sched(pid: int) -> dict[str, float]:
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
            cpu_ns, wait_ns, _ = f.read().split()
        return {"cpu": int(cpu_ns) / 1e9, "runqueue_wait": int(wait_ns) / 1e9}
    except (OSError, ValueError):
        return {}


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of every thread of ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LoopProbe:
    """Event-loop lag and frame times of a Textual app, measured from inside (bench code only).

    * lag: a task sleeps ``tick`` seconds again and again; each wake-up's delay past
      its deadline is the time the loop was busy (a frame, a handler) or the process
      was not scheduled. The main thread's CPU time over the same slice tells the
      two apart: ``cpu`` is what our code spent, ``wall`` adds the machine's load.
    * frames: ``Screen._on_timer_update`` (layout, render, write to the terminal)
      timed in wall and thread CPU seconds.
    """

    def __init__(self, tick: float = 0.005) -> None:
        self.tick = tick
        self.lag_wall: list[float] = []
        self.lag_cpu: list[float] = []
        self.frame_wall: list[float] = []
        self.frame_cpu: list[float] = []
        self.recording = False
        self._task = None

    def install_frame_timer(self) -> None:
        from textual.screen import Screen

        original = Screen._on_timer_update
        probe = self

        def timed(screen):  # type: ignore[no-untyped-def]
            if not probe.recording:
                return original(screen)
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(screen)
            finally:
                probe.frame_wall.append(time.perf_counter() - wall)
                probe.frame_cpu.append(time.thread_time() - cpu)

        Screen._on_timer_update = timed  # type: ignore[method-assign]

    def install_handler_timer(self) -> None:
        """Time every Textual handler/callback (its synchronous part, main-thread CPU): the slowest are named."""
        import textual._callback as cb

        probe = self
        self.handlers: list[tuple[float, str]] = []

        async def timed_invoke(callback, *params):  # type: ignore[no-untyped-def]
            count = cb.count_parameters(callback)
            cpu = time.thread_time()
            result = callback(*params[:count])
            if probe.recording:
                spent = time.thread_time() - cpu
                if spent > 0.02:
                    probe.handlers.append((spent, getattr(callback, "__qualname__", repr(callback))))
            if cb.isawaitable(result):
                result = await result
            return result

        cb._invoke = timed_invoke

    def install_gc_timer(self) -> None:
        """Time the garbage collector's passes (main thread) by generation."""
        import gc

        self.gc_passes: list[tuple[float, int]] = []
        started: dict[str, float] = {}

        def callback(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                started["t"] = time.thread_time()  # the collecting thread's CPU: load does not inflate it
            elif self.recording and "t" in started:
                self.gc_passes.append((time.thread_time() - started["t"], info["generation"]))

        gc.callbacks.append(callback)

    def start(self) -> None:
        import asyncio

        async def run() -> None:
            while True:
                wall, cpu = time.perf_counter(), time.thread_time()
                await asyncio.sleep(self.tick)
                if self.recording:
                    self.lag_wall.append(max(0.0, time.perf_counter() - wall - self.tick))
                    self.lag_cpu.append(time.thread_time() - cpu)

        self._task = asyncio.get_running_loop().create_task(run())

    def reset(self) -> None:
        if hasattr(self, "handlers"):
            self.handlers.clear()
        if hasattr(self, "gc_passes"):
            self.gc_passes.clear()
        self.lag_wall.clear()
        self.lag_cpu.clear()
        self.frame_wall.clear()
        self.frame_cpu.clear()

    def summary(self) -> dict[str, Any]:
        return {
            "frames": len(self.frame_wall),
            "frame_wall_seconds": stats(self.frame_wall),
            "frame_cpu_seconds": stats(self.frame_cpu),
            "loop_lag_wall_seconds": stats(self.lag_wall),
            "loop_busy_cpu_seconds": stats(self.lag_cpu),
            "frames_over_100ms_wall": sum(1 for x in self.frame_wall if x > 0.1),
            "frames_over_100ms_cpu": sum(1 for x in self.frame_cpu if x > 0.1),
            "lag_over_100ms_wall": sum(1 for x in self.lag_wall if x > 0.1),
            "busy_over_100ms_cpu": sum(1 for x in self.lag_cpu if x > 0.1),
            "top_frames_cpu": [round(x, 4) for x in sorted(self.frame_cpu)[-5:]],
            "top_busy_cpu": [round(x, 4) for x in sorted(self.lag_cpu)[-5:]],
            "gc_full_passes_cpu_seconds": stats([t for t, g in getattr(self, "gc_passes", []) if g == 2]),
            "gc_all_passes_total_seconds": round(sum(t for t, _ in getattr(self, "gc_passes", [])), 4),
            "slowest_handlers_cpu": [(round(t, 4), name) for t, name in sorted(getattr(self, "handlers", []))[-6:]],
        }


def seed_replicated(source_account: str, source_bucket: str, destination_account: str, destination_bucket: str,
                    versions: int, prefixes: int = 16) -> None:
    """Put ``versions`` objects in a versioned source bucket and their replicas (same version ids and
    ETags) in a versioned destination, straight into moto's backends (a request each would take hours)."""
    import datetime as dt

    from moto.s3.models import FakeKey, s3_backends

    src_backend, dst_backend = s3_backends[source_account]["aws"], s3_backends[destination_account]["aws"]
    source = src_backend.create_bucket(source_bucket, "us-east-1")
    source.versioning_status = "Enabled"
    destination = dst_backend.create_bucket(destination_bucket, "us-east-1")
    destination.versioning_status = "Enabled"
    when = dt.datetime(2024, 1, 1, 12, 0, 0)
    for i in range(versions):
        name = f"p{i % prefixes:02d}/obj-{i:08d}.bin"
        body = b"x" * (i % 97 + 1)
        original = src_backend.put_object(source_bucket, name, body, disable_notification=True)
        original.last_modified = when
        replica = FakeKey(name=name, value=body, account_id=destination_account, region_name="us-east-1",
                          etag=original.etag.strip('"'), is_versioned=True, version_id=str(original.version_id),
                          bucket_name=destination_bucket)
        replica.last_modified = when
        destination.keys.setlist(name, [replica])
