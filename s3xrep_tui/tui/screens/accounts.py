"""Step 1: pick the source and destination identities.

Profiles are listed in a worker, then every row resolves concurrently in its
own worker (group ``identity:<key>``, exclusive, so ``r`` supersedes a slow
answer); each answer updates its row in place.

``a`` opens a form that adds access keys to the key store (the OS keyring,
or memory for this run when there is none; the form and the detail line say
which); ``x`` (or ``ctrl+d``) deletes the highlighted keys, after a
confirmation. A row that failed for want of an MFA code (``MfaRequired``,
``MfaCodeRejected``, ``MfaExpired``) takes one with ``Enter`` or ``m``, and
resolves again. Opening the store and saving or deleting keys run in thread
workers (the keyring can block on D-Bus).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from functools import partial
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from ...aws.errors import AwsError
from ...aws.keyring_store import default_store, keyring_name
from ...aws.profiles import DEFAULT_REGION, ProfileInfo, list_profiles, resolve_identity
from ...core.models import Account
from ..state import Choice, Identity
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from ..widgets.profile_table import ProfileRow, ProfileTable
from ..widgets.selection_summary import SelectionSummary
from .add_keys import AddKeysScreen, ConfirmDeleteKeys
from .base import AppScreen
from .mfa_prompt import MfaPromptScreen, needs_mfa_code

log = logging.getLogger(__name__)

Role = Literal["source", "destination"]
_generations = itertools.count(1)  # process-wide, so a recreated row never matches an old answer


class AccountsScreen(AppScreen):
    class IdentityResolved(Message):
        """STS answered (``account``) or failed (``error``) for the row ``key``.

        ``generation`` identifies the request: a row re-resolved since then has a
        newer one, and this late answer must not paint over it.
        """

        def __init__(self, key: str, generation: int, account: Account | None, error: AwsError | None) -> None:
            super().__init__()
            self.key = key
            self.generation = generation
            self.account = account
            self.error = error

    class ProfilesLoaded(Message):
        """The config files were read; ``preselect`` maps source/destination to profile names."""

        def __init__(self, profiles: list[ProfileInfo], preselect: Mapping[str, str] | None = None) -> None:
            super().__init__()
            self.profiles = profiles
            self.preselect = preselect

    class ProfilesFailed(Message):
        def __init__(self, error: AwsError) -> None:
            super().__init__()
            self.error = error

    class KeysDeleted(Message):
        """The keys named ``name`` were forgotten (``removed`` False: there was nothing to remove)."""

        def __init__(self, name: str, removed: bool, error: str = "") -> None:
            super().__init__()
            self.name = name
            self.removed = removed
            self.error = error

    TITLE = "Accounts"

    BINDINGS = [
        Binding("s", "choose('source')", "Source"),
        Binding("d", "choose('destination')", "Destination"),
        Binding("r", "refresh", "Refresh"),
        Binding("slash", "filter", "Filter"),
        Binding("enter", "continue", "Continue"),
        Binding("a", "add_keys", "Add keys"),
        Binding("m", "mfa", "MFA code"),
        Binding("x", "delete_keys", "Delete keys"),
        Binding("ctrl+d", "delete_keys", "Delete keys", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    DEFAULT_CSS = """
    AccountsScreen #filter { display: none; margin: 0 1; }
    AccountsScreen #filter.-shown { display: block; }
    AccountsScreen #detail { height: auto; min-height: 3; padding: 0 1; margin-top: 1; background: $boost; }
    AccountsScreen #hint { height: 1; padding: 0 1; margin-bottom: 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ProfileRow] = {}  # every profile, whether the filter shows it or not
        self.source_key: str | None = None
        self.destination_key: str | None = None
        self.confirmed = False
        self.problem: Text | None = None  # a failure outside any row (config unreadable, sandbox down)
        self.filter_text = ""
        self.store_why = ""  # why added keys stay in memory ('' while the keyring keeps them)
        self.store_persistent: bool | None = None  # None until the key store was opened
        self._cursor_after_load: str | None = None  # the row to highlight once the list is reloaded

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo)
        yield Input(placeholder="filter: profile, kind, region, account…", id="filter")
        yield ProfileTable(id="profiles")
        yield Static(id="detail")
        yield Static(id="hint")
        yield SelectionSummary(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        if self.s3xrep.demo:
            self._set_hint(Text("Starting the embedded AWS sandbox…", style="bold"))
        else:
            self.load_profiles()
        self.query_one(ProfileTable).focus()

    # --- loading and resolving ----------------------------------------------

    @work(thread=True, exclusive=True, group="profiles", exit_on_error=False)
    def load_profiles(self, preselect: Mapping[str, str] | None = None) -> None:
        """Read the config files (cheap, but still I/O) and post the list."""
        worker = get_current_worker()
        demo = self.s3xrep.demo
        try:
            if not demo:  # opening the store probes the keyring (list_profiles would anyway)
                store = default_store()
                if not worker.is_cancelled:
                    self.post_message(AddKeysScreen.KeyStoreProbed(store.persistent, store.why, store.backend_name))
            profiles = list_profiles(include_ambient=not demo)
        except AwsError as error:
            if not worker.is_cancelled:
                self.post_message(self.ProfilesFailed(error))
            return
        if not worker.is_cancelled:
            self.post_message(self.ProfilesLoaded(profiles, preselect))

    @on(ProfilesLoaded)
    def _profiles_loaded(self, message: AccountsScreen.ProfilesLoaded) -> None:
        self.problem = None
        self.rows = {p.key: ProfileRow(p, Identity()) for p in message.profiles}
        named = {p.name: p.key for p in message.profiles if p.name is not None}
        preselect = {role: named[name] for role, name in (message.preselect or {}).items() if name in named}
        # a reload keeps the choices whose profiles still exist
        self.source_key = preselect.get("source") or (self.source_key if self.source_key in self.rows else None)
        self.destination_key = preselect.get("destination") or (
            self.destination_key if self.destination_key in self.rows else None
        )
        self._mark_uses()
        cursor, self._cursor_after_load = self._cursor_after_load, None
        self._show_rows(keep_cursor_on=cursor if cursor in self.rows else self.source_key)
        self.resolve_all()

    @on(AddKeysScreen.KeyStoreProbed)
    def _store_probed(self, message: AddKeysScreen.KeyStoreProbed) -> None:
        self.store_persistent, self.store_why = message.persistent, message.why
        self._update_detail()

    @on(ProfilesFailed)
    def _profiles_failed(self, message: AccountsScreen.ProfilesFailed) -> None:
        self.show_problem(message.error.message, message.error.fix)

    def resolve_all(self) -> None:
        for key in self.rows:
            self.resolve(key)

    def resolve(self, key: str) -> None:
        row = self.rows[key]
        row.generation = next(_generations)
        row.identity = Identity("resolving")
        self._row_changed(row)
        self.run_worker(
            partial(self._resolve_in_thread, key, row.profile.name, row.generation),
            name=f"resolve {row.profile.label}",
            group=f"identity:{key}",
            exclusive=True,  # cancels the previous request for this row (it cannot be killed, only ignored)
            thread=True,
            exit_on_error=False,
        )

    def _resolve_in_thread(self, key: str, profile: str | None, generation: int) -> None:
        worker = get_current_worker()
        try:
            account, error = resolve_identity(profile), None
        except AwsError as exc:
            account, error = None, exc
        except Exception as exc:  # resolve_identity promises AwsError; a bug must still show up
            log.exception("resolving %s crashed", profile or "the ambient chain")
            account, error = None, AwsError(f"unexpected {type(exc).__name__}", "see the log file", "Bug")
        if not worker.is_cancelled:
            self.post_message(self.IdentityResolved(key, generation, account, error))

    @on(IdentityResolved)
    def _identity_resolved(self, message: AccountsScreen.IdentityResolved) -> None:
        row = self.rows.get(message.key)
        if row is None or row.generation != message.generation:
            return  # a stale answer: the row was re-resolved or the list reloaded since
        if message.account is not None:
            row.identity = Identity("resolved", account=message.account)
        else:
            row.identity = Identity("failed", error=message.error)
        self._row_changed(row)

    # --- actions --------------------------------------------------------------

    def action_choose(self, role: Role) -> None:
        key = self.query_one(ProfileTable).highlighted_key
        if key is None or key not in self.rows:
            return
        if role == "source":
            self.source_key = key
        else:
            self.destination_key = key
        self.confirmed = False
        self._mark_uses()
        self._sync_choices()

    def action_refresh(self) -> None:
        """Re-read the config files and resolve every row again."""
        if self.s3xrep.demo and not self.rows:
            return  # the sandbox is still starting; the app loads the list when it is up
        self.confirmed = False
        self.load_profiles()

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("-shown")
        field.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if not field.has_class("-shown") and not self.filter_text:
            return
        field.value = ""
        field.remove_class("-shown")
        self.query_one(ProfileTable).focus()

    def action_continue(self) -> None:
        if self._highlighted_needs_mfa() is not None:
            self.action_mfa()  # Enter on a row that waits for its MFA code asks for it
            return
        source, destination = self._choice(self.source_key), self._choice(self.destination_key)
        if source is None or destination is None or not (source.ready and destination.ready):
            return  # the hint line says what is missing
        self.confirmed = True
        self._show_summary(source, destination)
        self._update_hint()
        self.s3xrep.goto("buckets")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "continue":
            if self._highlighted_needs_mfa() is not None:
                return True
            return True if self._ready() else None  # None: shown dimmed in the footer
        if action == "add_keys":
            return not self.s3xrep.demo  # the demo lists only the sandbox's profiles
        if action == "mfa":
            return self._highlighted_needs_mfa() is not None  # False: not in the footer
        if action == "delete_keys":
            return self._highlighted_keys_name() is not None
        return True

    # --- keys added in the app -------------------------------------------------------

    def _highlighted_row(self) -> ProfileRow | None:
        key = self.query_one(ProfileTable).highlighted_key
        return self.rows.get(key) if key else None

    def _highlighted_keys_name(self) -> str | None:
        row = self._highlighted_row()
        return keyring_name(row.profile.name) if row is not None and row.profile.kind == "keyring" else None

    def _highlighted_needs_mfa(self) -> ProfileRow | None:
        row = self._highlighted_row()
        if row is None or row.identity.state != "failed" or not needs_mfa_code(row.identity.error):
            return None
        return row

    def action_add_keys(self) -> None:
        if self.s3xrep.demo:
            return
        source = self._choice(self.source_key)
        region = (source.profile.region if source else None) or DEFAULT_REGION
        existing = {name for row in self.rows.values() if (name := keyring_name(row.profile.name)) is not None}
        self.app.push_screen(AddKeysScreen(region, existing), self._keys_added)

    def _keys_added(self, profile: str | None) -> None:
        if profile is None:
            return
        self.s3xrep.forget_clients(profile)
        self._cursor_after_load = profile
        log.info("keys %s added; listing the identities again", keyring_name(profile))
        self.load_profiles()

    def action_delete_keys(self) -> None:
        name = self._highlighted_keys_name()
        if name is None:
            return
        row = self._highlighted_row()
        persistent = row is not None and "OS keyring" in row.profile.detail

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete_in_thread(name)

        self.app.push_screen(ConfirmDeleteKeys(name, persistent), answered)

    @work(thread=True, exclusive=True, group="keys-delete", exit_on_error=False)
    def _delete_in_thread(self, name: str) -> None:
        worker = get_current_worker()
        try:
            removed, error = default_store().delete(name), ""
        except Exception as exc:  # noqa: BLE001 - delete catches the keyring's own; a bug must still show
            log.error("deleting keys %s failed (%s)", name, type(exc).__name__)
            removed, error = False, f"deleting keys {name} failed ({type(exc).__name__}); see the log file"
        if not worker.is_cancelled:
            self.post_message(self.KeysDeleted(name, removed, error))

    @on(KeysDeleted)
    def _keys_deleted(self, message: AccountsScreen.KeysDeleted) -> None:
        if message.error:
            self.notify(message.error, title="Delete keys", severity="error")
        else:
            self.notify(f"Keys {message.name} deleted." if message.removed else f"No keys named {message.name}.",
                        title="Delete keys")
        self.s3xrep.forget_clients(f"keyring:{message.name}")
        self.confirmed = False
        self.load_profiles()

    def action_mfa(self) -> None:
        row = self._highlighted_needs_mfa()
        if row is None or row.profile.name is None:
            return
        key, profile = row.profile.key, row.profile.name
        reason = row.identity.error.message if row.identity.error else ""

        def submitted(given: bool | None) -> None:
            if given and key in self.rows:
                self.resolve(key)

        self.app.push_screen(MfaPromptScreen(profile, reason), submitted)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._update_detail()
        self.refresh_bindings()  # m, x and Enter depend on the highlighted row

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._show_rows(keep_cursor_on=self.query_one(ProfileTable).highlighted_key)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, _: Input.Submitted) -> None:
        self.query_one(ProfileTable).focus()

    def show_problem(self, message: str, fix: str) -> None:
        self.problem = Text.assemble(("✗ ", "red"), message, "\n  ", ("fix: ", "bold"), fix)
        self._update_detail()
        self._update_hint()

    # --- painting ---------------------------------------------------------------

    def _visible_rows(self) -> list[ProfileRow]:
        terms = self.filter_text.lower().split()
        return [row for row in self.rows.values() if all(term in row.haystack() for term in terms)]

    def _show_rows(self, keep_cursor_on: str | None) -> None:
        self.query_one(ProfileTable).show(self._visible_rows(), keep_cursor_on)
        self._update_detail()
        self._update_hint()

    def _row_changed(self, row: ProfileRow) -> None:
        self.query_one(ProfileTable).paint(row)
        if row.profile.key == self.query_one(ProfileTable).highlighted_key:
            self._update_detail()
            self.refresh_bindings()
        if row.profile.key in (self.source_key, self.destination_key):
            self._sync_choices()

    def _mark_uses(self) -> None:
        for key, row in self.rows.items():
            use = ("S" if key == self.source_key else "") + ("D" if key == self.destination_key else "")
            new = {"S": "SRC", "D": "DST", "SD": "S+D"}.get(use, "")
            if new != row.use:
                row.use = new
                self.query_one(ProfileTable).paint(row)

    def _choice(self, key: str | None) -> Choice | None:
        row = self.rows.get(key) if key else None
        return Choice(row.profile, row.identity) if row else None

    def _ready(self) -> bool:
        source, destination = self._choice(self.source_key), self._choice(self.destination_key)
        return bool(source and destination and source.ready and destination.ready)

    def _sync_choices(self) -> None:
        app = self.s3xrep
        app.source = self._choice(self.source_key)
        app.destination = self._choice(self.destination_key)
        if not self._ready():
            self.confirmed = False
        summary = self.query_one(SelectionSummary)
        if self.confirmed and app.source and app.destination:
            self._show_summary(app.source, app.destination)
        else:
            summary.hide()
        self.refresh_bindings()
        self._update_hint()

    def _show_summary(self, source: Choice, destination: Choice) -> None:
        summary = self.query_one(SelectionSummary)
        summary.show(source, destination)
        summary.border_subtitle = "next: buckets (Enter)"

    def _update_detail(self) -> None:
        detail = self.query_one("#detail", Static)
        if self.problem is not None:
            detail.update(self.problem)
            return
        key = self.query_one(ProfileTable).highlighted_key
        row = self.rows.get(key) if key else None
        if row is None:
            detail.update("")
            return
        p, identity = row.profile, row.identity
        text = Text.assemble((p.label, "bold"), f" · {p.kind} · {p.detail}")
        if p.endpoint_host:
            text.append(f" · endpoint {p.endpoint_host}")
        text.append("\n")
        if identity.state == "resolved" and identity.account is not None:
            text.append("✓ ", style="green")
            text.append(identity.account.arn or identity.account.id)
        elif identity.state == "failed" and identity.error is not None:
            text.append("✗ ", style="red")
            text.append(identity.error.message)
            text.append("\n  fix: ", style="bold")
            text.append(identity.error.fix)
        else:
            text.append("resolving…", style="dim")
        if identity.state == "failed" and needs_mfa_code(identity.error):
            text.append("\n  Enter or m: type the code", style="bold")
        if p.kind == "keyring" and "memory" in p.detail:
            text.append("\n⚠ ", style="bold yellow")
            text.append(self.store_why or "kept in memory until you quit")
        detail.update(text)

    def _update_hint(self) -> None:
        self._set_hint(self._hint())

    def _hint(self) -> Text:
        if self.s3xrep.demo and not self.rows and self.problem is None:
            return Text("Starting the embedded AWS sandbox…", style="bold")
        if not self.rows:
            return Text("No profiles found: add one with 'aws configure', set AWS_* variables and press r, "
                        "or press a to add keys here.")
        source, destination = self._choice(self.source_key), self._choice(self.destination_key)
        missing = [f"{key} a {role}" for key, role, choice in (("s", "source", source), ("d", "destination", destination))
                   if choice is None]
        if missing:
            return Text("Highlight a profile and press " + " and ".join(missing) + ".")
        for role, choice in (("source", source), ("destination", destination)):
            assert choice is not None
            if choice.identity.state == "failed":
                return Text(f"The {role} does not resolve: fix it and press r, or choose another profile.", style="red")
        if not self._ready():
            return Text("Waiting for STS…", style="dim")
        if self.confirmed:
            return Text("Accounts confirmed: Enter opens the buckets. Change either with s or d.")
        return Text("Both identities resolved: press Enter to confirm and choose the buckets.", style="bold")

    def _set_hint(self, text: Text) -> None:
        self.query_one("#hint", Static).update(text)

    def choice(self, role: Role) -> Choice | None:
        return self._choice(self.source_key if role == "source" else self.destination_key)
