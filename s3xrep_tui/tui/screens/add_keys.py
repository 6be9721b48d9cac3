"""The form that adds access keys to the key store (the OS keyring, or memory for this run).

For the account that has no profile (common in CloudShell for the second
account): a name, the access key id, the secret (a password field: shown as
dots while typed, never echoed), an optional session token (also a password
field), the region and an optional endpoint URL. Each field is judged as you
type with :func:`keyring_store.validate`'s own messages, shown beside it.

Opening the store probes the keyring (it can block on D-Bus) and saving
writes to it: both run in thread workers. Saving runs through ``run_worker``
with an explicit description, never ``@work`` (whose description is the repr
of the arguments, the secret among them). The form dismisses with the new
identity's profile spelling (``keyring:NAME``), or None when cancelled.

:class:`ConfirmDeleteKeys` asks before keys are forgotten.
"""

from __future__ import annotations

import logging
from functools import partial
from urllib.parse import urlsplit

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import get_current_worker

from ...aws.keyring_store import InvalidEntry, default_store, validate

log = logging.getLogger(__name__)

FIELDS = ("name", "access_key_id", "secret", "session_token", "region", "endpoint_url")
LABELS = {
    "name": "Name",
    "access_key_id": "Access key id",
    "secret": "Secret access key",
    "session_token": "Session token",
    "region": "Region",
    "endpoint_url": "Endpoint URL",
}
PLACEHOLDERS = {
    "name": "e.g. platform-admin (listed as keyring:NAME)",
    "access_key_id": "AKIA… or ASIA…",
    "secret": "shown as dots, never echoed",
    "session_token": "optional: temporary (ASIA…) keys only",
    "region": "us-east-1",
    "endpoint_url": "optional: empty for AWS itself",
}
SECRET_FIELDS = ("secret", "session_token")
# Stand-ins that pass validate(), so one field can be judged on its own with validate()'s messages.
_OK = {"name": "x", "access_key_id": "AKIAAAAAAAAAAAAAAAAA", "secret": "x"}
STILL_VALID = "The access key itself stays valid in IAM: deactivate it there too if it should stop working."
ENDPOINT_MESSAGE = "an endpoint URL starts with https:// (or http://) and names a host"


def field_problem(field: str, value: str) -> str:
    """Why ``value`` is not acceptable in ``field`` ('' when it is); the message never holds the value."""
    if field == "endpoint_url":
        if not value:
            return ""
        try:
            parts = urlsplit(value)
        except ValueError:
            return ENDPOINT_MESSAGE
        return "" if parts.scheme in ("http", "https") and parts.hostname else ENDPOINT_MESSAGE
    values = dict(_OK)
    token = region = None
    if field == "session_token":
        token = value or None
    elif field == "region":
        region = value or None
    else:
        values[field] = value
    try:
        validate(values["name"], values["access_key_id"], values["secret"], token, region)
    except InvalidEntry as exc:
        return exc.message if exc.field == field else ""
    return ""


def store_note(persistent: bool, why: str, backend: str) -> Text:
    if persistent:
        return Text(f"Saved in the OS keyring ({backend}), never in a file: kept across runs.", style="dim")
    return Text.assemble(("⚠ ", "bold yellow"), why or "keys are kept in memory until you quit")


class AddKeysScreen(ModalScreen[str | None]):
    """Add (or replace) keys; dismisses with ``keyring:NAME`` once stored."""

    class KeyStoreProbed(Message):
        """The key store was opened (its keyring probed, in a worker): ``why`` says why keys stay in memory."""

        def __init__(self, persistent: bool, why: str, backend: str) -> None:
            super().__init__()
            self.persistent = persistent
            self.why = why
            self.backend = backend

    class KeysSaved(Message):
        """Keys were stored as ``profile`` (``keyring:NAME``); ``persistent`` False: in memory for this run."""

        def __init__(self, profile: str, persistent: bool, why: str) -> None:
            super().__init__()
            self.profile = profile
            self.persistent = persistent
            self.why = why

    class KeysSaveFailed(Message):
        """Saving was refused: ``field`` names the form field to fix (None: not a field's fault). No secret inside."""

        def __init__(self, field: str | None, message: str) -> None:
            super().__init__()
            self.field = field
            self.message = message

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    DEFAULT_CSS = """
    AddKeysScreen { align: center middle; }
    AddKeysScreen #form { width: 90; height: auto; max-height: 100%; border: round $accent; padding: 0 1;
                          background: $surface; overflow-y: auto; }
    AddKeysScreen .row { height: 1; margin-top: 1; }
    AddKeysScreen .row Label { width: 20; }
    AddKeysScreen .row Input { width: 1fr; }
    AddKeysScreen .error { height: auto; display: none; padding-left: 20; }
    AddKeysScreen .error.-shown { display: block; }
    AddKeysScreen #store { height: auto; margin-top: 1; }
    AddKeysScreen #status { height: auto; margin-top: 1; }
    """

    def __init__(self, default_region: str = "us-east-1", existing: frozenset[str] | set[str] = frozenset()) -> None:
        """``default_region``: the source's region (or us-east-1); ``existing``: names already stored."""
        super().__init__()
        self.default_region = default_region or "us-east-1"
        self.existing = frozenset(existing)
        self.busy = False
        self.touched: set[str] = set()
        self.problems: dict[str, str] = {}
        self.persistent: bool | None = None  # None until the store is probed
        self.why = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="form") as form:
            form.border_title = "Add access keys"
            form.border_subtitle = "Enter next/save · ctrl+s save · Esc cancel"
            for field in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(LABELS[field], id=f"label-{field}")
                    yield Input(
                        value=self.default_region if field == "region" else "",
                        placeholder=PLACEHOLDERS[field],
                        password=field in SECRET_FIELDS,
                        compact=True,
                        id=f"keys-{field}",
                    )
                yield Static(classes="error", id=f"err-{field}")
            yield Static(Text("Opening the key store…", style="dim"), id="store")
            yield Static(id="status")

    def on_mount(self) -> None:
        self.input("name").focus()
        self.probe_store()

    def input(self, field: str) -> Input:
        return self.query_one(f"#keys-{field}", Input)

    def value(self, field: str) -> str:
        return self.input(field).value.strip()

    # --- the store ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="keys-probe", exit_on_error=False)
    def probe_store(self) -> None:
        worker = get_current_worker()
        store = default_store()
        if not worker.is_cancelled:
            self.post_message(self.KeyStoreProbed(store.persistent, store.why, store.backend_name))

    @on(KeyStoreProbed)
    def _probed(self, message: AddKeysScreen.KeyStoreProbed) -> None:
        message.stop()  # the accounts screen has its own
        self.persistent, self.why = message.persistent, message.why
        self.query_one("#store", Static).update(store_note(message.persistent, message.why, message.backend))

    # --- validation as you type -------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        field = (event.input.id or "").removeprefix("keys-")
        if field not in FIELDS:
            return
        self.touched.add(field)
        self._judge(field)
        self.query_one("#status", Static).update("")

    def _judge(self, field: str) -> str:
        problem = field_problem(field, self.value(field))
        if field == "name" and not problem and self.value("name") in self.existing:
            note = Text(f"keys named {self.value('name')} are stored already: saving replaces them", style="yellow")
        else:
            note = Text(f"✗ {problem}" if problem else "", style="red")
        self.problems[field] = problem
        shown = field in self.touched or problem == ""
        self._note(field, note if shown else Text(""))
        return problem

    def _note(self, field: str, text: Text) -> None:
        line = self.query_one(f"#err-{field}", Static)
        line.update(text)
        line.set_class(bool(text.plain), "-shown")

    def first_problem(self) -> str | None:
        """The first field that is not acceptable (each one's message shown), or None."""
        first = None
        for field in FIELDS:
            self.touched.add(field)
            if self._judge(field) and first is None:
                first = field
        return first

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = (event.input.id or "").removeprefix("keys-")
        if field in FIELDS and not field_problem(field, self.value(field)):
            # a field that is fine and not the last: on to the next empty or wrong one
            pending = [f for f in FIELDS if f not in ("session_token", "endpoint_url") and
                       (not self.value(f) or field_problem(f, self.value(f)))]
            if pending:
                self.input(pending[0]).focus()
                return
        self.action_save()

    # --- saving ------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.busy:
            return
        wrong = self.first_problem()
        if wrong is not None:
            self.input(wrong).focus()
            self.query_one("#status", Static).update(
                Text(f"✗ {LABELS[wrong]}: {self.problems[wrong]}", style="red"))
            return
        name = self.value("name")
        self.busy = True
        self.query_one("#status", Static).update(Text(f"Saving keys {name}…", style="bold"))
        # Not @work: its description would be the arguments' repr, the secret included.
        self.run_worker(
            partial(self._save_in_thread, name, self.value("access_key_id"), self.value("secret"),
                    self.value("session_token") or None, self.value("region") or None,
                    self.value("endpoint_url") or None),
            name="save keys",
            group="keys-save",
            description=f"save keys {name}",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _save_in_thread(self, name: str, key_id: str, secret: str, token: str | None, region: str | None,
                        endpoint: str | None) -> None:
        worker = get_current_worker()
        try:
            store = default_store()
            entry = store.save(name, key_id, secret, token, region, endpoint_url=endpoint)
        except InvalidEntry as exc:
            message: AddKeysScreen.KeysSaved | AddKeysScreen.KeysSaveFailed = self.KeysSaveFailed(
                exc.field, exc.message)
        except Exception as exc:  # noqa: BLE001 - the type only: a message could quote what was sent
            log.error("saving keys %s failed (%s)", name, type(exc).__name__)
            message = self.KeysSaveFailed(None, f"the keys could not be saved ({type(exc).__name__}); see the log file")
        else:
            message = self.KeysSaved(entry.profile, store.persistent, store.why)
        if not worker.is_cancelled:
            self.post_message(message)

    @on(KeysSaved)
    def _saved(self, message: AddKeysScreen.KeysSaved) -> None:
        message.stop()
        self.busy = False
        for field in SECRET_FIELDS:  # not kept in a widget once stored
            self.input(field).value = ""
        self.dismiss(message.profile)

    @on(KeysSaveFailed)
    def _failed(self, message: AddKeysScreen.KeysSaveFailed) -> None:
        message.stop()
        self.busy = False
        if message.field in FIELDS:
            self._note(message.field, Text(f"✗ {message.message}", style="red"))
            self.input(message.field).focus()
        self.query_one("#status", Static).update(Text(f"✗ {message.message}", style="red"))

    def action_cancel(self) -> None:
        if self.busy:
            return
        for field in SECRET_FIELDS:
            self.input(field).value = ""
        self.dismiss(None)


class ConfirmDeleteKeys(ModalScreen[bool]):
    """``y`` (or Enter) forgets the keys, ``n`` or Esc keeps them."""

    BINDINGS = [
        Binding("y", "answer(True)", "Delete"),
        Binding("enter", "answer(True)", "Delete", show=False),
        Binding("n", "answer(False)", "Keep"),
        Binding("escape", "answer(False)", "Keep", show=False),
    ]

    DEFAULT_CSS = """
    ConfirmDeleteKeys { align: center middle; }
    ConfirmDeleteKeys #box { width: 70; height: auto; border: round $error; padding: 0 1; background: $surface; }
    """

    def __init__(self, name: str, persistent: bool) -> None:
        super().__init__()
        self.keys_name = name
        self.persistent = persistent

    def compose(self) -> ComposeResult:
        where = "from the OS keyring" if self.persistent else "from memory"
        with Vertical(id="box") as box:
            box.border_title = "Delete keys"
            box.border_subtitle = "y delete · n keep"
            question = Text.assemble("Delete the keys ", (self.keys_name, "bold"), f" {where}?\n")
            question.append(STILL_VALID, style="dim")
            yield Static(question, id="question")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
