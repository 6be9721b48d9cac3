"""Regenerate the SVG screenshots in ``screenshots/``: ``python -m s3xrep_tui.screenshots``.

Each picture is the real app driven with Pilot at 120x40: the Accounts screen
on a config of named profiles (two resolving against a local moto server, one
expired SSO profile), the help screen, and on the embedded sandbox of the demo:
the Accounts screen, the Buckets screen (both buckets chosen), the prefix
browser, the Options screen (live findings) and the Preview (the destination
bucket policy tab: explanations, merged policy, diff), Apply (after a dry run:
each step's call and document, nothing sent), the Monitor (the plan
applied: its Batch job running, the replication panel, the canary's result)
and Verify (after the job). HOME and the AWS variables point at a temp dir, so nothing of the
machine's own AWS setup shows up; the endpoint's port is never rendered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .demo import start_embedded_sandbox
from .tui.app import S3xrepApp
from .tui.widgets.profile_table import ProfileTable

SIZE = (120, 40)

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


async def _shoot(app: S3xrepApp, out: Path, name: str, drive: Callable[[Any], Awaitable[None]]) -> Path:
    async with app.run_test(size=SIZE) as pilot:
        await drive(pilot)
        app.save_screenshot(f"{name}.svg", path=str(out))
    return out / f"{name}.svg"


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
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        await pilot.press("enter")  # confirm the preselected sandbox profiles: opens the buckets
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.save_screenshot("accounts-demo.svg", path=str(out))
        written.append(out / "accounts-demo.svg")
        await pilot.press("enter")
        await pilot.pause()
        await _settle_buckets(pilot)
        buckets = app.screen
        buckets.choose_bucket("source", "acme-legacy-media")  # type: ignore[attr-defined]
        buckets.choose_bucket("destination", "acme-platform-media")  # type: ignore[attr-defined]
        buckets.table("source").move_to("acme-legacy-secure")  # type: ignore[attr-defined]
        buckets.table("source").focus()  # type: ignore[attr-defined]
        await _settle_buckets(pilot)
        app.save_screenshot("buckets.svg", path=str(out))
        written.append(out / "buckets.svg")
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
        app.save_screenshot("browser.svg", path=str(out))
        written.append(out / "browser.svg")
    return written


async def _flow_shots(out: Path) -> list[Path]:
    """Options, preview and apply on the demo: both buckets chosen, a report bucket, the bucket policy tab,
    then a dry run on the apply screen with the bucket policy's step highlighted."""
    app = S3xrepApp(demo=True, start_sandbox=start_embedded_sandbox)
    written = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        app.source_bucket, app.destination_bucket = "acme-legacy-media", "acme-platform-media"
        app.goto("options")
        await _settle(pilot)
        options: Any = app.screen
        options.query_one("#opt-report_bucket").value = "acme-legacy-batch-reports"
        options.flush()  # judge the form now rather than after the typing debounce
        await _settle(pilot)
        options.query_one("#opt-delete_markers").focus()
        await pilot.pause()
        app.save_screenshot("options.svg", path=str(out))
        written.append(out / "options.svg")
        await pilot.press("p")
        await _settle(pilot)
        preview: Any = app.screen
        preview.action_show_tab(preview.tab_ids().index("tab-destination_bucket_policy") + 1)
        await _settle(pilot)
        app.save_screenshot("preview.svg", path=str(out))
        written.append(out / "preview.svg")
        await pilot.press("a")  # on to the apply screen
        await _settle(pilot)
        apply: Any = app.screen
        await pilot.press("tab", "d")  # out of the typed confirmation; a dry run sends nothing
        await _settle(pilot)
        apply.table.move_cursor(row=[step.call for step in apply.plan.steps].index("s3.put_bucket_policy"))
        await pilot.pause()
        app.save_screenshot("apply.svg", path=str(out))
        written.append(out / "apply.svg")
    return written


async def _monitor_shots(out: Path) -> list[Path]:
    """Monitor (the plan applied on the demo: its Batch job mid-run, the canary's result) and Verify (after it)."""
    from .aws.apply import apply_plan
    from .aws.inspect import gather_inputs
    from .core.models import MigrationOptions
    from .core.plan import build_plan

    app = S3xrepApp(demo=True, start_sandbox=start_embedded_sandbox)
    written = []
    async with app.run_test(size=SIZE) as pilot:
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
        app.goto("monitor")
        await pilot.pause()
        monitor: Any = app.screen
        monitor.set_polling_interval(1.0)
        await pilot.press("k")

        async def until(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
            deadline = asyncio.get_running_loop().time() + timeout
            while not predicate() and asyncio.get_running_loop().time() < deadline:
                await pilot.pause(0.1)

        def job() -> Any:
            return monitor.table.jobs.get(result.job_id or "")

        await until(lambda: monitor.query_one("CanaryPanel").result is not None and monitor.health is not None
                    and job() is not None and (job().terminal or (job().progress.fraction or 0) >= 0.4))
        await pilot.pause()
        app.save_screenshot("monitor.svg", path=str(out))
        written.append(out / "monitor.svg")
        await until(lambda: job() is not None and job().terminal)
        await pilot.press("v")
        await pilot.pause()
        verify: Any = app.screen
        await until(lambda: verify.state != "running")
        await pilot.pause()
        app.save_screenshot("verify.svg", path=str(out))
        written.append(out / "verify.svg")
    return written


async def regenerate(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory(prefix="s3xrep-screenshots-") as tmp:
            home = Path(tmp)
            _isolate(home)
            from .sandbox.server import quiet_server_logging

            quiet_server_logging()
            written = await _profiles_shots(out, home)
            # last: starting the sandbox resets moto's state, which the keys above live in
            written.extend(await _demo_shots(out))
            written.extend(await _flow_shots(out))  # its own sandbox start (one Sandbox per process at a time)
            written.extend(await _monitor_shots(out))  # its own sandbox start too
    finally:  # the demo points AWS_CONFIG_FILE at the sandbox; give the caller its environment back
        os.environ.clear()
        os.environ.update(saved)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m s3xrep_tui.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", help="directory for the SVG files (default: screenshots)")
    args = parser.parse_args(argv)
    for path in asyncio.run(regenerate(Path(args.out))):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
