"""Shared by the options and preview tests: the demo sandbox, an app on it, and the way to the options.

No tests here. The sandbox is module-scoped in each module that imports
``sandbox`` (moto is process-global: one Sandbox at a time), and the app is
the demo app on that running sandbox (so the header says DEMO), with both
identities and both buckets set directly, as the accounts and buckets screens
would leave them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widget import Widget

from s3xrep_tui.aws.profiles import ProfileInfo
from s3xrep_tui.core.models import Account
from s3xrep_tui.sandbox.emulator import PROFILE_ACCOUNTS, PROFILES, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.demo import DemoEnvironment
from s3xrep_tui.tui.screens.options import OptionsScreen
from s3xrep_tui.tui.state import Choice, Identity

SIZE = (120, 40)
SOURCE_BUCKET, DESTINATION_BUCKET = "acme-legacy-media", "acme-platform-media"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("sandbox") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, config_path=config) as running:
        yield running


@pytest.fixture
def demo(sandbox: Sandbox, aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox's profiles as the AWS config (restored afterwards, also what the app sets itself)."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(sandbox.config_path) + ".no-credentials")
    monkeypatch.delenv("TMUX", raising=False)
    return sandbox


def demo_app(sandbox: Sandbox) -> S3xrepApp:
    """The demo app on the running sandbox; no animations (Pilot waits for each to finish)."""
    environment = DemoEnvironment(str(sandbox.config_path), dict(PROFILES))
    app = S3xrepApp(demo=True, start_sandbox=lambda: environment)
    app.animation_level = "none"
    return app


def choice(sandbox: Sandbox, role: str) -> Choice:
    name = PROFILES[role]
    account = PROFILE_ACCOUNTS[name]
    profile = ProfileInfo(name=name, kind="static", region=sandbox.region, endpoint_url=sandbox.endpoint_url,
                          detail="access keys")
    arn = f"arn:aws:iam::{account}:user/s3xrep-sandbox-admin"
    return Choice(profile, Identity("resolved", Account(id=account, arn=arn)))


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let workers finish and their messages be handled."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def open_options(pilot, sandbox: Sandbox, source_bucket: str = SOURCE_BUCKET,  # type: ignore[no-untyped-def]
                       destination_bucket: str = DESTINATION_BUCKET) -> OptionsScreen:
    app = pilot.app
    await settle(pilot)  # the accounts screen has loaded and resolved the demo profiles
    app.source = choice(sandbox, "source")
    app.destination = choice(sandbox, "destination")
    app.source_bucket = source_bucket
    app.destination_bucket = destination_bucket
    app.goto("options")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, OptionsScreen)
    return screen


async def judged(pilot) -> None:  # type: ignore[no-untyped-def]
    """Judge the form now (instead of waiting out the debounce), then let any inspection finish."""
    await pilot.pause()
    screen = pilot.app.screen
    if isinstance(screen, OptionsScreen):
        screen.flush()
    await settle(pilot)


def text_of(widget: Widget) -> str:
    """What the widget shows on screen, as plain text."""
    lines = widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))
    return "\n".join(line.text.rstrip() for line in lines)


def notifications(app: S3xrepApp) -> list[str]:
    return [notification.message for notification in app._notifications]
