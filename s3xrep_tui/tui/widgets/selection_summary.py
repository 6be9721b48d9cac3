"""What the user confirmed on the accounts screen: both sides, side by side."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..state import Choice


def summary(source: Choice, destination: Choice) -> Group:
    grid = Table.grid(padding=(0, 2))
    for _ in range(5):
        grid.add_column()
    for role, choice in (("source", source), ("destination", destination)):
        account = choice.identity.account
        grid.add_row(
            Text(role, style="bold"),
            Text(choice.profile.label),
            Text(account.id if account else "?"),
            Text(choice.profile.region or "no region (us-east-1 for STS)"),
            Text(account.arn or "" if account else ""),
        )
    if source.account_id == destination.account_id:
        verdict = Text(f"Same account: both buckets will be in {source.account_id}.")
    else:
        verdict = Text(f"Cross-account: {source.account_id} replicates into {destination.account_id}.")
    return Group(grid, verdict)


class SelectionSummary(Static):
    DEFAULT_CSS = """
    SelectionSummary { height: auto; border: round $success; padding: 0 1; display: none; }
    SelectionSummary.-shown { display: block; }
    """

    def show(self, source: Choice, destination: Choice) -> None:
        self.border_title = "Accounts confirmed"
        self.border_subtitle = "next: buckets (not built yet)"
        self.update(summary(source, destination))
        self.add_class("-shown")

    def hide(self) -> None:
        self.remove_class("-shown")
