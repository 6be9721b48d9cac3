"""The monitor's alarms: each alarm's state in words (not by colour alone) and the recent failure events.

Hidden until the migration has alarms (its journal created them) or an event arrived.
Every string from AWS (names, reasons, keys) goes through ``safe`` and into ``Text``, never markup.
"""

from __future__ import annotations

import os

from rich.text import Text
from textual.widgets import Static

from ...aws.alarm_status import AlarmState, AlarmStatus, FailureEvent
from ...core.text import safe

_MARK = {"ALARM": ("✗ ALARM", "bold red"), "OK": ("✓ OK", "green"),
         "INSUFFICIENT_DATA": ("? NO DATA", "yellow")}
EVENTS_SHOWN = 3


def short_name(name: str, names: list[str]) -> str:
    """Alarm names without the prefix they all share (``s3xrep-SRC-to-DST-``)."""
    if len(names) < 2:
        return name
    common = os.path.commonprefix(names)
    common = common[: common.rfind("-") + 1] if "-" in common else ""
    return name[len(common):] or name


def alarm_line(alarm: AlarmState, names: list[str]) -> Text:
    mark, style = _MARK.get(alarm.state, (f"? {alarm.state}", "yellow"))
    text = Text()
    text.append(mark, style=style)
    text.append(f" {safe(short_name(alarm.name, names))}", style="bold")
    if alarm.reason:
        text.append(f": {safe(alarm.reason)}", style="dim")
    return text


def event_line(event: FailureEvent) -> Text:
    text = Text()
    text.append("✗ failed ", style="red")
    text.append(safe(event.key), style="bold")
    if event.version_id and event.version_id != "null":
        text.append(f" ({safe(event.version_id)[:12]})", style="dim")
    text.append(f": {safe(event.meaning)} [{safe(event.reason)}]")
    return text


class AlarmsPanel(Static):
    DEFAULT_CSS = """
    AlarmsPanel { height: auto; max-height: 6; padding: 0 1; border: round $secondary; display: none;
                  text-wrap: nowrap; text-overflow: ellipsis; }
    AlarmsPanel.-shown { display: block; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "alarms"
        self.status: AlarmStatus | None = None
        self.events: list[FailureEvent] = []

    def show(self, status: AlarmStatus, events: list[FailureEvent]) -> None:
        self.status, self.events = status, events
        if not status.alarms and not events and not status.note:
            self.set_class(False, "-shown")
            return
        names = [a.name for a in status.alarms]
        lines = [alarm_line(a, names) for a in status.alarms]
        if events:
            lines.append(Text(f"recent failure events ({len(events)}):", style="bold"))
            lines += [event_line(e) for e in events[:EVENTS_SHOWN]]
        elif status.note:
            lines.append(Text(safe(status.note), style="dim"))
        else:
            lines.append(Text("no failure events", style="dim"))
        self.border_title = "alarms · " + ("ALARM" if status.any_alarm else "all OK" if status.alarms else "none")
        shown = Text("\n").join(lines)
        shown.no_wrap, shown.overflow = True, "ellipsis"  # one row each: a reason is cut, not wrapped (80x24)
        self.update(shown)
        self.set_class(True, "-shown")

    def show_problem(self, message: str) -> None:
        self.update(Text(f"alarms not read: {safe(message)}", style="dim"))
        self.set_class(True, "-shown")
