"""Step 7: prove it. Both buckets' version listings compared, streamed, in a worker.

:func:`~s3xrep_tui.aws.verify.verify_replication` runs in a thread worker
(cancellable between pages: Esc or ``s`` stops it); its progress (versions
compared, listed per side, rate) reaches a progress bar at most ten times a
second. Then the summary (counts per outcome, bytes per side) and a table of
differences with their reason: the ones that matter first (missing, size or
ETag mismatch...), then the expected ones (GLACIER not eligible, out of scope,
delete markers not replicated, extra on the destination). ``e`` exports the
summary and every kept difference as CSV and JSON (0600 files in a 0700
directory under the user data directory; the paths are shown).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from ... import storage
from ...aws.errors import AwsError
from ...aws.results import record_verify_for
from ...aws.verify import Cancelled, VerifyProgress, VerifyReport, verify_replication
from ...core.humanize import size as _size
from ...core.verify import Outcome, Result
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from ..widgets.jobs_table import shorten
from ..widgets.verify_progress import VerifyProgressView
from . import repair as repair_flow
from .base import AppScreen
from .cutover import CutoverScreen

log = logging.getLogger(__name__)
_runs = itertools.count(1)

KEEP = 2000  # differences kept per kind (the rest are counted); the export holds the kept ones
PROGRESS_EVERY = 0.1  # seconds between progress messages
EXPORT_DIR = "verify"

Runner = Callable[..., VerifyReport]

# (key, label, width)
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("outcome", "outcome", 20),
    ("key", "key", 32),
    ("version", "version id", 10),
    ("reason", "reason", 46),
)
OUTCOME_STYLES = {Outcome.MISSING: "bold red", Outcome.SIZE_MISMATCH: "bold red", Outcome.ETAG_MISMATCH: "bold red",
                  Outcome.KIND_MISMATCH: "bold red", Outcome.DELETE_MARKER_MISSING: "bold red"}


def inventory_runner(source: Any, destination: Any, source_bucket: str, destination_bucket: str, *, prefix: str,
                     limit: int, progress: Any, cancel: Any) -> VerifyReport:
    """verify from both sides' S3 Inventory reports, called like verify_replication (one step: no progress)."""
    from ...aws.inventory_verify import verify_from_inventory  # DuckDB and sqlglot: ~0.2 s, only when asked

    report = verify_from_inventory(source, destination, source_bucket, destination_bucket, prefix=prefix, limit=limit)
    if cancel():
        raise Cancelled()
    return report


def summary_text(report: VerifyReport) -> Text:
    summary = report.summary
    text = Text()
    inventories = getattr(report, "inventories", None)
    if inventories:  # the reports' scan times: what the verdicts are as of
        text.append(f"from S3 Inventory · source as of {inventories[0].as_of} · destination as of "
                    f"{inventories[1].as_of}\n", style="bold")
    if summary.ok:
        text.append("✓ every version the rule covers is on the destination", style="bold green")
    else:
        text.append(f"✗ {summary.mattering:,} difference(s) that matter", style="bold red")
    text.append(f"   {summary.compared:,} versions compared in {report.seconds:.1f}s")
    counts = [(outcome, n) for outcome, n in summary.counts.items() if n]
    if counts:
        text.append("\n")
        for index, (outcome, n) in enumerate(counts):
            if index:
                text.append(" · ")
            text.append(f"{n:,} ", style=OUTCOME_STYLES.get(outcome, "bold"))
            text.append(outcome.value, style=OUTCOME_STYLES.get(outcome, ""))
    text.append(f"\nsource {summary.source_versions:,} versions ({_size(summary.source_bytes)}) · destination "
                f"{summary.destination_versions:,} versions ({_size(summary.destination_bytes)})")
    if summary.etag_differs_expected:
        text.append(f" · {summary.etag_differs_expected:,} ETag differences explained (KMS/multipart)", style="dim")
    for note in summary.notes:
        text.append(f"\n! {note}", style="yellow")
    not_kept = summary.differences_not_kept + summary.expected_not_kept
    if not_kept:
        text.append(f"\n{not_kept:,} more differences were counted but not kept (the table shows the first {KEEP:,} "
                    "of each kind)", style="dim")
    return text


def difference_rows(report: VerifyReport) -> list[Result]:
    return list(report.summary.differences) + list(report.summary.expected)


def export_csv(report: VerifyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["outcome", "matters", "key", "version_id", "reason", "source_size", "source_etag",
                     "source_storage_class", "destination_size", "destination_etag"])
    for result in difference_rows(report):
        src, dst = result.source, result.destination
        writer.writerow([
            result.outcome.value, "yes" if result.matters else "no", result.key, result.version_id, result.reason,
            "" if src is None or src.is_delete_marker else src.size, "" if src is None else src.etag or "",
            "" if src is None else src.storage_class or "",
            "" if dst is None or dst.is_delete_marker else dst.size, "" if dst is None else dst.etag or "",
        ])
    return out.getvalue()


def export_json(report: VerifyReport) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=False, default=str) + "\n"


def export_report(report: VerifyReport, directory: Path | None = None, stamp: str | None = None) -> tuple[Path, Path]:
    """Write ``<source>-to-<destination>-<UTC time>.csv`` and ``.json`` (0600, in a 0700 directory)."""
    directory = directory or storage.data_dir() / EXPORT_DIR
    stamp = stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"{report.source_bucket}-to-{report.destination_bucket}-{stamp}"
    csv_path = storage.write_private(directory / f"{base}.csv", export_csv(report))
    json_path = storage.write_private(directory / f"{base}.json", export_json(report))
    return csv_path, json_path


class VerifyScreen(AppScreen):
    class VerifyProgressed(Message):
        def __init__(self, run: int, progress: VerifyProgress) -> None:
            super().__init__()
            self.run = run
            self.progress = progress

    class VerifyFinished(Message):
        """The verification ended: a ``report``, an ``error``, or ``cancelled``."""

        def __init__(self, run: int, report: VerifyReport | None, error: AwsError | None = None,
                     cancelled: bool = False) -> None:
            super().__init__()
            self.run = run
            self.report = report
            self.error = error
            self.cancelled = cancelled

    TITLE = "Verify"

    BINDINGS = [
        Binding("r", "run", "Run again"),
        Binding("s", "stop", "Stop"),
        Binding("e", "export", "Export CSV+JSON"),
        Binding("i", "inventory", "From inventory"),  # toggles: compare the S3 Inventory reports instead
        Binding("p", "repair", "Repair"),  # only while versions are missing or mismatched
        Binding("g", "cutover", "Go/no-go"),
        Binding("escape", "back", "Back", show=False),
    ]

    DEFAULT_CSS = """
    VerifyScreen #verify-problem { display: none; height: auto; padding: 0 1; }
    VerifyScreen #verify-problem.-shown { display: block; }
    VerifyScreen #verify-summary { height: auto; padding: 0 1; border: round $primary-darken-2; }
    VerifyScreen #differences { height: 1fr; }
    VerifyScreen #verify-export { height: auto; padding: 0 1; }
    """

    def __init__(self, *, runner: Runner | None = None, export_dir: Path | None = None,
                 stamp: Callable[[], str] | None = None) -> None:
        """``runner``: verify_replication (tests and screenshots pass a stand-in); ``export_dir``: where ``e``
        writes (default ``data_dir()/verify``); ``stamp``: the file names' time (tests freeze it)."""
        super().__init__()
        self.runner = runner or verify_replication
        self.listing_runner = self.runner
        self.inventory_runner: Runner = inventory_runner
        self.export_dir = export_dir
        self.stamp = stamp
        self.run_number = 0
        self.cancel: threading.Event | None = None
        self.progress: VerifyProgress | None = None
        self.report: VerifyReport | None = None
        self.error: AwsError | None = None
        self.state = "idle"  # running | done | stopped | failed
        self.exported: tuple[Path, Path] | None = None
        self.repairing = False
        self.repair_result: Any = None  # the last repair's RepairResult
        self.repair_target: Any = None  # (plan, clients, options, read-only) taken on the UI thread

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=getattr(self.app, "demo", False), show_buckets=True)
        yield VerifyProgressView(id="verify-progress")
        yield Static(id="verify-problem")
        yield Static(Text("the summary appears when both listings are compared", style="dim"), id="verify-summary")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="differences")
        yield Static(id="verify-export")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#differences", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.border_title = "differences"
        self.action_run()

    def on_unmount(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    # --- running --------------------------------------------------------------------------

    def _targets(self) -> tuple[Any, Any, str, str, str]:
        app = self.s3xrep
        plan = app.plan
        source_bucket = app.source_bucket or (plan.source.name if plan is not None else None)
        destination_bucket = app.destination_bucket or (plan.destination.name if plan is not None else None)
        if not source_bucket or not destination_bucket:
            raise AwsError("no buckets chosen: nothing to compare", "press Esc and choose both buckets", "NoBuckets")
        return app.clients("source"), app.clients("destination"), source_bucket, destination_bucket, app.options.prefix

    def action_run(self) -> None:
        if self.state == "running":
            return
        try:
            targets = self._targets()
        except (AwsError, RuntimeError) as exc:
            error = exc if isinstance(exc, AwsError) else AwsError(str(exc), "choose both identities first",
                                                                    "NoIdentity")
            self._show_problem(error)
            return
        self._show_problem(None)
        self.run_number = run = next(_runs)
        self.cancel = cancel = threading.Event()
        self.progress, self.report, self.error, self.exported = None, None, None, None
        self.state = "running"
        self.query_one(VerifyProgressView).running(None)
        self.query_one("#differences", DataTable).clear()
        self.query_one("#verify-summary", Static).update(Text("comparing…", style="dim"))
        self.query_one("#verify-export", Static).update("")
        self.refresh_bindings()
        self.run_worker(lambda: self._verify_in_thread(run, targets, cancel), name="verify", group="verify",
                        exclusive=True, thread=True, exit_on_error=False)

    def _verify_in_thread(self, run: int, targets: tuple[Any, Any, str, str, str], cancel: threading.Event) -> None:
        worker = get_current_worker()
        source, destination, source_bucket, destination_bucket, prefix = targets
        last = [0.0]

        def progress(step: VerifyProgress) -> None:
            now = time.monotonic()
            if worker.is_cancelled or (not step.done and now - last[0] < PROGRESS_EVERY):
                return
            last[0] = now
            self.post_message(self.VerifyProgressed(run, step))

        def cancelled() -> bool:
            return cancel.is_set() or worker.is_cancelled

        try:
            report = self.runner(source, destination, source_bucket, destination_bucket, prefix=prefix, limit=KEEP,
                                 progress=progress, cancel=cancelled)
        except Cancelled:
            if not worker.is_cancelled:
                self.post_message(self.VerifyFinished(run, None, cancelled=True))
            return
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.VerifyFinished(run, None, exc))
            return
        except Exception as exc:
            log.exception("verify crashed")
            if not worker.is_cancelled:
                self.post_message(self.VerifyFinished(run, None, AwsError(
                    f"the verification failed: {type(exc).__name__}: {exc}", "see the log file", "Bug")))
            return
        if not worker.is_cancelled:
            record_verify_for(report.as_dict())  # the applied plan of these buckets, for 's3xrep report'
            self.post_message(self.VerifyFinished(run, report))

    @on(VerifyProgressed)
    def _progressed(self, message: VerifyScreen.VerifyProgressed) -> None:
        if message.run != self.run_number or self.state != "running":
            return
        self.progress = message.progress
        self.query_one(VerifyProgressView).running(message.progress)

    @on(VerifyFinished)
    def _finished(self, message: VerifyScreen.VerifyFinished) -> None:
        if message.run != self.run_number:
            return
        view = self.query_one(VerifyProgressView)
        if message.report is not None:
            self.report, self.state = message.report, "done"
            summary = message.report.summary
            self.progress = VerifyProgress(summary.compared, summary.source_versions, summary.destination_versions,
                                           message.report.seconds, True)
            view.finished(self.progress, "done")
            self._show_report(message.report)
        elif message.cancelled:
            self.state = "stopped"
            view.finished(self.progress, "stopped")
            self.query_one("#verify-summary", Static).update(Text("stopped: r runs it again", style="yellow"))
        else:
            self.state, self.error = "failed", message.error
            view.finished(self.progress, "failed")
            self._show_problem(message.error)
            self.query_one("#verify-summary", Static).update(Text("no result: see the error above", style="dim"))
        self.refresh_bindings()

    def _show_report(self, report: VerifyReport) -> None:
        self.query_one("#verify-summary", Static).update(summary_text(report))
        table = self.query_one("#differences", DataTable)
        table.clear()
        rows = difference_rows(report)
        for index, result in enumerate(rows):
            style = OUTCOME_STYLES.get(result.outcome, "dim" if not result.matters else "")
            table.add_row(
                Text(result.outcome.value, style=style),
                Text(shorten(result.key, 32)),
                Text(shorten(result.version_id, 10), style="dim"),
                Text(shorten(result.reason, 46)),
                key=f"{index}",
            )
        table.border_title = (f"differences · {report.summary.mattering:,} that matter · "
                              f"{report.summary.expected_differences:,} expected")

    def _show_problem(self, error: AwsError | None) -> None:
        widget = self.query_one("#verify-problem", Static)
        if error is None:
            widget.set_class(False, "-shown")
            return
        widget.update(Text.assemble(("✗ ", "red"), error.message, "\n  ", ("fix: ", "bold"), error.fix))
        widget.set_class(True, "-shown")

    # --- repair (screens/repair.py) ---------------------------------------------------------

    def action_repair(self) -> None:
        report = self.report
        if report is None or report.ok or self.repairing:
            return
        try:
            target = repair_flow.targets(self.s3xrep)
        except (ValueError, RuntimeError, AwsError) as exc:
            self._show_problem(AwsError(getattr(exc, "message", None) or str(exc), "apply the plan first", "NoPlan"))
            return
        self.repairing, self.repair_target = True, target
        self.refresh_bindings()
        self.query_one("#verify-export", Static).update(Text("repair: sorting what verify found…", style="dim"))
        self.run_worker(lambda: self._in_thread(lambda: repair_flow.prepare(target, report)), name="repair",
                        group="repair", exclusive=True, thread=True, exit_on_error=False)

    def _in_thread(self, work: Callable[[], Any]) -> None:
        try:
            self.post_message(work())
        except Exception as exc:  # noqa: BLE001  AwsError, no plan, anything boto3 raises: shown, not raised
            log.info("repair stopped: %s", exc)
            message = getattr(exc, "message", None) or str(exc)
            self.post_message(repair_flow.RepairPrepared(None, None, "", AwsError(
                message, getattr(exc, "fix", "") or "see the log file", "RepairFailed")))

    @on(repair_flow.RepairPrepared)
    def _repair_prepared(self, message: repair_flow.RepairPrepared) -> None:
        candidates = message.candidates
        if candidates is None:
            self.repairing = False
            self._show_problem(message.error)
            self.query_one("#verify-export", Static).update("")
            self.refresh_bindings()
            return

        def decided(go: bool | None) -> None:
            if not go:
                self.repairing = False
                self.query_one("#verify-export", Static).update(
                    Text("repair: not confirmed, nothing sent", style="dim"))
                self.refresh_bindings()
                return
            self.query_one("#verify-export", Static).update(Text("repair: running the Batch job…", style="yellow"))
            target, cancel = self.repair_target, self.cancel
            self.run_worker(lambda: self._in_thread(lambda: repair_flow.RepairDone(
                repair_flow.run(target, candidates, message.stamp, cancel))),
                name="repair", group="repair", exclusive=True, thread=True, exit_on_error=False)

        source = self.report.source_bucket if self.report is not None else ""
        self.app.push_screen(repair_flow.RepairConfirm(candidates, message.documents, source), decided)

    @on(repair_flow.RepairDone)
    def _repair_done(self, message: repair_flow.RepairDone) -> None:
        self.repairing, self.repair_result = False, message.result
        self.query_one("#verify-export", Static).update(repair_flow.result_text(message.result))
        self.refresh_bindings()

    # --- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "repair" and (self.report is None or self.report.ok or self.state != "done" or self.repairing):
            return False  # hidden, not greyed: there is nothing to repair
        if action == "export" and self.report is None:
            return None
        if action == "stop" and self.state != "running":
            return False  # hidden: nothing to stop
        if action in ("run", "inventory") and self.state == "running":
            return None
        return True

    def action_inventory(self) -> None:
        """Run again from the inventories (or, pressed again, from the listings)."""
        if self.state == "running":
            return
        self.runner = self.listing_runner if self.runner is self.inventory_runner else self.inventory_runner
        self.action_run()

    def action_cutover(self) -> None:
        self.app.push_screen(CutoverScreen())

    def action_stop(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    def action_back(self) -> None:
        self.action_stop()
        self.app.pop_screen()

    def action_export(self) -> None:
        if self.report is None:
            return
        try:
            paths = export_report(self.report, self.export_dir, self.stamp() if self.stamp else None)
        except OSError as exc:
            self._show_problem(AwsError(f"the export could not be written: {exc}",
                                        "check the disk and the permissions of the data directory", "ExportFailed"))
            return
        self.exported = paths
        text = Text.assemble(("exported ", "bold green"), str(paths[0]), "\n         ", str(paths[1]),
                             ("  (private: 0600)", "dim"))
        self.query_one("#verify-export", Static).update(text)  # in the body, not a toast: a toast covered it
