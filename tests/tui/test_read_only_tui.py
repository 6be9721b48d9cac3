"""In the app, read-only mode is the clients' (aws/clients.py): the buckets screen's ``n``
(new bucket) shows the refusal and creates nothing; switching read-only off lets the
same form create the bucket, through the same cached clients."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.create_bucket import CreateBucketScreen

from .test_buckets import SIZE, demo_config, open_buckets, sandbox, settle, shown, text_of  # noqa: F401  (fixtures)

NAME = "acme-platform-read-only"


def destination_buckets(sandbox: Sandbox) -> list[str]:  # noqa: F811
    return [b["Name"] for b in sandbox.clients(DESTINATION_ACCOUNT)("s3").list_buckets()["Buckets"]]


async def test_n_in_read_only_mode_shows_the_refusal_and_creates_no_bucket(
    demo_config: Path, sandbox: Sandbox  # noqa: F811
) -> None:
    app = S3xrepApp(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CreateBucketScreen)
        form.query_one("#name", Input).value = NAME
        await pilot.pause()
        await pilot.press("enter")
        await form.workers.wait_for_complete()
        await pilot.pause()
        status = text_of(form.query_one("#status", Static))
        assert "read-only: refused s3:CreateBucket" in status, status
        assert app.screen is form and NAME not in destination_buckets(sandbox)

        app.action_toggle_read_only()  # off: the same clients write again
        await pilot.press("enter")
        await form.workers.wait_for_complete()
        await pilot.pause()
        await settle(pilot)
        assert app.screen is screen and NAME in shown(screen, "destination")
        assert NAME in destination_buckets(sandbox)
