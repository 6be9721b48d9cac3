"""Every ``MigrationOptions`` field as a form, with each validation message beside its field.

``FIELDS`` lists the fields in the order shown, grouped in sections. The form
turns what is typed into values (``parse``): text that cannot even be a value
(``priority`` that is not a number, a tag that is not ``KEY=VALUE``) is
reported here; everything else is judged by ``MigrationOptions`` itself, whose
validators say the problem and the fix, and the first message for each field
is shown under it. Any edit posts ``OptionsForm.Edited``; the screen decides
when to re-evaluate (debounced).

Every state has a text form, not colour alone (plain text, a screen reader, a
washed-out projector): a checkbox draws ``[x]`` or ``[ ]``, a switch's hint
starts with ``on`` or ``off``.

A switch says what the plan will do, not only what was chosen: while Alarms or
RTC is on the plan enables replication metrics whatever Metrics says
(``MigrationOptions.metrics_enabled``), so the Metrics switch then shows on,
disabled, with the reason as its hint; the choice made there is kept and comes
back when nothing needs the metrics any more.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select, Static, Switch

from ...commands.plan import tag_spec
from ...core.models import STORAGE_CLASSES, MigrationOptions

Kind = Literal["text", "optional", "int", "optional_int", "tags", "switch", "storage_class", "statuses"]
STATUSES = ("NONE", "FAILED", "COMPLETED", "REPLICA")
SAME_AS_SOURCE = "same as the source object"


@dataclass(frozen=True)
class FormField:
    name: str  # the MigrationOptions attribute
    label: str
    kind: Kind
    hint: str = ""  # placeholder of an input, description beside a switch


SECTIONS: tuple[tuple[str, tuple[FormField, ...]], ...] = (
    (
        "Scope",
        (
            FormField("prefix", "Prefix", "text", "whole bucket (e.g. photos/)"),
            FormField("tags", "Tags", "tags", "KEY=VALUE, KEY=VALUE (none: every object)"),
        ),
    ),
    (
        "Replication",
        (
            FormField("delete_markers", "Delete markers", "switch", "replicate deletions (not with tags)"),
            FormField("storage_class", "Storage class", "storage_class"),
            FormField("rtc", "Time Control (RTC)", "switch", "15-minute SLA, extra cost"),
            FormField("metrics", "Metrics", "switch", "replication metrics in CloudWatch"),
            FormField("alarms", "Alarms", "switch", "failure events, 2 alarms; metrics on"),
            FormField("replica_kms_key", "Replica KMS key", "optional", "arn:aws:kms:REGION:ACCOUNT:key/ID"),
            FormField("rule_id", "Rule id", "optional"),
            FormField("priority", "Rule priority", "optional_int", "lowest unused"),
        ),
    ),
    (
        "Roles",
        (
            FormField("single_role", "Single role", "switch", "one role for replication and Batch"),
            FormField("replication_role_name", "Replication role", "optional"),
            FormField("batch_role_name", "Batch role", "optional"),
            FormField("replace_existing_role", "Replace existing role", "switch", "switch the source to our role"),
        ),
    ),
    (
        "Existing objects (Batch Replication)",
        (
            FormField("replicate_existing", "Replicate existing", "switch", "backfill with a Batch job"),
            FormField("existing_statuses", "Statuses", "statuses"),
            FormField("report_bucket", "Report bucket", "optional", "none: no completion report"),
            FormField("report_prefix", "Report prefix", "text", "(bucket root)"),
            FormField("report_failed_only", "Report failed only", "switch", "report failed tasks only"),
            FormField("manifest_bucket", "Manifest bucket", "optional", "none: the manifest is not kept"),
            FormField("manifest_prefix", "Manifest prefix", "text", "(bucket root)"),
            FormField("job_priority", "Job priority", "int"),
        ),
    ),
)
FIELDS: dict[str, FormField] = {f.name: f for _, fields in SECTIONS for f in fields}
# Fields that only matter for the Batch Replication job.
_EXISTING_ONLY = ("existing_statuses", "report_bucket", "report_prefix", "report_failed_only",
                  "manifest_bucket", "manifest_prefix", "job_priority", "batch_role_name")
# Model-level rules (no single field): the fields their message belongs beside.
_MODEL_RULES = (("delete-marker", ("delete_markers", "tags")),)


class TextCheckbox(Checkbox):
    """A checkbox whose state reads as text: ``[x]`` checked, ``[ ]`` not (Textual's draws X either way)."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble("[", ("x" if self.value else " ", style), "]")


def switch_state(on: bool) -> Text:
    return Text("on  " if on else "off ", style="bold" if on else "dim")


def metrics_needed_by(raw: dict[str, Any]) -> str:
    """What turns replication metrics on whatever the Metrics switch says ("" when nothing does)."""
    if raw.get("alarms"):
        return "Alarms need them"
    if raw.get("rtc"):
        return "RTC needs them"
    return ""


@dataclass(frozen=True)
class Parsed:
    """The form read back: the options when valid, else the message for each field in error."""

    options: MigrationOptions | None
    errors: dict[str, str]
    general: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.options is not None

    @property
    def problem_count(self) -> int:
        """Distinct problems (one model rule shown beside two fields counts once)."""
        return len(set(self.errors.values()) | set(self.general))

    def first_problem(self) -> str:
        for name, message in self.errors.items():
            return f"{FIELDS[name].label}: {message}" if name in FIELDS else message
        return self.general[0] if self.general else ""


def format_value(field: FormField, options: MigrationOptions) -> Any:
    """The value a widget shows for ``field`` of ``options``."""
    value = getattr(options, field.name)
    if field.kind == "tags":
        return ", ".join(f"{key}={val}" for key, val in value)
    if field.kind in ("optional", "optional_int"):
        return "" if value is None else str(value)
    if field.kind in ("text", "int"):
        return str(value)
    if field.kind == "storage_class":
        return value or ""
    return value


def _convert(field: FormField, raw: Any) -> Any:
    """Typed value of ``raw`` for ``field``; ValueError with the message to show."""
    kind = field.kind
    if kind == "text":
        return raw
    if kind == "optional":
        return raw.strip() or None
    if kind in ("int", "optional_int"):
        text = raw.strip().replace("_", "")
        if not text:
            if kind == "optional_int":
                return None
            raise ValueError(f"enter a number (default {MigrationOptions.model_fields[field.name].default})")
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{raw.strip()!r} is not a whole number") from None
    if kind == "tags":
        tags = []
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            try:
                key, value = tag_spec(item)
            except argparse.ArgumentTypeError as exc:
                raise ValueError(f"{exc}: separate tags with commas, e.g. team=media, env=prod") from None
            tags.append((key.strip(), value.strip()))
        return tuple(tags)
    if kind == "storage_class":
        return raw or None
    return raw  # switch and statuses are typed already


def parse_values(raw: dict[str, Any]) -> Parsed:
    """``MigrationOptions`` from the widgets' raw values, or every field's first problem."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        try:
            values[name] = _convert(FIELDS[name], value)
        except ValueError as exc:
            errors[name] = str(exc)
    general: list[str] = []
    try:
        options = MigrationOptions(**values)
    except ValidationError as exc:
        options = None
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            loc = error.get("loc") or ()
            if loc and str(loc[0]) in FIELDS:
                errors.setdefault(str(loc[0]), message)
                continue
            owners = next((fields for marker, fields in _MODEL_RULES if marker in message), ())
            for owner in owners:
                errors.setdefault(owner, message)
            if not owners:
                general.append(message)
    if errors or general:
        return Parsed(None, errors, tuple(general))
    return Parsed(options, {}, ())


class OptionsForm(VerticalScroll):
    """The form; ``read()`` parses it, ``show_errors`` paints the messages."""

    class Edited(Message):
        """A field changed (typed, toggled, chosen)."""

        def __init__(self, field: str) -> None:
            super().__init__()
            self.field = field

    DEFAULT_CSS = """
    OptionsForm { padding: 0 1; border: round $primary; scrollbar-size-vertical: 1; }
    OptionsForm .section { text-style: bold; color: $accent; margin-top: 1; }
    OptionsForm .section.-first { margin-top: 0; }
    OptionsForm .row { height: 1; }
    OptionsForm .row > Label { width: 22; color: $text-muted; }
    OptionsForm .row.-invalid > Label { color: $error; text-style: bold; }
    OptionsForm .row > Input { width: 1fr; }
    OptionsForm .row > Select { width: 1fr; }
    OptionsForm Switch { border: none; height: 1; padding: 0 1; }
    OptionsForm Switch:focus { border: none; background: $accent 40%; }
    OptionsForm .row > .switch-hint { width: 1fr; color: $text-muted; padding-left: 1; }
    OptionsForm .row > Checkbox { width: auto; margin-right: 1; }
    OptionsForm .error { display: none; color: $error; padding-left: 22; height: auto; }
    OptionsForm .error.-shown { display: block; }
    OptionsForm #general-errors { display: none; color: $error; }
    OptionsForm #general-errors.-shown { display: block; }
    """

    def __init__(self, options: MigrationOptions, source_bucket: str, destination_bucket: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = options
        self._source = source_bucket
        self._destination = destination_bucket
        self._metrics_choice = options.metrics  # the Metrics switch's own value, while Alarms or RTC holds it on

    # --- building ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="general-errors")
        for index, (title, fields) in enumerate(SECTIONS):
            yield Label(title, classes="section" + (" -first" if index == 0 else ""))
            for field in fields:
                with Horizontal(classes="row", id=f"row-{field.name}"):
                    yield Label(field.label)
                    yield from self._controls(field)
                yield Static(id=f"err-{field.name}", classes="error")

    def _controls(self, field: FormField) -> Iterable[Any]:
        value = format_value(field, self._initial)
        wid = f"opt-{field.name}"
        if field.kind == "switch":
            yield Switch(value=bool(value), id=wid, animate=False)
            yield Static(field.hint, classes="switch-hint", id=f"hint-{field.name}")
        elif field.kind == "storage_class":
            choices = [(SAME_AS_SOURCE, "")] + [(name, name) for name in STORAGE_CLASSES]
            yield Select(choices, value=value, allow_blank=False, compact=True, id=wid)
        elif field.kind == "statuses":
            for status in STATUSES:
                yield TextCheckbox(status, value=status in value, compact=True, id=f"opt-status-{status}")
        else:
            yield Input(value=value, placeholder=self._placeholder(field, self._initial), compact=True, id=wid)

    def _placeholder(self, field: FormField, options: MigrationOptions) -> str:
        """Defaults that depend on the buckets are shown as they will be used."""
        if field.name == "rule_id":
            return f"{options.rule_id_for(self._destination)} (default)"
        if field.name == "replication_role_name":
            return f"{options.replication_role_for(self._source)} (default)"
        if field.name == "batch_role_name":
            if options.single_role:
                return "(the replication role)"
            return f"{options.batch_role_for(self._source)} (default)"
        return field.hint

    def on_mount(self) -> None:
        self.border_title = "Options"
        self.sync(self._initial)

    # --- reading -------------------------------------------------------------------

    def raw_values(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for name, field in FIELDS.items():
            if field.kind == "statuses":
                raw[name] = tuple(s for s in STATUSES if self.query_one(f"#opt-status-{s}", Checkbox).value)
            elif field.kind == "switch":
                raw[name] = self.query_one(f"#opt-{name}", Switch).value
            elif field.kind == "storage_class":
                value = self.query_one(f"#opt-{name}", Select).value
                raw[name] = value if isinstance(value, str) else ""
            else:
                raw[name] = self.query_one(f"#opt-{name}", Input).value
        if metrics_needed_by(raw):
            raw["metrics"] = self._metrics_choice  # the switch shows on; the option keeps what was chosen
        return raw

    def read(self) -> Parsed:
        return parse_values(self.raw_values())

    # --- painting ------------------------------------------------------------------

    def show_errors(self, parsed: Parsed) -> None:
        for name in FIELDS:
            message = parsed.errors.get(name)
            error = self.query_one(f"#err-{name}", Static)
            error.set_class(message is not None, "-shown")
            error.update(Text("↳ " + message) if message else "")
            self.query_one(f"#row-{name}").set_class(message is not None, "-invalid")
        general = self.query_one("#general-errors", Static)
        general.set_class(bool(parsed.general), "-shown")
        general.update(Text("\n".join(parsed.general)))
        count = parsed.problem_count
        self.border_subtitle = f"{count} to fix" if count else ""

    def sync(self, options: MigrationOptions | None) -> None:
        """Enable what applies, and show the defaults ``options`` imply as placeholders."""
        raw = self.raw_values()
        single, existing = bool(raw["single_role"]), bool(raw["replicate_existing"])
        for name in _EXISTING_ONLY:
            disabled = not existing or (name == "batch_role_name" and single)
            if name == "existing_statuses":
                for status in STATUSES:
                    self.query_one(f"#opt-status-{status}", Checkbox).disabled = disabled
            else:
                self.query_one(f"#opt-{name}").disabled = disabled
        self._paint_switches(raw)
        if options is not None:
            for name in ("rule_id", "replication_role_name", "batch_role_name"):
                self.query_one(f"#opt-{name}", Input).placeholder = self._placeholder(FIELDS[name], options)

    def _paint_switches(self, raw: dict[str, Any] | None = None) -> None:
        """Each switch's hint, after its state in words."""
        raw = raw if raw is not None else self.raw_values()
        needed = metrics_needed_by(raw)
        self._hold_metrics(bool(needed))
        for name, field in FIELDS.items():
            if field.kind != "switch":
                continue
            hint, on = field.hint, bool(raw[name])
            if name == "metrics" and needed:
                hint, on = f"replication metrics: {needed}", True
            self.query_one(f"#hint-{name}", Static).update(Text.assemble(switch_state(on), hint))

    def _hold_metrics(self, held: bool) -> None:
        """The Metrics switch on and disabled while something needs the metrics; else the choice made there."""
        switch = self.query_one("#opt-metrics", Switch)
        value = True if held else self._metrics_choice
        if switch.value != value:
            with switch.prevent(Switch.Changed):  # not an edit: the options do not change
                switch.value = value
        switch.disabled = held

    # --- events --------------------------------------------------------------------

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Message) -> None:
        control = getattr(event, "control", None)
        wid = getattr(control, "id", None) or ""
        name = "existing_statuses" if wid.startswith("opt-status-") else wid.removeprefix("opt-")
        if isinstance(control, Switch) and self.is_mounted:
            if name == "metrics" and not control.disabled:
                self._metrics_choice = control.value
            self._paint_switches()
        if name in FIELDS:
            self.post_message(self.Edited(name))
