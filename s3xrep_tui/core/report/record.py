"""The final record of a finished migration: the journal's finish record as the report shows it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..finish import cut_over
from ..finish import finished as finished_record
from .model import FinishView


def finish_view(entries: list[Mapping[str, Any]]) -> FinishView | None:
    """The last complete finish record (an incomplete one leaves the migration not finished)."""
    record = finished_record(entries)
    if record is None:
        return None
    rows = tuple(tuple(str(v) for v in row)[:4] for row in record.get("rows") or [] if isinstance(row, list)
                 and len(row) >= 4)
    cut = cut_over(entries)
    return FinishView(at=str(record.get("ts") or ""), rows=rows,  # type: ignore[arg-type]
                      cut_over_at=str((cut or {}).get("ts") or ""))
