"""Target 1: start-up.

* ``s3xrep --version`` against a bare ``python -c pass`` and ``aws --version``,
  interleaved (the order rotates every round), medians of N rounds, wall and CPU
  (user + system from ``wait4``: what the machine's load does not inflate); the
  budget is 1.5 x python + 0.15 s.
* ``s3xrep --demo`` on a real pseudo-terminal (120x40, the real Textual driver):
  seconds from ``exec`` until the accounts screen is on the terminal (its
  "Starting the embedded AWS sandbox" line), and until the demo profiles are
  listed (the sandbox is up and seeded). Observed from outside, no hook in the
  app. At the paint the main thread's schedstat is read: ``wall - runqueue
  wait`` is the paint time with the CPU to ourselves (the machine is shared).

    python bench/startup.py [--rounds 15] [--paint-rounds 7] [--save]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import VENV_BIN, PtyApp, emit, interleaved, load, stats, timed_run

PYTHON = str(VENV_BIN / "python")
S3XREP = str(VENV_BIN / "s3xrep")
AWS = str(VENV_BIN / "aws")


def first_paint(home: Path, demo: bool) -> dict[str, float | None]:
    env = {"HOME": str(home), "AWS_CONFIG_FILE": str(home / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_DATA_HOME": str(home / "data")}
    argv = [S3XREP, "--log-file", str(home / "s3xrep.log")] + (["--demo"] if demo else [])
    app = PtyApp(argv, env=env)
    got: dict[str, float | None] = {}
    try:
        got["painted"] = app.wait_for("Starting the embedded AWS sandbox" if demo else "Accounts", 30)
        sched = app.main_thread_sched()
        if got["painted"] is not None and sched:
            got["main_thread_cpu"] = sched["cpu"]
            got["runqueue_wait"] = sched["runqueue_wait"]
            got["painted_minus_runqueue_wait"] = got["painted"] - sched["runqueue_wait"]
        if demo:
            got["profiles_listed"] = app.wait_for("s3xrep-demo-destination", 60)
    finally:
        app.close()
    return got


def summary(runs: list[dict[str, float | None]], field: str) -> dict[str, float]:
    return stats([r[field] for r in runs if r.get(field) is not None])  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--paint-rounds", type=int, default=7)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()

    load_before = load()
    runs = interleaved({
        "python -c pass": lambda: timed_run([PYTHON, "-c", "pass"]),
        "s3xrep --version": lambda: timed_run([S3XREP, "--version"]),
        "aws --version": lambda: timed_run([AWS, "--version"]),
    }, args.rounds)
    wall = {name: [w for w, _ in values] for name, values in runs.items()}
    cpu = {name: [c for _, c in values] for name, values in runs.items()}
    version: dict[str, object] = {"load": load_before}
    for label, figures in (("wall", wall), ("cpu", cpu)):
        med = {name: statistics.median(values) for name, values in figures.items()}
        budget = 1.5 * med["python -c pass"] + 0.15
        version[label] = {
            "seconds": {name: stats(values) for name, values in figures.items()},
            "budget_seconds": round(budget, 4),
            "within_budget": med["s3xrep --version"] <= budget,
            "ratio_s3xrep_to_python": round(med["s3xrep --version"] / med["python -c pass"], 2),
            "ratio_aws_to_s3xrep": round(med["aws --version"] / med["s3xrep --version"], 2),
        }
    version["load_after"] = load()

    paint: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for demo in (True, False):
            load_before = load()
            results = []
            for i in range(args.paint_rounds):
                home = Path(tmp) / f"home-{demo}-{i}"
                home.mkdir()
                results.append(first_paint(home, demo))
            fields = ["painted", "painted_minus_runqueue_wait", "main_thread_cpu", "runqueue_wait"]
            if demo:
                fields.append("profiles_listed")
            entry: dict[str, object] = {f"{field}_seconds": summary(results, field) for field in fields}
            entry["failed_runs"] = sum(1 for r in results if r.get("painted") is None)
            entry["load"] = [load_before, load()]
            paint["demo" if demo else "no_demo"] = entry
    demo_entry = paint["demo"]
    paint["target_seconds"] = 1.0
    paint["met_wall"] = demo_entry["painted_seconds"].get("median", 99) <= 1.0  # type: ignore[union-attr]
    paint["met_without_runqueue_wait"] = demo_entry["painted_minus_runqueue_wait_seconds"].get("median", 99) <= 1.0  # type: ignore[union-attr]
    emit("startup", {"version": version, "accounts_first_paint": paint}, args.save)


if __name__ == "__main__":
    main()
