"""The small form that creates a destination bucket: a name checked as you type, a region.

The bucket is created versioned with Object Ownership BucketOwnerEnforced (the
form says so). Creating runs in a thread worker; the form stays open with the
reason when S3 refuses, and closes with the new bucket's summary when it works.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static
from textual.worker import get_current_worker

from ...aws.browse import BucketSummary
from ...aws.errors import AwsError
from ...core.names import bucket_name_problems

CREATED_WITH = "Created with versioning Enabled and Object Ownership BucketOwnerEnforced (ACLs disabled)."


class CreateBucketScreen(ModalScreen[BucketSummary | None]):
    """``create(name, region) -> BucketSummary`` runs in a thread; ``regions()`` lists the choices."""

    class BucketCreated(Message):
        """The bucket was created (versioning on, ACLs off): its summary."""

        def __init__(self, summary: BucketSummary) -> None:
            super().__init__()
            self.summary = summary

    class BucketCreateFailed(Message):
        """S3 refused, or the name was bad: the error says why."""

        def __init__(self, error: AwsError | ValueError) -> None:
            super().__init__()
            self.error = error

    class RegionsLoaded(Message):
        """The regions the bucket may be created in."""

        def __init__(self, regions: list[str]) -> None:
            super().__init__()
            self.regions = regions

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "create", "Create"),
    ]

    DEFAULT_CSS = """
    CreateBucketScreen { align: center middle; }
    CreateBucketScreen #form { width: 76; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    CreateBucketScreen Label { margin-top: 1; }
    CreateBucketScreen #rules { height: auto; min-height: 1; }
    CreateBucketScreen #note { margin-top: 1; color: $text-muted; }
    CreateBucketScreen #status { height: auto; margin-top: 1; }
    """

    def __init__(self, account: str, default_region: str, create: Callable[[str, str], BucketSummary],
                 regions: Callable[[], list[str]]) -> None:
        super().__init__()
        self.account = account
        self.default_region = default_region
        self._create = create
        self._regions = regions
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form") as form:
            form.border_title = f"New destination bucket in account {self.account}"
            form.border_subtitle = "Enter create · Esc cancel"
            yield Label("Bucket name")
            yield Input(placeholder="e.g. acme-platform-media-replica", id="name")
            yield Static(id="rules")
            yield Label("Region")
            yield Select([(self.default_region, self.default_region)], value=self.default_region,
                         allow_blank=False, id="region")
            yield Static(CREATED_WITH, id="note")
            yield Static(id="status")

    def on_mount(self) -> None:
        self._show_rules("")
        self.query_one("#name", Input).focus()
        self.load_regions()

    @work(thread=True, exclusive=True, group="regions", exit_on_error=False)
    def load_regions(self) -> None:
        worker = get_current_worker()
        regions = self._regions()
        if not worker.is_cancelled:
            self.post_message(self.RegionsLoaded(regions))

    @on(RegionsLoaded)
    def _regions_loaded(self, message: CreateBucketScreen.RegionsLoaded) -> None:
        select: Select[str] = self.query_one("#region", Select)
        current = select.value if isinstance(select.value, str) else self.default_region
        regions = sorted(set(message.regions) | {current, self.default_region})
        select.set_options([(region, region) for region in regions])
        select.value = current

    @property
    def name_value(self) -> str:
        return self.query_one("#name", Input).value.strip()

    @on(Input.Changed, "#name")
    def _name_changed(self, event: Input.Changed) -> None:
        self._show_rules(event.value.strip())
        self.query_one("#status", Static).update("")

    def _show_rules(self, name: str) -> None:
        rules = self.query_one("#rules", Static)
        if not name:
            rules.update(Text("3-63 characters: lowercase letters, digits, dots and hyphens.", style="dim"))
            return
        problems = bucket_name_problems(name)
        if problems:
            rules.update(Text("\n".join(f"✗ the name {problem}" for problem in problems), style="red"))
        else:
            rules.update(Text("✓ a valid bucket name", style="green"))

    @on(Input.Submitted, "#name")
    def _submitted(self, _: Input.Submitted) -> None:
        self.action_create()

    def action_create(self) -> None:
        name = self.name_value
        if self.busy or not name or bucket_name_problems(name):
            return
        region = self.query_one("#region", Select).value
        if not isinstance(region, str):
            return
        self.busy = True
        self.query_one("#status", Static).update(Text(f"Creating s3://{name} in {region}…", style="bold"))
        self.create_in_thread(name, region)

    @work(thread=True, exclusive=True, group="create", exit_on_error=False)
    def create_in_thread(self, name: str, region: str) -> None:
        worker = get_current_worker()
        try:
            summary = self._create(name, region)
        except (AwsError, ValueError) as exc:
            if not worker.is_cancelled:
                self.post_message(self.BucketCreateFailed(exc))
            return
        except Exception as exc:  # a bug must be shown, not crash the app
            if not worker.is_cancelled:
                self.post_message(self.BucketCreateFailed(AwsError(f"unexpected {type(exc).__name__}: {exc}",
                                                              "see the log file", "Bug")))
            return
        if not worker.is_cancelled:
            self.post_message(self.BucketCreated(summary))

    @on(BucketCreated)
    def _created(self, message: CreateBucketScreen.BucketCreated) -> None:
        self.busy = False
        self.dismiss(message.summary)

    @on(BucketCreateFailed)
    def _failed(self, message: CreateBucketScreen.BucketCreateFailed) -> None:
        self.busy = False
        error = message.error
        text = Text.assemble(("✗ ", "red"), str(error))
        if isinstance(error, AwsError):
            text.append("\n  fix: ", style="bold")
            text.append(error.fix)
        self.query_one("#status", Static).update(text)

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)
