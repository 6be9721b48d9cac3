"""apply's results: the progress events it reports and the result of a run (per step, then overall)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..core.models import Step
from .errors import AwsError

EventStatus = Literal["start", "waiting", "info", "done", "no-op", "failed", "dry-run", "cancelled"]
StepStatus = Literal["done", "no-op", "failed", "not-run", "dry-run", "cancelled"]


@dataclass(frozen=True)
class ApplyEvent:
    """One progress report: ``status`` of step ``index`` (1-based) of ``total``.

    ``start`` before a step; ``waiting`` before each backoff sleep (``attempt``
    is the next try, of ``attempts``; ``delay`` seconds); ``info`` for notes
    (re-merged, read back); then exactly one of ``done``, ``no-op``, ``failed``,
    ``dry-run`` or ``cancelled``. ``payload``: the request (dry-run), or
    ``{"JobId": ...}`` for the Batch job.
    """

    index: int
    total: int
    step: Step
    status: EventStatus
    message: str = ""
    fix: str = ""
    attempt: int | None = None
    attempts: int | None = None
    delay: float | None = None
    payload: Any = None

    @property
    def position(self) -> str:
        width = max(2, len(str(self.total)))
        return f"[{self.index:0{width}d}/{self.total:0{width}d}]"


ProgressCallback = Callable[[ApplyEvent], None]


@dataclass
class StepResult:
    step: Step
    index: int
    status: StepStatus
    message: str = ""
    error: AwsError | None = None
    job_id: str | None = None
    remerged: bool = False
    waits: int = 0


@dataclass
class ApplyResult:
    plan_id: str
    journal_path: Path | None
    steps: list[StepResult] = field(default_factory=list)
    dry_run: bool = False
    read_only: bool = False
    cancelled: bool = False

    @property
    def failed(self) -> StepResult | None:
        return next((r for r in self.steps if r.status == "failed"), None)

    @property
    def ok(self) -> bool:
        return not self.cancelled and self.failed is None

    @property
    def error(self) -> AwsError | None:
        failed = self.failed
        return failed.error if failed else None

    @property
    def job_id(self) -> str | None:
        return next((r.job_id for r in self.steps if r.job_id), None)

    def summary(self) -> str:
        if self.dry_run:
            return f"dry run: {len(self.steps)} step(s) shown, nothing was sent"
        counts: dict[str, int] = {}
        for r in self.steps:
            counts[r.status] = counts.get(r.status, 0) + 1
        tally = ", ".join(f"{n} {s}" for s, n in counts.items())
        failed = self.failed
        if failed is not None:
            return (
                f"step {failed.step.id} ({failed.step.call}) failed: {tally}. Fix the cause and run apply again: "
                "it continues from that step (steps already done are checked and skipped)"
            )
        if self.cancelled:
            return f"cancelled: {tally}. Run apply again to continue"
        return f"applied: {tally}"


class ApplyCancelled(Exception):
    """The cancel event was set."""


class Outcome:
    def __init__(self, status: StepStatus, message: str, *, job_id: str | None = None, remerged: bool = False):
        self.status = status
        self.message = message
        self.job_id = job_id
        self.remerged = remerged

