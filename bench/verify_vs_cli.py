"""Target 3: verify N versions per side against ``aws s3 sync --dryrun`` on the same sandbox, same run.

A sandbox process (this script with ``--serve``) seeds, through moto's backend,
a versioned source bucket (account 111111111111) with N objects spread over 16
prefixes and a destination bucket (222222222222) holding a replica of each (same
version id, size, ETag and time, as replication writes it). Then, interleaved
round by round (the order alternating), each a separate process:

* ``s3xrep verify --json`` (both version listings, merge-joined), and
* ``aws s3 sync s3://source s3://destination --dryrun`` (lists both sides too);

medians of wall and CPU seconds, the ratio CLI / s3xrep, peak RSS of each
(``wait4``). The verify JSON of every run must be identical (apart from the
elapsed seconds) to a single-stream run (``S3XREP_VERIFY_PARTITIONS=1``).

    python bench/verify_vs_cli.py [--versions 100000] [--rounds 3] [--save]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import VENV_BIN, emit, load, seed_replicated, stats

SOURCE, DESTINATION = "111111111111", "222222222222"
SRC_BUCKET, DST_BUCKET = "bench-verify-source", "bench-verify-replica"
PREFIXES = 16


def serve(versions: int, config: Path) -> None:
    """Start a sandbox, seed it, print the endpoint, run until stdin closes."""
    from s3xrep_tui.sandbox.emulator import Sandbox

    box = Sandbox(seed="empty", config_path=config).start()
    started = time.perf_counter()
    seed_replicated(SOURCE, SRC_BUCKET, DESTINATION, DST_BUCKET, versions, PREFIXES)
    print(json.dumps({"endpoint": box.endpoint_url, "seed_seconds": round(time.perf_counter() - started, 2)}),
          flush=True)
    sys.stdin.read()
    box.stop()


def timed(argv: list[str], env: dict[str, str]) -> dict[str, object]:
    """Wall, CPU (user+sys) and peak RSS of one run (wait4), plus its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
            "code": os.waitstatus_to_exitcode(status), "output": text}


def normalised(output: str) -> dict:
    data = json.loads(output)
    data.pop("seconds", None)
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--name", default=None, help="results file name (default verify_vs_cli_<versions>)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, Path(args.config))
        return

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "aws-config"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(args.versions), "--config", str(config)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(server.stdout.readline())  # type: ignore[union-attr]
            env = dict(os.environ, AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(Path(tmp) / "none"),
                       HOME=tmp, XDG_DATA_HOME=str(Path(tmp) / "data"), XDG_STATE_HOME=str(Path(tmp) / "state"))
            verify = [str(VENV_BIN / "s3xrep"), "verify", "--source", f"s3xrep-demo-source:{SRC_BUCKET}",
                      "--dest", f"s3xrep-demo-destination:{DST_BUCKET}", "--json"]
            sync = [str(VENV_BIN / "aws"), "s3", "sync", f"s3://{SRC_BUCKET}", f"s3://{DST_BUCKET}", "--dryrun",
                    "--profile", "s3xrep-demo-source"]
            load_before = load()
            single = timed(verify, dict(env, S3XREP_VERIFY_PARTITIONS="1"))
            reference = normalised(single["output"])  # type: ignore[arg-type]
            runs: dict[str, list[dict[str, object]]] = {"s3xrep verify": [], "aws s3 sync --dryrun": []}
            identical = True
            for r in range(args.rounds):
                order = [("s3xrep verify", verify), ("aws s3 sync --dryrun", sync)]
                for name, argv in (order if r % 2 == 0 else order[::-1]):
                    got = timed(argv, env)
                    if got["code"] != 0:
                        sys.exit(f"{name} failed ({got['code']}): {str(got['output'])[-2000:]}")
                    if name == "s3xrep verify":
                        identical &= normalised(got["output"]) == reference  # type: ignore[arg-type]
                    got.pop("output")
                    runs[name].append(got)
            load_after = load()
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=60)
    med = {name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "max_rss_mb")}  # type: ignore[misc]
           for name, rs in runs.items()}
    emit(args.name or f"verify_vs_cli_{args.versions}", {
        "versions_per_side": args.versions,
        "seed_seconds": ready["seed_seconds"],
        "load": [load_before, load_after],
        "single_stream": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in single.items() if k != "output"},
        "runs": {name: {k: stats([r[k] for r in rs]) for k in ("wall", "cpu", "max_rss_mb")}  # type: ignore[misc]
                 for name, rs in runs.items()},
        "ratio_cli_to_s3xrep_wall": round(med["aws s3 sync --dryrun"]["wall"] / med["s3xrep verify"]["wall"], 2),
        "ratio_cli_to_s3xrep_cpu": round(med["aws s3 sync --dryrun"]["cpu"] / med["s3xrep verify"]["cpu"], 2),
        "target_ratio": 1.5,
        "output_identical_to_single_stream": identical,
        "verify_summary": {k: reference.get(k) for k in ("compared", "ok") if k in reference},
    }, args.save)


if __name__ == "__main__":
    main()
