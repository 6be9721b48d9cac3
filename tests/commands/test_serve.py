"""``s3xrep serve``: loopback by default, loud about exposure, and the app really works in a browser.

The browser test drives Debian's chromium (/usr/bin/chromium) with playwright:
the page loads, the accounts screen of the demo shows its profiles, and ``?``
opens the help. xterm.js draws on a canvas (WebGL or 2D), so the test reads
the terminal's own buffer (``term.buffer.active``) rather than the DOM: an init
script catches the Terminal instance when textual-serve's page stores it.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3xrep_tui.cli import build_parser, main
from s3xrep_tui.commands.serve import allowed_origins, app_command, bind_host, is_loopback

CHROMIUM = Path("/usr/bin/chromium")
# as the machine notes say: headless, no sandbox as root, and no background networking (closed network)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


# -- the pieces ------------------------------------------------------------------------------------


def test_loopback_is_the_default_and_only_an_explicit_host_widens_it() -> None:
    assert bind_host(None) == ("127.0.0.1", False)
    assert bind_host("localhost") == ("localhost", False)
    assert bind_host("::1") == ("::1", False)
    assert bind_host("0.0.0.0") == ("0.0.0.0", True)
    assert bind_host("192.168.1.20") == ("192.168.1.20", True)
    with pytest.raises(ValueError):
        bind_host("  ")
    assert is_loopback("127.0.0.2") and not is_loopback("example.com")
    args = build_parser().parse_args(["serve"])
    assert args.host is None and args.port == 8000 and not args.serve_demo


def test_the_session_command_is_this_python_running_the_cli() -> None:
    import shlex

    assert shlex.split(app_command(False)) == [sys.executable, "-m", "s3xrep_tui.cli"]
    assert app_command(True, "/tmp/a log").endswith("-m s3xrep_tui.cli --demo --log-file '/tmp/a log'")
    assert build_parser().parse_args(["serve", "--demo"]).serve_demo
    assert build_parser().parse_args(["--demo", "serve"]).demo  # the global flag works too


def test_only_the_page_own_origin_may_open_the_terminal() -> None:
    origins = allowed_origins("http://127.0.0.1:8123", "127.0.0.1", 8123)
    assert origins == {"http://127.0.0.1:8123", "http://localhost:8123", "http://[::1]:8123"}
    assert allowed_origins("https://demo.example.org/", "0.0.0.0", 8123) == {"https://demo.example.org"}


@pytest.mark.parametrize("argv", [["serve", "--port", "0"], ["serve", "--port", "70000"], ["serve", "--host", ""]])
def test_bad_arguments_exit_2(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("s3xrep serve: ")


# -- the server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp: Path, *args: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, XDG_STATE_HOME=str(tmp / "state"), XDG_CACHE_HOME=str(tmp / "cache"))
    process = subprocess.Popen(
        [sys.executable, "-m", "s3xrep_tui.cli", "--log-file", str(tmp / "s3xrep.log"), "serve", *args, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("serve did not listen within 30 s")


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("serve")
    process, port = _start(tmp, "--demo")
    info = {"port": port, "url": f"http://127.0.0.1:{port}/"}
    yield info
    info["stderr"] = _stop(process)


def test_the_page_is_served_on_loopback(server: dict) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    body = response.read().decode()
    assert response.status == 200
    assert f'data-session-websocket-url="ws://127.0.0.1:{server["port"]}/ws"' in body
    assert "s3xrep (demo)" in body


def test_another_site_cannot_open_the_terminal(server: dict) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=10)
    conn.request("GET", "/ws", headers={
        "Origin": "http://evil.example", "Connection": "Upgrade", "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    })
    assert conn.getresponse().status == 403


def test_it_says_who_can_drive_the_app(tmp_path: Path) -> None:
    process, port = _start(tmp_path)
    err = _stop(process)
    assert f"s3xrep serve: http://127.0.0.1:{port}" in err
    assert "Anyone who can reach" in err and "drives s3xrep with your AWS credentials" in err
    assert "WARNING: bound to" not in err


def test_an_explicit_wide_host_is_allowed_with_a_warning(tmp_path: Path) -> None:
    process, port = _start(tmp_path, "--host", "0.0.0.0")
    err = _stop(process)
    assert f"WARNING: bound to 0.0.0.0, not to loopback: anyone on your network who reaches port {port}" in err


# -- in a real browser -----------------------------------------------------------------------------

# Catch xterm's Terminal when textual-serve's page does `this.terminal = new Terminal(...)`.
CATCH_TERMINAL = """
(() => {
  window.__terminals = [];
  Object.defineProperty(Object.prototype, 'terminal', {
    configurable: true,
    get() { return undefined; },
    set(value) {
      Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
      if (value && value.buffer && value.buffer.active) window.__terminals.push(value);
    },
  });
})();
"""
SCREEN_TEXT = """() => {
  const term = window.__terminals[0];
  if (!term) return '';
  const buffer = term.buffer.active, rows = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows.join('\\n');
}"""


def _wait_for_text(page, *needles: str, timeout: float = 45.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = page.evaluate(SCREEN_TEXT)
        if all(n in text for n in needles):
            return text
        time.sleep(0.25)
    raise AssertionError(f"{needles} not on screen after {timeout} s; the terminal shows:\n{text}")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
def test_in_a_browser_the_accounts_screen_shows_and_keys_navigate(server: dict, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS  # playwright gives it a fresh profile
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(CATCH_TERMINAL)
            page.goto(server["url"])
            screen = _wait_for_text(page, "Accounts", "s3xrep-demo-source", "s3xrep-demo-destination")
            assert "DEMO" in screen
            page.locator("#terminal").click()
            page.keyboard.press("?")
            helped = _wait_for_text(page, "Keys", "opens the command palette")
            assert "Esc closes" in helped
            page.keyboard.press("Escape")
            deadline = time.monotonic() + 10
            while "opens the command palette" in page.evaluate(SCREEN_TEXT) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "opens the command palette" not in page.evaluate(SCREEN_TEXT)
            page.screenshot(path=str(tmp_path / "serve.png"))
        finally:
            browser.close()
