"""One report covering every pair of a fleet migration: the totals, a row per pair, then each pair's own report."""

from __future__ import annotations

from typing import Any

from .migration_report import UnknownPlan, gather_report, render


def percent(fraction: float | None) -> str:
    return "  -  " if fraction is None else f"{fraction * 100:4.0f}%"


def fleet_report_markdown(record: Any, rows: list[Any], sums: Any) -> str:
    """One page covering every pair: the totals, a row per pair, then each pair's own report."""
    lines = [f"# Migration {record.id}", "", f"{sums.pairs} pair(s), {sums.applied} applied; backfill "
             f"{sums.objects_done:,} of {sums.objects_total:,} objects ({percent(sums.fraction).strip()}), "
             f"{sums.failures:,} failed; {sums.verified} of {sums.pairs} verified.", "",
             "| # | source | destination | state | job | done | failed | verify |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        verify = "never" if row.verify_ok is None else ("OK" if row.verify_ok else "differences")
        lines.append(f"| {row.pair.index} | {row.pair.source_bucket} | {row.pair.destination_bucket} | {row.state} | "
                     f"{row.job.status if row.job else '-'} | {percent(row.progress).strip()} | {row.failures} | "
                     f"{verify} |")
    for row in rows:
        try:
            lines += ["", render(gather_report(row.pair.plan_id, source_profile=row.pair.source_profile), "md")]
        except UnknownPlan as exc:
            lines += ["", f"## {row.pair.label}", "", f"Not applied: {exc}"]
    return "\n".join(lines) + "\n"
