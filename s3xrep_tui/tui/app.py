"""The Textual application: the shell every screen of the flow runs in.

It owns what all screens share: the demo sandbox (started in a worker so the
first screen never waits for it), the chosen source and destination (reactive,
so the context bar of any screen follows them), the theme, the help screen and
the command palette. Screens own their workers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.worker import get_current_worker

from .. import __version__
from ..core.models import MigrationOptions, Plan
from .demo import DemoEnvironment, StartSandbox
from .messages import SandboxFailed, SandboxReady
from .screens.accounts import AccountsScreen
from .screens.help import HelpScreen, binding_rows
from .state import Choice

if TYPE_CHECKING:
    from ..aws.clients import Clients

# The flow, in order: each step's screen (module, class), imported when first
# needed so that a screen's dependencies cost nothing until the user gets there.
FLOW: dict[str, tuple[str, str]] = {
    "accounts": ("s3xrep_tui.tui.screens.accounts", "AccountsScreen"),
    "buckets": ("s3xrep_tui.tui.screens.buckets", "BucketsScreen"),
    "options": ("s3xrep_tui.tui.screens.options", "OptionsScreen"),
    "preview": ("s3xrep_tui.tui.screens.preview", "PreviewScreen"),
    "apply": ("s3xrep_tui.tui.screens.apply", "ApplyScreen"),
    "monitor": ("s3xrep_tui.tui.screens.monitor", "MonitorScreen"),
    "verify": ("s3xrep_tui.tui.screens.verify", "VerifyScreen"),
}

log = logging.getLogger(__name__)

DEFAULT_THEME = "textual-dark"
TERMINAL_THEME = "ansi-dark"  # the terminal's own palette and background (Textual names it ansi-dark)


class S3xrepApp(App[int]):
    TITLE = "s3xrep"
    SUB_TITLE = "S3 cross-account replication"

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

    def __init__(
        self,
        demo: bool = False,
        *,
        start_sandbox: StartSandbox | None = None,
        log_path: str | Path | None = None,
        theme: str | None = None,
    ) -> None:
        """``demo``: run on a sandbox that ``start_sandbox`` starts (in a worker);
        ``log_path``: shown in the help screen; ``theme``: any Textual theme name."""
        super().__init__()
        if demo and start_sandbox is None:
            raise ValueError("demo mode needs start_sandbox (the cli passes the embedded sandbox)")
        self.demo = demo
        self._start_sandbox = start_sandbox
        self.sandbox: DemoEnvironment | None = None
        self._clients: dict[str | None, Clients] = {}
        self.log_path = str(log_path) if log_path else None
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME

    def get_default_screen(self) -> Screen:
        return AccountsScreen()

    @property
    def accounts(self) -> AccountsScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    def on_mount(self) -> None:
        log.info("s3xrep %s: app started (demo=%s)", __version__, self.demo)
        if self.demo:
            self.start_sandbox()

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
                self.post_message(SandboxFailed(f"{type(exc).__name__}: {exc}"))
            return
        if worker.is_cancelled:  # the app is closing: nobody will stop it later
            environment.stop()
            return
        self.post_message(SandboxReady(environment))

    @on(SandboxReady)
    def _sandbox_ready(self, message: SandboxReady) -> None:
        self.sandbox = message.environment
        # Only the sandbox's profiles: the user's real credentials file must not
        # mix real accounts into a demo (a path that does not exist reads as empty).
        os.environ["AWS_CONFIG_FILE"] = self.sandbox.config_path
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = self.sandbox.config_path + ".no-credentials"
        log.info("sandbox ready; profiles %s", dict(self.sandbox.profiles))
        self.accounts.load_profiles(preselect=self.sandbox.profiles)

    @on(SandboxFailed)
    def _sandbox_failed(self, message: SandboxFailed) -> None:
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
        if key not in self._clients:
            self._clients[key] = clients_for(key)
        return self._clients[key]

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_terminal_colours(self) -> None:
        self.theme = TERMINAL_THEME

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
        yield SystemCommand("Help", "Every key binding", self.action_help)
        yield SystemCommand("Theme", "Change the colour theme", self.action_change_theme)
        yield SystemCommand("Terminal colours", "Use the terminal's own palette (theme ansi-dark)", self.action_terminal_colours)
        yield SystemCommand("Quit", "Leave s3xrep", self.action_quit)


def run_app(demo: bool = False, log_file: str | None = None, start_sandbox: StartSandbox | None = None) -> int:
    """Run the TUI with logging sent to a file; returns the exit code."""
    from .logs import configure_logging

    log_path = configure_logging(log_file)
    app = S3xrepApp(demo=demo, start_sandbox=start_sandbox, log_path=log_path, theme=os.environ.get("S3XREP_THEME"))
    app.run()
    log.info("app closed (return code %s)", app.return_code)
    return app.return_code or 0
