"""The plan's steps in the order apply runs them: #, account, call, action, summary."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from ...core.models import Step
from ...core.text import safe

ACTION_STYLES = {"create": "bold green", "update": "bold yellow", "no-op": "dim"}
COLUMNS = (("n", "#"), ("account", "account"), ("call", "call"), ("action", "action"), ("summary", "summary"))


def step_cells(number: int, step: Step) -> list[Text]:
    return [
        Text(str(number), justify="right"),
        Text(step.account),
        Text(step.call),
        Text(step.action, style=ACTION_STYLES.get(step.action, "")),
        Text(safe(step.summary)),  # may name the other account's role or rules
    ]


class StepsTable(DataTable):
    DEFAULT_CSS = """
    StepsTable { height: 1fr; }
    """

    def __init__(self, steps: Sequence[Step], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._steps = tuple(steps)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        for number, step in enumerate(self._steps, start=1):
            self.add_row(*step_cells(number, step), key=step.id)
