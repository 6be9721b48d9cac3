"""Text from the other account never drives the terminal (issue 14.6).

The destination's bucket policy, an object key and AWS's own error messages carry
``ESC ] 0 ; … BEL`` (retitle the terminal), ``ESC [ 2 J`` (clear it), a C1 CSI (U+009B),
a right-to-left override (U+202E) and Rich markup. On the sandbox (which, like S3,
stores any character in a key and any JSON string in a policy; tag values S3 and the
sandbox restrict to letters, digits and ``+-=._:/@``, so no markup reaches a tag),
every command's text and JSON output and the browser screen show them as visible
escapes, and the markup as literal text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from s3xrep_tui.cli import main
from s3xrep_tui.core.text import is_safe
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.sandbox.server import Call, Forward

from .conftest import DST_PROFILE, SRC_PROFILE

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eevil"  # what the reader sees instead
KEY = "reports/\x1b[31m[bold]x[red]y"  # no "/" in the markup: S3 keys use it as the delimiter
KEY_SHOWN = "reports/\\x1b[31m[bold]x[red]y"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def raw_controls(text: str) -> list[str]:
    """Every control or bidi character in ``text`` other than newlines (what a terminal would obey)."""
    return [char for char in text if not is_safe(char, newlines=True)]


@pytest.fixture
def hostile(sandbox: Sandbox, accounts: dict[str, Any], cli_env: Path) -> tuple[str, str]:
    """A source with a hostile key, a destination whose foreign policy statement has a hostile Resource."""
    src, dst = "hostile-src", "hostile-dst"
    s3a, s3b = accounts[A]("s3"), accounts[B]("s3")
    if src not in {b["Name"] for b in s3a.list_buckets()["Buckets"]}:
        s3a.create_bucket(Bucket=src)
        s3b.create_bucket(Bucket=dst)
        for s3, bucket in ((s3a, src), (s3b, dst)):
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3a.put_object(Bucket=src, Key=KEY, Body=b"x")
        s3b.put_bucket_policy(Bucket=dst, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Audit", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
             "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{dst}/{HOSTILE}*"}]}))
    return src, dst


def test_plan_text_shows_a_hostile_policy_escaped(hostile: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = hostile
    code = main(["plan", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}", "--no-existing"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert raw_controls(out + err) == []
    assert SHOWN in out  # the explanation of the foreign statement says what is there, visibly


def test_plan_json_escapes_every_control_and_bidi_character(
    hostile: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = hostile
    code = main(["plan", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}", "--no-existing",
                 "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert raw_controls(out + err) == []
    policy = json.loads(out)["documents"]["destination_bucket_policy"]
    assert policy["Statement"][0]["Resource"] == f"arn:aws:s3:::{dst}/{HOSTILE}*"  # kept byte for byte


def test_verify_text_shows_a_hostile_key_escaped(hostile: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = hostile
    code = main(["verify", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}"])
    out, err = capsys.readouterr()
    assert code == 0, err  # no rule yet: the key is an expected difference, listed
    assert raw_controls(out + err) == []
    assert KEY_SHOWN in out


IN_XML = "\x9b2J\u202eevil"  # XML 1.0 cannot carry ESC or BEL; C1 controls and bidi overrides it can


class HostileError:
    """The destination's GetBucketPolicy fails with an AWS message that echoes hostile text."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def __call__(self, call: Call, forward: Forward) -> Any:
        from werkzeug.wrappers import Response

        if call.bucket == self.bucket and call.method == "GET" and "policy" in call.args:
            body = (f"<Error><Code>InternalError</Code><Message>bad resource {IN_XML}</Message>"
                    "<RequestId>r</RequestId></Error>")
            return Response(body.encode("utf-8"), status=400, content_type="application/xml")
        return forward()


def test_an_aws_error_message_is_printed_escaped(
    hostile: tuple[str, str], sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = hostile
    app = sandbox._server.app  # type: ignore[union-attr]
    monkeypatch.setattr(app, "middlewares", [HostileError(dst), *app.middlewares])
    code = main(["plan", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}", "--no-existing"])
    out, err = capsys.readouterr()
    assert code == 1
    assert raw_controls(out + err) == []
    assert "bad resource \\x9b2J\\u202eevil" in err and err.count("\n") == 1


async def test_the_browser_shows_a_hostile_key_literally(
    hostile: tuple[str, str], sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from s3xrep_tui.tui.app import S3xrepApp
    from s3xrep_tui.tui.screens.browser import BrowserScreen
    from tests.tui.test_buckets import SIZE, open_buckets, settle, text_of

    src, _ = hostile
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        buckets = await open_buckets(pilot)
        buckets.table("source").move_to(src)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        await pilot.press("enter")  # into reports/
        await settle(pilot)
        row_key = f"o:{KEY}"
        assert [key.value for key in screen.table.rows] == [row_key]
        name = screen.table.get_row(row_key)[0]
        assert name.plain == "\\x1b[31m[bold]x[red]y"  # the key's own characters, visibly escaped, markup literal
        detail = text_of(screen.query_one("#detail", Static))
        assert KEY_SHOWN in detail
        shown = "\n".join(text_of(widget) for widget in screen.query(Static)) + app.export_screenshot()
        assert not any(char in shown for char in RAW)


async def test_a_toast_quoting_aws_shows_markup_and_controls_literally(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.content import Content

    from s3xrep_tui.tui.app import S3xrepApp

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    app = S3xrepApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify(f"s3.get_bucket_policy failed: [bold red]{HOSTILE}[/]\nfix: retry", title=f"t{HOSTILE}")
        await pilot.pause()
        (notification,) = list(app._notifications)
        assert not notification.markup  # the Toast draws Content(message): markup shown, not parsed
        shown = f"{notification.title}\n{Content(notification.message).plain}"
        assert "[bold red]" in shown and "\\x1b]0;pwned" in shown and "fix: retry" in shown
        assert not any(char in shown for char in RAW)


def test_the_preview_widgets_show_foreign_text_escaped() -> None:
    """Findings, explanations and the diff (JSON keeps C1 and bidi raw) as the preview draws them."""
    from s3xrep_tui.core.diff import json_diff
    from s3xrep_tui.core.models import Finding
    from s3xrep_tui.tui.widgets.document_view import render_explanations
    from s3xrep_tui.tui.widgets.findings_list import render_findings
    from s3xrep_tui.tui.widgets.json_diff import render_diff

    finding = Finding(id="x", severity="warning", message=f"rule {HOSTILE}", fix=f"remove {HOSTILE}")
    before = {"Statement": [{"Resource": f"arn:aws:s3:::b/{HOSTILE}"}]}
    after = {"Statement": [{"Resource": f"arn:aws:s3:::b/{HOSTILE}"}, {"Resource": "arn:aws:s3:::b/*"}]}
    explained = render_explanations("destination_bucket_policy", [f"Audit: {HOSTILE}"])
    for text in (render_findings([finding]).plain, explained.plain, render_diff(json_diff(before, after)).plain):
        assert raw_controls(text) == [] and "\\x9b31m\\u202eevil" in text, text
