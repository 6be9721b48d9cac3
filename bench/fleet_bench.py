"""Issue 20: a fleet of N pairs planned and applied on the sandbox; AWS calls counted per phase and pair;
the fleet board's frame times while every pair's job is polled.

In one process, for each size in ``--sizes`` (default 10,50,200): ``Sandbox(seed="empty")`` plus
``seed_fleet(count=N)`` (N legacy buckets with a few objects, N platform buckets); the app's own code
plans the fleet (``plan_fleet``: every pair inspected, roles shared per account) and applies it
(``apply_fleet``: journaled, bounded concurrency, one Batch job per source bucket). Every AWS call is
counted by a botocore ``before-call`` hook on each profile's session. The calls per pair should stay flat
as N grows (linear growth). Then, at the largest size, the fleet board runs headless at 160x48, polling
every pair (describe_job + latency) each 0.5 s, and ``Screen._on_timer_update`` (layout, render) is timed:
the target is every frame under 50 ms.

    python bench/fleet_bench.py [--sizes 10,50,200] [--board-seconds 10] [--save]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import LoopProbe, emit, load, stats

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


def run_size(n: int, calls: Calls) -> dict[str, Any]:
    from s3xrep_tui.aws.apply import Backoff
    from s3xrep_tui.aws.fleet_apply import apply_fleet
    from s3xrep_tui.aws.fleet_inspect import FleetClients, plan_fleet
    from s3xrep_tui.core.fleet_pairs import PairsFile, PairSpec
    from s3xrep_tui.core.models import MigrationOptions
    from s3xrep_tui.sandbox.emulator import PROFILES
    from s3xrep_tui.sandbox.seed_fleet import fleet_names, seed_fleet

    seed_fleet(count=n, objects=3)
    print(f"fleet_bench: {n} pairs seeded", file=sys.stderr, flush=True)

    clients = FleetClients(counted(calls))
    pairs = PairsFile(tuple(PairSpec(PROFILES["source"], f"acme-legacy-{name}", PROFILES["destination"],
                                     f"acme-platform-{name}") for name in fleet_names(n)))
    calls.take()
    started, cpu = time.perf_counter(), time.process_time()
    fleet = plan_fleet(pairs, MigrationOptions(), clients)
    plan_seconds, plan_cpu = time.perf_counter() - started, time.process_time() - cpu
    plan_calls = calls.take()
    print(f"fleet_bench: {n} pairs planned in {plan_seconds:.1f}s", file=sys.stderr, flush=True)
    started, cpu = time.perf_counter(), time.process_time()
    result = apply_fleet(fleet, clients, backoff=lambda: Backoff(total=30, first=0.01))
    apply_seconds, apply_cpu = time.perf_counter() - started, time.process_time() - cpu
    apply_calls = calls.take()
    print(f"fleet_bench: {n} pairs applied in {apply_seconds:.1f}s", file=sys.stderr, flush=True)
    return {
        "pairs": n, "blocked": fleet.blocked, "roles": len(fleet.roles), "lanes": len(fleet.lanes()),
        "applied_ok": sum(1 for o in result.outcomes if o.ok),
        "plan": {"seconds": round(plan_seconds, 2), "cpu": round(plan_cpu, 2), "calls": sum(plan_calls.values()),
                 "calls_per_pair": round(sum(plan_calls.values()) / n, 2), "by_operation": dict(plan_calls)},
        "apply": {"seconds": round(apply_seconds, 2), "cpu": round(apply_cpu, 2), "calls": sum(apply_calls.values()),
                  "calls_per_pair": round(sum(apply_calls.values()) / n, 2), "by_operation": dict(apply_calls)},
        "fleet": fleet,
    }


async def board(record: Any, seconds: float, calls: Calls) -> dict[str, Any]:
    from s3xrep_tui.aws.fleet_inspect import FleetClients
    from s3xrep_tui.tui.app import S3xrepApp
    from s3xrep_tui.tui.fleet_backend import FleetBackend
    from s3xrep_tui.tui.screens.fleet import FleetScreen

    probe = LoopProbe()
    probe.install_frame_timer()
    app = S3xrepApp()
    app.animation_level = "none"
    async with app.run_test(size=(160, 48)) as pilot:
        backend = FleetBackend(app)
        backend.clients = FleetClients(counted(calls))
        screen = FleetScreen(record, backend=backend, poll_seconds=0.5)
        app.push_screen(screen)
        deadline = time.monotonic() + 120
        while screen.polls == 0:  # bounded: a poll that fails says so on the status line
            if time.monotonic() > deadline:
                return {"error": f"no poll within 120 s: {screen.status}"}
            await pilot.pause(0.05)
        calls.take()
        print("fleet_bench: the board's first poll landed", file=sys.stderr, flush=True)
        probe.recording = True
        probe.start()
        first = screen.polls
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await pilot.pause(0.05)
            await pilot.press("down")  # the cursor moves: frames are drawn while polls land
        probe.recording = False
        polls = screen.polls - first
    polled = calls.take()
    return {"seconds": seconds, "polls": polls, "rows": len(record.pairs), "calls": sum(polled.values()),
            "calls_by_operation": dict(polled), "frame_wall": stats(probe.frame_wall),
            "frame_cpu": stats(probe.frame_cpu),
            "frames_over_50ms": sum(1 for f in probe.frame_wall if f > FRAME_TARGET)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--board-seconds", type=float, default=10.0)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    before = load()
    root = Path(tempfile.mkdtemp(prefix="s3xrep-fleet-bench-"))
    os.environ["S3XREP_DATA_DIR"] = str(root / "data")
    os.environ["S3XREP_SANDBOX_JOB_DWELL"] = "0"
    from s3xrep_tui.aws.fleet_store import load as load_record
    from s3xrep_tui.sandbox.emulator import Sandbox

    runs, record = [], None
    calls = Calls()
    for n in sizes:
        config = root / f"aws-config-{n}"
        with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as box:
            os.environ["AWS_CONFIG_FILE"] = str(box.config_path)
            os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(root / "no-credentials")
            run = run_size(n, calls)
            fleet = run.pop("fleet")
            runs.append(run)
            if n == sizes[-1]:
                record = load_record(fleet.id)
                run["board"] = asyncio.run(board(record, args.board_seconds, calls))
    per_pair = [r["plan"]["calls_per_pair"] + r["apply"]["calls_per_pair"] for r in runs]
    emit("fleet_bench", {
        "load_before": before, "load_after": load(), "sizes": sizes, "runs": runs,
        "calls_per_pair": per_pair,
        "linear": max(per_pair) <= 1.25 * min(per_pair),  # flat per pair = linear in pairs
        "plan_ready_in_seconds": all(r["plan"]["seconds"] < PLAN_TARGET_SECONDS for r in runs),
        "board_frames_under_50ms": runs[-1].get("board", {}).get("frames_over_50ms") == 0,
    }, args.save)


if __name__ == "__main__":
    main()
