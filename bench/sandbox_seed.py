"""Target 5 (part): the demo sandbox ready (server up, demo world seeded) within 5 s.

Starts ``Sandbox(seed="demo")`` N times in fresh processes (moto's state is
process-global), reporting the sandbox's own ``seed_seconds`` and the wall and
CPU seconds of ``start()`` (imports excluded: they are the app's start-up,
measured by bench/startup.py).

    python bench/sandbox_seed.py [--rounds 5] [--save]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load, stats

CHILD = """
import json, sys, time
from s3xrep_tui.sandbox.emulator import Sandbox
box = Sandbox(seed="demo", config_path=sys.argv[1])
wall, cpu = time.perf_counter(), time.process_time()
box.start()
result = {"start_wall": time.perf_counter() - wall, "start_cpu": time.process_time() - cpu, "seed": box.seed_seconds}
box.stop()
print(json.dumps(result))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    load_before = load()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            out = subprocess.run([sys.executable, "-c", CHILD, str(Path(tmp) / f"config{i}")], capture_output=True,
                                 text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    emit("sandbox_seed", {
        "load": [load_before, load()],
        "start_wall_seconds": stats([r["start_wall"] for r in runs]),
        "start_cpu_seconds_all_threads": stats([r["start_cpu"] for r in runs]),
        "seed_seconds": stats([r["seed"] for r in runs]),
        "target_seconds": 5.0,
        "met": sorted(r["start_wall"] for r in runs)[len(runs) // 2] <= 5.0,
        "batch_job_2000_objects": "bench/batch_job.py (results/batch_job.json)",
    }, args.save)


if __name__ == "__main__":
    main()
