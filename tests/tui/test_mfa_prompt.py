"""The MFA code prompt on the Accounts screen, against moto's STS (AssumeRole with SerialNumber and TokenCode).

An assume-role profile with ``mfa_serial`` fails to resolve with MfaRequired
(no code yet); Enter (or m) on its row opens a masked prompt, a wrong-length
code is refused inline, a 6-digit one is handed to ``credentials.set_mfa_code``
and the row resolves to the role's account. The code is kept nowhere after.
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

from s3xrep_tui.aws import credentials
from s3xrep_tui.aws.credentials import set_mfa_code_provider
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.logs import configure_logging
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.mfa_prompt import MfaPromptScreen, needs_mfa_code
from s3xrep_tui.tui.widgets.profile_table import ProfileTable

from .test_accounts import row, text_of

SIZE = (120, 40)
ROLE_ACCOUNT = "333333333333"
MFA_SERIAL = "arn:aws:iam::111111111111:mfa/ops"
ROW = "profile:mfa-role"
CODE = "482913"


def mfa_config(endpoint: str) -> str:
    return f"""\
[profile base]
aws_access_key_id = AKIASOURCEKEYS000001
aws_secret_access_key = source-secret-not-shown
region = us-east-1
endpoint_url = {endpoint}

[profile mfa-role]
role_arn = arn:aws:iam::{ROLE_ACCOUNT}:role/migrate
source_profile = base
mfa_serial = {MFA_SERIAL}
region = eu-west-1
endpoint_url = {endpoint}
"""


@pytest.fixture
def mfa_profiles(aws_env: Path, moto_endpoint: str) -> Iterator[Path]:
    aws_env.write_text(mfa_config(moto_endpoint))
    credentials.forget_credentials()  # no role assumed earlier in the run, no code pending
    set_mfa_code_provider(None)
    yield aws_env
    credentials.forget_credentials()


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


async def settled(pilot: Any) -> AccountsScreen:
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, AccountsScreen)
    return screen


def screen_text(app: S3xrepApp) -> str:
    """Every character on the screen (the SVG screenshot's text, row by row)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text[^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        text = html.unescape(match.group(3)).replace("\xa0", " ")
        rows.setdefault(float(match.group(2)), []).append((float(match.group(1)), text))
    return "\n".join("".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items()))


def footer_keys(app: S3xrepApp) -> set[str]:
    return {binding.key for (_, binding, enabled, _) in app.screen.active_bindings.values() if enabled}


def test_which_failures_ask_for_a_code() -> None:
    for code in ("MfaRequired", "MfaCodeRejected", "MfaExpired"):
        assert needs_mfa_code(AwsError("m", "f", code))
    assert not needs_mfa_code(AwsError("m", "f", "SSOTokenExpired"))
    assert not needs_mfa_code(None)


async def test_enter_on_an_mfa_row_asks_for_the_code_refuses_a_short_one_and_resolves_with_six_digits(
    mfa_profiles: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    log_file = configure_logging(tmp_path / "s3xrep.log")
    logging.getLogger("botocore").setLevel(logging.DEBUG)  # AssumeRole's request carries the code: masked
    capfd.readouterr()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        failing = screen.rows[ROW].identity
        assert failing.state == "failed" and failing.error is not None and failing.error.code == "MfaRequired"
        assert row(app, ROW)["kind"] == "assume-role (mfa)"
        assert row(app, ROW)["status"].startswith("✗ enter the current 6-digit")
        screen.query_one(ProfileTable).move_to(ROW)
        await pilot.pause()
        detail = " ".join(text_of(screen.query_one("#detail", Static)).split())
        assert f"profile mfa-role assumes a role that needs an MFA code ({MFA_SERIAL})" in detail
        assert "Enter or m: type the code" in detail
        assert "m" in footer_keys(app) and "x" not in footer_keys(app)

        await pilot.press("enter")  # on this row Enter asks for the code instead of continuing
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, MfaPromptScreen)
        assert prompt.query_one("#code", Input).has_focus
        assert "MFA code for mfa-role" in screen_text(app)
        await pilot.press(*CODE[:5], "enter")
        assert isinstance(app.screen, MfaPromptScreen)
        assert text_of(prompt.query_one("#error", Static)).strip() == "✗ an MFA code is the 6 digits the device shows now"
        await pilot.press("x", "-", CODE[5])  # letters are not taken; the sixth digit is
        field = prompt.query_one("#code", Input)
        assert field.password and field.value == CODE
        assert CODE not in text_of(field) and "••••••" in text_of(field)
        assert CODE not in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AccountsScreen)
                    and screen.rows[ROW].identity.state == "resolved", "the row to resolve with the code")
        await pilot.pause()
        cells = row(app, ROW)
        assert cells["account"] == ROLE_ACCOUNT and cells["status"] == "✓ resolved"
        assert cells["arn"].startswith("assumed-role/migrate/")
        assert "m" not in footer_keys(app)  # resolved: nothing to ask any more
        assert credentials._pending_codes == {}  # used once, then gone

        # chosen as the source, the app's clients reuse the role assumed with that code (no second prompt)
        await pilot.press("s")
        assert app.clients("source")("sts").get_caller_identity()["Account"] == ROLE_ACCOUNT

    logged = log_file.read_text()
    assert "assuming the role of mfa-role with an MFA code" in logged
    assert CODE not in logged
    assert capfd.readouterr().err == ""


async def test_m_opens_the_prompt_and_escape_leaves_the_row_failed(mfa_profiles: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        table = screen.query_one(ProfileTable)
        table.move_to("profile:base")
        await pilot.pause()
        await pilot.press("m")  # base resolves: no prompt
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        table.move_to(ROW)
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MfaPromptScreen)
        await pilot.press("1", "2", "escape")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        await settled(pilot)
        assert screen.rows[ROW].identity.state == "failed"
        assert credentials._pending_codes == {}
