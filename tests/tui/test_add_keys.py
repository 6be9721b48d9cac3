"""Adding keys on the Accounts screen: the form, the key store, the new row resolving, deleting.

The keys are the sandbox's static keys of the destination account, entered
with the sandbox's endpoint URL: once saved, the new ``keyring:NAME`` row
resolves through STS to that account like any profile. The keyring is an
in-memory backend of the test's own (tests/aws/test_keyring.py), or the fail
backend tests/conftest.py installs, for the in-memory fallback. The secret is
typed key by key and then looked for everywhere it must not be: the screen,
the log file (written by the app's own logging setup) and stderr.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from s3xrep_tui.aws.keyring_store import NO_KEYRING, SERVICE
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.logs import configure_logging
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.add_keys import (
    AddKeysScreen,
    ConfirmDeleteKeys,
    field_problem,
)
from s3xrep_tui.tui.widgets.profile_table import ProfileTable
from tests.aws.test_keyring import MemoryKeyring, memory_keyring  # noqa: F401  (fixture)

from .test_accounts import row, shown_keys, text_of

SIZE = (120, 40)
NAME = "platform-admin"
PROFILE = f"keyring:{NAME}"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """An empty sandbox: only its accounts' static keys matter here (moto is process-global: one per module)."""
    with Sandbox(seed="empty", config_path=tmp_path_factory.mktemp("sandbox") / "aws-config") as running:
        yield running


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, threading.excepthook
    levels = {name: logging.getLogger(name).level for name in ("botocore", "boto3", "urllib3")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    threading.excepthook = hook
    logging.captureWarnings(False)


async def until(pilot: Any, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def error_of(form: AddKeysScreen, field: str) -> str:
    return text_of(form.query_one(f"#err-{field}", Static)).strip()


def screen_text(app: S3xrepApp) -> str:
    """Every character on the screen (the SVG screenshot's text, row by row)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text[^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        text = html.unescape(match.group(3)).replace("\xa0", " ")
        rows.setdefault(float(match.group(2)), []).append((float(match.group(1)), text))
    return "\n".join("".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items()))


async def type_into(pilot: Any, form: AddKeysScreen, field: str, text: str) -> None:
    form.input(field).focus()
    await pilot.pause()
    await pilot.press(*text)


async def until_still(pilot: Any, what: str = "the screen to stop changing") -> None:
    """Until two looks at the screen 50 ms apart agree.

    A screen under a modal is not laid out again until the modal goes (Textual
    lays out only the current screen), so a row whose answer lands as the form
    opens would stay half-painted behind it: wait for the last layout first.
    """
    before = screen_text(pilot.app)
    deadline = time.monotonic() + 10.0
    while True:
        await pilot.pause(0.05)
        now = screen_text(pilot.app)
        if now == before:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        before = now


async def open_form(pilot: Any) -> AddKeysScreen:
    await settle(pilot)
    await until_still(pilot, "the accounts screen to finish painting")
    assert isinstance(pilot.app.screen, AccountsScreen)
    await pilot.press("a")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, AddKeysScreen)
    await until(pilot, lambda: form.persistent is not None, "the key store to open")
    return form


def rows_detail(app: S3xrepApp) -> str:
    return text_of(app.screen.query_one("#detail", Static))


# --- the form, without AWS ---------------------------------------------------------------------------


def test_each_field_is_judged_with_the_key_stores_own_messages() -> None:
    assert field_problem("name", "-bad").startswith("a name is 1 to 64 letters")
    assert field_problem("name", NAME) == ""
    assert field_problem("access_key_id", "akia-lower").startswith("an access key id is 16 or more capital")
    assert field_problem("secret", "") == "the secret access key is required and has no spaces"
    assert field_problem("secret", "has space") == "the secret access key is required and has no spaces"
    assert field_problem("session_token", "") == ""  # optional
    assert field_problem("region", "Europe") == "a region looks like us-east-1 or eu-west-2"
    assert field_problem("endpoint_url", "") == ""
    assert field_problem("endpoint_url", "localhost:4566").startswith("an endpoint URL starts with https://")
    assert field_problem("endpoint_url", "http://127.0.0.1:4566") == ""


# --- the screen ---------------------------------------------------------------------------------------


async def test_added_keys_are_saved_in_the_keyring_listed_and_resolve_and_the_secret_shows_nowhere(
    aws_env: Path,
    sandbox: Sandbox,
    memory_keyring: MemoryKeyring,  # noqa: F811
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    aws_env.write_text("")  # no profile at all: the CloudShell case for the second account
    log_file = configure_logging(tmp_path / "logs" / "s3xrep.log")
    logging.getLogger("botocore").setLevel(logging.DEBUG)  # the chattiest it gets: still no secret
    key_id, secret = sandbox.credentials(DESTINATION_ACCOUNT)
    capfd.readouterr()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        assert "Saved in the OS keyring (MemoryKeyring)" in text_of(form.query_one("#store", Static))
        assert form.input("region").value == "us-east-1"  # no source chosen: us-east-1

        await type_into(pilot, form, "name", "-bad")
        assert error_of(form, "name").startswith("✗ a name is 1 to 64 letters, digits")
        form.input("name").value = ""
        await type_into(pilot, form, "name", NAME)
        assert error_of(form, "name") == ""

        await type_into(pilot, form, "access_key_id", key_id)
        await type_into(pilot, form, "secret", secret)
        field = form.input("secret")
        assert field.password and field.value == secret
        shown = text_of(field)
        assert secret not in shown and secret[:6] not in shown and "•" in shown  # dots while typed
        on_screen = screen_text(app)
        assert "Add access keys" in on_screen and "•" * len(secret) in on_screen and secret not in on_screen
        await type_into(pilot, form, "endpoint_url", "localhost")
        assert error_of(form, "endpoint_url").startswith("✗ an endpoint URL starts with https://")
        form.input("endpoint_url").value = sandbox.endpoint_url
        await pilot.pause()
        assert error_of(form, "endpoint_url") == ""

        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, AccountsScreen) and PROFILE in app.screen.rows
                    and app.screen.rows[PROFILE].identity.state == "resolved", "the new row to resolve")
        await pilot.pause()
        assert shown_keys(app) == ["ambient", PROFILE]
        cells = row(app, PROFILE)
        assert (cells["profile"], cells["kind"], cells["region"]) == (PROFILE, "keyring", "us-east-1")
        assert cells["account"] == DESTINATION_ACCOUNT and cells["status"] == "✓ resolved"
        assert app.screen.query_one(ProfileTable).highlighted_key == PROFILE  # the cursor is on it
        detail = rows_detail(app)
        assert "keyring:platform-admin · keyring · access keys in the OS keyring" in detail
        assert f"arn:aws:iam::{DESTINATION_ACCOUNT}:user/" in detail
        assert "memory" not in detail
        assert secret not in screen_text(app)
        # chosen as the destination like any profile; the app's clients use the stored keys
        await pilot.press("d")
        assert app.destination is not None and app.destination.account_id == DESTINATION_ACCOUNT
        sts = app.clients("destination")("sts")
        assert sts.get_caller_identity()["Account"] == DESTINATION_ACCOUNT

    entry = memory_keyring.entries[(SERVICE, f"keys:{NAME}")]
    assert secret in entry  # the keyring holds it (and only the keyring)
    assert NAME in memory_keyring.entries[(SERVICE, "index")] and secret not in memory_keyring.entries[(SERVICE, "index")]
    logged = log_file.read_text()
    assert f"saved keys {NAME} in the keyring (MemoryKeyring)" in logged
    assert "get_caller_identity" in logged.lower() or "GetCallerIdentity" in logged  # botocore did log its calls
    assert secret not in logged
    assert capfd.readouterr().err == ""


async def test_without_a_keyring_the_form_and_the_detail_line_say_keys_stay_in_memory_and_x_deletes(
    aws_env: Path, sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    aws_env.write_text("")
    key_id, secret = sandbox.credentials(DESTINATION_ACCOUNT)
    capfd.readouterr()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)  # tests/conftest.py: keyring's fail backend, as on headless SSH
        assert form.persistent is False
        assert NO_KEYRING in " ".join(text_of(form.query_one("#store", Static)).split())
        for field, value in (("name", NAME), ("access_key_id", key_id), ("secret", secret),
                             ("endpoint_url", sandbox.endpoint_url)):
            form.input(field).value = value
        await pilot.pause()
        form.input("endpoint_url").focus()
        await pilot.press("enter")  # Enter in a field saves once every field is fine
        await until(pilot, lambda: isinstance(app.screen, AccountsScreen) and PROFILE in app.screen.rows
                    and app.screen.rows[PROFILE].identity.state == "resolved", "the new row to resolve")
        await pilot.pause()
        detail = " ".join(rows_detail(app).split())
        assert "access keys in memory until you quit" in detail
        assert f"⚠ {NO_KEYRING}" in detail
        assert row(app, PROFILE)["account"] == DESTINATION_ACCOUNT

        # x asks first; n keeps the keys
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDeleteKeys)
        assert "Delete the keys platform-admin from memory?" in " ".join(
            text_of(app.screen.query_one("#question", Static)).split())
        await pilot.press("n")
        await settle(pilot)
        assert PROFILE in shown_keys(app)
        # ctrl+d, then y: gone from the list and from the store
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDeleteKeys)
        await pilot.press("y")
        await until(pilot, lambda: PROFILE not in app.screen.rows, "the row to go")
        await settle(pilot)
        assert shown_keys(app) == ["ambient"]
        assert any("Keys platform-admin deleted." in n.message for n in app._notifications)
        # x means nothing on a row that is not keys added here
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
    from s3xrep_tui.aws.keyring_store import default_store

    assert default_store().names() == []
    assert capfd.readouterr().err == ""


async def test_escape_cancels_the_form_and_saves_nothing(aws_env: Path, memory_keyring: MemoryKeyring) -> None:  # noqa: F811
    aws_env.write_text("")
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        form.input("name").value = NAME
        form.input("secret").value = "not-kept-anywhere-000"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        assert shown_keys(app) == ["ambient"]
    assert memory_keyring.entries == {}


async def test_save_refuses_an_incomplete_form_and_points_at_the_first_field(aws_env: Path) -> None:
    aws_env.write_text("")
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        form.input("name").value = NAME
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AddKeysScreen)
        assert form.input("access_key_id").has_focus
        assert "Access key id: an access key id is 16 or more" in text_of(form.query_one("#status", Static))
        assert error_of(form, "secret") == "✗ the secret access key is required and has no spaces"


def test_the_form_snapshot_shows_dots_for_the_secret(snap_compare, aws_env: Path) -> None:  # type: ignore[no-untyped-def]
    aws_env.write_text("")
    secret = "SnapshotSecret0123456789abcdefghijklmnop"

    async def filled(pilot) -> None:  # type: ignore[no-untyped-def]
        form = await open_form(pilot)
        for field in form.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        form.input("name").value = NAME
        form.input("access_key_id").value = "AKIA222222222222DEMO"
        await type_into(pilot, form, "secret", secret)
        await type_into(pilot, form, "name", "!")  # a character the name cannot have: its message shows
        await pilot.pause()

    app = S3xrepApp()
    assert snap_compare(app, terminal_size=SIZE, run_before=filled)
    svg = Path(__file__).parent / "__snapshots__" / "test_add_keys" / "test_the_form_snapshot_shows_dots_for_the_secret.svg"
    assert svg.exists() and secret not in svg.read_text() and secret[:8] not in svg.read_text()
