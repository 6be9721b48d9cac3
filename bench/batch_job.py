"""Target 5: a 2,000-object Batch Replication job in the demo sandbox, at the default task rate.

In one process: ``Sandbox(seed="demo")`` at its defaults (the task rate and
replication delay ``s3xrep --demo`` uses), plus a versioned pair of buckets
with N objects in the source (account 111111111111) and none in the
destination (222222222222). The app's own code then plans the migration
(``gather_inputs`` + ``build_plan``), applies it (``apply_plan``, journaled; the
last step is ``CreateJob`` with its manifest generator) and the job is polled
with the app's ``describe_job`` until it is terminal. Reported: seconds from
launch to each status (Preparing, Ready, Active, Complete), the tasks per
second while Active against the nominal rate, the process's CPU seconds, and
that every object arrived (a ``verify`` of the pair). The reference is the
nominal time ``N / task_rate``: the ratio says what the emulation costs on top.

    python bench/batch_job.py [--objects 2000] [--save]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load

SOURCE_BUCKET, DESTINATION_BUCKET, REPORTS = "bench-batch-source", "bench-batch-destination", "bench-batch-reports"
TARGET_SECONDS = 60.0


def seed(box, objects: int) -> float:  # type: ignore[no-untyped-def]
    """The pair, the objects put through S3 (over HTTP, as a user's writes would be), in seconds."""
    from concurrent.futures import ThreadPoolExecutor

    from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT

    started = time.perf_counter()
    source = box.clients(SOURCE_ACCOUNT)("s3")
    destination = box.clients(DESTINATION_ACCOUNT)("s3")
    for s3, bucket in ((source, SOURCE_BUCKET), (destination, DESTINATION_BUCKET), (source, REPORTS)):
        s3.create_bucket(Bucket=bucket)
        if bucket != REPORTS:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def put(i: int) -> None:
        source.put_object(Bucket=SOURCE_BUCKET, Key=f"p{i % 8}/object-{i:06d}.bin", Body=b"x" * (64 + i % 512))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(objects)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["S3XREP_DATA_DIR"] = str(Path(tmp) / "data")  # the apply journal goes here, not to the user's
        from s3xrep_tui.aws.apply import apply_plan
        from s3xrep_tui.aws.inspect import gather_inputs
        from s3xrep_tui.aws.jobs import describe_job
        from s3xrep_tui.aws.verify import verify_replication
        from s3xrep_tui.core.models import MigrationOptions
        from s3xrep_tui.core.plan import build_plan
        from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox

        load_before = load()
        cpu_start = time.process_time()
        with Sandbox(seed="demo", config_path=Path(tmp) / "aws-config") as box:
            rate = box.batch_task_rate
            seed_seconds = seed(box, args.objects)
            clients = {"source": box.clients(SOURCE_ACCOUNT), "destination": box.clients(DESTINATION_ACCOUNT)}
            options = MigrationOptions(report_bucket=REPORTS)
            plan = build_plan(gather_inputs(clients["source"], clients["destination"], SOURCE_BUCKET,
                                            DESTINATION_BUCKET, options))
            if plan.blocked:
                sys.exit(f"the plan is blocked: {[f.message for f in plan.findings if f.severity == 'blocking']}")
            started = time.perf_counter()
            cpu_before_job = time.process_time()
            result = apply_plan(plan, clients, options=options)
            if not result.ok or not result.job_id:
                sys.exit(f"apply failed: {result.summary()}")
            applied = time.perf_counter() - started
            seen: dict[str, float] = {}
            active_at = complete_at = None
            job = None
            while time.perf_counter() - started < 600:
                job = describe_job(clients["source"], SOURCE_ACCOUNT, None, result.job_id)
                now = time.perf_counter() - started
                seen.setdefault(job.status, round(now, 2))
                if job.status == "Active" and active_at is None:
                    active_at = now
                if job.terminal:
                    complete_at = now
                    break
                time.sleep(0.1)
            job_cpu = time.process_time() - cpu_before_job
            assert job is not None and complete_at is not None, "the job did not finish within 600 s"
            report = verify_replication(clients["source"], clients["destination"], SOURCE_BUCKET,
                                        DESTINATION_BUCKET, limit=5)
        total_cpu = time.process_time() - cpu_start
        load_after = load()

    succeeded = job.progress.succeeded if job.progress else None
    failed = job.progress.failed if job.progress else None
    active_seconds = complete_at - active_at if active_at is not None else None
    nominal = args.objects / rate
    emit("batch_job", {
        "objects": args.objects,
        "task_rate_default": rate,
        "load": [load_before, load_after],
        "seed_seconds": round(seed_seconds, 2),
        "apply_seconds": round(applied, 2),
        "status_first_seen_seconds": seen,
        "job_seconds_from_apply_start": round(complete_at, 2),
        "job_status": job.status,
        "tasks_succeeded": succeeded,
        "tasks_failed": failed,
        "tasks_per_second_while_active": round(args.objects / active_seconds, 1) if active_seconds else None,
        "nominal_seconds": round(nominal, 2),
        "ratio_to_nominal": round(complete_at / nominal, 2),
        "cpu_seconds_during_job": round(job_cpu, 2),
        "cpu_seconds_whole_run": round(total_cpu, 2),
        "verify": {"compared": report.summary.compared, "ok": report.summary.ok,
                   "counts": {o.value: n for o, n in report.summary.counts.items() if n}},
        "target_seconds": TARGET_SECONDS,
        "met": job.status == "Complete" and complete_at <= TARGET_SECONDS and failed == 0,
    }, args.save)


if __name__ == "__main__":
    main()
