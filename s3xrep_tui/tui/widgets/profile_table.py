"""The profiles and the ambient chain, one row each, with their identities.

Rows are keyed by ``ProfileInfo.key``; identity answers update cells in place.
Cells are ``rich.text.Text`` so profile names are never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding

from ...aws.profiles import ProfileInfo
from ..state import Identity
from .keyed_table import KeyedTable, shorten
from .refit_table import RefitTable

COLUMNS = (("use", "use"), ("profile", "profile"), ("kind", "kind"), ("region", "region"),
           ("account", "account"), ("arn", "identity ARN"), ("status", "status"))
ACCOUNT_WIDTH = 12
ARN_WIDTH = 26
MIN_STATUS_WIDTH = 16


@dataclass
class ProfileRow:
    """One row's model: the profile, its identity, and which request is current."""

    profile: ProfileInfo
    identity: Identity
    generation: int = 0
    use: str = ""  # "SRC", "DST" or "S+D"

    def cells(self, status_width: int = 40) -> list[Text]:
        p, identity = self.profile, self.identity
        kind = p.kind + (" (mfa)" if p.mfa else "")
        account = identity.account
        return [
            Text(self.use, style="bold"),
            Text(p.label, style="italic" if p.name is None else ""),
            Text(kind),
            Text(p.region or "—", style="" if p.region else "dim"),
            Text(account.id if account else ""),
            Text(shorten(_arn_resource(account.arn) if account and account.arn else "", ARN_WIDTH)),
            status_text(identity, status_width),
        ]

    def haystack(self) -> str:
        """What the filter matches against."""
        return " ".join(cell.plain for cell in self.cells()).lower() + " " + self.profile.detail.lower()


def status_text(identity: Identity, width: int = 40) -> Text:
    if identity.state == "resolved":
        return Text("✓ resolved", style="green")
    if identity.state == "failed" and identity.error is not None:
        return Text("✗ " + shorten(identity.error.fix, width - 2), style="red")
    if identity.state == "resolving":
        return Text("… resolving", style="dim")
    return Text("waiting", style="dim")


def _arn_resource(arn: str) -> str:
    # arn:aws:sts::111111111111:assumed-role/Admin/alice -> assumed-role/Admin/alice;
    # the account id has its own column and the full ARN is in the detail line.
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else arn


class ProfileTable(RefitTable, KeyedTable):
    """A DataTable that knows how to show ``ProfileRow`` models."""

    # Enter continues the flow (the screen decides whether it can) instead of
    # DataTable's "select cursor", so the footer shows one meaning for it.
    BINDINGS = [Binding("enter", "screen.continue", "Continue")]

    DEFAULT_CSS = """
    ProfileTable { height: auto; max-height: 60%; }
    """

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._shown: list[ProfileRow] = []
        self._status_width = 40

    def on_mount(self) -> None:
        fixed = {"account": ACCOUNT_WIDTH, "arn": ARN_WIDTH}
        for key, label in COLUMNS:
            self.add_column(label, key=key, width=fixed.get(key))

    def show(self, rows: Iterable[ProfileRow], keep_cursor_on: str | None = None) -> None:
        """Replace the rows (a new profile list, or a new filter)."""
        self._shown = list(rows)
        self._status_width = self._fit_status()
        self.clear()
        for row in self._shown:
            self.add_row(*row.cells(self._status_width), key=row.profile.key)
        if keep_cursor_on is not None:
            self.move_to(keep_cursor_on)

    def paint(self, row: ProfileRow) -> None:
        """Update one row's cells in place (no-op if the filter hides it)."""
        key = row.profile.key
        if key not in self.rows:
            return
        for (column, _), cell in zip(COLUMNS, row.cells(self._status_width), strict=True):
            self.update_cell(key, column, cell, update_width=True)

    def on_resize(self) -> None:
        width = self._fit_status()
        if width != self._status_width:
            self._status_width = width
            for row in self._shown:
                self.paint(row)

    def _fit_status(self) -> int:
        """Room left for the status column, so a fix is cut with … rather than scrolled off."""
        available = self.scrollable_content_region.width
        if available <= 0:
            return 40
        widths = [3, ACCOUNT_WIDTH, ARN_WIDTH]
        for column in ("profile", "kind", "region"):
            index = [key for key, _ in COLUMNS].index(column)
            label = COLUMNS[index][1]
            widths.append(max([len(label), *(len(row.cells()[index].plain) for row in self._shown)]))
        padding = 2 * self.cell_padding * len(COLUMNS)
        return max(MIN_STATUS_WIDTH, available - sum(widths) - padding - 1)
