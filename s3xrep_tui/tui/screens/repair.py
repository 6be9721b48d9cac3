"""Repair from the Verify screen: a small preview of the documents and the typed confirmation.

The Verify screen's ``p`` (shown only when versions are missing or mismatched)
sorts its last verify's findings in a thread (:func:`prepare`: a HEAD per
missing source version), shows :class:`RepairConfirm` (counts, the manifest's
first lines, the create_job request, what a job cannot replicate and why), and
after the source bucket's name is typed runs :func:`run` in a thread; the
before/after counts land in the screen's body (:func:`result_text`). Every
string from AWS reaches the screen as plain :class:`~rich.text.Text`, escaped.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from ...aws.journal import Journal
from ...aws.repair import Candidates, Preview, RepairResult, candidates_from, preview, repair, stamp_now
from ...aws.verify import VerifyReport
from ...core.text import safe
from ..widgets.confirm_apply import ConfirmApply

SHOWN = 5  # not-repairable versions listed in the preview


class RepairPrepared(Message):
    def __init__(self, candidates: Candidates | None, documents: Preview | None, stamp: str,
                 error: Any = None) -> None:
        super().__init__()
        self.candidates, self.documents, self.stamp, self.error = candidates, documents, stamp, error


class RepairDone(Message):
    def __init__(self, result: RepairResult) -> None:
        super().__init__()
        self.result = result


def targets(app: Any) -> tuple[Any, dict[str, Any], Any, bool]:
    """On the UI thread: the plan, both accounts' clients, the options and read-only mode the repair runs with."""
    plan = app.plan
    if plan is None:
        raise ValueError("repair needs the applied plan: go back to Preview and Apply first")
    clients = {"source": app.clients("source"), "destination": app.clients("destination")}
    return plan, clients, app.options, bool(getattr(app, "read_only", False))


def prepare(target: tuple[Any, dict[str, Any], Any, bool], report: VerifyReport) -> RepairPrepared:
    """In a thread: the last verify's findings sorted for repair, and round 1's documents."""
    plan, clients, options, _ = target
    if not Journal(plan.id).exists():
        raise ValueError(f"plan {plan.id} was never applied here (no journal): apply it first")
    stamp = stamp_now()
    candidates = candidates_from(report, plan, clients, options)
    documents = preview(plan, options, candidates.rows, stamp=stamp) if candidates.rows else None
    return RepairPrepared(candidates, documents, stamp)


def run(target: tuple[Any, dict[str, Any], Any, bool], candidates: Candidates, stamp: str,
        cancel: Any = None) -> RepairResult:
    """In a thread: the repair rounds (journaled in the plan's journal; read-only refuses the writes)."""
    plan, clients, options, read_only = target
    return repair(plan, clients, candidates, options=options, read_only=read_only, cancel=cancel, stamp=stamp)


def result_text(result: RepairResult) -> Text:
    style = "bold green" if result.clean else "bold red"
    text = Text.assemble(("repair ", style), f"before {result.before:,} · after {result.after:,} · "
                         f"{result.repaired:,} of {len(result.rows):,} replicated by {len(result.rounds)} job(s)")
    if result.not_repairable:
        text.append(f" · {len(result.not_repairable):,} a job cannot replicate", style="yellow")
    if result.error is not None:
        text.append(f"\n✗ {safe(result.error.message)}", style="red")
    text.append(f"\n  undo with: s3xrep undo {result.plan_id}", style="dim")
    return text


class RepairConfirm(ModalScreen[bool]):
    """The documents round 1 writes, and the typed confirmation."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    RepairConfirm { align: center middle; }
    RepairConfirm > VerticalScroll { width: 90%; height: 90%; border: round $warning; padding: 0 1; }
    RepairConfirm Static { height: auto; }
    """

    def __init__(self, candidates: Candidates, documents: Preview | None, source_bucket: str) -> None:
        super().__init__()
        self.candidates, self.documents, self.source_bucket = candidates, documents, source_bucket

    def compose(self) -> ComposeResult:
        rows, skipped = self.candidates.rows, self.candidates.not_repairable
        with VerticalScroll():
            yield Static(Text.assemble(("Repair ", "bold"), f"{self.candidates.missing:,} missing or mismatched: "
                                       f"{len(rows):,} to replicate, {len(skipped):,} a job cannot replicate"),
                         id="repair-counts")
            if rows:
                yield ConfirmApply(self.source_bucket, id="repair-confirm")
            if self.documents is not None:
                docs = self.documents
                yield Static(Text(safe(f"manifest s3://{docs.bucket}/{docs.key}, first lines:\n  "
                                       + "\n  ".join(docs.head()), newlines=True)), id="repair-manifest")
                request = json.dumps(docs.job_request, indent=1, default=str)
                yield Static(Text(safe(f"create_job request:\n{request}", newlines=True), style="dim"),
                             id="repair-request")
            for item in skipped[:SHOWN]:
                yield Static(Text(safe(f"not repaired: {item.key} ({item.version_id}): {item.reason}")))

    def on_mount(self) -> None:
        if self.candidates.rows:
            self.query_one(ConfirmApply).button.label = "Repair"
            self.query_one(ConfirmApply).input.focus()

    @on(ConfirmApply.Confirmed)
    def _confirmed(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
