"""The Migrations home screen: every plan this machine applied, and a way back into each.

Opened over the Accounts screen when the journal directory holds migrations
(with none, the app opens on Accounts as before). Each row is one apply journal
(:func:`s3xrep_tui.aws.migrations.list_migrations`): its buckets, state
(applied, undo partial, undone, finished), when it was applied, its Batch jobs and the
last verify. Enter resumes it at the monitor, ``v`` at verify, ``u`` opens the
undo, ``f`` the finish (decommission), ``S`` the stakeholder view; ``n`` starts a new migration (the Accounts
screen, below this one).

Resuming needs the identities the migration used: the journal records their
profile names (never secrets). The Accounts screen reloads its profiles with
those two preselected; once both resolve to the journal's accounts, the
buckets and rule are set and the step opens. A profile that is gone, or that
resolves to another account, stops there: the Accounts screen opens with what
could be preselected, and the reason is shown.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from ...aws.migrations import Migration, list_migrations, short_time
from ..resume import EXTRA_STEPS, identities_for, leave_home, reopen_profiles, resume
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from ..widgets.footer import Footer
from .base import AppScreen
from .fleet import open_fleet_board
from .fleet_new import open_new_fleet

if TYPE_CHECKING:
    from ..app import S3xrepApp

RESUME_TIMEOUT = 60.0  # seconds to wait for the sandbox and both identities before giving up
DEMO_NOTE = ("DEMO: the sandbox starts fresh each launch; a migration from an earlier launch is listed, "
             "but its buckets, rule and jobs are gone (resuming it shows an empty monitor).")
FINISH_KEY_WIDTH = 80  # below this the footer has no room for f (the palette still offers it)
EMPTY = "No migrations yet: this machine has applied no plan. Press n to start one."


def columns_for(width: int) -> list[tuple[str, str, int]]:
    """(key, label, width) of the table's columns for a terminal ``width`` wide (80 and up fit)."""
    wide = width >= 140
    migration = max(24, min(70, width - (62 if wide else 50)))
    return [("migration", "Migration", migration), ("state", "State", 12),
            ("applied", "Applied", 20 if wide else 11), ("jobs", "Jobs", 4),
            ("verify", "Verified", 26 if wide else 10)]


def row_cells(m: Migration, width: int) -> list[Text]:
    wide = width >= 140
    name = f"{m.source_bucket or '?'} → {m.destination_bucket or '?'}"
    applied = short_time(m.applied_at) if wide else short_time(m.applied_at)[5:16]
    style = {"undone": "dim", "undo partial": "yellow", "damaged": "red", "finished": "green"}.get(m.state, "")
    verify = m.verify_text if wide else compact_verify(m)
    return [Text(name, style="bold", no_wrap=True, overflow="ellipsis"), Text(m.state, style=style), Text(applied), Text(str(len(m.job_ids))),
            Text(verify, style="green" if verify.startswith("OK") else "")]


def compact_verify(m: Migration) -> str:
    """``OK 12-03`` / ``diffs 12-03`` / ``never``: the last verify in 10 columns."""
    entry = m.last_verify
    if not entry:
        return "never"
    word = "OK" if (entry.get("result") or {}).get("ok") else "diffs"
    return f"{word} {short_time(entry.get('ts'))[5:10]}"


def detail_text(m: Migration) -> Text:
    """The highlighted migration in full: plan id, accounts and profiles, jobs, canary, problems."""
    profiles = m.profiles
    lines = [
        f"[b]{escape(m.source_bucket or '?')} → {escape(m.destination_bucket or '?')}[/b]  ·  {m.state}",
        f"{escape(m.plan_id)}  ·  {m.writes} write(s) journaled  ·  last {escape(short_time(m.last_write_at))}",
        f"source {escape(m.source_account or '?')} (profile {escape(str(profiles.get('source') or '?'))})"
        f" → destination {escape(m.destination_account or '?')} "
        f"(profile {escape(str(profiles.get('destination') or '?'))})",
        f"jobs: {escape(', '.join(j[:12] for j in m.job_ids) or 'none')}  ·  canary: {escape(canary_text(m))}",
    ]
    lines += [f"[yellow]{escape(p)}[/yellow]" for p in m.problems[:2]]
    return Text.from_markup("\n".join(lines))


def canary_text(m: Migration) -> str:
    entry = m.last_canary
    if not entry:
        return "never run"
    result = entry.get("result") or {}
    seconds = result.get("seconds_to_replicate")
    took = f" in {seconds:.1f}s" if isinstance(seconds, int | float) else ""
    return f"{'passed' if result.get('ok') else 'FAILED'}{took} ({short_time(entry.get('ts'))})"


class HomeScreen(AppScreen):
    class MigrationsListed(Message):
        def __init__(self, migrations: list[Migration]) -> None:
            super().__init__()
            self.migrations = migrations

    TITLE = "Migrations"

    BINDINGS = [
        Binding("enter", "resume('monitor')", "Resume", tooltip="Resume at the monitor", priority=True),
        Binding("v", "resume('verify')", "Verify"),
        Binding("u", "resume('undo')", "Undo"),
        Binding("f", "resume('finish')", "End", tooltip="Finish (decommission): the plumbing down, the data stays"),
        Binding("S", "resume('stakeholder')", "Stakeholder", tooltip="The stakeholder view"),
        Binding("n", "new", "New", tooltip="A new migration (the Accounts screen)"),
        Binding("r", "reload", "Refresh", show=False),  # in ? Help; the list reloads on return anyway
        Binding("F", "fleet", "Fleet", show=False, tooltip="The fleet board of the newest fleet migration"),
        Binding("m", "new_fleet", "New fleet", show=False, tooltip="A fleet of bucket pairs by a map (acme-a-*=acme-b-*)"),
        Binding("escape", "new", "Accounts", show=False),
    ]
    # Short labels so every key fits in 80 columns; n first after Enter (the one key with no migration yet).
    FOOTER_FIRST = ("enter", "n", "v", "u", "f", "S")

    DEFAULT_CSS = """
    HomeScreen #home-note { height: auto; padding: 0 1; color: $warning; display: none; }
    HomeScreen #home-note.-shown { display: block; }
    HomeScreen #home-empty { height: auto; padding: 1 2; text-style: bold; display: none; }
    HomeScreen #home-empty.-shown { display: block; }
    HomeScreen #migrations { height: 1fr; min-height: 4; }
    HomeScreen #home-detail { height: auto; min-height: 5; max-height: 9; border: round $primary;
                              padding: 0 1; }
    HomeScreen #home-status { height: auto; padding: 0 1; }
    """

    def __init__(self, migrations: list[Migration] | None = None) -> None:
        super().__init__()
        self.migrations: list[Migration] = list(migrations or ())
        self.status = ""
        self._pending: tuple[Migration, str, float] | None = None  # resuming: migration, step, deadline

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=(), sides=False)
        yield Static(DEMO_NOTE, id="home-note")
        yield Static(EMPTY, id="home-empty")
        yield FixedTable(id="migrations", cursor_type="row", zebra_stripes=True)
        yield Static(id="home-detail")
        yield Static(id="home-status")
        yield Footer(compact=True)  # compact spacing: this screen's keys all fit at 60 columns

    @property
    def table(self) -> FixedTable:
        return self.query_one("#migrations", FixedTable)

    def on_mount(self) -> None:
        self.query_one("#home-note").set_class(self.s3xrep.demo, "-shown")
        self.query_one("#home-detail").border_title = "migration"
        self._show()
        self.table.focus()
        if not self.migrations:
            self.action_reload()

    # --- the list ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="migrations", exit_on_error=False)
    def action_reload(self) -> None:
        worker = get_current_worker()
        found = list_migrations()  # files only: fast, but still I/O
        if not worker.is_cancelled:
            self.post_message(self.MigrationsListed(found))

    @on(MigrationsListed)
    def _listed(self, message: HomeScreen.MigrationsListed) -> None:
        self.migrations = list(message.migrations)
        self._show()

    def _show(self) -> None:
        table = self.table
        keep = self.highlighted.plan_id if self.highlighted else None
        table.clear(columns=True)
        width = self.app.size.width
        for key, label, size in columns_for(width):
            table.add_column(label, key=key, width=size)
        for m in self.migrations:
            table.add_row(*row_cells(m, width), key=m.plan_id)
        self.query_one("#home-empty").set_class(not self.migrations, "-shown")
        table.display = bool(self.migrations)
        self.query_one("#home-detail").display = bool(self.migrations)
        if keep is not None and keep in {m.plan_id for m in self.migrations}:
            table.move_cursor(row=table.get_row_index(keep))
        self._paint_detail()

    def on_screen_resume(self) -> None:
        if self.is_mounted and self._pending is None:  # back from an undo or a monitor: states may have changed
            self.action_reload()

    def on_resize(self) -> None:
        if self.migrations:
            self._show()

    @property
    def highlighted(self) -> Migration | None:
        if not self.migrations or not self.is_mounted:
            return None
        row = self.table.cursor_row
        return self.migrations[row] if 0 <= row < len(self.migrations) else None

    @on(DataTable.RowHighlighted, "#migrations")
    def _row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._paint_detail()

    def _paint_detail(self) -> None:
        m = self.highlighted
        if m is not None:
            self.query_one("#home-detail", Static).update(detail_text(m))

    def say(self, text: str, style: str = "") -> None:
        self.status = text
        self.query_one("#home-status", Static).update(Text(text, style=style))

    # --- resuming -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            if parameters == ("finish",) and self.app.size.width < FINISH_KEY_WIDTH:
                return False  # no room in the footer: the palette's "Finish a migration" opens it
            return bool(self.migrations)
        return True

    def action_new(self) -> None:
        leave_home(self.s3xrep)

    def action_fleet(self) -> None:
        open_fleet_board(self.s3xrep)

    def action_new_fleet(self) -> None:
        open_new_fleet(self.s3xrep)

    def action_resume(self, step: str) -> None:
        m = self.highlighted
        if m is None:
            return
        if not m.resumable:
            self.say(f"{m.plan_id}: the journal does not name both buckets; start a new migration (n).", "red")
            return
        if step == "undo" and m.undone:
            self.say(f"{m.plan_id} is already undone: nothing left to restore.", "yellow")
            return
        if step == "finish" and m.finished_at:
            self.say(f"{m.plan_id} was finished {short_time(m.finished_at)}: nothing left to remove.", "yellow")
            return
        self._pending = (m, step, time.monotonic() + RESUME_TIMEOUT)
        self.say(f"Opening {m.source_bucket} → {m.destination_bucket}: resolving profiles "
                 f"{m.profiles.get('source') or '?'} and {m.profiles.get('destination') or '?'}…")
        reopen_profiles(self.s3xrep, m.profiles)
        self.set_timer(0.05, self._poll_resume)

    def _poll_resume(self) -> None:
        """Go on once both identities are resolved (or say why not); polled, bounded by the deadline."""
        if self._pending is None or not self.is_attached:
            return
        m, step, deadline = self._pending
        verdict = identities_for(self.s3xrep, m)
        if verdict is None:
            if time.monotonic() > deadline:
                self._pending = None
                self._give_up(m, f"the identities did not resolve within {RESUME_TIMEOUT:.0f}s")
            else:
                self.set_timer(0.1, self._poll_resume)
            return
        self._pending = None
        if verdict:
            self._give_up(m, verdict)
            return
        self.say("")
        resume(self.s3xrep, m, step)

    def _give_up(self, m: Migration, reason: str) -> None:
        self.say(f"Not resumed: {reason}. Choose the identities on the Accounts screen.", "red")
        leave_home(self.s3xrep, notice=f"{m.plan_id}: {reason}. Choose the identities, then continue.")


def open_home(app: S3xrepApp) -> None:
    """Back down to the home screen when it is open, else open it over the current screen."""
    home = next((s for s in reversed(app.screen_stack) if isinstance(s, HomeScreen)), None)
    if home is None:
        app.push_screen(HomeScreen())
        return
    while app.screen is not home and len(app.screen_stack) > 1:
        app.pop_screen()


def open_stakeholder(app: S3xrepApp, m: Migration | None = None) -> None:
    module, name = EXTRA_STEPS["stakeholder"]  # imported when first opened
    app.push_screen(getattr(importlib.import_module(module), name)(m))


def home_commands(app: S3xrepApp, screen: Screen) -> Iterable[SystemCommand]:
    """The palette's entries for the home screen, the stakeholder view and the projector theme."""
    if not isinstance(screen, HomeScreen):
        yield SystemCommand("Migrations", "Every migration this machine applied: resume, verify, undo",
                            lambda: open_home(app))
    if getattr(screen, "TITLE", "") != "Stakeholder view" and (
            app.source_bucket and app.destination_bucket and app.source is not None):
        yield SystemCommand("Stakeholder view", "One screen for a projector: progress, rate, latency, verified",
                            lambda: open_stakeholder(app))
    yield SystemCommand("Fleet board", "Every pair of the newest fleet migration (apply --pairs)",
                        lambda: open_fleet_board(app))
    yield SystemCommand("New fleet migration", "Many bucket pairs by a map (acme-legacy-*=acme-platform-*): plan, "
                        "estimate, apply", lambda: open_new_fleet(app))
    on = app.theme == "s3xrep-high-contrast"
    yield SystemCommand("High contrast " + ("off" if on else "on"), "The projector theme (h on the stakeholder view)",
                        app.action_high_contrast)
    if isinstance(screen, HomeScreen) and screen.highlighted is not None:
        yield SystemCommand("Finish a migration", "Decommission the highlighted migration: plumbing down, data stays",
                            lambda: screen.action_resume("finish"))
