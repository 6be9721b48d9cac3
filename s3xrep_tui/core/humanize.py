"""Numbers for people: durations and rates, the same in the CLI, the monitor and the report."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """``45s``, ``2m30s``, ``1h02m``, ``3d04h``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    seconds = round(float(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def rate_text(rate: float | None, unit: str = "") -> str:
    """``1,250/s`` or ``2.5 objects/s``; ``-`` when unknown."""
    if rate is None:
        return "-"
    per = f" {unit}/s" if unit else "/s"
    return f"{rate:,.0f}{per}" if rate >= 10 else f"{rate:.1f}{per}"


def size(n: float, *, grouping: bool = False) -> str:
    """``812 B``, ``4.2 MiB``, ``1.1 TiB`` (binary units); ``grouping`` adds thousands separators (``1,000 B``)."""
    value = float(n)
    comma = "," if grouping else ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:{comma}.0f} {unit}" if unit == "B" else f"{value:{comma}.1f} {unit}"
        value /= 1024
    return f"{value:{comma}.1f} TiB"
