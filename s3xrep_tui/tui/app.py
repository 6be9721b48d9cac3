"""The Textual application: the shell every screen of the flow runs in.

It owns what all screens share: the demo sandbox (started in a worker so the
first screen never waits for it), the chosen source and destination (reactive,
so the context bar of any screen follows them), read-only mode, the theme, the
help screen and the command palette. Screens own their workers.

The command palette (``ctrl+p`` or ``:``) offers every action that can run
now, worked out from the state each time it opens: the current screen's own
(refresh, export, choose), each flow step that is reachable (buckets once both
identities resolve, options once both buckets are chosen, preview once a plan
can be built, apply once it is not blocked, monitor, verify), read-only on/off,
theme, terminal colours, help and quit. Going to a step goes back down the
stack to its screen when it is open, else opens it on top; a running apply is
never popped (the entry says why instead).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen
from textual.worker import get_current_worker

from .. import __version__
from ..core.models import MigrationOptions, Plan
from ..core.text import safe
from .demo import DemoEnvironment, StartSandbox
from .flow import FLOW, flow_step  # FLOW re-exported: tests patch app.FLOW
from .screens.accounts import AccountsScreen
from .screens.help import HelpScreen, binding_rows
from .screens.home import HomeScreen, home_commands, list_migrations, open_stakeholder
from .state import Choice
from .theme import HIGH_CONTRAST, HIGH_CONTRAST_THEME

if TYPE_CHECKING:
    from ..aws.clients import Clients

log = logging.getLogger(__name__)

# A screen's refresh-like action, bound to r (apply's r is "retry", which writes: not a refresh).
REFRESH_ACTIONS = ("refresh", "reload", "reinspect", "run")
RUNNING_APPLY = "an apply is running: cancel it on the apply screen (x) first"

DEFAULT_THEME = "textual-dark"
TERMINAL_THEME = "ansi-dark"  # the terminal's own palette and background (Textual names it ansi-dark)


class S3xrepApp(App[int]):
    class SandboxReady(Message):
        def __init__(self, environment: DemoEnvironment) -> None:
            super().__init__()
            self.environment = environment

    class SandboxFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    TITLE = "s3xrep"
    SUB_TITLE = "S3 cross-account replication"

    # A table's horizontal scrollbar drew as a stray block glyph in its empty rows (in plain text, on a
    # projector): the cut-off column already says there is more, and left/right still scroll.
    CSS = """
    DataTable { scrollbar-size-horizontal: 0; }
    """

    # Binding command_palette ourselves stops Textual adding ctrl+p: bind both.
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True),
        Binding("colon", "command_palette", "Commands", show=False),
        Binding("escape", "back", "Back", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    source: var[Choice | None] = var(None)
    destination: var[Choice | None] = var(None)
    # What the flow has chosen so far; each screen reads what came before it.
    source_bucket: var[str | None] = var(None)
    destination_bucket: var[str | None] = var(None)
    options: var[MigrationOptions] = var(MigrationOptions)
    plan: var[Plan | None] = var(None)
    # Read-only mode: screens that write (apply) refuse to start, with the reason.
    read_only: var[bool] = var(False)
    # The plan id of a migration resumed from the home screen (its journal), when no plan was built this run.
    resumed_plan_id: var[str | None] = var(None)
    resumed_region: var[str | None] = var(None)  # its source bucket's region (where its jobs are)

    def __init__(
        self,
        demo: bool = False,
        *,
        start_sandbox: StartSandbox | None = None,
        log_path: str | Path | None = None,
        theme: str | None = None,
        read_only: bool = False,
    ) -> None:
        """``demo``: run on a sandbox that ``start_sandbox`` starts (in a worker);
        ``log_path``: shown in the help screen; ``theme``: any Textual theme name;
        ``read_only``: start in read-only mode (the palette toggles it)."""
        super().__init__()
        self.read_only = read_only
        if demo and start_sandbox is None:
            raise ValueError("demo mode needs start_sandbox (the cli passes the embedded sandbox)")
        self.demo = demo
        self._start_sandbox = start_sandbox
        self.sandbox: DemoEnvironment | None = None
        self._clients: dict[str | None, Clients] = {}
        self.log_path = str(log_path) if log_path else None
        self.register_theme(HIGH_CONTRAST_THEME)
        self._theme_before_contrast = DEFAULT_THEME
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME

    def get_default_screen(self) -> Screen:
        return AccountsScreen()

    @property
    def accounts(self) -> AccountsScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    def on_mount(self) -> None:
        log.info("s3xrep %s: app started (demo=%s)", __version__, self.demo)
        if self.read_only:
            log.info("read-only mode on")
        if self.demo:
            self.start_sandbox()
        self.open_home()

    def open_home(self) -> None:
        """The Migrations home over the Accounts screen when the journal lists any (else Accounts it is)."""
        migrations = list_migrations()
        if migrations:
            self.push_screen(HomeScreen(migrations))

    def action_stakeholder(self) -> None:
        open_stakeholder(self)

    def action_high_contrast(self) -> None:
        """Toggle the projector theme (white on black, bold colours) and back."""
        if self.theme == HIGH_CONTRAST:
            self.theme = self._theme_before_contrast
        else:
            self._theme_before_contrast, self.theme = self.theme, HIGH_CONTRAST

    def on_unmount(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    # --- the demo sandbox ------------------------------------------------------

    @work(thread=True, exclusive=True, group="sandbox", exit_on_error=False)
    def start_sandbox(self) -> None:
        worker = get_current_worker()
        try:
            environment = self._start_sandbox()
        except Exception as exc:  # an import error included: the demo must say why, not crash
            log.exception("the sandbox did not start")
            if not worker.is_cancelled:
                self.post_message(self.SandboxFailed(f"{type(exc).__name__}: {exc}"))
            return
        if worker.is_cancelled:  # the app is closing: nobody will stop it later
            environment.stop()
            return
        self.post_message(self.SandboxReady(environment))

    @on(SandboxReady)
    def _sandbox_ready(self, message: S3xrepApp.SandboxReady) -> None:
        self.sandbox = message.environment
        # Only the sandbox's profiles: the user's real credentials file must not
        # mix real accounts into a demo (a path that does not exist reads as empty).
        os.environ["AWS_CONFIG_FILE"] = self.sandbox.config_path
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = self.sandbox.config_path + ".no-credentials"
        log.info("sandbox ready; profiles %s", dict(self.sandbox.profiles))
        self.accounts.load_profiles(preselect=self.sandbox.profiles)

    @on(SandboxFailed)
    def _sandbox_failed(self, message: S3xrepApp.SandboxFailed) -> None:
        fix = f"see the log at {self.log_path}" if self.log_path else "see the log file"
        self.accounts.show_problem(f"the embedded AWS sandbox did not start ({message.reason})", fix)

    # --- keys and commands --------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        note = self.sandbox.note if self.sandbox else None
        self.push_screen(HelpScreen(binding_rows(self.screen), self.log_path, note))

    # --- the flow -------------------------------------------------------------------

    def goto(self, step: str) -> None:
        """Open the screen of ``step`` on top of the current one (Esc comes back)."""
        import importlib

        module, name = FLOW[step]
        screen_class = getattr(importlib.import_module(module), name)
        self.push_screen(screen_class())

    def clients(self, side: str) -> Clients:
        """Clients of the chosen source or destination identity (cached per profile)."""
        from ..aws.clients import clients_for

        choice = self.source if side == "source" else self.destination
        if choice is None:
            raise RuntimeError(f"no {side} identity chosen yet")
        key = choice.profile.name
        if key not in self._clients:  # read-only follows the app's toggle at every call, in every worker
            self._clients[key] = clients_for(key, read_only=lambda: bool(self.read_only))
        return self._clients[key]

    def forget_clients(self, profile: str | None) -> None:
        """Drop the cached clients of ``profile`` (its keys were replaced or deleted)."""
        self._clients.pop(profile, None)

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_terminal_colours(self) -> None:
        self.theme = TERMINAL_THEME

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast is plain text: its message often quotes AWS (error messages, keys, job descriptions),
        so neither markup nor control characters in it are obeyed (``markup`` is kept for the signature)."""
        super().notify(safe(message, newlines=True), title=safe(title), severity=severity, timeout=timeout,
                       markup=False)

    def action_toggle_read_only(self) -> None:
        self.read_only = not self.read_only
        log.info("read-only mode %s", "on" if self.read_only else "off")
        if self.read_only:
            self.notify("Every write to AWS is refused (apply, new buckets, job actions, the canary); a dry run "
                        "still shows every call.", title="Read-only on")
        else:
            self.notify("Apply, new buckets, the job actions and the canary can write again.", title="Read-only off")

    # --- where the flow can go from here ------------------------------------------------

    def open_screen(self, step: str) -> Screen | None:
        """The topmost screen of ``step`` in the stack, if it is open."""
        return next((s for s in reversed(self.screen_stack) if flow_step(s, FLOW) == step), None)

    def _running_above(self, screen: Screen) -> Screen | None:
        """A screen above ``screen`` in the stack whose run going back would cut short (a running apply)."""
        stack = self.screen_stack
        return next((s for s in stack[stack.index(screen) + 1 :] if getattr(s, "running", False) is True), None)

    def navigate(self, step: str) -> None:
        """Go to ``step``: back down the stack to its screen when it is open, else open it on top."""
        target = self.open_screen(step)
        if target is None:
            self.goto(step)
            return
        if self._running_above(target) is not None:
            self.notify(f"Not now: {RUNNING_APPLY}.", title=step.title(), severity="warning")
            return
        while self.screen is not target and len(self.screen_stack) > 1:
            self.pop_screen()

    def identities_ready(self) -> bool:
        return bool(self.source and self.source.ready and self.destination and self.destination.ready)

    def buckets_chosen(self) -> bool:
        return self.identities_ready() and bool(self.source_bucket and self.destination_bucket) and (
            self.source_bucket != self.destination_bucket)

    def plan_is_current(self) -> bool:
        """``app.plan`` is for the buckets chosen now (going back and picking others makes it stale)."""
        plan = self.plan
        return plan is not None and self.buckets_chosen() and (
            (plan.source.name, plan.destination.name) == (self.source_bucket, self.destination_bucket))

    def _preview_via_options(self) -> None:
        """Open the options (they inspect both buckets), then the preview as soon as the plan is built."""
        self.navigate("options")
        options = self.open_screen("options")
        if options is not None:
            self._when_mounted(options, options.action_preview)  # type: ignore[attr-defined]

    def _when_mounted(self, screen: Screen, callback: Callable[[], Any], tries: int = 100) -> None:
        """Call ``callback`` once ``screen`` has mounted (a pushed screen composes a moment later)."""
        if screen.is_mounted:
            callback()
        elif tries > 0 and screen in self.screen_stack:
            self.set_timer(0.02, lambda: self._when_mounted(screen, callback, tries - 1))

    def flow_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """One entry per flow step reachable now from ``screen`` (its own step left out)."""
        current = flow_step(screen, FLOW)

        def entry(step: str, title: str, help_text: str, callback: Callable[[], Any]) -> SystemCommand:
            target = self.open_screen(step)
            if target is not None and target is not screen and self._running_above(target) is not None:
                return SystemCommand(title, f"Not now: {RUNNING_APPLY}",
                                     lambda: self.notify(f"Not now: {RUNNING_APPLY}.", severity="warning"))
            return SystemCommand(title, help_text, callback)

        if current != "accounts":
            yield entry("accounts", "Switch source/destination profile",
                        "Back to the accounts screen to choose other profiles", lambda: self.navigate("accounts"))
        if current != "buckets" and self.identities_ready():
            go: Callable[[], Any] = (screen.action_continue if current == "accounts"  # type: ignore[attr-defined]
                                     else lambda: self.navigate("buckets"))
            yield entry("buckets", "Buckets", "Choose the source and destination buckets", go)
        if current != "options" and self.buckets_chosen():
            go = (screen.action_continue if current == "buckets"  # type: ignore[attr-defined]
                  else lambda: self.navigate("options"))
            yield entry("options", "Options", "The migration options, with the preflight findings live", go)
        if current != "preview":
            preview = self._preview_command(screen, current)
            if preview is not None:
                yield entry("preview", "Preview", "Every document the plan writes, explained and diffed", preview)
        if current != "apply" and self.plan_is_current():
            plan = self.plan
            assert plan is not None
            if plan.blocked:
                from .screens.preview import blocking_reason

                reason = blocking_reason(plan)
                yield SystemCommand("Apply (blocked)", reason,
                                    lambda: self.notify(f"Apply refused: {reason}", title="Blocked",
                                                        severity="error", timeout=10))
            else:
                go = (screen.action_apply if current == "preview"  # type: ignore[attr-defined]
                      else lambda: self.navigate("apply"))
                note = " (read-only: a dry run only)" if self.read_only else ""
                yield entry("apply", "Apply", f"Run the plan's steps after typing the bucket's name{note}", go)
        if current != "monitor" and self.source is not None and self.source.ready:
            yield entry("monitor", "Monitor", "Batch jobs, live replication and the canary",
                        lambda: self.navigate("monitor"))
        if current != "verify" and self.identities_ready() and (self.buckets_chosen() or self.plan is not None):
            yield entry("verify", "Verify", "Compare both buckets' versions, key by key",
                        lambda: self.navigate("verify"))

    def _preview_command(self, screen: Screen, current: str | None) -> Callable[[], Any] | None:
        """How the palette reaches the preview from ``screen``, or None while no plan can be built."""
        if current == "options":
            parsed = getattr(screen, "parsed", None)
            if getattr(screen, "error", None) is not None or (parsed is not None and not parsed.valid):
                return None
            return screen.action_preview if self.buckets_chosen() else None  # type: ignore[attr-defined]
        if self.open_screen("preview") is not None:
            return lambda: self.navigate("preview")
        if self.open_screen("options") is not None and self.plan_is_current():
            return lambda: self.navigate("preview")  # the options below built app.plan: the diffs come from it
        if self.buckets_chosen():
            return self._preview_via_options
        return None

    def screen_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The current screen's refresh (its r) and export (its e), when they can run."""
        keys = {binding.action: binding for binding in getattr(screen, "BINDINGS", ()) if isinstance(binding, Binding)}
        refresh = next((a for a in REFRESH_ACTIONS if a in keys and keys[a].key == "r"), None)
        if refresh and screen.check_action(refresh, ()) is True and hasattr(screen, f"action_{refresh}"):
            yield SystemCommand("Refresh", f"{keys[refresh].description} (r)", getattr(screen, f"action_{refresh}"))
        if ("export" in keys and screen.check_action("export", ()) is True and hasattr(screen, "action_export")
                and not (flow_step(screen, FLOW) == "preview" and getattr(screen, "plan", None) is None)):
            yield SystemCommand("Export", f"{keys['export'].description} (e)", screen.action_export)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        accounts = screen if isinstance(screen, AccountsScreen) else None
        if accounts is not None:
            yield SystemCommand(
                "Choose source", "Use the highlighted profile as the source", lambda: accounts.action_choose("source")
            )
            yield SystemCommand(
                "Choose destination",
                "Use the highlighted profile as the destination",
                lambda: accounts.action_choose("destination"),
            )
            yield SystemCommand("Refresh", "Re-read the AWS config files and resolve every identity", accounts.action_refresh)
            yield SystemCommand("Filter profiles", "Show only the profiles matching some text", accounts.action_filter)
        else:
            yield from self.screen_commands(screen)
        yield from self.flow_commands(screen)
        yield from home_commands(self, screen)
        if self.read_only:
            yield SystemCommand("Read-only off", "Allow writes again (apply, job actions)", self.action_toggle_read_only)
        else:
            yield SystemCommand("Read-only on", "Refuse every write: apply and job actions; dry runs still show",
                                self.action_toggle_read_only)
        yield SystemCommand("Help", "Every key binding", self.action_help)
        yield SystemCommand("Theme", "Change the colour theme", self.action_change_theme)
        yield SystemCommand("Terminal colours", "Use the terminal's own palette (theme ansi-dark)", self.action_terminal_colours)
        yield SystemCommand("Quit", "Leave s3xrep", self.action_quit)


def run_app(demo: bool = False, log_file: str | None = None, start_sandbox: StartSandbox | None = None,
            read_only: bool = False) -> int:
    """Run the TUI with logging sent to a file; returns the exit code."""
    from .logs import configure_logging

    log_path = configure_logging(log_file)
    if demo:  # the demo's journals, jobs and results live apart from real ones
        from .. import storage
        from .demo import demo_data_dir

        os.environ["S3XREP_DATA_DIR"] = str(demo_data_dir(storage.data_dir()))
    app = S3xrepApp(demo=demo, start_sandbox=start_sandbox, log_path=log_path, theme=os.environ.get("S3XREP_THEME"),
                    read_only=read_only)
    app.run()
    log.info("app closed (return code %s)", app.return_code)
    return app.return_code or 0
