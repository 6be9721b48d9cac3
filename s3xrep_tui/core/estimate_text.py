"""An estimate as lines of text within 78 columns: the CLI, the Preview's Cost tab and the report share them."""

from __future__ import annotations

import textwrap

from .estimate_model import Estimate, LineItem
from .humanize import duration, rate_text, size

WIDTH = 78
HEADING = "ESTIMATE, not a quote: AWS list prices (USD), CloudWatch daily storage figures"
_SHORT_UNITS = {
    "per 1,000 requests": "1k req", "per million objects": "M obj", "per million objects in the source": "M obj",
    "per GB-month": "GB-mo", "per GB": "GB", "per job": "job", "per 10,000 requests": "10k req",
    "per million objects listed": "M obj", "per TB scanned": "TB",
}
LABEL, QUANTITY, PRICE, COST = 28, 17, 16, 10


def money(value: float | None) -> str:
    """``$1,234.57``; ``<$0.01`` for a cost above zero that rounds to nothing; ``?`` when unpriced."""
    if value is None:
        return "?"
    if 0 < value < 0.005:
        return "<$0.01"
    return f"${value:,.2f}"


def _quantity(item: LineItem) -> str:
    q = float(item.quantity)
    if q.is_integer() or q >= 100:
        number = f"{q:,.0f}"
    else:
        number = f"{q:,.3f}".rstrip("0").rstrip(".") if q >= 1 else f"{q:.2g}"
    unit = {"requests": "req", "objects": "obj"}.get(item.unit, item.unit)
    return f"{number} {unit}"


def _price(item: LineItem) -> str:
    if item.unit_price is None:
        return "no price"
    per = _SHORT_UNITS.get(item.price_unit, item.price_unit.removeprefix("per "))
    figure = f"{item.unit_price:.6f}".rstrip("0").rstrip(".")
    return f"${figure}/{per}"


def backfill_text(estimate: Estimate) -> str:
    if estimate.backfill_seconds is None:
        return "unknown (no object count)"
    return f"{duration(estimate.backfill_seconds)} at {rate_text(estimate.rate, 'obj')}"


def summary_line(estimate: Estimate) -> str:
    """One line: one-time and monthly cost, backfill time."""
    return (f"One-time {money(estimate.one_time)} · Monthly {money(estimate.monthly)} · "
            f"Backfill {backfill_text(estimate)}")


def item_rows(estimate: Estimate) -> list[tuple[str, str, str, str]]:
    """(label, quantity, price, cost) per line item, one-time items first, then monthly ones."""
    return [(item.label + (" /mo" if item.monthly else ""), _quantity(item), _price(item), money(item.cost))
            for item in estimate.items]


def _wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False) or [indent]


def assumption_lines(estimate: Estimate) -> list[str]:
    """The estimate's assumptions, each once (items sharing one are named together), wrapped."""
    lines: list[str] = []
    for text in estimate.assumptions:
        lines += _wrapped(f"- {text}", "  ")
    grouped: dict[str, list[str]] = {}
    for item in estimate.items:
        if item.assumption:
            grouped.setdefault(item.assumption, []).append(item.label)
    for text, labels in grouped.items():
        lines += _wrapped(f"- {', '.join(labels)}: {text}", "  ")
    return lines


def estimate_lines(estimate: Estimate, *, details: bool = True) -> list[str]:
    """The estimate for a terminal or a report: summary, line items, and (``details``) prices and assumptions."""
    objects = "?" if estimate.objects is None else f"{estimate.objects:,}"
    when = f" on {estimate.storage_as_of}" if estimate.storage_as_of else ""
    pairs = f" · {len(estimate.pairs)} pairs" if len(estimate.pairs) > 1 else ""
    lines = [
        HEADING,
        f"  {objects} objects, {size(estimate.bytes)}{when}{pairs}",
        f"  {summary_line(estimate)}",
        "",
        f"  {'Item':<{LABEL}} {'Quantity':>{QUANTITY}} {'Price':>{PRICE}} {'Cost':>{COST}}",
    ]
    for label, quantity, price, cost in item_rows(estimate):
        lines.append(f"  {label[:LABEL]:<{LABEL}} {quantity[:QUANTITY]:>{QUANTITY}} "
                     f"{price[:PRICE]:>{PRICE}} {cost[:COST]:>{COST}}")
    if not details:
        return lines
    lines.append("")
    lines += _wrapped("Prices: " + "; ".join(estimate.prices), "  ")
    sources = sorted({i.price_source for i in estimate.items} - set(estimate.prices))
    for source in sources:
        named = [i.label for i in estimate.items if i.price_source == source]
        lines += _wrapped(f"  {', '.join(named)}: {source}", "  ")
    lines += _wrapped(f"Backfill rate: {rate_text(estimate.rate, 'objects')}, {estimate.rate_source}", "  ")
    lines.append("  Assumptions:")
    lines += assumption_lines(estimate)
    if estimate.notes:
        lines.append("  Notes:")
        for note in estimate.notes:
            lines += _wrapped(f"! {note}", "  ")
    return lines
