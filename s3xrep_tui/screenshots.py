"""Regenerate the SVG screenshots in ``screenshots/``: ``python -m s3xrep_tui.screenshots``.

Each picture is the real app driven with Pilot, twice: ``NAME.svg`` at 160x48
and ``NAME-80x24.svg`` at 80x24 (AWS CloudShell's first window, the size the
layout is designed for); ``SIZES`` names them. The pictures: the Accounts screen
on a config of named profiles (two resolving against a local moto server, one
expired SSO profile), the help screen, and on the embedded sandbox of the demo:
the Accounts screen, the Buckets screen (both buckets chosen), the prefix
browser, the Options screen (live findings) and the Preview (the destination
bucket policy tab: explanations, merged policy, diff), Apply (after a dry run:
each step's call and document, nothing sent), the Monitor (the plan
applied: its Batch job run to the end, the replication panel, the canary's
result) and Verify (after the job); then the Migrations home, the undo screen and the stakeholder view
(fixed journals and answers: :mod:`.screenshots_home`). HOME and the AWS variables point at a temp
dir, so nothing of the machine's own AWS setup shows up; the endpoint's port is
never rendered.

Two runs write byte-identical files: sizes are fixed, and what would come
from the wall clock in the monitor and verify pictures (elapsed times, rates,
the canary's and the verification's seconds) is pinned; see ``FROZEN_NOW``.
``GROUPS`` names every picture each app run takes (``PICTURES``: all of
them); ``--only monitor`` retakes one group.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import screenshots_cost, screenshots_cutover, screenshots_fleet, screenshots_home
from .demo_sandbox import start_embedded_sandbox
from .screenshots_finish import PICTURES as FINISH_PICTURES
from .screenshots_finish import finish_shots
from .tui.app import S3xrepApp
from .tui.widgets.profile_table import ProfileTable

# (file name suffix, terminal size): every group is taken at each.
SIZES: tuple[tuple[str, tuple[int, int]], ...] = (("", (160, 48)), ("-80x24", (80, 24)))
_taking = list(SIZES[0])  # the size being taken now: [suffix, size]


def _size() -> tuple[int, int]:
    return _taking[1]  # type: ignore[return-value]

STEADY_TRIES = 40  # frames compared before a picture is written anyway (2 s)

SSO_PROFILE = """\
[profile corp-sso]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = Admin
region = eu-central-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
"""


def _isolate(home: Path) -> None:
    for name in [n for n in os.environ if n.startswith("AWS_")] + ["S3XREP_THEME"]:
        os.environ.pop(name, None)
    os.environ.update(
        HOME=str(home),
        XDG_STATE_HOME=str(home / "state"),
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        S3XREP_DATA_DIR=str(home / "data"),  # no journal of the machine's own opens the home screen
    )


def _profiles_config(endpoint: str) -> str:
    import boto3

    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="screenshots", aws_secret_access_key="x"
    )
    sections = []
    for name, account, region in (("acme-legacy", "111111111111", "us-east-1"), ("acme-platform", "222222222222", "eu-west-1")):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/ops", RoleSessionName="alice")["Credentials"]
        sections.append(
            f"[profile {name}]\naws_access_key_id = {creds['AccessKeyId']}\n"
            f"aws_secret_access_key = {creds['SecretAccessKey']}\naws_session_token = {creds['SessionToken']}\n"
            f"region = {region}\nendpoint_url = {endpoint}\n"
        )
    return "\n".join(sections) + "\n" + SSO_PROFILE


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _choose_and_confirm(pilot: Any, source: str, destination: str, highlight: str | None = None) -> None:
    await _settle(pilot)
    table = pilot.app.screen.query_one(ProfileTable)
    table.move_to(f"profile:{source}")
    await pilot.press("s")
    table.move_to(f"profile:{destination}")
    await pilot.press("d", "enter")  # confirms and opens the buckets screen
    await pilot.pause()
    await pilot.press("escape")  # back to the accounts, confirmed
    await pilot.pause()
    if highlight:
        table.move_to(f"profile:{highlight}")
    await pilot.pause()


async def _until(pilot: Any, predicate: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"screenshots: waited {timeout:.0f}s for {what}")
        await pilot.pause(0.05)


async def _save(pilot: Any, out: Path, name: str) -> Path:
    """Write ``<name><suffix>.svg`` once two frames in a row are the same (a scrollbar or a late paint lands first)."""
    app = pilot.app
    previous = None
    for _ in range(STEADY_TRIES):
        await pilot.pause(0.05)
        frame = app.export_screenshot()
        if frame == previous:
            break
        previous = frame
    name = f"{name}{_taking[0]}"
    app.save_screenshot(f"{name}.svg", path=str(out))
    return out / f"{name}.svg"


async def _shoot(app: S3xrepApp, out: Path, name: str, drive: Callable[[Any], Awaitable[None]]) -> Path:
    async with app.run_test(size=_size()) as pilot:
        await drive(pilot)
        return await _save(pilot, out, name)


async def _profiles_shots(out: Path, home: Path) -> list[Path]:
    from .sandbox.server import SandboxApp, SandboxServer

    server = SandboxServer(SandboxApp([]))
    server.start()
    try:
        (home / "aws-config").write_text(_profiles_config(server.endpoint_url))

        async def accounts(pilot: Any) -> None:
            await _choose_and_confirm(pilot, "acme-legacy", "acme-platform", highlight="corp-sso")

        async def help_screen(pilot: Any) -> None:
            await accounts(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        return [
            await _shoot(S3xrepApp(), out, "accounts", accounts),
            await _shoot(S3xrepApp(), out, "help", help_screen),
        ]
    finally:
        server.stop()


async def _settle_buckets(pilot: Any) -> None:
    """Listings, the 50 ms visible-rows debounce and the fact workers."""
    for _ in range(4):
        await pilot.pause(0.06)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _demo_shots(out: Path) -> list[Path]:
    """One demo run (one sandbox start): accounts, then buckets, then the browser."""
    app = S3xrepApp(demo=True, start_sandbox=start_embedded_sandbox)
    written = []
    async with app.run_test(size=_size()) as pilot:
        await _settle(pilot)
        await pilot.press("enter")  # confirm the preselected sandbox profiles: opens the buckets
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        written.append(await _save(pilot, out, "accounts-demo"))
        await pilot.press("enter")
        await pilot.pause()
        await _settle_buckets(pilot)
        buckets = app.screen
        buckets.choose_bucket("source", "acme-legacy-media")  # type: ignore[attr-defined]
        buckets.choose_bucket("destination", "acme-platform-media")  # type: ignore[attr-defined]
        buckets.table("source").move_to("acme-legacy-secure")  # type: ignore[attr-defined]
        buckets.table("source").focus()  # type: ignore[attr-defined]
        await _settle_buckets(pilot)
        written.append(await _save(pilot, out, "buckets"))
        buckets.table("source").move_to("acme-legacy-media")  # type: ignore[attr-defined]
        await pilot.press("enter")  # the prefix browser
        await pilot.pause()
        await _settle_buckets(pilot)
        for prefix in ("photos/", "photos/2019/", "photos/2019/events/"):
            table = app.screen.table  # type: ignore[attr-defined]
            table.move_cursor(row=table.get_row_index("p:" + prefix))
            await pilot.press("enter")
            await _settle_buckets(pilot)
        await pilot.press("down")
        await pilot.pause()
        written.append(await _save(pilot, out, "browser"))
    return written


async def _flow_shots(out: Path) -> list[Path]:
    """Options, preview and apply on the demo: both buckets chosen, a report bucket, the bucket policy tab,
    then a dry run on the apply screen with the bucket policy's step highlighted."""
    app = S3xrepApp(demo=True, start_sandbox=start_embedded_sandbox)
    written = []
    async with app.run_test(size=_size()) as pilot:
        await _settle(pilot)
        app.source_bucket, app.destination_bucket = "acme-legacy-media", "acme-platform-media"
        app.goto("options")
        await _settle(pilot)
        options: Any = app.screen
        options.query_one("#opt-report_bucket").value = "acme-legacy-batch-reports"
        await pilot.pause()  # the edit reaches the form (its debounce starts)
        options.flush()  # judge the form now rather than after the typing debounce
        await _settle(pilot)
        await _until(pilot, lambda: not options.gathering and options.plan_generation == options.generation
                     and options.requested is not None
                     and options.requested.report_bucket == "acme-legacy-batch-reports", "the options' findings")
        options.query_one("#opt-delete_markers").focus()
        await pilot.pause()
        written.append(await _save(pilot, out, "options"))
        await pilot.press("p")
        await _settle(pilot)
        preview: Any = app.screen
        preview.action_show_tab(preview.tab_ids().index("tab-destination_bucket_policy") + 1)
        await _settle(pilot)
        written.append(await _save(pilot, out, "preview"))
        await pilot.press("a")  # on to the apply screen
        await _settle(pilot)
        apply: Any = app.screen
        await pilot.press("tab", "d")  # out of the typed confirmation; a dry run sends nothing
        await _settle(pilot)
        apply.table.move_cursor(row=[step.call for step in apply.plan.steps].index("s3.put_bucket_policy"))
        await pilot.pause()
        written.append(await _save(pilot, out, "apply"))
    return written


# --- the monitor and verify pictures, pinned ------------------------------------------------------------
#
# Their numbers come from wall-clock timing (how long the sandbox took to run the Batch job, replicate the
# canary, list both buckets), so two runs drew different pictures. The picture is taken once the job has
# ended and the canary is back, so every count is the sandbox's own and settles; what is timing is pinned:
# the screens' clocks, the job's times (as if it ran at the sandbox's task rate), the canary's seconds and
# the verification's seconds.

FROZEN_NOW = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
DEMO_TASK_RATE = 200  # tasks per second of the demo sandbox's Batch Operations (Sandbox's batch_task_rate)
CANARY_SECONDS = 1.5
VERIFY_SECONDS = 4.0


def frozen_clock() -> datetime:
    return FROZEN_NOW


def pinned_job(job: Any) -> Any:
    """``job`` (a JobSummary or JobDetail) with its times as if it ran at the demo's task rate, ending now."""
    progress = job.progress
    active = max(1, round(progress.done / DEMO_TASK_RATE)) if progress.done else 0
    created = FROZEN_NOW - timedelta(seconds=active + 2)
    terminated = FROZEN_NOW if job.terminated is not None else None
    return replace(job, created=created, terminated=terminated, progress=replace(progress, elapsed_active=active))


def _steady_backend(app: S3xrepApp) -> Any:
    """The monitor's real backend, its answers' timing pinned (see above)."""
    from .tui.monitor_backend import MonitorBackend

    class SteadyBackend(MonitorBackend):
        def list_jobs(self, context: Any, statuses: Any = None) -> Any:
            return [pinned_job(job) for job in super().list_jobs(context, statuses)]

        def describe(self, context: Any, job_id: str, grace: float = 0.0) -> Any:
            return pinned_job(super().describe(context, job_id, grace))

        def canary(self, context: Any, progress: Any, cancel: Any) -> Any:
            result = super().canary(context, progress, cancel)
            took = CANARY_SECONDS if result.seconds_to_replicate is not None else None
            return replace(result, seconds_to_replicate=took, seconds=CANARY_SECONDS + 1.0)

    return SteadyBackend(app)


def steady_verify(*args: Any, progress: Callable[[Any], None] | None = None, **kwargs: Any) -> Any:
    """``verify_replication`` with its seconds pinned (the counts are the buckets' own)."""
    from .aws.verify import verify_replication

    def pinned(step: Any) -> None:
        if progress is not None:
            progress(replace(step, elapsed=VERIFY_SECONDS if step.done else VERIFY_SECONDS / 2))

    report = verify_replication(*args, progress=pinned, **kwargs)
    report.seconds = VERIFY_SECONDS
    return report


async def _monitor_shots(out: Path) -> list[Path]:
    """Monitor (the plan applied on the demo: its Batch job run to the end, the replication sample, the
    canary's result) and Verify (after it), every timing pinned."""
    from .aws.apply import apply_plan
    from .aws.inspect import gather_inputs
    from .core.models import MigrationOptions
    from .core.plan import build_plan
    from .tui.screens.monitor import MonitorScreen
    from .tui.screens.verify import VerifyScreen

    app = S3xrepApp(demo=True, start_sandbox=start_embedded_sandbox)
    written = []
    async with app.run_test(size=_size()) as pilot:
        await _settle(pilot)
        app.source_bucket, app.destination_bucket = "acme-legacy-media", "acme-platform-media"
        app.options = options = MigrationOptions(report_bucket="acme-legacy-batch-reports")
        clients = {"source": app.clients("source"), "destination": app.clients("destination")}

        def apply() -> Any:
            plan = build_plan(gather_inputs(clients["source"], clients["destination"], app.source_bucket,
                                            app.destination_bucket, options))
            return plan, apply_plan(plan, clients, options=options)

        plan, result = await asyncio.to_thread(apply)
        app.plan = plan
        monitor = MonitorScreen(backend=_steady_backend(app), interval=1.0, clock=frozen_clock, notify_bell=False)
        app.push_screen(monitor)
        await pilot.pause()
        await pilot.press("k")

        def job() -> Any:
            return monitor.table.jobs.get(result.job_id or "")

        await _until(pilot, lambda: monitor.query_one("CanaryPanel").result is not None and job() is not None
                     and job().terminal, "the job's end and the canary")
        sampled = monitor.health
        monitor.action_refresh()  # a replication sample taken after the job and the canary's clean-up

        def settled() -> bool:  # the new sample is in and no poll is in flight ("polling…" would be drawn)
            jobs, replication = monitor.states.get("jobs"), monitor.states.get("replication")
            return (monitor.health is not None and monitor.health is not sampled and jobs is not None
                    and jobs.status == "done" and replication is not None and replication.status == "waiting")

        await _until(pilot, settled, "a new sample, every poll at rest")
        app.clear_notifications()  # the job's end was announced with a toast that would time out mid-picture
        await pilot.pause()
        written.append(await _save(pilot, out, "monitor"))
        verify = VerifyScreen(runner=steady_verify)
        app.push_screen(verify)
        await pilot.pause()
        await _until(pilot, lambda: verify.state not in ("idle", "running"), "the verification")
        app.clear_notifications()
        await pilot.pause()
        written.append(await _save(pilot, out, "verify"))
    return written


@dataclass(frozen=True)
class Group:
    """Pictures one app run (or one sandbox start) takes, in order."""

    name: str
    pictures: tuple[str, ...]
    shoot: Callable[[Path, Path], Awaitable[list[Path]]]  # (out, home) -> what it wrote


# In the order they run: the profiles' keys live in moto's state, which each sandbox start resets.
GROUPS: tuple[Group, ...] = (
    Group("profiles", ("accounts", "help"), _profiles_shots),
    Group("demo", ("accounts-demo", "buckets", "browser"), lambda out, home: _demo_shots(out)),
    Group("flow", ("options", "preview", "apply"), lambda out, home: _flow_shots(out)),
    Group("monitor", ("monitor", "verify"), lambda out, home: _monitor_shots(out)),
    Group("finish", FINISH_PICTURES, lambda out, home: finish_shots(out, home, _shoot)),
    Group("home", screenshots_home.PICTURES, lambda out, home: screenshots_home.home_shots(out, home, _shoot)),
    Group("cost", screenshots_cost.PICTURES, lambda out, home: screenshots_cost.cost_shots(out, _size(), _save, _until)),
    Group("cutover", screenshots_cutover.PICTURES, lambda out, home: screenshots_cutover.cutover_shots(out, home, _shoot)),
    Group("fleet", screenshots_fleet.PICTURES, lambda out, home: screenshots_fleet.fleet_shots(out, home, _shoot)),
)
PICTURES: tuple[str, ...] = tuple(f"{name}{suffix}.svg" for suffix, _ in SIZES for group in GROUPS
                                   for name in group.pictures)


def groups_for(only: Iterable[str] | None) -> list[Group]:
    """The groups that take any of ``only`` (group or picture names, with or without .svg); all for None."""
    if only is None:
        return list(GROUPS)
    wanted = {name.removesuffix(".svg").removesuffix(SIZES[1][0]) for name in only}
    chosen = [g for g in GROUPS if g.name in wanted or wanted & set(g.pictures)]
    unknown = wanted - {g.name for g in GROUPS} - {p for g in GROUPS for p in g.pictures}
    if unknown:
        raise ValueError(f"no such picture or group: {', '.join(sorted(unknown))}")
    return chosen


async def regenerate(out: Path, only: Iterable[str] | None = None) -> list[Path]:
    """Write every picture (or only the groups that take ``only``) into ``out``; returns the files written."""
    chosen = groups_for(only)
    out.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    written: list[Path] = []
    try:
        with tempfile.TemporaryDirectory(prefix="s3xrep-screenshots-") as tmp:
            home = Path(tmp)
            _isolate(home)
            from .sandbox.server import quiet_server_logging

            quiet_server_logging()
            for suffix, size in SIZES:
                _taking[:] = [suffix, size]
                for group in chosen:  # each demo group starts its own sandbox (one Sandbox per process at a time)
                    # and its own data dir: a journal an earlier group's apply wrote would open the home screen
                    os.environ["S3XREP_DATA_DIR"] = str(home / "data" / f"{group.name}{suffix}")
                    paths = await group.shoot(out, home)
                    if [p.name for p in paths] != [f"{name}{suffix}.svg" for name in group.pictures]:
                        raise RuntimeError(f"group {group.name} wrote {[p.name for p in paths]}, "
                                           f"not the pictures it names {list(group.pictures)}")
                    written.extend(paths)
    finally:  # the demo points AWS_CONFIG_FILE at the sandbox; give the caller its environment back
        _taking[:] = list(SIZES[0])
        os.environ.clear()
        os.environ.update(saved)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m s3xrep_tui.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", help="directory for the SVG files (default: screenshots)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help=f"only the groups taking these pictures or groups ({', '.join(g.name for g in GROUPS)})")
    args = parser.parse_args(argv)
    for path in asyncio.run(regenerate(Path(args.out), args.only)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
