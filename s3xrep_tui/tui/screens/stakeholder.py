"""The stakeholder view: one screen for a projector, readable from across a room.

For the migration in hand (the one resumed from the home screen, or the
monitor's): the share of objects copied in large digits and a progress bar,
objects (and bytes, once a verify counted them) of the total, the rate and
the time left, failures by cause in plain words, the replication latency as a
large sparkline over time, the canary's last result, and a "VERIFIED" badge
with the time of the last verify. ``h`` (or the palette's "High contrast") switches to the
high-contrast projector theme.

It polls in a thread worker (the monitor's backend: the same calls, the same
bounded waits), every ``interval`` seconds, one poll at a time.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Digits, ProgressBar, Sparkline, Static
from textual.worker import get_current_worker

from ...aws import results
from ...aws.errors import AwsError, explain
from ...aws.migrations import Migration, short_time
from ...core.failure_codes import meaning_for
from ...core.humanize import duration
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from .base import AppScreen
from .monitor import MonitorBackend, MonitorContext

log = logging.getLogger(__name__)
_generations = itertools.count(1)
HISTORY = 120  # latency points kept when CloudWatch has none


def size_text(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{n} B"


@dataclass
class Snapshot:
    """What one poll found, in the numbers the screen shows."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    rate: float | None = None  # objects per second
    eta: float | None = None  # seconds
    jobs: int = 0
    running: int = 0
    causes: list[tuple[str, int]] = field(default_factory=list)  # (plain words, objects)
    latency: list[float] = field(default_factory=list)
    latency_now: float | None = None
    latency_source: str = "CloudWatch"  # or "canary runs" when the rule publishes no metrics
    replication: str = ""
    verify: dict[str, Any] | None = None
    canary: dict[str, Any] | None = None
    error: str = ""


def gather(backend: MonitorBackend, context: MonitorContext, causes: dict[str, list[tuple[str, int]]]) -> Snapshot:
    """One poll: the plan's jobs (all of the account's when none is known as ours), replication, results."""
    snap = Snapshot()
    jobs = backend.list_jobs(context)
    mine = backend.mine(context)
    if mine:
        jobs = [job for job in jobs if job.job_id in mine]
    snap.jobs = len(jobs)
    rates = []
    for job in jobs:
        progress = job.progress
        snap.total += progress.total
        snap.succeeded += progress.succeeded
        snap.failed += progress.failed
        snap.running += 0 if job.terminal else 1
        if progress.rate and not job.terminal:
            rates.append(progress.rate)
        if progress.failed and job.terminal and job.job_id not in causes:
            causes[job.job_id] = failure_causes(backend, context, job.job_id)
    snap.rate = sum(rates) if rates else None
    remaining = max(0, snap.total - snap.succeeded - snap.failed)
    snap.eta = remaining / snap.rate if snap.rate else (0.0 if snap.total and not remaining else None)
    merged: dict[str, int] = {}
    for job_causes in causes.values():
        for words, count in job_causes:
            merged[words] = merged.get(words, 0) + count
    snap.causes = sorted(merged.items(), key=lambda item: -item[1])
    try:
        health = backend.replication(context)
    except AwsError as exc:
        snap.replication = exc.message
    else:
        snap.replication = health.state
        metrics = health.metrics
        if metrics is not None and metrics.latency.values:
            snap.latency = [v or 0.0 for v in metrics.latency.slots] or list(metrics.latency.values)
            snap.latency_now = metrics.latency.latest
    if context.plan_id:
        recorded = results.read_results(context.plan_id)
        for entry in recorded:
            snap.verify = entry if entry["kind"] == "verify" else snap.verify
            snap.canary = entry if entry["kind"] == "canary" else snap.canary
        if not snap.latency:  # no metrics on the rule: each canary run is a measured live replication
            seconds = [entry["result"].get("seconds_to_replicate") for entry in recorded if entry["kind"] == "canary"]
            snap.latency = [float(v) for v in seconds if isinstance(v, int | float)][-HISTORY:]
            snap.latency_now = snap.latency[-1] if snap.latency else None
            snap.latency_source = "canary runs"
    return snap


def failure_causes(backend: MonitorBackend, context: MonitorContext, job_id: str) -> list[tuple[str, int]]:
    """The job's failed tasks by cause, in plain words (its completion report; empty when unreadable)."""
    try:
        report = backend.report(backend.describe(context, job_id))
    except AwsError:
        return []
    if report is None:
        return []
    return [(group.meaning or meaning_for(group.code), group.count) for group in report.groups]


class StakeholderScreen(AppScreen):
    class StakeholderPolled(Message):
        """One poll of the stakeholder view: jobs, replication health, failure causes, or an error."""

        def __init__(self, generation: int, snapshot: Any) -> None:
            super().__init__()
            self.generation = generation
            self.snapshot = snapshot

    TITLE = "Stakeholder view"

    BINDINGS = [
        Binding("h", "app.high_contrast", "Contrast", tooltip="The high-contrast projector theme"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    DEFAULT_CSS = """
    StakeholderScreen #sh-title { height: 1; padding: 0 1; text-style: bold; color: $primary; }
    StakeholderScreen #sh-top { height: auto; }
    StakeholderScreen #sh-percent { width: auto; padding: 0 2; color: $primary; }
    StakeholderScreen #sh-badges { width: 1fr; height: auto; padding: 0 1; }
    StakeholderScreen #sh-bar { height: 1; padding: 0 1; }
    StakeholderScreen #sh-bar Bar { width: 1fr; }
    StakeholderScreen #sh-numbers { height: auto; padding: 0 1; }
    StakeholderScreen #sh-failures { height: auto; min-height: 5; max-height: 7; padding: 0 1;
                                     border: round $error; }
    StakeholderScreen #sh-latency-label { height: auto; padding: 0 1; }
    StakeholderScreen #sh-latency { height: 1fr; min-height: 3; margin: 0 1; }
    StakeholderScreen #sh-latency-empty { height: 1fr; min-height: 3; margin: 0 1; content-align: center middle;
                                          color: $text-muted; border: dashed $primary; display: none; }
    StakeholderScreen.-no-latency #sh-latency { display: none; }
    StakeholderScreen.-no-latency #sh-latency-empty { display: block; }
    StakeholderScreen.-large #sh-title { height: 3; content-align: center middle; background: $boost; }
    StakeholderScreen.-large #sh-numbers { padding: 1 2; text-style: bold; }
    StakeholderScreen.-large #sh-bar { height: 3; padding: 1 1; }
    StakeholderScreen #sh-latency > .sparkline--max-color { color: $error; }
    StakeholderScreen #sh-latency > .sparkline--min-color { color: $success; }
    """

    def __init__(self, migration: Migration | None = None, *, backend: MonitorBackend | None = None,
                 interval: float = 5.0) -> None:
        super().__init__()
        self.migration = migration
        self._backend = backend
        self.interval = interval
        self.context: MonitorContext | None = None
        self.snapshot: Snapshot | None = None
        self.generation = 0
        self.history: list[float] = []
        self._causes: dict[str, list[tuple[str, int]]] = {}
        self._polling = False

    @property
    def backend(self) -> MonitorBackend:
        if self._backend is None:
            self._backend = MonitorBackend(self.s3xrep)
        return self._backend

    def compose(self) -> ComposeResult:
        m = self.migration  # opened from the home screen: that migration; from the flow's palette: the app's choices
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations",) if m else None, migration=m)
        yield Static(id="sh-title")
        with Horizontal(id="sh-top"):
            yield Digits("--%", id="sh-percent")
            yield Static(id="sh-badges")
        yield ProgressBar(total=100, show_eta=False, show_percentage=False, id="sh-bar")
        yield Static(id="sh-numbers")
        yield Static(id="sh-failures")
        yield Static(id="sh-latency-label")
        yield Sparkline([], id="sh-latency")
        yield Static("No latency data yet: AWS publishes it once objects replicate live.", id="sh-latency-empty")
        yield Footer(compact=True)  # compact spacing: this screen's keys all fit at 60 columns

    def on_resize(self) -> None:
        self.set_class(self.size.width >= 120 and self.size.height >= 40, "-large")

    def on_mount(self) -> None:
        self.on_resize()
        self.query_one("#sh-failures").border_title = "failures"
        try:
            self.context = self.backend.context()
        except AwsError as exc:
            self._paint(Snapshot(error=exc.message + (f" (fix: {exc.fix})" if exc.fix else "")))
            return
        c = self.context
        self.query_one("#sh-title", Static).update(Text(f"{c.source_bucket} → {c.destination_bucket}"))
        self._paint(None)
        self.action_refresh()
        self.set_interval(self.interval, self.action_refresh)

    def action_refresh(self) -> None:
        if self.context is None or self._polling:  # one poll at a time: a slow one is not cut short
            return
        self._polling = True
        self.generation = next(_generations)
        context, generation = self.context, self.generation
        self.run_worker(lambda: self._poll(context, generation), thread=True, exclusive=True, group="stakeholder",
                        exit_on_error=False)

    def _poll(self, context: MonitorContext, generation: int) -> None:
        worker = get_current_worker()
        try:
            snap = gather(self.backend, context, self._causes)
        except Exception as exc:  # one line, never a traceback
            if not isinstance(exc, AwsError):
                log.exception("the stakeholder poll failed")
            error = exc if isinstance(exc, AwsError) else explain(exc)
            snap = Snapshot(error=f"{error.message} (retrying every {self.interval:g}s)")
        if not worker.is_cancelled:
            self.post_message(self.StakeholderPolled(generation, snap))

    @on(StakeholderPolled)
    def _polled(self, message: StakeholderScreen.StakeholderPolled) -> None:
        if message.generation == self.generation:
            self._polling = False
            self._paint(message.snapshot)

    def _paint(self, snap: Snapshot | None) -> None:
        if snap is not None and snap.error and self.snapshot is not None:
            snap = Snapshot(**{**self.snapshot.__dict__, "error": snap.error})
        self.snapshot = snap
        s = snap or Snapshot()
        done = s.succeeded + s.failed
        percent = int(100 * s.succeeded / s.total) if s.total else None
        self.query_one("#sh-percent", Digits).update(f"{percent}%" if percent is not None else "--%")
        self.query_one("#sh-bar", ProgressBar).update(total=max(1, s.total), progress=s.succeeded)
        self.query_one("#sh-badges", Static).update(self._badges(s))
        numbers = Text()
        if s.total:
            numbers.append(f"{s.succeeded:,} of {s.total:,} objects copied", style="bold")
        else:
            numbers.append("Objects: not counted yet (the copy job has not listed them)", style="bold")
        bytes_text = self._bytes(s)
        if bytes_text:
            numbers.append(f" · {bytes_text}")
        if s.total and done >= s.total and not s.running:
            numbers.append(f"\nFinished: every object was attempted · {s.jobs} copy job(s), none running")
        else:
            rate = f"{s.rate:,.1f} objects/s" if s.rate else "not measured yet"
            eta = duration(s.eta) if s.eta else "unknown"
            numbers.append(f"\nRate {rate} · Time left {eta} · {s.running} of {s.jobs} copy job(s) running")
        if s.error:
            numbers.append(f"\n✗ {s.error}", style="red")
        self.query_one("#sh-numbers", Static).update(numbers)
        failures = Text()
        if not s.failed and not s.causes:
            failures.append("No failures.", style="green")
        else:
            failures.append(f"{s.failed:,} object(s) could not be copied", style="bold red")
            for words, count in s.causes[:4]:
                failures.append(f"\n{count:,} · {words}")
        self.query_one("#sh-failures", Static).update(failures)
        self._paint_latency(s)

    def _badges(self, s: Snapshot) -> Text:
        text = Text()
        verify = s.verify
        if verify and (verify.get("result") or {}).get("ok"):
            text.append(" ✔ VERIFIED ", style="bold black on green")
            text.append(f"  {short_time(verify.get('ts'))}")
        elif verify:
            text.append(" ✘ NOT VERIFIED ", style="bold white on red")
            text.append(f"  differences found {short_time(verify.get('ts'))}")
        else:
            text.append(" NOT VERIFIED YET ", style="bold black on yellow")
        canary = s.canary
        text.append("\nCanary: ")
        if canary:
            result = canary.get("result") or {}
            seconds = result.get("seconds_to_replicate")
            took = f" in {seconds:.1f}s" if isinstance(seconds, int | float) else ""
            text.append(f"{'passed' if result.get('ok') else 'FAILED'}{took}",
                        style="bold green" if result.get("ok") else "bold red")
            text.append(f" ({short_time(canary.get('ts'))})")
        else:
            text.append("not run yet")
        text.append(f"\nLive replication: {s.replication or 'checking…'}")
        return text

    def _bytes(self, s: Snapshot) -> str:
        result = (s.verify or {}).get("result") or {}
        source, destination = result.get("source") or {}, result.get("destination") or {}
        if isinstance(source.get("bytes"), int) and source.get("bytes"):
            return f"{size_text(int(destination.get('bytes') or 0))} of {size_text(int(source['bytes']))} (last verify)"
        return ""

    def _paint_latency(self, s: Snapshot) -> None:
        if s.latency:
            data = s.latency
        else:
            if s.latency_now is not None:
                self.history = (self.history + [s.latency_now])[-HISTORY:]
            data = self.history
        label = Text("Replication latency over time", style="bold")
        if s.latency:
            label.append(f" ({s.latency_source})")
        self.set_class(not data, "-no-latency")
        if data:
            label.append(f" · now {s.latency_now if s.latency_now is not None else data[-1]:.1f}s · peak "
                         f"{max(data):.1f}s")
        self.query_one("#sh-latency-label", Static).update(label)
        self.query_one("#sh-latency", Sparkline).data = data

    def action_back(self) -> None:
        self.app.pop_screen()
