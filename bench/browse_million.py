"""Target 2b: a prefix with 1,000,000 keys opens its first page within 0.5 s of the first response,
and memory stays flat while paging through it.

A sandbox process (this script with ``--serve``) seeds, through moto's backend
(``put_object``, small bodies: moto keeps a real FakeKey per key), a bucket whose
prefix ``million/`` holds N keys, warms the sandbox's sorted listing index (what
the first listing of the bucket would do), then serves ListObjectsV2 over HTTP
as usual. The app runs in a child process on a real pseudo-terminal (120x40,
Textual's real driver), on the prefix browser of that bucket, through its
normal boto3-over-HTTP path. Nothing of the app is bypassed: the child only
adds bench hooks (botocore events on the app's own S3 client, a frame timer).

* open: the browser shows ``million/``; Enter is sent on the pty. Measured: the
  request, the first response's bytes arriving (botocore ``before-parse`` on
  the app's client), the first frame painted after the rows were added
  (in the child), and the first key seen on the terminal (by this process,
  same monotonic clock). Headline: first response -> first key on the terminal.
* paging: PageDown held down (``--rate`` presses a second, like key repeat):
  the cursor walks each page, and PageDown on the "more…" row lists the next
  one, until ``--page-keys`` keys have been shown. The child's RSS is sampled
  from /proc twice a second; the child counts gc-tracked objects and the
  table's rows every 50 pages (not recorded as lag); event-loop lag and frames
  with ``LoopProbe``. The RSS slope (MB per 100,000 keys paged) is a least
  squares fit after the first 10% of the pages.
* reference: ``aws s3api list-objects-v2 --max-items <page size>`` on the same
  prefix (wall and CPU from launch to exit: a user's time to a first page with
  the CLI), rounds before and after the app run; compared with the app's
  Enter -> first key on the terminal.

    python bench/browse_million.py [--keys 1000000] [--page-keys 100000] [--save]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: I001 (after the sys.path line)
    VENV_BIN, LoopProbe, PtyApp, emit, load, main_thread_sched, plain, stats, timed_run,
)

SOURCE, DESTINATION = "111111111111", "222222222222"
SOURCE_PROFILE, DESTINATION_PROFILE = "s3xrep-demo-source", "s3xrep-demo-destination"
BUCKET, PREFIX = "bench-browse-million", "million/"
PAGE_SIZE = 200  # the browser's LEVEL_PAGE_SIZE (checked in the child)
PAGE_DOWN, ENTER, QUIT = b"\x1b[6~", b"\r", b"\x11"


def key_name(i: int) -> str:
    return f"{PREFIX}obj-{i:07d}.json"


# -- the sandbox process ----------------------------------------------------------------------------


def serve(keys: int, config: Path) -> None:
    """Start a sandbox, seed it, print the endpoint and the seed figures, run until stdin closes."""
    import gc

    from moto.s3.models import s3_backends

    from s3xrep_tui.sandbox.emulator import Sandbox
    from s3xrep_tui.sandbox.listing import sorted_names

    box = Sandbox(seed="empty", config_path=config).start()
    backend = s3_backends[SOURCE]["aws"]
    bucket = backend.create_bucket(BUCKET, "us-east-1")
    backend.put_object(BUCKET, "aaa-first.txt", b"a", disable_notification=True)  # a root with more than one row
    backend.put_object(BUCKET, "zzz/last.txt", b"z", disable_notification=True)
    rss_before = _rss_mb(os.getpid())
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(keys):
        backend.put_object(BUCKET, key_name(i), b"x" * (i % 97 + 1), disable_notification=True)
    seeded, seed_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    sorted_names(bucket.keys)  # the index the bucket's first listing builds (sorting a million names)
    indexed = time.perf_counter() - started
    gc.freeze()  # the sandbox is not the subject: keep its collector off a million FakeKeys
    print(json.dumps({"endpoint": box.endpoint_url, "seed_seconds": round(seeded, 2),
                      "seed_cpu_seconds": round(seed_cpu, 2), "index_seconds": round(indexed, 2),
                      "sandbox_rss_mb": round(_rss_mb(os.getpid())), "seed_rss_mb": round(_rss_mb(os.getpid()) - rss_before)}),
          flush=True)
    sys.stdin.read()
    box.stop()


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# -- the app process ----------------------------------------------------------------------------


def child(out: Path, status: Path) -> None:
    import gc
    import threading

    from textual.screen import Screen

    from s3xrep_tui.aws.browse import LEVEL_PAGE_SIZE
    from s3xrep_tui.aws.profiles import ProfileInfo
    from s3xrep_tui.core.models import Account
    from s3xrep_tui.tui.app import S3xrepApp
    from s3xrep_tui.tui.screens.browser import BrowserScreen
    from s3xrep_tui.tui.state import Choice, Identity

    assert LEVEL_PAGE_SIZE == PAGE_SIZE, "the benchmark's page arithmetic assumes the browser's page size"
    from array import array

    probe = LoopProbe()

    def fresh_samples() -> None:  # 8 bytes a sample (a list of floats is 32): the bench's own memory stays small
        probe.lag_wall, probe.lag_cpu, probe.frame_wall, probe.frame_cpu = (array("d") for _ in range(4))

    fresh_samples()
    probe.install_frame_timer()
    probe.install_handler_timer()
    probe.install_gc_timer()
    pid = os.getpid()
    calls: list[dict[str, Any]] = []  # ListObjectsV2 calls (request, bytes arrived, parsed): the first two and the last
    counted = {"calls": 0}
    painted: dict[str, Any] = {"pending": None}
    results: dict[str, Any] = {}
    log = status.open("a", buffering=1)

    def say(**fields: Any) -> None:
        log.write(json.dumps(fields) + "\n")

    def provide_params(params: dict[str, Any], **_: Any) -> None:  # the call's start, with its API parameters
        if len(calls) > 2:
            calls.pop()
        counted["calls"] += 1
        calls.append({"prefix": params.get("Prefix"), "thread": threading.get_ident(), "t_request": time.perf_counter()})

    def before_parse(**_: Any) -> None:
        call = calls[-1]
        call["t_response"] = time.perf_counter()
        call["main_sched"] = main_thread_sched(pid)  # the main thread's CPU and run-queue wait so far

    def after_call(**_: Any) -> None:
        calls[-1]["t_parsed"] = time.perf_counter()

    original_paint_rows = BrowserScreen._paint_rows

    def paint_rows(screen: BrowserScreen, cursor_on: str | None = None) -> None:
        original_paint_rows(screen, cursor_on)
        window = screen.window
        painted["pending"] = {"t_rows": time.perf_counter(), "prefix": screen.prefix,
                              "page": window.first + len(window.pages) - 1, "rows": screen.table.row_count,
                              "pages_in_memory": len(window.pages)}

    BrowserScreen._paint_rows = paint_rows  # type: ignore[method-assign]
    original_frame = Screen._on_timer_update

    def frame(screen: Screen) -> None:
        original_frame(screen)
        mark = painted["pending"]
        if mark is None or not isinstance(screen, BrowserScreen):
            return
        painted["pending"] = None
        mark["t_paint"] = time.perf_counter()
        mark["main_sched"] = main_thread_sched(pid)
        call = calls[-1] if calls else {}
        mark["t_response"] = call.get("t_response")
        mark["t_request"] = call.get("t_request")
        mark["response_main_sched"] = call.get("main_sched")
        if mark["prefix"] == PREFIX and mark["page"] % 50 == 0:
            recording, probe.recording = probe.recording, False
            started = time.perf_counter()
            mark["gc_objects"] = len(gc.get_objects())
            mark["gc_count_seconds"] = round(time.perf_counter() - started, 4)
            mark["gc_frozen"] = gc.get_freeze_count()
            mark["starts_kept"] = len(screen.window.starts or [])
            mark["probe_samples"] = len(probe.lag_wall) + len(probe.frame_wall)
            probe.recording = recording
        say(event="painted", **mark)

    Screen._on_timer_update = frame  # type: ignore[method-assign]

    def choice(profile: str, account: str) -> Choice:
        arn = f"arn:aws:iam::{account}:user/s3xrep-sandbox-admin"
        return Choice(ProfileInfo(profile, "static", "us-east-1"), Identity("resolved", Account(id=account, arn=arn)))

    class BenchApp(S3xrepApp):
        def on_mount(self) -> None:
            self.source = choice(SOURCE_PROFILE, SOURCE)
            self.destination = choice(DESTINATION_PROFILE, DESTINATION)
            s3 = self.clients("source")("s3", "us-east-1")  # the client the browser uses (cached per profile)
            s3.meta.events.register("provide-client-params.s3.ListObjectsV2", provide_params)
            s3.meta.events.register("before-parse.s3.ListObjectsV2", before_parse)
            s3.meta.events.register("after-call.s3.ListObjectsV2", after_call)
            probe.start()
            self.quiet = 0
            self.waiting = self.set_interval(0.1, self.open_browser)
            self.set_interval(0.25, self.command)

        def open_browser(self) -> None:
            """Once the accounts screen has resolved every profile (STS, in workers), as it has in the real flow."""
            self.quiet = 0 if any(not w.is_finished for w in self.workers) else self.quiet + 1
            if self.quiet >= 3:
                self.waiting.stop()
                self.push_screen(BrowserScreen("source", BUCKET, "us-east-1", SOURCE))

        def command(self) -> None:
            """The parent asks for probe phases through files (start/stop recording)."""
            for name in ("record-open", "record-paging", "stop"):
                flag = status.with_name(name)
                if flag.exists():
                    flag.unlink()
                    if results.get("_phase"):
                        results[results["_phase"]] = probe.summary()
                    probe.recording = False
                    fresh_samples()
                    probe.handlers.clear()
                    probe.gc_passes.clear()
                    if name != "stop":
                        results["_phase"] = name.removeprefix("record-")
                        probe.recording = True
                    else:
                        results.pop("_phase", None)
                    say(event="ack", what=name)

    BenchApp().run()
    results["calls"] = calls
    results["list_calls"] = counted["calls"]
    out.write_text(json.dumps(results, default=str))


# -- the parent ------------------------------------------------------------------------------------


class Status:
    """The child's event lines, read as they are written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.events: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        try:
            with self.path.open() as f:
                f.seek(self.offset)
                text = f.read()
        except FileNotFoundError:
            return []
        complete = text[: text.rfind("\n") + 1]
        self.offset += len(complete.encode())
        fresh = [json.loads(line) for line in complete.splitlines() if line.strip()]
        self.events.extend(fresh)
        return fresh


def _ask(app: PtyApp, status: Status, flag: Path) -> None:
    flag.touch()
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        app.read(0.01)
        if any(e.get("event") == "ack" and e.get("what") == flag.name for e in status.poll() + status.events):
            return
    raise RuntimeError(f"the child did not acknowledge {flag.name}")


def _seen(app: PtyApp, text: str, since: int) -> bool:
    return text in plain(bytes(app.output[since:]))


def _slope(points: list[tuple[float, float]]) -> float | None:
    """Least squares slope of y over x (None with fewer than 3 points)."""
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


def run_app(tmp: Path, env: dict[str, str], pages: int, rate: float) -> dict[str, Any]:
    out, status_path = tmp / "child.json", tmp / "child-status.jsonl"
    status = Status(status_path)
    app = PtyApp([sys.executable, __file__, "--child", str(out), "--status", str(status_path)], env=env)
    result: dict[str, Any] = {}
    try:
        # the bucket's root: million/ (highlighted: folders come first), zzz/, aaa-first.txt
        if app.wait_for("million/", 60) is None:
            raise RuntimeError("the browser never showed the bucket's root")
        time.sleep(0.3)  # let the root settle (its paint events are not the subject)
        _ask(app, status, tmp / "record-open")
        mark = len(app.output)
        t_enter = time.perf_counter()
        app.send(ENTER)
        first_key = key_name(0).removeprefix(PREFIX)
        t_seen = None
        deadline = t_enter + 60
        while time.perf_counter() < deadline:
            app.read(0.002)
            if _seen(app, first_key, mark):
                t_seen = time.perf_counter()
                break
        if t_seen is None:
            raise RuntimeError("the first page of million/ never appeared")
        time.sleep(0.5)
        status.poll()
        _ask(app, status, tmp / "record-paging")
        # paging: PageDown held until the child has painted page ``pages`` (its events say which page is
        # painted: searching the terminal for each page's first key would miss one whenever we lag behind)
        rss: list[tuple[int, float, float]] = []  # (pages painted, seconds, RSS MB)
        paging_started = time.perf_counter()
        cpu_started = _cpu(app.proc.pid)
        next_key = next_sample = paging_started
        page = 0
        deadline = paging_started + max(600.0, pages * 2.0)
        while page < pages and time.perf_counter() < deadline:
            now = time.perf_counter()
            if now >= next_key:
                app.send(PAGE_DOWN)
                next_key = now + 1 / rate
            if now >= next_sample:
                rss.append((page, round(now - paging_started, 3), round(_rss_mb(app.proc.pid), 1)))
                next_sample = now + 0.5
            app.read(0.003)
            if len(app.output) > 1_000_000:  # drained; nothing more is searched in it
                del app.output[:]
            for event in status.poll():
                if event.get("event") == "painted" and event.get("prefix") == PREFIX:
                    page = max(page, event["page"])
        paging_seconds = time.perf_counter() - paging_started
        paging_cpu = _cpu(app.proc.pid) - cpu_started
        rss.append((page, round(paging_seconds, 3), round(_rss_mb(app.proc.pid), 1)))
        _ask(app, status, tmp / "stop")
        result = {"t_enter": t_enter, "t_first_key_on_terminal": t_seen, "pages_reached": page,
                  "paging_seconds": round(paging_seconds, 2), "paging_cpu_seconds": round(paging_cpu, 2),
                  "rss_samples": rss}
    finally:
        code = app.close(QUIT)
    status.poll()
    if not out.exists():
        sys.exit(f"the child failed (exit {code}):\n" + bytes(app.output[-3000:]).decode("utf-8", "replace"))
    result["child"] = json.loads(out.read_text())
    result["events"] = status.events
    return result


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summarise(run: dict[str, Any], keys: int) -> dict[str, Any]:
    calls = [c for c in run["child"]["calls"] if c["prefix"] == PREFIX]
    painted = [e for e in run["events"] if e.get("event") == "painted" and e.get("prefix") == PREFIX]
    first_call, first_paint = calls[0], painted[0]
    response = first_call["t_response"]
    sched_at_response = first_call.get("main_sched") or {}
    sched_at_paint = first_paint.get("main_sched") or {}
    open_figures = {
        "seconds_first_response_to_first_key_on_terminal": round(run["t_first_key_on_terminal"] - response, 4),
        "seconds_first_response_to_painted_frame_end": round(first_paint["t_paint"] - response, 4),
        "seconds_first_response_to_parsed": round(first_call["t_parsed"] - response, 4),
        "seconds_first_response_to_rows_added": round(first_paint["t_rows"] - response, 4),
        "main_thread_cpu_seconds_response_to_paint": round(sched_at_paint.get("cpu", 0) - sched_at_response.get("cpu", 0), 4),
        "main_thread_runqueue_wait_seconds_response_to_paint": round(
            sched_at_paint.get("runqueue_wait", 0) - sched_at_response.get("runqueue_wait", 0), 4),
        "seconds_request_to_first_response": round(response - first_call["t_request"], 4),
        "seconds_enter_to_first_key_on_terminal": round(run["t_first_key_on_terminal"] - run["t_enter"], 4),
        "rows_in_first_page": first_paint["rows"],
        **{k: v for k, v in (run["child"].get("open") or {}).items() if k in ("frames", "loop_lag_wall_seconds")},
    }
    # every later page: response -> painted frame end, and painted -> painted (the child's clock)
    later = [e for e in painted[1:] if e["page"] >= 1]
    per_page = [e["t_paint"] - e["t_response"] for e in later if e.get("t_response")]
    firsts: dict[int, float] = {}
    for e in later:
        firsts.setdefault(e["page"], e["t_paint"])
    ordered = [firsts[p] for p in sorted(firsts)]
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    pages = run["pages_reached"]
    rss = run["rss_samples"]
    settled = [(p * PAGE_SIZE, mb) for p, _, mb in rss if p >= max(1, pages // 10)]
    slope = _slope(settled)
    gc_points = [(e["page"] * PAGE_SIZE, e["gc_objects"]) for e in painted if "gc_objects" in e]
    gc_slope = _slope([p for p in gc_points if p[0] >= max(1, pages // 10) * PAGE_SIZE])
    paging = run["child"].get("paging") or {}
    return {
        "open": open_figures,
        "paging": {
            "keys_paged": pages * PAGE_SIZE,
            "pages": pages,
            "seconds": run["paging_seconds"],
            "app_cpu_seconds": run["paging_cpu_seconds"],
            "keys_per_second": round(pages * PAGE_SIZE / run["paging_seconds"], 1) if run["paging_seconds"] else None,
            "seconds_between_pages_painted": stats(gaps, 3),
            "seconds_response_to_painted_per_page": stats(per_page, 4),
            "rows_in_table_max": max(e["rows"] for e in painted),
            "pages_in_memory_max": max(e["pages_in_memory"] for e in painted),
            "rss_mb_first_last_max": [rss[0][2], rss[-1][2], max(r[2] for r in rss)],
            "rss_mb_per_100k_keys_after_first_10pct": round(slope * 100_000, 3) if slope is not None else None,
            "rss_samples_every_10th": rss[::10] + ([rss[-1]] if (len(rss) - 1) % 10 else []),
            "gc_objects_per_100k_keys_after_first_10pct": round(gc_slope * 100_000, 1) if gc_slope is not None else None,
            "checkpoints_every_50_pages": [{k: e.get(k) for k in ("page", "gc_objects", "gc_frozen", "starts_kept",
                                                                  "probe_samples", "rows")}
                                           for e in painted if "gc_objects" in e],
            **paging,
        },
        "list_calls": run["child"].get("list_calls"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys under the prefix")
    parser.add_argument("--page-keys", type=int, default=100_000, help="keys to page through (PageDown held)")
    parser.add_argument("--rate", type=float, default=30.0, help="PageDown presses a second (key repeat)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the CLI reference before and after")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--name", default="browse_million", help="results file name")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--status", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, Path(args.config))
        return
    if args.child:
        child(Path(args.child), Path(args.status))
        return

    pages = min(args.page_keys, args.keys) // PAGE_SIZE - 1
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        config = tmp / "aws-config"
        load_start = load()
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(args.keys), "--config", str(config)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(server.stdout.readline())  # type: ignore[union-attr]
            env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "none"),
                   "HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data"), "XDG_STATE_HOME": str(tmp / "state"),
                   "XDG_CACHE_HOME": str(tmp / "cache")}
            cli = [str(VENV_BIN / "aws"), "s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", PREFIX,
                   "--delimiter", "/", "--max-items", str(PAGE_SIZE), "--page-size", str(PAGE_SIZE),
                   "--profile", SOURCE_PROFILE]
            cli_env = dict(os.environ, **env)
            cli_runs = [timed_run(cli, cli_env) for _ in range(args.rounds)]
            load_before = load()
            run = run_app(tmp, env, pages, args.rate)
            load_after = load()
            cli_runs += [timed_run(cli, cli_env) for _ in range(args.rounds)]
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=120)
    try:
        figures = summarise(run, args.keys)
    except Exception:  # noqa: BLE001 (keep the raw run of a long benchmark for a look)
        (RESULTS_TMP := Path(tempfile.gettempdir()) / "browse_million_run.json").write_text(json.dumps(run, default=str))
        sys.exit(f"summarising failed; the raw run is in {RESULTS_TMP}")
    cli_wall = statistics.median(w for w, _ in cli_runs)
    app_open = figures["open"]["seconds_enter_to_first_key_on_terminal"]
    first = figures["open"]["seconds_first_response_to_first_key_on_terminal"]
    rss_slope = figures["paging"]["rss_mb_per_100k_keys_after_first_10pct"]
    emit(args.name, {
        "keys_under_prefix": args.keys,
        "page_size": PAGE_SIZE,
        "sandbox": ready,
        "load": {"at_start": load_start, "before_app": load_before, "after_app": load_after, "end": load()},
        "target": "first page within 0.5 s of the first response; memory flat while paging",
        "met_first_page": first < 0.5,
        "met_memory_flat": rss_slope is not None and abs(rss_slope) < 5.0,
        "headline": {"seconds_first_response_to_first_page_on_terminal": first,
                     "rss_mb_per_100k_keys_paged": rss_slope,
                     "loop_lag_wall_p99_paging": (figures["paging"].get("loop_lag_wall_seconds") or {}).get("p99"),
                     "keys_paged": figures["paging"]["keys_paged"]},
        **figures,
        "reference": {
            "command": " ".join(cli[1:]),
            "wall_seconds": stats([w for w, _ in cli_runs], 3),
            "cpu_seconds": stats([c for _, c in cli_runs], 3),
            "ratio_cli_wall_to_app_enter_to_first_page": round(cli_wall / app_open, 2) if app_open else None,
            "note": "the CLI's time is launch to exit (a user's time to a first page with it); the app's is Enter "
                    "to the first key on the terminal, the app already running",
        },
        "note": "memory is 'flat' when the RSS slope after the first 10% of the pages is under 5 MB per 100,000 keys",
    }, args.save)


if __name__ == "__main__":
    main()
