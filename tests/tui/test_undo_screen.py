"""Undo from the app (issue 15 item 11): the dry-run preview, the typed name, the real undo, read back.

On the demo sandbox with one migration applied by profile: from the home
screen ``u`` opens the undo screen, which lists what would be restored,
deleted or cancelled and why (a dry run: nothing changes); read-only mode
refuses the real undo; typing the source bucket's name and Enter runs it, each
row changes state, and the destination bucket policy read back from the
sandbox is the one from before apply.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Input

from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.home import HomeScreen
from s3xrep_tui.tui.screens.undo import UndoScreen

from .migration_world import DESTINATION, SOURCE, launcher, screen_text, until, world_fixture


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield from world_fixture(tmp_path_factory)


def policy(world: dict[str, Any]) -> Any:
    return json.loads(world["clients"]["destination"]("s3").get_bucket_policy(Bucket=DESTINATION)["Policy"])


async def open_undo(pilot: Any) -> UndoScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
    await pilot.press("u")
    await until(pilot, lambda: isinstance(app.screen, UndoScreen), "the undo screen", timeout=60)
    screen = app.screen
    await until(pilot, lambda: screen.preview is not None or screen.error, "the dry run")
    return screen


async def test_read_only_shows_the_preview_and_refuses_the_undo(world: dict[str, Any]) -> None:
    app = S3xrepApp(demo=True, start_sandbox=launcher(world), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_undo(pilot)
        assert not screen.error, screen.error
        assert "would-restore" in {i.status for i in screen.items.values()}
        assert "Read-only mode: undo writes, so it is refused" in screen_text(app)
        assert screen.query_one(Input).disabled
    assert policy(world) != json.loads(world["original_policy"])  # nothing was undone


@pytest.mark.parametrize("size", [(160, 48)], ids=["160x48"])
async def test_undo_from_the_app_restores_the_destination_policy(world: dict[str, Any], size: tuple[int, int]) -> None:
    app = S3xrepApp(demo=True, start_sandbox=launcher(world))
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        screen = await open_undo(pilot)
        # the summary, the table's rows and the focus land turns of the event loop after the preview: one
        # "would-restore" (the detail pane's) is not yet the rows; wait for all of it, and for the field's focus
        # (before it, the "r" of "wrong-name" would be the screen's Preview again)
        shown = ("Preview (dry run, nothing changed)", "would-restore", "s3.put_bucket_policy")
        await until(pilot, lambda: all(part in screen_text(app) for part in shown)
                    and screen.focused is screen.query_one(Input), "the preview drawn and the field focused")
        statuses = {i.call: i.status for i in screen.items.values()}
        assert statuses["s3.put_bucket_policy"] == "would-restore"
        assert statuses["iam.create_role"] == "would-delete"
        await pilot.press(*"wrong-name", "enter")
        await until(pilot, lambda: "is not the source bucket's name" in screen_text(app), "the wrong name refused")
        assert screen.result is None
        screen.query_one(Input).value = ""
        await pilot.press(*SOURCE, "enter")
        await until(pilot, lambda: screen.result is not None or bool(screen.error), "the undo to finish")
        assert screen.result is not None and screen.result.ok, [(i.call, i.status, i.message) for i in screen.items.values()]
        text = screen_text(app)
        assert "Done:" in text and "restored" in text and "Undone." in text
    assert policy(world) == json.loads(world["original_policy"])
    again = S3xrepApp(demo=True, start_sandbox=launcher(world))
    async with again.run_test(size=(80, 24)) as pilot:  # the home says so after a relaunch
        await until(pilot, lambda: isinstance(again.screen, HomeScreen), "the home screen")
        await until(pilot, lambda: "undone" in screen_text(again), "the migration listed as undone")
