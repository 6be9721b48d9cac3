"""The Batch Operations jobs of the source account: one row per job, cells updated in place.

Columns have fixed widths (adding a row measures nothing); a poll that changes
a job updates only the cells whose text changed (``update_cell``), a poll that
changes nothing touches nothing, and the elapsed column of running jobs ticks
from the screen's clock without any AWS call. Fifty jobs cost a few cell
updates per poll. Rows are added (and the table re-sorted) only when a job
appears. Jobs this app created are marked with ``●``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowDoesNotExist, RowKey

from ...aws.jobs import JobSummary
from ...core.humanize import duration, rate_text
from .keyed_table import shorten

# (key, label, width): 97 columns of text + padding fits a 120-column terminal
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mine", "", 1),
    ("description", "job", 20),
    ("status", "status", 10),
    ("progress", "progress", 15),
    ("succeeded", "done", 7),
    ("failed", "failed", 6),
    ("total", "total", 7),
    ("rate", "rate", 7),
    ("eta", "ETA", 6),
    ("elapsed", "elapsed", 7),
    ("priority", "pri", 3),
)
WIDTHS = {key: width for key, _, width in COLUMNS}
BAR = 9

STATUS_STYLES = {
    "Complete": "green", "Failed": "bold red", "Cancelled": "yellow", "Cancelling": "yellow", "Failing": "red",
    "Suspended": "bold magenta", "Active": "cyan", "Preparing": "dim", "New": "dim", "Paused": "yellow",
}


def count(value: int) -> str:
    if value >= 10_000_000:
        return f"{value / 1_000_000:.0f}M"
    if value >= 100_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


def progress_bar(job: JobSummary, width: int = BAR) -> Text:
    """``█████░░░░ 54%`` (red share for failed tasks); ``preparing`` while the total is unknown."""
    fraction = job.progress.fraction
    if fraction is None:
        waiting = {"Suspended": "needs confirm", "New": "starting", "Preparing": "preparing"}
        return Text("-" if job.terminal else waiting.get(job.status, job.outcome), style="dim")
    total = job.progress.total
    failed_cells = round(width * job.progress.failed / total) if total else 0
    done_cells = max(0, round(width * fraction) - failed_cells)
    text = Text()
    text.append("█" * done_cells, style="green" if job.status == "Complete" else "cyan")
    text.append("█" * failed_cells, style="red")
    text.append("░" * (width - done_cells - failed_cells), style="dim")
    text.append(f" {fraction * 100:>3.0f}%")
    return text


def cell(job: JobSummary, column: str, mine: bool, now: datetime) -> Text:
    progress = job.progress
    if column == "mine":
        return Text("●" if mine else "", style="bold cyan")
    if column == "description":
        return Text(shorten(job.description or job.job_id, WIDTHS["description"]), style="bold" if mine else "")
    if column == "status":
        return Text(job.status, style=STATUS_STYLES.get(job.status, ""))
    if column == "progress":
        return progress_bar(job)
    if column == "succeeded":
        return Text(count(progress.succeeded), justify="right")
    if column == "failed":
        return Text(count(progress.failed), style="red" if progress.failed else "dim", justify="right")
    if column == "total":
        return Text(count(progress.total) if progress.total else "-", justify="right")
    if column == "rate":
        return Text(rate_text(job.rate), justify="right")
    if column == "eta":
        return Text(duration(job.eta_seconds), justify="right")
    if column == "elapsed":
        return Text(duration(job.elapsed(now)), justify="right")
    if column == "priority":
        return Text(str(job.priority), justify="right")
    raise KeyError(column)


def _order(job: JobSummary) -> tuple:
    created = job.created or datetime.min.replace(tzinfo=UTC)
    return (-created.timestamp(), job.job_id)


class JobsTable(DataTable):
    """Jobs by id; :meth:`show` applies a poll's answer with as few cell updates as it can."""

    DEFAULT_CSS = "JobsTable { height: 1fr; }"
    BINDINGS = [Binding("enter", "select_cursor", "Job detail")]

    def __init__(self, clock: Callable[[], datetime] | None = None, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.clock = clock or (lambda: datetime.now(UTC))
        self.jobs: dict[str, JobSummary] = {}
        self.mine: frozenset[str] = frozenset()
        self._texts: dict[tuple[str, str], str] = {}  # what each cell shows now (to skip identical updates)
        self.cell_updates = 0  # counted, for the tests' "in place" check

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def selected_job(self) -> JobSummary | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except RowDoesNotExist:
            return None
        return self.jobs.get(key or "")

    def show(self, jobs: Iterable[JobSummary], mine: frozenset[str]) -> None:
        now = self.clock()
        jobs = list(jobs)
        mine_changed = mine != self.mine
        self.mine = mine
        fresh = [job for job in jobs if job.job_id not in self.jobs]
        if fresh:
            selected = self.selected_job
            for job in jobs:
                self.jobs[job.job_id] = job
            self._rebuild(now, selected.job_id if selected else None)
            return
        for job in jobs:
            old = self.jobs.get(job.job_id)
            if old == job and not mine_changed:
                continue
            self.jobs[job.job_id] = job
            self._update_row(job, now)

    def tick(self) -> None:
        """Advance the elapsed column of the jobs still running (no AWS call)."""
        now = self.clock()
        for job in self.jobs.values():
            if not job.terminal and job.created is not None:
                self._set(job.job_id, "elapsed", cell(job, "elapsed", False, now))

    def _rebuild(self, now: datetime, selected: str | None) -> None:
        """Only when jobs appear: rows in order (ours first, newest first)."""
        ordered = sorted(self.jobs.values(), key=lambda j: (j.job_id not in self.mine, *_order(j)))
        self.clear()
        self._texts.clear()
        for job in ordered:
            cells = [cell(job, key, job.job_id in self.mine, now) for key, _, _ in COLUMNS]
            for (key, _, _), text in zip(COLUMNS, cells, strict=True):
                self._texts[(job.job_id, key)] = text.markup
            self.add_row(*cells, key=job.job_id)
        if selected is not None and selected in self.jobs:
            self.move_cursor(row=self.get_row_index(selected))

    def _update_row(self, job: JobSummary, now: datetime) -> None:
        mine = job.job_id in self.mine
        for key, _, _ in COLUMNS:
            self._set(job.job_id, key, cell(job, key, mine, now))

    def _set(self, job_id: str, column: str, text: Text) -> None:
        markup = text.markup
        if self._texts.get((job_id, column)) == markup:
            return
        self._texts[(job_id, column)] = markup
        self.cell_updates += 1
        self._replace_cell(job_id, column, text)

    def _replace_cell(self, job_id: str, column: str, text: Text) -> None:
        """``update_cell`` for one cell, re-rendering only that cell.

        DataTable.update_cell bumps a counter that is part of every render cache key, so
        one changed cell re-rendered every visible cell: with the elapsed column ticking
        each second that was a 25-60 ms CPU frame every second (bench/polling.py). Here
        the cell's own cached renders are dropped (the row and line caches are cheap to
        rebuild from the cached cells) and only its row is repainted. On a DataTable
        without these caches (another Textual), the public update_cell.
        """
        row, key = RowKey(job_id), ColumnKey(column)
        try:
            cells, index = self._data[row], self.get_row_index(row)
            cell_cache, renderables = self._cell_render_cache, self._row_renderable_cache
            row_cache, line_cache, count = self._row_render_cache, self._line_cache, self._update_count
        except (AttributeError, KeyError, RowDoesNotExist):
            self.update_cell(job_id, column, text)
            return
        cells[key] = text
        for cached in [k for k in cell_cache.keys() if k[0] == row and k[1] == key]:  # noqa: SIM118 (an LRUCache)
            cell_cache.discard(cached)
        renderables.discard((count, index))
        row_cache.clear()
        line_cache.clear()
        self.refresh_row(index)
