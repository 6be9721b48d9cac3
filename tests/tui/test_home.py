"""The Migrations home screen: quit and relaunch lists the applied migration and resumes it (issue 15 item 10).

On the demo sandbox, at 80x24 and 160x48: a plan applied (by profile, as the
app and ``s3xrep apply`` journal it), the app launched, quit with ctrl+q and
launched again; the home lists the migration with its state and job, and
Enter reopens its identities and lands on the monitor, which shows the
migration's Batch job as ours. With an empty journal the app opens on the
Accounts screen as before; the demo's journals live apart from real ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.migrations import list_migrations
from s3xrep_tui.sandbox.emulator import PROFILES
from s3xrep_tui.screenshots_home import PLAN, write_migrations
from s3xrep_tui.tui.app import S3xrepApp, run_app
from s3xrep_tui.tui.demo import demo_data_dir
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.home import DEMO_NOTE, EMPTY, HomeScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.screens.verify import VerifyScreen
from s3xrep_tui.tui.widgets.jobs_table import JobsTable

from .conftest import FAILING
from .migration_world import DESTINATION, SIZES, SOURCE, launcher, screen_text, until, world_fixture


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield from world_fixture(tmp_path_factory)


def test_the_journal_lists_the_migration_with_its_profiles_buckets_and_job(world: dict[str, Any]) -> None:
    [m] = list_migrations()
    assert m.plan_id == world["plan"].id
    assert (m.source_bucket, m.destination_bucket) == (SOURCE, DESTINATION)
    assert m.profiles == PROFILES
    assert m.state == "applied" and m.job_ids == (world["job"]["JobId"],)
    assert m.rule_id == f"s3xrep-to-{DESTINATION}"


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_quit_and_relaunch_lists_the_migration_and_resumes_at_the_monitor(world: dict[str, Any],
                                                                              size: tuple[int, int]) -> None:
    start = launcher(world)
    first = S3xrepApp(demo=True, start_sandbox=start)
    async with first.run_test(size=size) as pilot:
        await until(pilot, lambda: isinstance(first.screen, HomeScreen), "the home screen")
        await pilot.press("ctrl+q")
    app = S3xrepApp(demo=True, start_sandbox=start)
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen after a relaunch")
        await until(pilot, lambda: f"{SOURCE} → {DESTINATION}" in screen_text(app), "the migration listed")
        text = screen_text(app)
        assert "applied" in text and world["plan"].id in text and "never" in text
        assert "DEMO: the sandbox starts fresh each launch" in text
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), "the monitor", timeout=60)
        monitor = app.screen
        job_id = world["job"]["JobId"]
        try:
            await until(pilot, lambda: job_id in monitor.query_one(JobsTable).jobs, "the migration's job listed")
        except AssertionError as exc:  # say why: the jobs poll's state (retrying after timeouts, an error...)
            raise AssertionError(f"{exc}; the monitor's polls: {monitor.states}") from None
        assert job_id in monitor.query_one(JobsTable).mine  # the journal's job, marked as ours
        assert app.source is not None and app.source.profile.name == PROFILES["source"]
        assert (app.source_bucket, app.destination_bucket) == (SOURCE, DESTINATION)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "back on the home screen")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, AccountsScreen), "the accounts screen (n)")
        assert app.resumed_plan_id is None


async def test_an_empty_journal_opens_the_accounts_screen(world: dict[str, Any], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "empty"))
    app = S3xrepApp(demo=True, start_sandbox=launcher(world))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        assert not any(isinstance(s, HomeScreen) for s in app.screen_stack)
        app.push_screen(HomeScreen())
        await until(pilot, lambda: EMPTY in screen_text(app), "the empty home says so")
        assert DEMO_NOTE[:40] in screen_text(app)


def test_the_demo_keeps_its_journals_apart(tmp_path: Path) -> None:
    assert demo_data_dir(tmp_path / "real") == tmp_path / "real" / "demo"
    assert demo_data_dir(tmp_path / "real" / "demo") == tmp_path / "real" / "demo"  # not nested again


async def test_resume_outside_the_demo_reopens_the_journals_profiles(write_profiles: Callable[[], Path],
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_profiles()  # acme-legacy (111111111111) and acme-platform (222222222222) on moto, as the journal names
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    write_migrations()
    app = S3xrepApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
        assert DEMO_NOTE[:40] not in screen_text(app)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen), "the verify screen", timeout=60)
        assert app.source is not None and app.source.profile.name == "acme-legacy"
        assert app.destination is not None and app.destination.account_id == "222222222222"
        assert app.resumed_plan_id == PLAN and app.resumed_region == "us-east-1"


async def test_a_profile_gone_from_the_config_lands_on_accounts_with_the_reason(
        aws_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aws_env.write_text(FAILING)  # only corp-sso: the journal's acme-legacy is gone
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    write_migrations()
    app = S3xrepApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AccountsScreen), "the accounts screen")
        await pilot.pause()
        toasts = " ".join(str(n.message) for n in app._notifications)
        assert "the source profile 'acme-legacy' is not in the AWS config any more" in toasts


def test_run_app_in_demo_mode_keeps_the_journals_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    seen: list[str] = []
    monkeypatch.setattr(S3xrepApp, "run", lambda self: seen.append(os.environ["S3XREP_DATA_DIR"]))
    assert run_app(demo=True, log_file=str(tmp_path / "log"), start_sandbox=lambda: None) == 0  # type: ignore[arg-type]
    assert seen == [str(tmp_path / "data" / "demo")]
