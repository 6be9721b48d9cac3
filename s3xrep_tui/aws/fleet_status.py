"""Where every pair of a fleet migration stands: its journal's state, its Batch job, latency, last verify.

Read for ``s3xrep jobs --migration``, the fleet report and the TUI's fleet board. The journal and the
results file say what was applied and verified (no AWS call); the job and the replication latency are
read with the source profile, a few pairs at a time. A pair whose reads fail keeps its row, with the
error, so one broken pair does not hide the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .clients import Clients
from .errors import AwsError, explain
from .fleet_store import FleetPair
from .jobs import JobSummary, describe_job
from .migrations import Migration, migration
from .replication_status import read_metrics

STATUS_WORKERS = 4


@dataclass(frozen=True)
class PairStatus:
    pair: FleetPair
    state: str  # the journal's: applied, undone, undo partial, nothing written, not applied
    job: JobSummary | None = None
    latency: float | None = None  # seconds, the rule's latest ReplicationLatency datapoint
    last_verify: dict[str, Any] | None = None
    error: str | None = None

    @property
    def progress(self) -> float | None:
        return self.job.progress.fraction if self.job is not None else None

    @property
    def failures(self) -> int:
        return self.job.progress.failed if self.job is not None else 0

    @property
    def verify_ok(self) -> bool | None:
        if not self.last_verify:
            return None
        return bool((self.last_verify.get("result") or {}).get("ok"))

    def to_dict(self) -> dict[str, Any]:
        job = self.job
        return {
            "index": self.pair.index, "plan_id": self.pair.plan_id, "source": self.pair.source_bucket,
            "destination": self.pair.destination_bucket, "state": self.state,
            "job": None if job is None else {"id": job.job_id, "status": job.status, "done": job.progress.done,
                                             "total": job.progress.total, "failed": job.progress.failed},
            "latency_seconds": self.latency, "verify_ok": self.verify_ok, "error": self.error,
        }


def _one_line(exc: BaseException) -> str:
    error = exc if isinstance(exc, AwsError) else explain(exc)
    return error.message + (f" (fix: {error.fix})" if error.fix else "")


def pair_status(pair: FleetPair, clients: Callable[[str | None], Clients], *, latency: bool = True) -> PairStatus:
    try:
        known: Migration = migration(pair.plan_id)
    except FileNotFoundError:
        return PairStatus(pair, "not applied")
    except (OSError, ValueError) as exc:
        return PairStatus(pair, "damaged", error=str(exc))
    state = known.state
    job: JobSummary | None = None
    seconds: float | None = None
    error: str | None = None
    source = clients(pair.source_profile)
    if known.job_ids and known.source_account:
        try:
            job = describe_job(source, known.source_account, known.region, known.job_ids[-1]).summary
        except Exception as exc:  # noqa: BLE001  one pair's failure is that pair's row
            error = _one_line(exc)
    if latency and known.rule_id and state == "applied":
        try:
            seconds = read_metrics(source, pair.source_bucket, pair.destination_bucket, known.rule_id,
                                   region=known.region, window=900, period=60).latency.latest
        except Exception as exc:  # noqa: BLE001  metrics off or unreadable: the column says so, the rest stands
            seconds = None
            del exc
    return PairStatus(pair, state, job, seconds, known.last_verify, error)


def fleet_status(pairs: Sequence[FleetPair], clients: Callable[[str | None], Clients], *,
                 latency: bool = True, workers: int = STATUS_WORKERS) -> list[PairStatus]:
    if not pairs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pairs))), thread_name_prefix="s3xrep-status") as pool:
        return list(pool.map(lambda p: pair_status(p, clients, latency=latency), pairs))


@dataclass(frozen=True)
class FleetTotals:
    pairs: int
    applied: int
    jobs_done: int
    objects_done: int
    objects_total: int
    failures: int
    verified: int
    differences: int

    @property
    def fraction(self) -> float | None:
        return self.objects_done / self.objects_total if self.objects_total else None


def totals(rows: Sequence[PairStatus]) -> FleetTotals:
    """The fleet in one line: for the stakeholder view, the board's header and the report."""
    jobs = [r.job for r in rows if r.job is not None]
    return FleetTotals(
        pairs=len(rows), applied=sum(1 for r in rows if r.state == "applied"),
        jobs_done=sum(1 for j in jobs if j.terminal), objects_done=sum(j.progress.done for j in jobs),
        objects_total=sum(j.progress.total for j in jobs), failures=sum(j.progress.failed for j in jobs),
        verified=sum(1 for r in rows if r.verify_ok), differences=sum(1 for r in rows if r.verify_ok is False),
    )
