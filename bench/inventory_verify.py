"""Issue 19: verify from S3 Inventory against today's listing verify, rclone and s5cmd, and its memory at 10M.

Two halves, one run:

1. On the sandbox (bench/_inventory_world.py): one world of ``--sandbox`` versions a
   side (default 1,000,000; all replicated) with both buckets' inventories
   delivered; ``s3xrep verify --inventory`` (fetch both reports over HTTP, compare
   in DuckDB), ``s3xrep verify`` (both version listings), ``rclone check`` (current
   versions only) and ``s5cmd ls --all-versions`` of both buckets, each a process
   timed by ``wait4`` (wall, CPU, CPU with the sandbox's, peak RSS); the ratios are
   each reference over inventory verify.
2. Parquet inventories in S3 Inventory's all-versions schema generated with pyarrow
   (files of 1,000,000 rows): the source with N versions over 16 prefixes (a delete
   marker every 50th key), the destination the same but missing every 1,000th
   version and holding an extra every 5,000th. Each comparison runs in a fresh
   process (``aws.inventory_duckdb.compare`` over ``create_view`` of the files,
   ``connect``'s defaults: its memory_limit and threads, spill to a temporary
   directory): wall, CPU and peak RSS (``wait4``), the counts checked against what
   the generator made; memory is flat when the largest peak is within 15% of the
   smallest. Athena's cost and time for one billion versions a side are
   ``core.athena_cost.project_athena`` over the Parquet bytes measured here.

    python bench/inventory_verify.py [--versions 1000000 10000000] [--sandbox 1000000] [--save]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load
from _inventory_world import run_tools

from s3xrep_tui.core.athena_cost import BILLION, bytes_per_version, project_athena

ROWS_PER_FILE = 1_000_000


def _write_side(directory: Path, total: int, side: str) -> tuple[list[str], int]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files, size = [], 0
    for start in range(0, total, ROWS_PER_FILE):
        def mod(values: object, by: int) -> object:
            return pc.subtract(values, pc.multiply(pc.divide(values, by), by))

        index = pa.array(range(start, min(total, start + ROWS_PER_FILE)), pa.int64())
        if side == "destination":
            index = index.filter(pc.not_equal(mod(index, 1000), 7))  # every 1,000th version did not arrive
        n = len(index)
        text = pc.utf8_lpad(pc.cast(index, pa.string()), 10, "0")
        prefix = pc.utf8_lpad(pc.cast(mod(index, 16), pa.string()), 2, "0")
        marker = pc.equal(mod(index, 50), 3)
        def objects(value: object, kind: object) -> object:
            return pc.if_else(marker, pa.scalar(None, kind), value)
        columns = {
            "bucket": pa.repeat(f"bench-{side}", n) if hasattr(pa, "repeat") else pa.array([f"bench-{side}"] * n),
            "key": pc.binary_join_element_wise("p", prefix, "/obj-", text, ".bin", ""),
            "version_id": pc.binary_join_element_wise("v", text, ""),
            "is_latest": pa.array([True] * n),
            "is_delete_marker": marker,
            "size": objects(pc.add(mod(index, 97), 1), pa.int64()),
            "last_modified_date": pa.array([1_700_000_000_000] * n, pa.timestamp("ms")),
            "e_tag": objects(pc.binary_join_element_wise("e", text, ""), pa.string()),
            "storage_class": objects(pa.scalar("STANDARD"), pa.string()),
            "is_multipart_uploaded": objects(pa.scalar(False), pa.bool_()),
            "replication_status": objects(pa.scalar("COMPLETED" if side == "source" else "REPLICA"), pa.string()),
            "encryption_status": objects(pa.scalar("SSE-S3"), pa.string()),
            "checksum_algorithm": objects(pa.scalar(""), pa.string()),
        }
        table = pa.table(columns)
        if side == "destination" and start == 0:  # extras: keys only the destination has
            extra = table.slice(0, max(1, total // 5000))
            extra = extra.set_column(1, "key", pc.binary_join_element_wise("x/", extra.column("key"), ""))
            table = pa.concat_tables([table, extra])
        path = directory / f"{side}-{start // ROWS_PER_FILE:04d}.parquet"
        pq.write_table(table, path, compression="snappy")
        files.append(str(path))
        size += path.stat().st_size
    return files, size


# The child reports its own peak RSS (VmHWM): wait4's ru_maxrss of a child is at least its parent's peak
# RSS when it was started (Linux keeps the larger of the old and new image's peaks across exec).
_CHILD = """
import json, sys, tempfile, time
from s3xrep_tui.aws.inventory_duckdb import compare, connect, create_view
from s3xrep_tui.core.inventory_sql import InventoryScope, ScopeRule
from s3xrep_tui.core.verify import Expectations
source, destination = json.loads(sys.argv[1]), json.loads(sys.argv[2])
with tempfile.TemporaryDirectory() as spill:
    con = connect(spill)
    settings = con.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    create_view(con, "source_inventory", source)
    create_view(con, "destination_inventory", destination)
    result = compare(con, InventoryScope(rules=(ScopeRule(delete_markers=True),)), Expectations(delete_markers=True))
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"counts": {o.value: n for o, n in result.summary.counts.items() if n}, "peak_kb": peak,
                      "duckdb": {"memory_limit": settings[0], "threads": settings[1]}}))
"""


def measure(source: list[str], destination: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(source), json.dumps(destination)],
                            stdout=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the comparison failed: {out!r}")
    got = json.loads(out)
    return {"wall": round(time.perf_counter() - started, 2), "cpu": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(got["peak_kb"] / 1024, 1), "counts": got["counts"], "duckdb": got["duckdb"]}


def _generate(directory: Path, versions: int) -> tuple[list[str], int, list[str], int]:
    """Both sides' Parquet files, written by a child process (pyarrow's memory would raise this one's peak)."""
    out = subprocess.run([sys.executable, __file__, "--write", str(directory), str(versions)], check=True,
                         capture_output=True, text=True).stdout
    return tuple(json.loads(out))  # type: ignore[return-value]


def _athena(source_bytes: int, destination_bytes: int, versions: int) -> dict[str, Any]:
    """core.athena_cost's projection for one billion versions a side, from the Parquet bytes measured here."""
    projection = project_athena(bytes_per_version(source_bytes, versions), bytes_per_version(destination_bytes, versions),
                                versions_per_side=BILLION, measured_versions=versions)
    return dict(projection.as_dict(), text=projection.text())


def _ratios(tools: dict[str, Any], duckdb_wall: float | None) -> dict[str, Any]:
    """Each reference's wall and CPU over inventory verify's (above 1: inventory verify is faster)."""
    ours = tools["s3xrep verify --inventory"]
    ratios: dict[str, Any] = {}
    for name, got in tools.items():
        if name == "s3xrep verify --inventory" or got.get("code"):
            continue
        ratios[name] = {"wall": round(got["wall"] / ours["wall"], 2), "cpu": round(got["cpu"] / ours["cpu"], 2),
                        "cpu_with_sandbox": round(got["cpu_with_sandbox"] / ours["cpu_with_sandbox"], 2)}
        if duckdb_wall:
            ratios[name]["wall_vs_duckdb_compare_alone"] = round(got["wall"] / duckdb_wall, 2)
    return ratios


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        return round(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--sandbox", type=int, default=1_000_000,
                        help="versions a side of the sandbox world the CLI tools are timed on (0: skip)")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--write", nargs=2, help=argparse.SUPPRESS)  # DIRECTORY VERSIONS: the generator's child
    args = parser.parse_args()
    if args.write:
        directory, versions = Path(args.write[0]), int(args.write[1])
        print(json.dumps([*_write_side(directory, versions, "source"), *_write_side(directory, versions, "destination")]))
        return
    before = load()
    tools = run_tools(args.sandbox) if args.sandbox else {}
    sizes: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as work:
        for versions in args.versions:
            directory = Path(work) / str(versions)
            directory.mkdir()
            generated = time.perf_counter()
            source, source_bytes, destination, destination_bytes = _generate(directory, versions)
            generate_seconds = round(time.perf_counter() - generated, 1)
            result = measure(source, destination)
            result["generate_seconds"] = generate_seconds
            result["parquet_bytes"] = {"source": source_bytes, "destination": destination_bytes}
            missing, extra = versions // 1000 + (1 if versions % 1000 > 7 else 0), max(1, versions // 5000)
            counts = result["counts"]
            assert counts.get("missing", 0) + counts.get("delete-marker-missing", 0) == missing, result
            assert counts.get("extra") == extra, result
            result["athena_1b_per_side_projection"] = _athena(source_bytes, destination_bytes, versions)
            print(f"{versions:,} a side: {result['wall']} s, {result['max_rss_mb']} MB peak RSS; Athena at 1B: "
                  f"{result['athena_1b_per_side_projection']['text']}", file=sys.stderr, flush=True)
            sizes[str(versions)] = result
            shutil.rmtree(directory, ignore_errors=True)
    rss = [sizes[str(v)]["max_rss_mb"] for v in args.versions]
    memory = {"max_rss_mb": dict(zip(map(str, args.versions), rss)), "largest_over_smallest": round(max(rss) / min(rss), 3),
              "flat_within_15_percent": max(rss) <= 1.15 * min(rss), "under_1_gb": max(rss) < 1024,
              "duckdb": sizes[str(args.versions[0])]["duckdb"],
              "this_process_peak_rss_mb": _peak_mb(),  # the floor of wait4's figures for the tools (see _CHILD)
              "measured_as": "VmHWM of the comparison's process, read by itself at the end"}
    if tools:
        same = sizes.get(str(args.sandbox))
        tools["ratios_reference_over_inventory_verify"] = _ratios(tools["tools"], same and same["wall"])
    emit("inventory_verify", {"load": [before, load()], "memory": memory, "runs": sizes, "sandbox": tools}, args.save)


if __name__ == "__main__":
    main()
