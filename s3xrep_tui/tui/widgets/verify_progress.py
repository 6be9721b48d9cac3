"""Where a verification is: a progress bar, versions compared, listed per side, rate and time."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from ...aws.verify import VerifyProgress


def count_text(value: int) -> str:
    return f"{value:,}"


def progress_text(progress: VerifyProgress | None, *, state: str = "running") -> Text:
    if progress is None:
        return Text("starting: reading both buckets' replication settings…", style="dim")
    text = Text()
    text.append(count_text(progress.compared), style="bold")
    text.append(" versions compared · ")
    text.append(f"{progress.rate:,.0f}/s", style="bold")
    text.append(f" · source listed {count_text(progress.source_listed)}"
                f" · destination listed {count_text(progress.destination_listed)}"
                f" · {progress.elapsed:.1f}s")
    if state != "running":
        text.append(f" · {state}", style="bold")
    return text


class VerifyProgressView(Vertical):
    """The bar is indeterminate while listing (the total is unknown until both listings end)."""

    DEFAULT_CSS = """
    VerifyProgressView { height: auto; padding: 0 1; }
    VerifyProgressView ProgressBar { height: 1; }
    VerifyProgressView #verify-counts { height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, id="verify-bar")
        yield Static(progress_text(None), id="verify-counts")

    def running(self, progress: VerifyProgress | None) -> None:
        bar = self.query_one(ProgressBar)
        if progress is not None and progress.source_listed:
            # listed so far on the larger side: a moving target, honest about "how far along the listings"
            listed = max(progress.source_listed, progress.destination_listed)
            bar.update(total=max(listed, progress.compared, 1), progress=progress.compared)
        self.query_one("#verify-counts", Static).update(progress_text(progress))

    def finished(self, progress: VerifyProgress | None, state: str) -> None:
        bar = self.query_one(ProgressBar)
        if progress is not None:
            total = max(progress.compared, 1)
            bar.update(total=total, progress=total if state == "done" else progress.compared)
        self.query_one("#verify-counts", Static).update(progress_text(progress, state=state))
