"""``s3xrep report`` end to end on the demo sandbox, and its exit codes.

The demo seed's acme-legacy-media (account A) to acme-platform-media (account B):
``s3xrep apply`` with the sandbox's profiles, the Batch job runs to the end,
``s3xrep verify`` and ``s3xrep canary`` record their results for the plan
(derived from the buckets: no --plan), then ``s3xrep report`` writes the page.
The tests run in file order and share one world.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest

from s3xrep_tui.aws import results
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.core.test_report import journal, verify
from tests.sandbox.helpers import wait_for

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
SRC, DST = PROFILES["source"], PROFILES["destination"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("report-cli")
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0,
                 config_path=base / "aws-config") as sandbox, pytest.MonkeyPatch.context() as patch:
        patch.setenv("S3XREP_DATA_DIR", str(base / "data"))
        patch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(base / "no-credentials"))
        for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.delenv(var, raising=False)
        yield {"sandbox": sandbox, "base": base, "data": base / "data"}


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def plan_id(world: dict[str, Any]) -> str:
    code = main(["apply", "--source", f"{SRC}:{SOURCE}", "--dest", f"{DST}:{DESTINATION}",
                 "--report-bucket", "acme-legacy-batch-reports", "--yes"])
    assert code == 0
    (path,) = (world["data"] / "journal").glob("*.jsonl")
    plan = path.name[: -len(".jsonl")]
    job_id = next(e["result"]["JobId"] for e in Journal(plan).read().entries if e.get("kind") == "done"
                  and (e.get("result") or {}).get("JobId"))
    s3control = world["sandbox"].clients(A)("s3control")
    wait_for(lambda: s3control.describe_job(AccountId=A, JobId=job_id)["Job"]["Status"] in ("Complete", "Failed"),
             timeout=60, what="the Batch Replication job")
    return plan


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_verify_and_canary_record_their_results_for_the_applied_plan(world: dict, plan_id: str, capsys) -> None:
    code, out, err = run(capsys, "verify", "--source", f"{SRC}:{SOURCE}", "--dest", f"{DST}:{DESTINATION}")
    assert code == 0, out + err
    code, out, err = run(capsys, "canary", "--source", f"{SRC}:{SOURCE}", "--dest", f"{DST}:{DESTINATION}",
                         "--timeout", "20")
    assert code == 0, out + err
    newest = results.latest(plan_id)
    assert newest["verify"]["result"]["compared"] == 3250 and newest["verify"]["result"]["ok"]
    assert newest["canary"]["result"]["ok"] and newest["canary"]["result"]["seconds_to_replicate"] is not None


def test_report_html_end_to_end(world: dict, plan_id: str, capsys) -> None:
    out_file = world["base"] / "migration.html"
    code, out, err = run(capsys, "report", plan_id, "--format", "html", "--out", str(out_file))
    assert code == 0, err
    assert out.strip() == str(out_file) and err.strip() == f"s3xrep report: {plan_id}: complete"
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    page = out_file.read_text()
    parser = _Page()
    parser.feed(page)
    text = " ".join(parser.text)
    assert "script" not in parser.tags and "src" not in parser.attrs and "href" not in parser.attrs
    assert "http://" not in page and "https://" not in page
    for expected in (SOURCE, DESTINATION, "111111111111", "222222222222", "complete",
                     "3,244 total, 3,244 succeeded, 0 failed", "s3.put_bucket_policy", "PlatformReadOnlyAudit",
                     "Compared", "3,250", "replicated in", "replica-status", "GLACIER objects are not replicated"):
        assert expected in text, expected
    assert page.count("<details>") == 15  # the writes apply made (the destination's versioning was a no-op; 7 alarm writes)


def test_report_markdown_to_stdout(plan_id: str, capsys) -> None:
    code, out, err = run(capsys, "report", plan_id)
    assert code == 0, err
    assert out.startswith(f"# Migration report: `{SOURCE}` → `{DESTINATION}`")
    assert "**Status: complete**" in out and "## Canary" in out and "```json" in out


def test_the_monitor_writes_the_same_report(world: dict, plan_id: str) -> None:
    from s3xrep_tui.tui.screens.monitor import MonitorBackend, MonitorContext

    app = SimpleNamespace(clients=lambda side: world["sandbox"].clients(A))
    context = MonitorContext(account_id=A, region="us-east-1", plan_id=None, source_bucket=SOURCE,
                             destination_bucket=DESTINATION, rule_id=f"s3xrep-to-{DESTINATION}")
    path, status = MonitorBackend(app).write_report(context)  # type: ignore[arg-type]
    assert path == world["data"] / "reports" / f"{plan_id}.html" and status == "complete"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "3,244 succeeded" in path.read_text()


def test_differences_that_matter_exit_1_and_the_report_is_still_written(world: dict, plan_id: str, capsys) -> None:
    results.record_verify(plan_id, verify(missing=2)["result"])
    out_file = world["base"] / "differences.md"
    code, _, err = run(capsys, "report", plan_id, "--out", str(out_file))
    assert code == 1
    assert "verify found 2 version(s) missing or mismatched" in out_file.read_text()
    assert err.strip() == f"s3xrep report: {plan_id}: failed"


def test_an_unfinished_apply_exits_1(world: dict, capsys) -> None:
    plan = "unfinished-plan"
    j = Journal(plan)
    for entry in journal(job=False, confirm_last=False):
        fields = {k: v for k, v in entry.items() if k not in ("ts", "plan_id", "run", "id", "kind")}
        if entry["kind"] == "done":
            fields["ref"] = f"{j.run}:{int(entry['ref'].rsplit(':', 1)[1])}"
        j.record(entry["kind"], **fields)
    code, out, _ = run(capsys, "report", plan)
    assert code == 1 and "**Status: FAILED**" in out and "never confirmed" in out


@pytest.mark.parametrize(("args", "message"), [
    (["report", "no-such-plan"], "no plan 'no-such-plan'"),
    (["report", "../etc/passwd"], "is not a plan id"),
    (["report", "x", "--format", "pdf"], "invalid choice"),
    (["report", "x", "--out", "/no/such/folder/r.md"], "its folder does not exist"),
    (["verify", "--source", "a:bucket-a", "--dest", "b:bucket-b", "--plan", "bad/id"], "is not a plan id"),
])
def test_bad_arguments_and_unknown_plans_exit_2_with_one_line(world: dict, capsys, args: list[str],
                                                              message: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""
