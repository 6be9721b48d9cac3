"""The Apply screen's steps: each step's live state, and the detail of the highlighted one.

``RowState`` is what the screen knows of one step during a run; ``advance``
folds an executor event (``aws.apply.ApplyEvent``) into it (pure, so it is
tested without a screen). ``ApplyStepsTable`` shows one row per step (#,
account, call, target, planned action, state) and is updated in place, cell
by cell; ``StepDetail`` shows the highlighted step: what it does, what
happened to it in this run (the lines ``s3xrep apply`` prints), and the
request it sends with its document.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...aws.apply import ApplyEvent
from ...commands.apply import progress_line
from ...core.models import Step
from ...core.text import safe
from .document_view import title_of
from .refit_table import RefitTable
from .steps_table import ACTION_STYLES

RowStatus = Literal["waiting", "running", "retrying", "done", "no-op", "failed", "cancelled", "not-run", "dry-run"]

# The state before the target: a narrow terminal cuts the last column, and the state is what is read.
COLUMNS = (("n", "#"), ("account", "account"), ("call", "call"), ("action", "planned"), ("state", "state"),
           ("target", "target"))


@dataclass(frozen=True)
class RowState:
    """One step's state in the current run: ``waiting`` (queued) until the executor reaches it."""

    status: RowStatus = "waiting"
    message: str = ""
    fix: str = ""
    attempt: int | None = None
    attempts: int | None = None
    delay: float | None = None
    waits: int = 0
    job_id: str | None = None
    lines: tuple[str, ...] = field(default_factory=tuple)  # what happened, one line per event


def event_line(event: ApplyEvent) -> str:
    """The event as ``s3xrep apply`` prints it, without the step's head (the detail pane names the step)."""
    line = progress_line(event)
    if line is None:
        return ""
    return line.split(" ... ", 1)[-1]


def advance(row: RowState, event: ApplyEvent) -> RowState:
    """``row`` after ``event`` (an event of another step is the caller's mistake: not checked)."""
    line = event_line(event)
    lines = row.lines + ((line,) if line else ())
    status = event.status
    if status == "start":
        return RowState("running", event.message, lines=lines)
    if status == "waiting":
        return replace(row, status="retrying", message=event.message, attempt=event.attempt,
                       attempts=event.attempts, delay=event.delay, waits=row.waits + 1, lines=lines)
    if status == "info":
        return replace(row, lines=lines)
    job_id = (event.payload or {}).get("JobId") if isinstance(event.payload, dict) else None
    final: RowStatus = "dry-run" if status == "dry-run" else status  # type: ignore[assignment]
    return RowState(final, event.message, event.fix, waits=row.waits, job_id=job_id, lines=lines)


def is_iam_wait(message: str) -> bool:
    return "IAM" in message


def state_text(row: RowState) -> Text:
    """The state cell: a symbol and a word, short enough for the table."""
    status = row.status
    if status == "waiting":
        return Text("waiting", style="dim")
    if status == "running":
        return Text("▶ running", style="bold cyan")
    if status == "retrying":
        what = "waiting for IAM" if is_iam_wait(row.message) else "waiting"
        count = f" {row.attempt}/{row.attempts}" if row.attempt and row.attempts else ""
        delay = f" · {row.delay:.1f}s" if row.delay is not None else ""
        return Text(f"⧗ {what}{count}{delay}", style="bold yellow")
    if status == "done":
        waits = f" ({row.waits} wait{'s' if row.waits != 1 else ''})" if row.waits else ""
        return Text(f"✓ done{waits}", style="bold green")
    if status == "no-op":
        return Text("= no-op (already so)", style="green")
    if status == "failed":
        return Text("✗ failed", style="bold red")
    if status == "cancelled":
        return Text("■ cancelled", style="bold yellow")
    if status == "not-run":
        return Text("– not run", style="dim")
    return Text("◇ dry run: not sent", style="bold magenta")


def target_of(step: Step) -> str:
    """What the step writes: a bucket, a role, a key, or the Batch job's account."""
    request = step.request
    for key in ("Bucket", "RoleName", "KeyId"):
        if request.get(key):
            return str(request[key])
    if step.call == "s3control.create_job":
        return f"job in {request.get('AccountId', '?')}"
    return ""


def readable_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request with its JSON-text documents (policies) shown as JSON, for reading."""
    shown: dict[str, Any] = {}
    for key, value in request.items():
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                shown[key] = json.loads(value)
                continue
            except ValueError:
                pass
        shown[key] = value
    return shown


def step_cells(number: int, step: Step, row: RowState) -> list[Text]:
    return [
        Text(str(number), justify="right"),
        Text(step.account),
        Text(step.call),
        Text(step.action, style=ACTION_STYLES.get(step.action, "")),
        state_text(row),
        Text(safe(target_of(step))),
    ]


class ApplyStepsTable(RefitTable):
    """One row per step; ``show`` repaints only the state cell of one step."""

    DEFAULT_CSS = """
    ApplyStepsTable { height: auto; max-height: 14; }
    """

    def __init__(self, steps: Sequence[Step], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.steps = tuple(steps)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        for number, step in enumerate(self.steps, start=1):
            self.add_row(*step_cells(number, step, RowState()), key=step.id)

    def show(self, step_id: str, row: RowState) -> None:
        self.update_cell(step_id, "state", state_text(row), update_width=True)

    def state_of(self, step_id: str) -> str:
        """The state cell's text, as the user reads it."""
        return str(self.get_cell(step_id, "state"))

    @property
    def highlighted_step(self) -> Step | None:
        if not self.steps or self.cursor_row < 0 or self.cursor_row >= len(self.steps):
            return None
        return self.steps[self.cursor_row]


def detail_renderable(number: int, total: int, step: Step, row: RowState, *, dry_run: bool) -> tuple[Group, str]:
    """The detail of one step, and the same as plain text."""
    head = Text()
    head.append(f"Step {number}/{total} ", style="bold")
    head.append(f"· {step.account} · {step.call} · ")
    head.append(step.action, style=ACTION_STYLES.get(step.action, ""))
    head.append(" · ")
    head.append_text(state_text(row))
    head.append(f"\n{safe(step.summary)}")
    if row.status == "retrying" and row.message:
        delay = f", next try in {row.delay:.1f}s" if row.delay is not None else ""
        head.append(f"\n{safe(row.message)}{delay}", style="yellow")
    if row.status == "failed" and row.message:
        head.append(f"\n✗ {safe(row.message)}", style="red")
        if row.fix:
            head.append(f"\nfix: {safe(row.fix)}", style="bold")
    for line in row.lines:
        head.append(f"\n  · {safe(line)}", style="dim")
    label = Text()
    document = f" · document: {title_of(step.document)} ({step.document})" if step.document else ""
    if dry_run:
        label.append(f"\nRequest{document} · dry run: shown, not sent", style="bold magenta")
    else:
        label.append(f"\nRequest{document} · checked against what is deployed before it is sent", style="bold")
    text = json.dumps(readable_request(step.request), indent=2, default=str)
    syntax = Syntax(text, "json", theme="ansi_dark", word_wrap=True, background_color="default")
    return Group(head, label, syntax), f"{head.plain}{label.plain}\n{text}"


class StepDetail(VerticalScroll):
    """The highlighted step: what happened to it, and its request with the document."""

    DEFAULT_CSS = """
    StepDetail { height: 1fr; min-height: 5; border: round $secondary; padding: 0 1; }
    StepDetail:focus { border: round $accent; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plain = ""  # what the pane shows, as plain text

    def compose(self) -> ComposeResult:
        yield Static(id="detail-body")

    def show(self, number: int, total: int, step: Step, row: RowState, *, dry_run: bool) -> None:
        self.border_title = f"Step {number}: {step.call}"
        renderable, self.plain = detail_renderable(number, total, step, row, dry_run=dry_run)
        self.query_one("#detail-body", Static).update(renderable)

    def clear(self, text: str = "") -> None:
        self.border_title = ""
        self.plain = text
        self.query_one("#detail-body", Static).update(Text(text))
