"""``s3xrep serve --demo`` in headless chromium, driven by keys through the whole flow.

Not only the page loading: a browser session's app, on the embedded sandbox,
walked as a user would with the keyboard of the page (the keys reach the app
through xterm.js and textual-serve's WebSocket): the accounts confirmed; the
source and destination buckets picked with the arrows (wherever the lists put
them), s, Tab and d; Tab to the report bucket's field on the options and its
name typed; Tab through the preview's documents to the destination's kept
statement and the job's report bucket; the apply confirmed by typing the
source bucket's name; the monitor until the job this apply created is
Complete, and its detail; v, and verify's verdict. At each step the test
reads what the terminal shows (xterm's own buffer, see test_serve) and waits
on it with a bounded ``wait_for_function``; nothing sleeps.

Keys that move the focus are waited on before the next key: Textual hands a
key to the widget focused when it reads it, so a name typed right after Tab
(or after a screen opens) would lose its first letters, as it would in any
terminal. Textual puts the terminal's cursor on the focused input, so the
test waits for xterm's cursor to reach the field before typing into it.

The server runs with a fresh, empty data directory (so the app opens on
Accounts, with no remembered migration) and the suite's
S3XREP_SANDBOX_JOB_DWELL=0 (tests/conftest.py), which the test checks in the
session's app process. On failure, ``screens.txt`` (every screen waited on)
and ``last.png`` are left in the test's tmp_path.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from .test_serve import CATCH_TERMINAL, CHROMIUM, CHROMIUM_FLAGS, SCREEN_TEXT, _start, _stop

SOURCE_BUCKET, DESTINATION_BUCKET = "acme-legacy-media", "acme-platform-media"
REPORT_BUCKET = "acme-legacy-batch-reports"
SOURCE_ACCOUNT, DESTINATION_ACCOUNT = "111111111111", "222222222222"
JOB_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # the sandbox's Batch job ids (uuid4)
DOCUMENT_TITLE = r"╭─ [\w.-]+\.json"  # the preview's document panel, titled with its file name
VERIFIED = "✓ every version the rule covers is on the destination"  # verify's verdict: nothing that matters differs
OUR_JOB_COMPLETE = r"●.*\bComplete\b.*100%"  # the monitor's row of a job this app created (●), done
DWELL = "S3XREP_SANDBOX_JOB_DWELL"
STEP_TIMEOUT = 45.0  # seconds for any one screen to show what it should (a loaded 2-core machine)

CURSOR = """() => {
  const term = window.__terminals[0], buffer = term.buffer.active;
  const line = buffer.getLine(buffer.viewportY + buffer.cursorY);
  return [buffer.cursorX, buffer.cursorY, line ? line.translateToString(true) : ''];
}"""


def _on_screen(test: str) -> str:
    """A page function of ``needles`` (a list of strings): ``test`` over ``text``, the terminal's screen."""
    return f"(needles) => {{ const text = ({SCREEN_TEXT})(); return {test}; }}"


SHOWS_ALL = _on_screen("needles.every(n => text.includes(n))")
SHOWS_ANY = _on_screen("needles.some(n => text.includes(n))")
HIDES_ALL = _on_screen("!needles.some(n => text.includes(n))")
MATCHES = _on_screen("new RegExp(needles[0]).test(text)")
CURSOR_ON = f"(needles) => new RegExp(needles[0]).test(({CURSOR})()[2])"  # the cursor's row matches
CURSOR_MOVED = f"(needles) => {{ const c = ({CURSOR})(); return String(c[0]) + ',' + c[1] !== needles[0]; }}"


class Terminal:
    """The page's terminal: what it shows, keys into it, and bounded waits on its text."""

    def __init__(self, page, trace: list[str]) -> None:
        self.page = page
        self.trace = trace

    def text(self) -> str:
        return self.page.evaluate(SCREEN_TEXT)

    def _wait(self, script: str, needles: tuple[str, ...], timeout: float, what: str, must: bool = True) -> str:
        """The screen once ``script`` holds; never within ``timeout``: AssertionError (or "" if not ``must``)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(script, arg=list(needles), timeout=timeout * 1000, polling=100)
        except PlaywrightTimeout:
            if not must:
                return ""
            column, row, _ = self.cursor()
            raise AssertionError(f"{what}: {needles} not on screen after {timeout} s (the cursor, where Textual "
                                 f"puts the focused input's, at column {column} row {row}); the terminal shows:\n"
                                 f"{self.text()}") from None
        text = self.text()
        self.trace.append(f"--- {what}\n{text}")
        return text

    def shows(self, *needles: str, timeout: float = STEP_TIMEOUT, what: str = "") -> str:
        return self._wait(SHOWS_ALL, needles, timeout, what or needles[0])

    def shows_any(self, *needles: str, timeout: float = STEP_TIMEOUT, what: str = "") -> str:
        return self._wait(SHOWS_ANY, needles, timeout, what or needles[0])

    def hides(self, *needles: str, timeout: float = STEP_TIMEOUT, what: str = "") -> str:
        return self._wait(HIDES_ALL, needles, timeout, what or f"not {needles[0]}")

    def matches(self, pattern: str, timeout: float = STEP_TIMEOUT, what: str = "") -> str:
        return self._wait(MATCHES, (pattern,), timeout, what or pattern)

    def cursor(self) -> tuple[int, int, str]:
        """Where the terminal's cursor is (column, row) and that row's text: Textual puts it on the focused input."""
        return tuple(self.page.evaluate(CURSOR))  # type: ignore[return-value]

    def cursor_on(self, pattern: str, timeout: float = STEP_TIMEOUT, what: str = "", must: bool = True) -> str:
        """Wait until the cursor's row matches ``pattern``: the input there has the focus, typing may start."""
        return self._wait(CURSOR_ON, (pattern,), timeout, what or f"the cursor on {pattern}", must)

    def cursor_moves(self, before: tuple[int, int, str], timeout: float = STEP_TIMEOUT, what: str = "") -> str:
        return self._wait(CURSOR_MOVED, (f"{before[0]},{before[1]}",), timeout, what or "the cursor to move")

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


@pytest.fixture
def demo_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``s3xrep serve --demo`` with nothing remembered: a fresh data, state and cache directory."""
    for name, sub in (("S3XREP_DATA_DIR", "data"), ("XDG_DATA_HOME", "xdg-data"), ("XDG_CONFIG_HOME", "xdg-config")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    assert os.environ.get(DWELL) == "0"  # tests/conftest.py: Batch jobs do not linger in each state
    process, port = _start(tmp_path, "--demo")
    info = {"url": f"http://127.0.0.1:{port}/", "pid": process.pid}
    yield info
    info["stderr"] = _stop(process)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
@pytest.mark.e2e
def test_in_a_browser_the_whole_flow_by_keys_applies_and_verifies(demo_server: dict, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    trace: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.add_init_script(CATCH_TERMINAL)
            page.goto(demo_server["url"])
            term = Terminal(page, trace)
            try:
                _walk(term, page, demo_server["pid"])
            finally:
                page.screenshot(path=str(tmp_path / "last.png"))
                (tmp_path / "screens.txt").write_text("\n".join(trace))
        finally:
            browser.close()
    print(f"the flow through the browser took {time.monotonic() - started:.1f} s")


def _tabs_to(field: str) -> int:
    """Tab presses from the options' first field (focused on open) to ``field``, in the form's own order."""
    from s3xrep_tui.tui.widgets.options_form import SECTIONS, STATUSES

    order = [f.name for _, fields in SECTIONS for f in fields for _ in (STATUSES if f.kind == "statuses" else (0,))]
    return order.index(field)


def _listed(screen: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` the screen lists (as a word of their own, not in s3://...), top to bottom."""
    shown: list[str] = []
    for word in screen.split():
        if word in names and word not in shown:
            shown.append(word)
    return shown


def _tab_through(term: Terminal, wanted: dict[str, str]) -> dict[str, str]:
    """Press Tab (next document) until each of ``wanted``'s texts has been on screen; the screens that showed them."""
    seen: dict[str, str] = {}
    screen = term.shows_any("{", what="the preview's first document")
    for _ in range(12):
        seen |= {what: screen for what, needle in wanted.items() if needle in screen and what not in seen}
        if len(seen) == len(wanted):
            return seen
        title = re.search(DOCUMENT_TITLE, screen)
        term.press("Tab")
        screen = term.hides(title.group(0), what="the next tab") if title else term.shows_any("{")
    raise AssertionError(f"never shown in the preview's tabs: {sorted(set(wanted) - set(seen))}")


def _session_environments(root: int) -> list[dict[str, str]]:
    """The environment of each process under ``root`` that runs the app (``-m s3xrep_tui.cli --demo``, not serve)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, ppid = int(stat.parent.name), int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"s3xrep_tui.cli" in argv and b"--demo" in argv and b"serve" not in argv:
            found.append(dict(item.decode().partition("=")[::2] for item in environ if b"=" in item))
    return found


def _walk(term: Terminal, page, serve_pid: int) -> None:
    # 1. Accounts: the demo's two identities resolve (their account ids), under the DEMO badge
    term.shows("DEMO", "s3xrep-demo-source", "s3xrep-demo-destination", SOURCE_ACCOUNT, DESTINATION_ACCOUNT,
               timeout=60, what="accounts (the session starts its sandbox)")
    if Path("/proc/self/environ").exists():  # the session's app has the suite's dwell (textual-serve passes it on)
        sessions = _session_environments(serve_pid)
        assert len(sessions) == 1 and sessions[0].get(DWELL) == "0", sessions and sessions[0].get(DWELL)
    page.locator("#terminal").click()
    term.press("Enter")

    # 2. Buckets: both accounts' lists; the cursor moved down to each bucket (wherever it is listed), s and d.
    # A key that moves the focus is waited on before the next: a key the app reads before the focus has
    # moved goes to the widget that had it (Textual bubbles unhandled keys through the focused widget).
    screen = term.shows(SOURCE_BUCKET, DESTINATION_BUCKET, "acme-legacy-archive", what="buckets")
    sources = _listed(screen, (SOURCE_BUCKET, "acme-legacy-archive", "acme-legacy-secure", "acme-legacy-records",
                               REPORT_BUCKET))
    term.press(*["ArrowDown"] * sources.index(SOURCE_BUCKET))
    term.shows(f"s3://{SOURCE_BUCKET}", what="the source bucket highlighted")
    term.press("s")
    term.matches(rf"SRC +{SOURCE_BUCKET}", what="the source chosen")
    destinations = _listed(screen, (DESTINATION_BUCKET, "acme-platform-reports"))
    term.press("Tab")
    term.shows(f"s3://{destinations[0]}", what="the destination pane focused")
    term.press(*["ArrowDown"] * destinations.index(DESTINATION_BUCKET))
    term.press("d")
    term.matches(rf"DST +{DESTINATION_BUCKET}", what="the destination chosen")
    term.press("c")

    # 3. Options: Tab to the report bucket's field, its name typed, Enter for the preview. The form's own
    # order says how many Tabs from its first field; one or two more if the screen opens focused before it.
    term.shows("Report bucket", f"s3xrep-to-{DESTINATION_BUCKET}", what="options")
    term.press(*["Tab"] * _tabs_to("report_bucket"))
    for _ in range(2):
        if term.cursor_on("Report bucket", timeout=5, must=False):
            break
        term.press("Tab")
    term.cursor_on("Report bucket", what="the report bucket's field focused")
    term.type(REPORT_BUCKET)
    term.cursor_on(rf"Report bucket +{REPORT_BUCKET} ", what="the report bucket typed")
    term.press("Enter")

    # 4. Preview: the plan's documents, one tab each; Tab through them to the bucket policy, which keeps
    # the destination's own statement, and the Batch job, which writes its report to the typed bucket
    seen = _tab_through(term, {"the destination's own statement": '"Sid": "PlatformReadOnlyAudit"',
                               "the report bucket": f"arn:aws:s3:::{REPORT_BUCKET}"})
    assert "PlatformReadOnlyAudit" in seen["the destination's own statement"]
    before = term.cursor()
    term.press("a")

    # 5. Apply: the source bucket's name typed into the confirmation, Enter; every step runs; a job id shown
    term.cursor_moves(before, what="the confirmation focused")
    term.type(SOURCE_BUCKET)
    term.cursor_on(SOURCE_BUCKET, what="the source bucket's name typed")
    term.press("Enter")
    # the run's end, not the job id: that shows with the last step, before the run has ended (and m works)
    screen = term.shows_any("✓ Applied", "✗", timeout=90, what="the apply done")
    assert "✗" not in screen, screen  # no step failed
    found = re.search(JOB_ID, screen)
    assert found, screen  # the Batch Replication job it created
    job_id = found.group(0)
    term.press("m")

    # 6. Monitor: our job (●) runs through the sandbox's Batch Operations to Complete, every task done
    screen = term.matches(OUR_JOB_COMPLETE, timeout=90, what="the job Complete on the monitor")
    row = next(line for line in screen.splitlines() if re.search(r"●.*\bComplete\b", line))
    assert "Failed" not in row, row
    term.press("Enter")  # its detail: the job the apply created, its report in the bucket typed on the options
    detail = term.shows(job_id, f"s3://{REPORT_BUCKET}/", what="the job's detail")
    assert re.search(r"\bComplete\b", detail) and re.search(r"\b0 failed\b", detail), detail
    term.press("Escape")  # and wait: ESC with the next key close behind reads as Alt+key
    term.matches(OUR_JOB_COMPLETE, what="back on the monitor")

    # 7. Verify: both buckets' versions compared, key by key: every one the rule covers is on the destination
    term.press("v")
    screen = term.shows_any(VERIFIED, "difference(s) that matter", timeout=60, what="the verify verdict")
    assert VERIFIED in screen, screen
    assert re.search(r"[\d,]+ versions compared", screen) and "DEMO" in screen, screen
