"""The fleet board's AWS side: every pair's status, verify and undo for the whole migration, the report.

Methods run in thread workers. Tests and the screenshots pass a stand-in with the same methods.
Clients per profile are made once, following the app's read-only toggle at every call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from ..aws.fleet_inspect import FleetClients
from ..aws.fleet_status import PairStatus, fleet_status
from ..aws.fleet_store import FleetPair, FleetRecord

if TYPE_CHECKING:
    from .app import S3xrepApp


class FleetPolled(Message):
    """One poll of the board: a status per pair, or an error (one line)."""

    def __init__(self, rows: list[PairStatus] | None = None, error: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.error = error


class FleetDone(Message):
    """A whole-migration action (verify, report, undo) ended: what it says, and whether all went well."""

    def __init__(self, action: str, text: str, ok: bool) -> None:
        super().__init__()
        self.action = action
        self.text = text
        self.ok = ok


class FleetBackend:
    def __init__(self, app: S3xrepApp) -> None:
        from ..aws.clients import clients_for

        self.app = app
        self.clients = FleetClients(lambda profile: clients_for(profile, read_only=lambda: bool(app.read_only)))

    def status(self, pairs: Sequence[FleetPair], latency: bool = True) -> list[PairStatus]:
        return fleet_status(pairs, self.clients, latency=latency)

    def verify(self, record: FleetRecord, progress: Callable[[FleetPair, bool], None]) -> tuple[int, int]:
        """Verify every pair (each recorded for its report and this board); (verified, pairs)."""
        from ..aws.results import record_verify
        from ..aws.verify import verify_replication

        ok = 0
        for pair in record.pairs:
            report = verify_replication(self.clients(pair.source_profile), self.clients(pair.destination_profile),
                                        pair.source_bucket, pair.destination_bucket)
            record_verify(pair.plan_id, report.as_dict())
            ok += int(report.ok)
            progress(pair, report.ok)
        return ok, len(record.pairs)

    def report(self, record: FleetRecord) -> Path:
        """The migration's one report (every pair), Markdown in the data directory's reports/."""
        from ..aws.fleet_report import fleet_report_markdown
        from ..aws.fleet_status import totals
        from ..aws.migration_report import default_report_path, write_report_file

        rows = self.status(record.pairs, latency=False)
        text = fleet_report_markdown(record, rows, totals(rows))
        return write_report_file(default_report_path(record.id, "md"), text)

    def undo(self, record: FleetRecord, progress: Callable[[FleetPair, Any], None]) -> list[Any]:
        from ..aws.fleet_apply import undo_fleet

        return undo_fleet(record, self.clients, progress=progress)
