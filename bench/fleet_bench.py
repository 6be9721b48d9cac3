"""Issue 20: a fleet of N pairs planned and applied on the sandbox; AWS calls counted per phase and pair;
the fleet board's frame times while every pair's job is polled.

For each size in ``--sizes`` (default 10,50,200) a sandbox *process* (this script with ``--serve N``:
``Sandbox(seed="empty")`` plus ``seed_fleet(count=N)``, N legacy buckets with a few objects, N platform
buckets) answers over HTTP, as AWS would from elsewhere: this process's CPU is the app's own, the
sandbox's is read from /proc. The app's own code plans the fleet as ``s3xrep plan --pairs`` does
(``plan_fleet`` with the estimate: every pair inspected, the accounts and shared roles read once) and
applies it (``apply_fleet``: journaled, ``FLEET_WORKERS`` lanes at once, one Batch job per source
bucket). Every AWS call is counted by a botocore ``before-call`` hook on each profile's session, by
operation; the calls per pair should stay flat as N grows (linear growth). Ratios against the smallest
size of the same run: calls and seconds per pair. Then, at the largest size, the fleet board runs
headless at 160x48, polling every pair (describe_job + latency) each 0.5 s while the cursor moves:
``Screen._on_timer_update`` (layout, render: a frame) and the screen's poll handler (the cells that
changed) are timed; the target is every frame under 50 ms (ratio: max and p95 over 50 ms).

    python bench/fleet_bench.py [--sizes 10,50,200] [--board-seconds 30] [--save]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import LoopProbe, emit, load, process_cpu, stats

PLAN_TARGET_SECONDS = 10.0
FRAME_TARGET = 0.050


class Calls:
    """AWS calls by operation, counted on every client of every profile (botocore before-call)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def hook(self, model: Any = None, **_: Any) -> None:
        with self.lock:
            self.counts[f"{model.service_model.service_name}.{model.name}"] += 1

    def take(self) -> Counter[str]:
        with self.lock:
            taken, self.counts = self.counts, Counter()
        return taken


def counted(calls: Calls) -> Any:
    """``clients_for`` with every call of its clients counted (the hook is on the session before any client)."""
    from s3xrep_tui.aws.clients import clients_for

    def make(profile: str | None) -> Any:
        clients = clients_for(profile)
        clients.session.events.register("before-call", calls.hook)
        return clients

    return make


def pct(values: list[float], p: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 4) if ordered else None


def per_pair(counts: Counter[str], n: int) -> dict[str, float]:
    return {op: round(c / n, 3) for op, c in sorted(counts.items())}


# -- the sandbox process ----------------------------------------------------------------------------


def serve(n: int, config: Path) -> None:
    """Start a sandbox, seed N pairs, say so on stdout, run until stdin closes."""
    from s3xrep_tui.sandbox.emulator import Sandbox
    from s3xrep_tui.sandbox.seed_fleet import seed_fleet

    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config):
        seed_fleet(count=n, objects=3)
        print("ready", flush=True)
        sys.stdin.read()


class SandboxProcess:
    """``serve`` in a child process (its CPU read from /proc); bounded waits on start and stop."""

    def __init__(self, n: int, config: Path, timeout: float = 600.0) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(n), "--config", str(config)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready or self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise SystemExit(f"fleet_bench: the sandbox for {n} pairs did not start within {timeout:.0f} s")

    def cpu(self) -> float:
        return process_cpu(self.proc.pid)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# -- plan and apply -------------------------------------------------------------------------------


def phase(name: str, n: int, calls: Calls, box: SandboxProcess, work: Any) -> tuple[Any, dict[str, Any]]:
    """``work()`` timed: wall, this process's CPU (the app), the sandbox's CPU, the calls by operation."""
    calls.take()
    sandbox_cpu, started, cpu = box.cpu(), time.perf_counter(), time.process_time()
    out = work()
    wall, app_cpu = time.perf_counter() - started, time.process_time() - cpu
    made = calls.take()
    print(f"fleet_bench: {n} pairs: {name} in {wall:.1f}s", file=sys.stderr, flush=True)
    return out, {"seconds": round(wall, 2), "seconds_per_pair": round(wall / n, 4), "app_cpu": round(app_cpu, 2),
                 "sandbox_cpu": round(box.cpu() - sandbox_cpu, 2), "calls": sum(made.values()),
                 "calls_per_pair": round(sum(made.values()) / n, 3), "by_operation": dict(sorted(made.items())),
                 "by_operation_per_pair": per_pair(made, n)}


def run_size(n: int, calls: Calls, box: SandboxProcess) -> dict[str, Any]:
    from s3xrep_tui.aws.apply import Backoff
    from s3xrep_tui.aws.fleet_apply import FLEET_WORKERS, apply_fleet
    from s3xrep_tui.aws.fleet_inspect import FleetClients, plan_fleet
    from s3xrep_tui.core.fleet_pairs import PairsFile, PairSpec
    from s3xrep_tui.core.models import MigrationOptions
    from s3xrep_tui.sandbox.emulator import PROFILES
    from s3xrep_tui.sandbox.seed_fleet import fleet_names

    clients = FleetClients(counted(calls))
    pairs = PairsFile(tuple(PairSpec(PROFILES["source"], f"acme-legacy-{name}", PROFILES["destination"],
                                     f"acme-platform-{name}") for name in fleet_names(n)))
    fleet, plan = phase("planned", n, calls, box, lambda: plan_fleet(pairs, MigrationOptions(), clients, estimate=True))
    result, applied = phase("applied", n, calls, box, lambda: apply_fleet(
        fleet, clients, backoff=lambda: Backoff(total=30, first=0.01)))
    return {
        "pairs": n, "blocked": fleet.blocked, "roles": len(fleet.roles), "lanes": len(fleet.lanes()),
        "apply_workers": FLEET_WORKERS, "applied_ok": sum(1 for o in result.outcomes if o.ok),
        "plan": plan, "apply": applied, "fleet": fleet,
    }


# -- the board ------------------------------------------------------------------------------------


class Frames:
    """``Screen._on_timer_update`` (a frame: layout, render) timed in the main thread: wall, CPU, and the time
    the thread sat in the run queue (schedstat): on a loaded machine ``wall - runqueue`` is the frame an idle
    one would draw (the rest of the gap is the poll worker holding the GIL)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.runqueue: list[float] = []
        self.full_gc: list[float] = []  # the frames a full garbage collection fell into
        self.recording = False
        self._schedstat = f"/proc/self/task/{threading.get_native_id()}/schedstat"

    def _waited(self) -> float:
        try:
            with open(self._schedstat) as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    def install(self) -> None:
        from textual.screen import Screen

        original, frames = Screen._on_timer_update, self

        def timed(screen: Any) -> Any:
            if not frames.recording:
                return original(screen)
            waited, wall, cpu = frames._waited(), time.perf_counter(), time.thread_time()
            full = gc.get_stats()[2]["collections"]
            try:
                return original(screen)
            finally:
                frames.wall.append(time.perf_counter() - wall)
                if gc.get_stats()[2]["collections"] != full:
                    frames.full_gc.append(frames.wall[-1])
                frames.cpu.append(time.thread_time() - cpu)
                frames.runqueue.append(frames._waited() - waited)

        Screen._on_timer_update = timed  # type: ignore[method-assign]

    def summary(self) -> dict[str, Any]:
        scheduled = [max(0.0, w - q) for w, q in zip(self.wall, self.runqueue, strict=True)]  # schedstat is coarse
        worst, p95 = (round(max(self.wall), 4) if self.wall else None), pct(self.wall, 95)
        return {
            "frames": len(self.wall),
            "frame_wall": {**stats(self.wall), "p95": p95},
            "frame_cpu": {**stats(self.cpu), "p95": pct(self.cpu, 95)},
            "frame_runqueue_wait": {**stats(self.runqueue), "p95": pct(self.runqueue, 95)},
            "frame_wall_minus_runqueue": {**stats(scheduled), "p95": pct(scheduled, 95)},
            "frames_with_a_full_gc": len(self.full_gc), "full_gc_frame_wall_max": max(self.full_gc, default=None),
            "frames_over_50ms": sum(1 for f in self.wall if f > FRAME_TARGET),
            "frames_over_50ms_cpu": sum(1 for f in self.cpu if f > FRAME_TARGET),
            "frames_over_50ms_wall_minus_runqueue": sum(1 for f in scheduled if f > FRAME_TARGET),
            "frame_max_vs_50ms": round(worst / FRAME_TARGET, 3) if worst is not None else None,
            "frame_p95_vs_50ms": round(p95 / FRAME_TARGET, 3) if p95 is not None else None,
        }


async def board(record: Any, seconds: float, calls: Calls) -> dict[str, Any]:
    from s3xrep_tui.aws.fleet_inspect import FleetClients
    from s3xrep_tui.tui.app import S3xrepApp
    from s3xrep_tui.tui.fleet_backend import FleetBackend
    from s3xrep_tui.tui.screens.fleet import FleetScreen

    probe, frames = LoopProbe(), Frames()
    frames.install()
    app = S3xrepApp()
    app.animation_level = "none"
    handler: list[float] = []  # the poll handler's cell updates (or rebuild) and totals, main thread
    async with app.run_test(size=(160, 48)) as pilot:
        backend = FleetBackend(app)
        backend.clients = FleetClients(counted(calls))
        screen = FleetScreen(record, backend=backend, poll_seconds=0.5)

        def timed(method: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    if frames.recording:
                        handler.append(time.perf_counter() - started)
            return run

        app.push_screen(screen)
        deadline = time.monotonic() + 120
        while screen.polls == 0:  # bounded: a poll that fails says so on the status line
            if time.monotonic() > deadline:
                return {"error": f"no poll within 120 s: {screen.status}"}
            await pilot.pause(0.05)
        for name in ("_update_cells", "_rebuild", "_paint_totals"):  # what a landed poll runs
            setattr(screen, name, timed(getattr(screen, name)))
        calls.take()
        print("fleet_bench: the board's first poll landed", file=sys.stderr, flush=True)
        probe.recording = frames.recording = True
        probe.start()
        first = screen.polls
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await pilot.pause(0.05)
            await pilot.press("down")  # the cursor moves: frames are drawn while polls land
        probe.recording = frames.recording = False
        polls = screen.polls - first
        shown = screen.table.row_count
    polled = calls.take()
    return {"seconds": seconds, "polls": polls, "rows": len(record.pairs), "rows_shown": shown,
            "calls": sum(polled.values()), "calls_by_operation": dict(sorted(polled.items())), **frames.summary(),
            "poll_handler_wall": {**stats(handler), "p95": pct(handler, 95)}, "loop_lag_wall": stats(probe.lag_wall)}


def ratios(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each size against the smallest of this run: calls and seconds per pair (1.0: linear)."""
    ref = runs[0]
    out: dict[str, Any] = {"reference_pairs": ref["pairs"]}
    for run in runs[1:]:
        n = run["pairs"]
        entry: dict[str, Any] = {"pairs_ratio": round(n / ref["pairs"], 2)}
        for name in ("plan", "apply"):
            entry[f"{name}_calls_ratio"] = round(run[name]["calls"] / ref[name]["calls"], 2)
            entry[f"{name}_calls_per_pair_ratio"] = round(run[name]["calls_per_pair"] / ref[name]["calls_per_pair"], 3)
            entry[f"{name}_seconds_per_pair_ratio"] = round(
                run[name]["seconds_per_pair"] / ref[name]["seconds_per_pair"], 3)
        out[str(n)] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--board-seconds", type=float, default=30.0)
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, Path(args.config))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    before = load()
    root = Path(tempfile.mkdtemp(prefix="s3xrep-fleet-bench-"))
    os.environ["S3XREP_DATA_DIR"] = str(root / "data")
    os.environ["S3XREP_SANDBOX_JOB_DWELL"] = "0"
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(root / "no-credentials")
    from s3xrep_tui.aws.fleet_store import load as load_record

    runs = []
    calls = Calls()
    for n in sizes:
        config = root / f"aws-config-{n}"
        box = SandboxProcess(n, config)
        try:
            os.environ["AWS_CONFIG_FILE"] = str(config)
            run = run_size(n, calls, box)
            fleet = run.pop("fleet")
            runs.append(run)
            if n == sizes[-1]:
                run["board"] = asyncio.run(board(load_record(fleet.id), args.board_seconds, calls))
        finally:
            box.close()
    per_pair_calls = [r["plan"]["calls_per_pair"] + r["apply"]["calls_per_pair"] for r in runs]
    last = runs[-1]
    emit("fleet_bench", {
        "load_before": before, "load_after": load(), "sizes": sizes, "runs": runs,
        "calls_per_pair": per_pair_calls, "ratios_vs_smallest": ratios(runs),
        "linear": max(per_pair_calls) <= 1.25 * min(per_pair_calls),  # flat per pair = linear in pairs
        "plan_ready_in_seconds": all(r["plan"]["seconds"] < PLAN_TARGET_SECONDS for r in runs),
        "plan_app_cpu_in_seconds": all(r["plan"]["app_cpu"] < PLAN_TARGET_SECONDS for r in runs),  # load-proof
        "board_frames_under_50ms": last.get("board", {}).get("frames_over_50ms") == 0,
        "board_frames_under_50ms_cpu": last.get("board", {}).get("frames_over_50ms_cpu") == 0,
    }, args.save)


if __name__ == "__main__":
    main()
