"""Live replication of the rule: a verdict, a ReplicationStatus sample, and the metrics as sparklines.

Fed by the monitor's replication poll (:class:`~s3xrep_tui.aws.replication_status.ReplicationHealth`);
each part is updated only when its own text or data changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from ...aws.replication_status import MetricSeries, ReplicationHealth, StatusSample
from ...core.text import safe

# (attribute of RuleMetrics, label)
METRIC_ROWS: tuple[tuple[str, str], ...] = (
    ("operations_pending", "ops pending"),
    ("bytes_pending", "bytes pending"),
    ("latency", "latency (s)"),
    ("operations_failed", "failures"),
)
STATE_STYLES = {"failing": "bold red", "replicating": "bold cyan", "healthy": "bold green",
                "not-eligible": "yellow", "no-data": "dim"}


def size_text(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.0f} B"  # pragma: no cover


def latest_text(attribute: str, series: MetricSeries) -> str:
    if not series.values:
        return "-"
    if attribute == "operations_failed":
        return f"{series.total:,.0f} Σ"
    latest = series.latest or 0.0
    if attribute == "bytes_pending":
        return size_text(latest)
    return f"{latest:,.0f}"


def sample_text(sample: StatusSample | None) -> Text:
    if sample is None:
        return Text("no status sample yet", style="dim")
    more = "+" if sample.truncated else ""
    text = Text(f"{sample.sampled}{more} sampled: ")
    for label, value, style in (("COMPLETED", sample.completed, "green"), ("PENDING", sample.pending, "cyan"),
                                ("FAILED", sample.failed, "red"), ("no status", sample.absent, "yellow")):
        text.append(f"{value} ", style=f"bold {style}" if value else "dim")
        text.append(label + " ", style=style if value else "dim")
    if sample.replica:
        text.append(f"{sample.replica} REPLICA", style="dim")
    return text


class ReplicationPanel(Vertical):
    DEFAULT_CSS = """
    ReplicationPanel { height: auto; border: round $primary-darken-2; padding: 0 1; }
    ReplicationPanel #verdict { height: auto; }
    ReplicationPanel #sample { height: 1; }
    ReplicationPanel .metric { height: 1; }
    ReplicationPanel .metric-label { width: 14; }
    ReplicationPanel Sparkline { width: 1fr; height: 1; }
    ReplicationPanel .metric-latest { width: 11; text-align: right; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.health: ReplicationHealth | None = None
        self.border_title = "replication"

    def compose(self) -> ComposeResult:
        yield Static(Text("waiting for the first sample…", style="dim"), id="verdict")
        yield Static(id="sample")
        for attribute, label in METRIC_ROWS:
            with Horizontal(classes="metric"):
                yield Static(label, classes="metric-label")
                yield Sparkline([], id=f"spark-{attribute}")
                yield Static("-", classes="metric-latest", id=f"latest-{attribute}")

    def show_problem(self, text: Text) -> None:
        self.query_one("#verdict", Static).update(text)

    def show(self, health: ReplicationHealth) -> None:
        previous, self.health = self.health, health
        verdict = Text()
        verdict.append(health.state, style=STATE_STYLES.get(health.state, ""))
        lines = [line for line in health.lines if "versions sampled:" not in line]  # the sample has its own line
        lines.sort(key=lambda line: 0 if "FAILED" in line or "failed" in line else 1 if "pending" in line else 2)
        if lines:
            verdict.append(" · " + safe(lines[0]))  # may quote keys and AWS's messages
            for line in lines[1:2]:
                verdict.append("\n" + safe(line), style="dim")
        self.query_one("#verdict", Static).update(verdict)
        if previous is None or previous.sample != health.sample:
            self.query_one("#sample", Static).update(sample_text(health.sample))
        metrics = health.metrics
        if metrics is None:
            return
        old = previous.metrics if previous is not None else None
        for attribute, _ in METRIC_ROWS:
            series: MetricSeries = getattr(metrics, attribute)
            if old is not None and getattr(old, attribute).slots == series.slots:
                continue
            self.query_one(f"#spark-{attribute}", Sparkline).data = series.sparkline_values()
            self.query_one(f"#latest-{attribute}", Static).update(latest_text(attribute, series))
