"""Step 3: every migration option, validated as you type, with the preflight findings live.

Both buckets are inspected once, in a thread worker (``gather_inputs``). After
that, an edit is judged ~300 ms after the typing stops: invalid options show
their messages beside the fields; valid ones rebuild the plan from the facts
already read (``inputs.model_copy(update={"options": ...})``, pure and
sub-millisecond), unless the edit changes what has to be read (the role names,
the replica KMS key, the report or manifest bucket), which re-inspects in a
worker. Every evaluation takes a new generation; a worker's answer for an older
one is dropped, so a slow inspection never paints over a newer result.

``Enter`` (in a field) or ``p`` opens the preview with ``app.options`` and
``app.plan`` set; refused, with the reason, while an option is invalid.

The screen opens with the form focused, not a text field: there ``p`` would
type into Prefix. In a text field the footer and the status line say what
works there (Enter, Tab), since its letters type.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from ...aws.errors import AwsError, explain
from ...core.models import MigrationOptions, Plan, PlanInputs
from ...core.plan import build_plan
from ..widgets.context_bar import ContextBar
from ..widgets.findings_list import FindingsList, count_line
from ..widgets.footer import Footer
from ..widgets.options_form import OptionsForm, Parsed
from .base import AppScreen

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.3
GatherKey = tuple[Any, ...]


def gather_key(options: MigrationOptions, source_bucket: str) -> GatherKey:
    """What ``gather_inputs`` reads that depends on the options; equal keys share the facts."""
    batch_role = options.batch_role_for(source_bucket) if options.replicate_existing else None
    return (
        options.replication_role_for(source_bucket),
        batch_role,
        options.replica_kms_key,
        options.report_bucket,
        options.manifest_bucket,
    )


class OptionsScreen(AppScreen):
    class InputsGathered(Message):
        """Both buckets (and what the options name) were inspected, and the plan built from them."""

        def __init__(self, generation: int, inputs: PlanInputs, plan: Plan) -> None:
            super().__init__()
            self.generation = generation
            self.inputs = inputs
            self.plan = plan

    class InputsFailed(Message):
        """Inspecting failed: ``error`` says why and how to fix it."""

        def __init__(self, generation: int, error: AwsError) -> None:
            super().__init__()
            self.generation = generation
            self.error = error

    TITLE = "Accounts › Buckets › Options"

    BINDINGS = [
        Binding("p", "preview", "Preview"),
        Binding("enter", "preview", "Preview", show=False),
        Binding("r", "reinspect", "Re-inspect"),
        # Shown (and working) only in a text field, where p and r type instead.
        Binding("enter", "preview_from_field", "Preview", priority=True),
        Binding("tab", "next_field", "Next field", priority=True),
        # A screen's "tab" replaces Screen's (app.focus_next): keep it for the form and switches, unshown
        Binding("tab", "app.focus_next", "Next field", show=False),
    ]
    FOOTER_FIRST = ("p", "enter")

    DEFAULT_CSS = """
    OptionsScreen #body { height: 1fr; }
    OptionsScreen OptionsForm { width: 75; }
    OptionsScreen FindingsList { width: 1fr; }
    OptionsScreen.-narrow #body { layout: vertical; }
    OptionsScreen.-narrow OptionsForm { width: 1fr; height: 1fr; }
    OptionsScreen.-narrow FindingsList { width: 1fr; height: 7; }
    OptionsScreen #status { height: auto; max-height: 2; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0
        self.parsed: Parsed | None = None
        self.requested: MigrationOptions | None = None  # the options of the current generation
        self.inputs: PlanInputs | None = None  # facts from the last inspection...
        self.inputs_key: GatherKey | None = None  # ...and what of the options they depend on
        self.plan: Plan | None = None
        self.plan_inputs: PlanInputs | None = None  # what ``plan`` was built from (the preview diffs against it)
        self.plan_generation = -1
        self.gathering = False
        self.error: AwsError | None = None  # the current generation's inspection failed
        self._timer: Timer | None = None
        self._preview_when_ready = False

    @property
    def source_bucket(self) -> str:
        return self.s3xrep.source_bucket or ""

    @property
    def destination_bucket(self) -> str:
        return self.s3xrep.destination_bucket or ""

    def compose(self) -> ComposeResult:
        app = self.s3xrep
        yield ContextBar(self.TITLE, demo=app.demo, show_buckets=True)
        with Horizontal(id="body"):
            yield OptionsForm(app.options, self.source_bucket, self.destination_bucket, id="form")
            yield FindingsList("", id="findings")  # the border says the counts; the panel is the preflight
        yield Static(id="status")
        yield Footer()

    # Below this width the preflight goes under the form (beside it, it was a 3-column box at 80).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def on_mount(self) -> None:
        self.query_one(OptionsForm).focus()
        missing = self._missing()
        if missing:
            self.query_one(FindingsList).show_problem(missing, "go back (Esc) and choose them", title="Preflight")
            self._status(Text(missing, style="red"))
            return
        self.evaluate()

    def _missing(self) -> str:
        app = self.s3xrep
        if app.source is None or app.destination is None:
            return "No source or destination identity chosen yet."
        if not app.source_bucket or not app.destination_bucket:
            return "No source or destination bucket chosen yet."
        return ""

    # --- edits, debounced ------------------------------------------------------------

    @on(OptionsForm.Edited)
    def _edited(self, _: OptionsForm.Edited) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._debounced)

    def _debounced(self) -> None:
        self._timer = None
        self.evaluate()

    def flush(self) -> None:
        """Judge the form now if an edit is waiting for the debounce."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            self.evaluate()

    def evaluate(self) -> None:
        """Validate the form; rebuild the plan from cached facts, or re-inspect when needed."""
        if self._missing():
            return
        form = self.query_one(OptionsForm)
        parsed = form.read()
        self.parsed = parsed
        form.show_errors(parsed)
        form.sync(parsed.options)
        options = parsed.options
        if options is None:
            self._paint_status()
            self._paint_findings()
            return
        current = self.plan_generation == self.generation and self.plan is not None
        if options == self.requested and (current or self.gathering or self.error is not None):
            self._paint_status()
            self._paint_findings()
            return
        self.generation += 1
        self.requested = options
        self.error = None
        key = gather_key(options, self.source_bucket)
        if self.inputs is not None and key == self.inputs_key:
            inputs = self.inputs.model_copy(update={"options": options})
            try:
                plan = build_plan(inputs)
            except Exception as exc:  # a bug in the plan engine must show, not crash the screen
                log.exception("build_plan failed")
                self.error = AwsError(f"building the plan failed ({type(exc).__name__}: {exc})", "see the log file", "Bug")
            else:
                self._show_plan(inputs, plan)
                return
            self._paint_status()
            self._paint_findings()
            return
        self._start_gather(options)

    # --- inspection in a worker ----------------------------------------------------------

    def _start_gather(self, options: MigrationOptions) -> None:
        self.gathering = True
        self._paint_status()
        self._paint_findings()
        self.run_worker(
            partial(self._gather_in_thread, options, self.generation),
            name="inspect both buckets",
            group="options-inspect",
            exclusive=True,  # the previous inspection is cancelled (it cannot be killed, only ignored)
            thread=True,
            exit_on_error=False,
        )

    def _gather_in_thread(self, options: MigrationOptions, generation: int) -> None:
        # boto3 is loaded with the first inspection, not when the screen module is imported
        from ...aws.inspect import gather_inputs

        worker = get_current_worker()
        app = self.s3xrep
        try:
            inputs = gather_inputs(
                app.clients("source"), app.clients("destination"), self.source_bucket, self.destination_bucket, options
            )
            plan = build_plan(inputs)
        except AwsError as exc:
            error: AwsError | None = exc
        except ValueError as exc:  # a bucket name S3 would refuse (nothing was sent)
            error = AwsError(str(exc), "choose the buckets again (Esc)", "InvalidBucketName")
        except Exception as exc:  # anything boto3 raises, or a bug: one line and the log
            log.exception("inspecting the buckets failed")
            error = explain(exc)
        else:
            error = None
        if worker.is_cancelled:
            return
        if error is not None:
            self.post_message(self.InputsFailed(generation, error))
        else:
            self.post_message(self.InputsGathered(generation, inputs, plan))

    @on(InputsGathered)
    def _gathered(self, message: OptionsScreen.InputsGathered) -> None:
        if message.generation != self.generation:
            log.debug("dropped a stale inspection (generation %d, now %d)", message.generation, self.generation)
            return
        self.gathering = False
        self.inputs = message.inputs
        self.inputs_key = gather_key(message.inputs.options, self.source_bucket)
        self._show_plan(message.inputs, message.plan)

    @on(InputsFailed)
    def _failed(self, message: OptionsScreen.InputsFailed) -> None:
        if message.generation != self.generation:
            return
        self.gathering = False
        self.error = message.error
        self._preview_when_ready = False
        self._paint_status()
        self._paint_findings()
        if self.plan is None or self.plan_generation != self.generation:
            self.notify(f"{message.error.message}\nfix: {message.error.fix}", title="Inspection failed", severity="error")

    def _show_plan(self, inputs: PlanInputs, plan: Plan) -> None:
        self.plan, self.plan_inputs, self.plan_generation = plan, inputs, self.generation
        self._paint_findings()
        self._paint_status()
        if self._preview_when_ready:
            self._preview_when_ready = False
            self.action_preview()

    # --- painting ----------------------------------------------------------------------

    def _plan_is_current(self) -> bool:
        return self.plan is not None and self.plan_generation == self.generation

    def _paint_findings(self) -> None:
        findings = self.query_one(FindingsList)
        if self.error is not None:
            findings.show_problem(self.error.message, self.error.fix + " (then press r to inspect again)")
            return
        if self.plan is None:
            findings.show_busy(f"Inspecting {self.source_bucket} and {self.destination_bucket}…")
            return
        if self.parsed is not None and not self.parsed.valid:
            note = "for the last valid options"
        elif self.gathering or not self._plan_is_current():
            note = "updating…"
        else:
            note = "live"
        findings.show(self.plan.findings, note=note)

    def _status(self, text: Text) -> None:
        self.query_one("#status", Static).update(text)

    def _paint_status(self) -> None:
        parsed = self.parsed
        if parsed is not None and not parsed.valid:
            count = parsed.problem_count
            self._status(Text.assemble(
                (f"✗ {count} option{'s' if count > 1 else ''} to fix", "bold red"), f": {parsed.first_problem()}"
            ))
            return
        if self.error is not None:
            self._status(Text.assemble(("✗ inspection failed: ", "bold red"), self.error.message,
                                       "  ", ("fix: ", "bold"), self.error.fix, " · r: inspect again"))
            return
        if self.gathering or not self._plan_is_current():
            self._status(Text(f"Inspecting {self.source_bucket} and {self.destination_bucket}…", style="dim"))
            return
        assert self.plan is not None
        counts = count_line(self.plan.findings)
        if self.plan.blocked:
            self._status(Text.assemble(("Options valid", "bold green"), f" · {counts} · ",
                                       ("blocked: apply refused until fixed", "bold red"),
                                       f" · {self._keys_hint()}"))
        else:
            self._status(Text.assemble(("Options valid", "bold green"), f" · {counts} · {self._keys_hint()}"))

    def _in_text_field(self) -> bool:
        return isinstance(self.focused, Input)

    def _keys_hint(self) -> str:
        """The keys that preview from where the focus is (in a text field, letters type)."""
        if self._in_text_field():
            return "Enter: preview · Tab: next field (letters type here)"
        return "p or Enter: preview · Tab: into the fields"

    def on_descendant_focus(self) -> None:
        if self.is_mounted and self.plan is not None:
            self._paint_status()

    def on_descendant_blur(self) -> None:
        self.on_descendant_focus()

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("preview_from_field", "next_field"):
            return self._in_text_field()
        return True

    def action_preview_from_field(self) -> None:
        self.action_preview()

    def action_next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_preview()

    def action_preview(self) -> None:
        self.flush()
        missing = self._missing()
        if missing:
            self.notify(missing, title="No preview", severity="error")
            return
        parsed = self.parsed
        if parsed is not None and not parsed.valid:
            self.notify(f"Fix the options first. {parsed.first_problem()}", title="No preview", severity="error")
            return
        if self.error is not None:
            self.notify(f"{self.error.message}\nfix: {self.error.fix}, then press r", title="No preview", severity="error")
            return
        if not self._plan_is_current():
            self._preview_when_ready = True
            self.notify("Still inspecting the buckets: the preview opens when the findings are ready.")
            return
        assert self.plan is not None and self.requested is not None
        app = self.s3xrep
        app.options = self.requested
        app.plan = self.plan
        app.goto("preview")

    def action_reinspect(self) -> None:
        """Read both buckets (and everything the options name) again."""
        if self._missing():
            return
        self.inputs = self.inputs_key = None
        self.requested = None
        self.flush()
        self.evaluate()
