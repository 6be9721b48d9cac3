"""The canary (reference 7.5): one key runs it; this shows its phase, a running timer and the result."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.widgets import Static

from ...aws.canary import CanaryProgress, CanaryResult
from ...aws.errors import AwsError

PHASES = {"put": "putting the canary object", "waiting": "waiting for replication", "checking": "checking the replica",
          "cleaning-up": "cleaning up", "done": "done"}


def seconds_text(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def result_text(result: CanaryResult) -> Text:
    text = Text()
    if result.ok:
        took = seconds_text(result.seconds_to_replicate) if result.seconds_to_replicate is not None else "?"
        text.append("✓ replicated", style="bold green")
        text.append(f" in {took} ({len(result.checks)} checks passed, cleaned up)")
        return text
    text.append(f"✗ {result.status}", style="bold red")
    if result.message:
        text.append(f": {result.message}")
    for check in result.failed_checks[:2]:
        text.append(f"\n  {check.name}: {check.detail}", style="red")
    if result.failure_code:
        text.append(f"\n  code {result.failure_code}", style="bold")
    if result.fix:
        text.append("\n  fix: ", style="bold")
        text.append(result.fix)
    return text


class CanaryPanel(Static):
    """Idle, running (phase, timer, status seen) or finished (result, fix)."""

    DEFAULT_CSS = "CanaryPanel { height: auto; min-height: 3; border: round $primary-darken-2; padding: 0 1; }"

    def __init__(self, key_hint: str = "k", clock: Callable[[], float] = time.monotonic, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "canary"
        self.key_hint = key_hint
        self.clock = clock
        self.started: float | None = None
        self.progress: CanaryProgress | None = None
        self.result: CanaryResult | None = None
        self.error: AwsError | None = None
        self._timer = None

    def on_mount(self) -> None:
        self._paint()

    @property
    def running(self) -> bool:
        return self.started is not None

    def start(self) -> None:
        self.started, self.progress, self.result, self.error = self.clock(), None, None, None
        if self._timer is None:
            self._timer = self.set_interval(0.2, self._paint)
        self._timer.resume()
        self._paint()

    def advance(self, progress: CanaryProgress) -> None:
        self.progress = progress
        self._paint()

    def finish(self, result: CanaryResult | None, error: AwsError | None = None) -> None:
        self.started, self.result, self.error = None, result, error
        if self._timer is not None:
            self._timer.pause()
        self._paint()

    def _paint(self) -> None:
        if self.started is not None:
            elapsed = self.clock() - self.started
            text = Text()
            text.append("running ", style="bold cyan")
            text.append(seconds_text(elapsed), style="bold")
            phase = self.progress.phase if self.progress else "put"
            text.append(f" · {PHASES.get(phase, phase)}")
            if self.progress and self.progress.replication_status:
                text.append(f" · {self.progress.replication_status}", style="cyan")
        elif self.error is not None:
            text = Text.assemble(("✗ ", "red"), self.error.message, "\n  ", ("fix: ", "bold"), self.error.fix)
        elif self.result is not None:
            text = result_text(self.result)
        else:
            text = Text.assemble(("press ", "dim"), (self.key_hint, "bold"),
                                 (" to put a canary object and time its replication", "dim"))
        self.update(text)
