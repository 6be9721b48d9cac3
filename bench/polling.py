"""Target 4: with 20 jobs and the replication panel open, AWS calls per minute and event-loop lag.

This process runs the demo sandbox (moto + our emulation), applies the demo plan
through the app's AWS layer (journaled: the monitor marks that job as ours),
and creates, over the real s3control API, 20 Batch Replication jobs in all:

* terminal: the plan's job and copies run to Complete, jobs whose generated
  manifest finds no keys (Failed, ManifestGenerationNoKeysFound), jobs cancelled
  while awaiting confirmation (Cancelled);
* unchanged: jobs left Suspended, awaiting confirmation;
* active: jobs on a few hundred keys each, the task rate set so that they end
  about ``--active-for`` seconds into the window (then only unchanged jobs are
  left: the jobs poll should back off).

The app runs in a child process on a real pseudo-terminal (120x40, Textual's
real driver), its state set as after Apply, and opens the monitor screen (jobs
table, replication panel, canary panel; the default 5 s interval). For
``--seconds`` from the monitor's mount the child (bench code only) counts every
AWS call the app makes, by service and operation, from botocore's
``before-parameter-build`` event on every client created in the process (HTTP
attempts, retries included, from ``before-send``), attributes job calls by job
id, and measures the event loop with ``_common.LoopProbe`` (lag in wall and
main-thread CPU seconds, frame times, slowest handlers, garbage-collector passes).

Reference: a naive fixed-interval monitor over the same jobs and window, one
DescribeJob per job per interval and the replication sample at its interval
without back-off; the ratio is app calls / naive calls.

    python bench/polling.py [--seconds 120] [--active-for 40] [--save] [--profile DIR]
"""

from __future__ import annotations

import argparse
import copy
import gc
import itertools
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import LoopProbe, PtyApp, emit, load, process_cpu

SOURCE, DESTINATION = "111111111111", "222222222222"
SOURCE_PROFILE, DESTINATION_PROFILE = "s3xrep-demo-source", "s3xrep-demo-destination"
SOURCE_BUCKET, DESTINATION_BUCKET = "acme-legacy-media", "acme-platform-media"
REPORT_BUCKET = "acme-legacy-batch-reports"
ALL_STATUSES = ["NONE", "FAILED", "COMPLETED"]  # copies re-replicate whatever the first job did
# Prefixes of a few hundred keys each in the demo's media bucket: the active jobs' manifests.
ACTIVE_PREFIXES = ("photos/2019/", "photos/2020/", "videos/", "logs/app/2019/", "logs/app/2020/",
                   "photos/2021/", "logs/app/2021/", "photos/2022/")
TERMINAL = ("Complete", "Failed", "Cancelled")
REPLICATION_OPERATIONS = {("s3", "ListObjectVersions"), ("s3", "HeadObject"), ("cloudwatch", "GetMetricData")}


# ---------------------------------------------------------------------------------------- the child (the app)


class CallCounter:
    """Every AWS call of every botocore client created in this process, with its time and job id."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, str, str | None]] = []  # (time, service, operation, job id)
        self.attempts = 0
        self.recording = False

    def install(self) -> None:
        import botocore.session

        original = botocore.session.Session.create_client
        counter = self

        def create_client(session, *args, **kwargs):  # type: ignore[no-untyped-def]
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-parameter-build", counter._on_call)
            client.meta.events.register("before-send", counter._on_send)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    def _on_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.recording:  # list.append is atomic: the status sample's threads call this concurrently
            self.calls.append((time.perf_counter(), model.service_model.service_name, model.name,
                               params.get("JobId")))

    def _on_send(self, **_: Any) -> None:
        if self.recording:
            self.attempts += 1


def child(out: Path, spec_path: Path, seconds: float, profile_dir: str | None) -> None:
    from s3xrep_tui.aws.profiles import ProfileInfo
    from s3xrep_tui.core.models import Account, MigrationOptions, Plan
    from s3xrep_tui.tui.app import S3xrepApp
    from s3xrep_tui.tui.state import Choice, Identity

    spec = json.loads(spec_path.read_text())
    categories: dict[str, str] = spec["categories"]  # job id -> terminal | unchanged | active
    plan = Plan.model_validate_json(spec["plan"])
    options = MigrationOptions.model_validate_json(spec["options"])
    counter = CallCounter()
    counter.install()
    probe = LoopProbe()
    probe.install_frame_timer()
    probe.install_handler_timer()
    probe.install_gc_timer()
    results: dict[str, Any] = {}
    profiler: Any = None
    full_passes: list[tuple[float, float, str]] = []  # (when, CPU seconds, thread) of each full collection
    gc_started: dict[str, float] = {}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2 or not probe.recording:
            return
        if phase == "start":
            gc_started["t"] = time.thread_time()
        elif "t" in gc_started:
            full_passes.append((time.perf_counter(), time.thread_time() - gc_started.pop("t"),
                                threading.current_thread().name))

    gc.callbacks.append(on_gc)

    def choice(profile: str, account: str) -> Choice:
        arn = f"arn:aws:iam::{account}:user/s3xrep-sandbox-admin"
        return Choice(ProfileInfo(profile, "static", "us-east-1"), Identity("resolved", Account(id=account, arn=arn)))

    class BenchApp(S3xrepApp):
        def on_mount(self) -> None:
            nonlocal profiler
            probe.start()
            self.source = choice(SOURCE_PROFILE, SOURCE)
            self.destination = choice(DESTINATION_PROFILE, DESTINATION)
            self.source_bucket, self.destination_bucket = SOURCE_BUCKET, DESTINATION_BUCKET
            self.options = options
            self.plan = plan
            self.marks: dict[str, float] = {}
            self.t0 = time.perf_counter()
            self.cpu0 = time.process_time()
            counter.recording = probe.recording = True
            if profile_dir:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.001, async_mode="disabled")
                profiler.start()
            self.goto("monitor")
            self.set_interval(0.05, self.check)

        def check(self) -> None:
            from s3xrep_tui.tui.screens.monitor import MonitorScreen

            now = time.perf_counter() - self.t0
            screen = self.screen
            if isinstance(screen, MonitorScreen) and screen.is_mounted:
                jobs = screen.table.jobs
                if "all_jobs_on_screen" not in self.marks and len(jobs) >= len(categories):
                    self.marks["all_jobs_on_screen"] = now
                running = [job for job in jobs.values() if not job.terminal and job.status != "Suspended"]
                if "all_jobs_on_screen" in self.marks and not running and "active_jobs_ended" not in self.marks:
                    self.marks["active_jobs_ended"] = now
                if screen.health is not None and "first_replication_sample" not in self.marks:
                    self.marks["first_replication_sample"] = now
            if now < seconds:
                return
            counter.recording = probe.recording = False
            cpu = time.process_time() - self.cpu0
            if profiler is not None:
                profiler.stop()
                Path(profile_dir).mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
                (Path(profile_dir) / "polling.txt").write_text(  # type: ignore[arg-type]
                    profiler.output_text(unicode=False, color=False))
                profiler.last_session.save(str(Path(profile_dir) / "polling.pyisession"))  # type: ignore[arg-type]
            statuses = {}
            if isinstance(screen, MonitorScreen):
                statuses = {job_id: job.status for job_id, job in screen.table.jobs.items()}
            results.update(window_seconds=round(now, 3), process_cpu_seconds=round(cpu, 3),
                           marks={k: round(v, 3) for k, v in self.marks.items()},
                           calls=[(round(t - self.t0, 4), s, o, j) for t, s, o, j in counter.calls],
                           http_attempts=counter.attempts, final_statuses=statuses, loop=probe.summary(),
                           gc_full_passes=[(round(t - self.t0, 2), round(c, 4), name) for t, c, name in full_passes],
                           gc_tracked_objects=len(gc.get_objects()))
            self.exit()

    import s3xrep_tui.tui.screens.monitor  # noqa: F401  (imported before measuring, as after Apply)

    BenchApp().run()
    out.write_text(json.dumps(results))


# ---------------------------------------------------------------------------------------- the world


def wait_status(s3control: Any, job_id: str, wanted: tuple[str, ...], timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = s3control.describe_job(AccountId=SOURCE, JobId=job_id)["Job"]["Status"]
        if status in wanted:
            return status
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job_id} is {status}, not {wanted}, after {timeout}s")
        time.sleep(0.05)


def build_world(box: Any, terminal: int, unchanged: int, active: int, active_for: float) -> dict[str, Any]:
    """The plan applied and ``terminal + unchanged + active`` jobs in their states; returns the spec."""
    from s3xrep_tui.aws.apply import Backoff, apply_plan
    from s3xrep_tui.aws.inspect import gather_inputs
    from s3xrep_tui.core.models import MigrationOptions
    from s3xrep_tui.core.plan import build_plan

    options = MigrationOptions(report_bucket=REPORT_BUCKET)
    clients = {"source": box.clients(SOURCE), "destination": box.clients(DESTINATION)}
    plan = build_plan(gather_inputs(clients["source"], clients["destination"], SOURCE_BUCKET, DESTINATION_BUCKET,
                                    options))
    result = apply_plan(plan, clients, backoff=Backoff(total=0.1, first=0.005), options=options)
    if not result.ok or not result.job_id:
        raise RuntimeError(f"the demo plan did not apply: {result.summary()}")
    s3control = clients["source"]("s3control")
    categories: dict[str, str] = {result.job_id: "terminal"}
    wait_status(s3control, result.job_id, TERMINAL)

    def create(description: str, prefix: str | None, confirm: bool) -> str:
        request = copy.deepcopy(plan.documents["batch_job"])
        generator = request["ManifestGenerator"]["S3JobManifestGenerator"]
        generator["Filter"]["ObjectReplicationStatuses"] = ALL_STATUSES
        if prefix is not None:
            generator["Filter"]["KeyNameConstraint"] = {"MatchAnyPrefix": [prefix]}
        request.update(ClientRequestToken=str(uuid.uuid4()), Description=description, ConfirmationRequired=confirm)
        return s3control.create_job(**request)["JobId"]

    # terminal: a third Complete (the plan's job among them), a third Failed, the rest Cancelled
    kinds = ["Complete", "Failed", "Cancelled"]
    for i in range(1, terminal):
        kind = kinds[i % 3]
        if kind == "Complete":
            job_id = create(f"bench complete {i}", "videos/2019/", False)
            wait_status(s3control, job_id, TERMINAL)
        elif kind == "Failed":
            job_id = create(f"bench failed {i}", "no-such-prefix/", False)  # ManifestGenerationNoKeysFound
            wait_status(s3control, job_id, TERMINAL)
        else:
            job_id = create(f"bench cancelled {i}", "docs/", True)
            wait_status(s3control, job_id, ("Suspended",))
            s3control.update_job_status(AccountId=SOURCE, JobId=job_id, RequestedJobStatus="Cancelled")
            wait_status(s3control, job_id, TERMINAL)
        categories[job_id] = "terminal"
    for i in range(unchanged):
        job_id = create(f"bench awaiting {i}", "docs/", True)
        wait_status(s3control, job_id, ("Suspended",))
        categories[job_id] = "unchanged"
    # active: the rate chosen so that the median job ends ``active_for`` seconds after it starts
    from s3xrep_tui.sandbox.batch_manifest import generate

    sizes = [len(generate(box.engine, SOURCE_BUCKET, {"KeyNameConstraint": {"MatchAnyPrefix": [p]}}))
             for p in ACTIVE_PREFIXES[:active]]
    if active:
        box.batch.task_rate = max(0.5, sorted(sizes)[len(sizes) // 2] / active_for)
    for i in range(active):
        job_id = create(f"bench active {i}", ACTIVE_PREFIXES[i % len(ACTIVE_PREFIXES)], False)
        categories[job_id] = "active"
    states = {job["JobId"]: job["Status"] for job in box.batch.jobs()}
    return {"plan": plan.model_dump_json(), "options": options.model_dump_json(), "categories": categories,
            "statuses_at_start": {job_id: states.get(job_id) for job_id in categories},
            "active_tasks": sizes, "task_rate": box.batch.task_rate}


# ---------------------------------------------------------------------------------------- the figures


def per_minute(count: int, seconds: float) -> float:
    return round(count * 60.0 / seconds, 2) if seconds > 0 else 0.0


def intervals(times: list[float]) -> list[float]:
    return [round(b - a, 2) for a, b in itertools.pairwise(times)]


def analyse(run: dict[str, Any], spec: dict[str, Any], interval: float, replication_interval: float,
            sample_size: int) -> dict[str, Any]:
    window = run["window_seconds"]
    categories: dict[str, str] = spec["categories"]
    calls = run["calls"]
    by_operation: dict[str, int] = {}
    by_category: dict[str, int] = {"listing": 0, "terminal": 0, "unchanged": 0, "active": 0, "replication": 0,
                                   "other": 0}
    describes: dict[str, list[float]] = {}
    for t, service, operation, job_id in calls:
        name = f"{service}.{operation}"
        by_operation[name] = by_operation.get(name, 0) + 1
        if service == "s3control" and operation == "ListJobs":
            by_category["listing"] += 1
        elif job_id is not None:
            by_category[categories.get(job_id, "other")] += 1
            describes.setdefault(job_id, []).append(t)
        elif (service, operation) in REPLICATION_OPERATIONS:
            by_category["replication"] += 1
        else:
            by_category["other"] += 1
    timeline: dict[int, dict[str, int]] = {}  # calls per 10 s slice, by category
    for t, service, operation, job_id in calls:
        if service == "s3control" and operation == "ListJobs":
            kind = "listing"
        elif job_id is not None:
            kind = categories.get(job_id, "other")
        else:
            kind = "replication" if (service, operation) in REPLICATION_OPERATIONS else "other"
        slot = timeline.setdefault(int(t // 10) * 10, {})
        slot[kind] = slot.get(kind, 0) + 1
    listings = [t for t, s, o, _ in calls if (s, o) == ("s3control", "ListJobs")]
    samples = [t for t, s, o, _ in calls if (s, o) == ("s3", "ListObjectVersions")]
    ended = run["marks"].get("active_jobs_ended")
    first_listing = listings[0] if listings else None
    terminal_after_first = sum(1 for job_id, times in describes.items() if categories.get(job_id) == "terminal"
                               for t in times if first_listing is not None and t > first_listing + 1.0)
    jobs = len(categories)
    naive = {
        "jobs": round(jobs * window / interval),  # one DescribeJob per job per interval
        "replication": round((sample_size + 2) * window / replication_interval),  # list + HEADs + metrics
    }
    app_jobs = by_category["listing"] + by_category["terminal"] + by_category["unchanged"] + by_category["active"]
    return {
        "window_seconds": window,
        "calls": len(calls),
        "http_attempts": run["http_attempts"],
        "calls_per_minute": per_minute(len(calls), window),
        "calls_per_minute_by_operation": {k: per_minute(v, window) for k, v in sorted(by_operation.items())},
        "calls_by_operation": dict(sorted(by_operation.items())),
        "calls_by_category": by_category,
        "other_calls_are": "sts.GetCallerIdentity of the accounts screen (the app's first screen, under the "
                           "monitor) resolving the profiles at start-up",
        "calls_per_minute_by_category": {k: per_minute(v, window) for k, v in by_category.items()},
        "terminal_job_calls_after_first_listing": terminal_after_first,
        "describes_per_job": {categories.get(j, "other") + ":" + j[:8]: len(t) for j, t in sorted(describes.items())},
        "jobs_poll": {
            "listings": len(listings),
            "intervals_seconds": intervals(listings),
            "while_active": intervals([t for t in listings if ended is None or t <= ended]),
            "after_active_jobs_ended": intervals([t for t in listings if ended is not None and t >= ended]),
            "backs_off": bool(ended is not None and len(intervals([t for t in listings if t >= ended])) >= 2
                              and intervals([t for t in listings if t >= ended])[-1]
                              > intervals([t for t in listings if t >= ended])[0]),
        },
        "calls_per_10s_slice": {f"{k:g}s": v for k, v in sorted(timeline.items())},
        "replication_poll": {
            "samples": len(samples),
            "intervals_seconds": intervals(samples),
            "calls_per_sample": round(by_category["replication"] / len(samples), 1) if samples else None,
        },
        "naive_reference": {
            "what": f"DescribeJob for each of the {jobs} jobs every {interval:g}s; the replication sample "
                    f"({sample_size} HEADs + 1 listing + 1 metrics read) every {replication_interval:g}s, no back-off",
            "calls": naive,
            "calls_per_minute": {k: per_minute(v, window) for k, v in naive.items()},
            "ratio_app_over_naive": {
                "jobs": round(app_jobs / naive["jobs"], 3) if naive["jobs"] else None,
                "replication": round(by_category["replication"] / naive["replication"], 3)
                if naive["replication"] else None,
                "all": round(len(calls) / sum(naive.values()), 3),
            },
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120.0, help="the measured window (from the monitor's mount)")
    parser.add_argument("--active-for", type=float, default=40.0,
                        help="seconds the active jobs run (about): then only unchanged jobs are left")
    parser.add_argument("--terminal", type=int, default=8)
    parser.add_argument("--unchanged", type=int, default=6)
    parser.add_argument("--active", type=int, default=6)
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--profile", metavar="DIR", help="write a pyinstrument profile of the main thread to DIR")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), Path(args.spec), args.seconds, args.profile)
        return

    from s3xrep_tui.sandbox.emulator import Sandbox
    from s3xrep_tui.tui.screens.monitor import (
        DEFAULT_INTERVAL,
        REPLICATION_MIN_INTERVAL,
        MonitorBackend,
    )

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["S3XREP_DATA_DIR"] = str(Path(tmp) / "data")  # the apply journal: the child reads it too
        box = Sandbox(seed="demo", config_path=Path(tmp) / "aws-config").start()
        try:
            started = time.perf_counter()
            spec = build_world(box, args.terminal, args.unchanged, args.active, args.active_for)
            setup_seconds = time.perf_counter() - started
            spec_path = Path(tmp) / "spec.json"
            spec_path.write_text(json.dumps(spec))
            out = Path(tmp) / "result.json"
            load_before = load()
            sandbox_cpu = time.process_time()
            app = PtyApp([sys.executable, __file__, "--child", str(out), "--spec", str(spec_path),
                          "--seconds", str(args.seconds)]
                         + (["--profile", str(Path(args.profile).resolve())] if args.profile else []),
                         env={"AWS_CONFIG_FILE": str(box.config_path),
                              "AWS_SHARED_CREDENTIALS_FILE": str(Path(tmp) / "none")})
            cpu_seen = 0.0
            while app.proc.poll() is None and time.perf_counter() - app.started < args.seconds + 120:
                app.read(0.05)
                try:
                    cpu_seen = process_cpu(app.proc.pid)
                except OSError:
                    pass
            code = app.close()
            sandbox_cpu = time.process_time() - sandbox_cpu
            load_after = load()
            if not out.exists():
                sys.exit(f"the child failed (exit {code}):\n" + bytes(app.output[-3000:]).decode("utf-8", "replace"))
            run = json.loads(out.read_text())
            final_jobs = {job["JobId"]: job["Status"] for job in box.batch.jobs()}
        finally:
            box.stop()
    figures = analyse(run, spec, DEFAULT_INTERVAL, REPLICATION_MIN_INTERVAL, MonitorBackend.sample_size)
    loop = run["loop"]
    p99_wall, p99_cpu = loop["loop_lag_wall_seconds"].get("p99"), loop["loop_busy_cpu_seconds"].get("p99")
    counts = {k: sum(1 for c in spec["categories"].values() if c == k) for k in ("terminal", "unchanged", "active")}
    emit("polling", {
        "jobs": len(spec["categories"]),
        "mix": counts,
        "statuses_at_start": sorted(spec["statuses_at_start"].values()),
        "statuses_at_end": sorted(final_jobs.get(j, "?") for j in spec["categories"]),
        "active_job_tasks": spec["active_tasks"],
        "sandbox_task_rate_per_job": round(spec["task_rate"], 2),
        "setup_seconds": round(setup_seconds, 1),
        "interval_seconds": {"jobs": DEFAULT_INTERVAL, "replication": REPLICATION_MIN_INTERVAL},
        "target": "loop lag p99 under 50 ms; terminal jobs cost no call; unchanged jobs back off",
        "met_wall": p99_wall is not None and p99_wall < 0.05,
        "met_cpu": p99_cpu is not None and p99_cpu < 0.05,
        "terminal_jobs_cost_nothing": figures["terminal_job_calls_after_first_listing"] == 0,
        "unchanged_jobs_back_off": figures["jobs_poll"]["backs_off"],
        "load": [load_before, load_after],
        "app_process_cpu_seconds": run["process_cpu_seconds"],
        "app_process_cpu_seconds_by_proc": round(cpu_seen, 2),
        "sandbox_cpu_seconds": round(sandbox_cpu, 2),
        "marks_seconds": run["marks"],
        **figures,
        "loop": loop,
        "gc_full_passes_when_cpu_thread": run["gc_full_passes"],
        "gc_tracked_objects_at_end": run["gc_tracked_objects"],
        "headline": {"calls_per_minute": figures["calls_per_minute"],
                     "by_category_per_minute": figures["calls_per_minute_by_category"],
                     "lag_p99_wall": p99_wall, "lag_p99_cpu": p99_cpu,
                     "ratio_app_over_naive": figures["naive_reference"]["ratio_app_over_naive"]["all"]},
        "note": "wall = what a user saw on this (loaded) machine; cpu = the main thread's own work; "
                "the sandbox runs in the parent process, the app alone in the child",
    }, args.save)


if __name__ == "__main__":
    main()
