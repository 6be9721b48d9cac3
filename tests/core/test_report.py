"""The migration report model and its Markdown (golden files) and HTML renderings.

The data below is shaped like what the AWS layer produces (a journal, job
dicts, verify and canary result entries); other report tests import it.
Regenerate the golden files after a deliberate change with

    S3XREP_REGEN_GOLDEN=1 /work/venv/bin/python -m pytest tests/core/test_report.py

and review the diff.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
A, B = "111111111111", "222222222222"
PLAN = f"{SOURCE}-to-{DESTINATION}-ecfedfa2"
JOB = "4404fc6a-25ba-4cff-8970-81e7ce5b9dd2"
RUN = "20261124T100000-abcdef"

BEFORE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "PlatformReadOnlyAudit", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:role/platform-audit"},
     "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{DESTINATION}/*"}]}
AFTER_POLICY = {"Version": "2012-10-17", "Statement": [
    *BEFORE_POLICY["Statement"],
    {"Sid": "S3xrepReplicateObjects", "Effect": "Allow",
     "Principal": {"AWS": f"arn:aws:iam::{A}:role/s3xrep-repl-{SOURCE}"},
     "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
     "Resource": f"arn:aws:s3:::{DESTINATION}/*"}]}


def replication(**rule_extra: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ID": f"s3xrep-to-{DESTINATION}", "Priority": 1, "Status": "Enabled",
        "Filter": {"Prefix": "media/"}, "DeleteMarkerReplication": {"Status": "Enabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{DESTINATION}", "Account": B, "StorageClass": "STANDARD_IA",
                        "AccessControlTranslation": {"Owner": "Destination"},
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": f"arn:aws:kms:us-east-1:{B}:key/k-1"}},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
    }
    rule.update(rule_extra)
    return {"Role": f"arn:aws:iam::{A}:role/s3xrep-repl-{SOURCE}", "Rules": [rule]}


def journal(*, replication_doc: dict[str, Any] | None = None, confirm_last: bool = True,
            undo: bool = False, job: bool = True) -> list[dict[str, Any]]:
    """One apply run: versioning, the destination policy (replacing one), replication, the Batch job."""
    entries: list[dict[str, Any]] = []
    seq = [0]

    def add(kind: str, minute: int, **fields: Any) -> dict[str, Any]:
        seq[0] += 1
        entry = {"ts": f"2026-11-24T10:{minute:02d}:{seq[0]:02d}.000+00:00", "plan_id": PLAN, "run": RUN,
                 "id": f"{RUN}:{seq[0]}", "kind": kind, **fields}
        entries.append(entry)
        return entry

    writes = [
        ("01-put-bucket-versioning", "s3.put_bucket_versioning", "source", A, f"bucket {SOURCE}", None,
         {"Status": "Enabled"}, None),
        ("07-put-bucket-policy", "s3.put_bucket_policy", "destination", B, f"bucket {DESTINATION}", BEFORE_POLICY,
         AFTER_POLICY, None),
        ("08-put-bucket-replication", "s3.put_bucket_replication", "source", A, f"bucket {SOURCE}", None,
         replication_doc or replication(), None),
    ]
    if job:
        writes.append(("09-create-job", "s3control.create_job", "source", A,
                       f"job s3xrep: {SOURCE} -> {DESTINATION} (existing objects)", None,
                       {"AccountId": A, "Operation": {"S3ReplicateObject": {}}, "Priority": 10,
                        "Description": f"s3xrep: {SOURCE} -> {DESTINATION} (existing objects)"}, {"JobId": JOB}))
    ids = []
    for number, (step, call, side, account, target, before, after, result) in enumerate(writes):
        write = add("write", 0, step=step, call=call, account=side, account_id=account,
                    profile=f"prof-{side}", region="us-east-1", target=target, before=before, after=after)
        ids.append(write)
        if confirm_last or number < len(writes) - 1:
            add("done", 0, ref=write["id"], step=step, call=call, target=target, result=result or {})
    if undo:
        for write in reversed(ids):
            status = "restored" if write["before"] is not None else "deleted"
            if write["call"] == "s3.put_bucket_versioning":
                status = "note"
            add("undo", 30, ref=write["id"], step=write["step"], call=write["call"], account=write["account"],
                target=write["target"], status=status, message="")
    return entries


def job(status: str = "Complete", *, total: int = 3244, failed: int = 0, groups: list[dict] | None = None,
        terminated: str | None = "2026-11-24T10:05:10+00:00") -> dict[str, Any]:
    terminal = status in ("Complete", "Failed", "Cancelled")
    succeeded = total - failed if terminal else total // 2
    detail = {
        "job_id": JOB, "status": status, "account_id": A, "region": "us-east-1",
        "description": f"s3xrep: {SOURCE} -> {DESTINATION} (existing objects)", "operation": "S3ReplicateObject",
        "priority": 10, "created": "2026-11-24T10:00:10+00:00", "terminated": terminated if terminal else None,
        "progress": {"total": total, "succeeded": succeeded, "failed": failed if terminal else 0,
                     "elapsed_active": 290, "rate": (succeeded + failed) / 290},
        "terminal": terminal,
        "outcome": {"Complete": "succeeded" if not failed else "completed with failures", "Failed": "failed",
                    "Cancelled": "cancelled", "Active": "running"}[status],
        "elapsed_seconds": 300.0 if terminal else 150.0,
        "status_reason": "", "failure_reasons": [],
        "report": {"enabled": True, "bucket": "acme-legacy-batch-reports", "prefix": "s3xrep/batch-reports"},
    }
    report = None
    if terminal:
        report = {"succeeded": succeeded, "failed": failed, "groups": groups or [], "total": total,
                  "location": f"s3://acme-legacy-batch-reports/s3xrep/batch-reports/job-{JOB}/manifest.json"}
    return {"job_id": JOB, "account_id": A, "region": "us-east-1", "detail": detail, "report": report,
            "report_error": None, "error": None, "missing": False}


ACCESS_DENIED_GROUP = {
    "code": "AccessDenied", "count": 3, "examples": ["media/a.jpg", "media/b.jpg", "media/c.jpg"],
    "http_statuses": [403], "message": "Access Denied", "meaning": "the replication role may not read or write",
    "fix": "grant s3:ReplicateObject to the role on the destination bucket policy",
}


def verify(*, missing: int = 0, at: str = "2026-11-24T10:06:00+00:00", key: str = "media/missing.jpg") -> dict:
    differences = [{"outcome": "missing", "key": key, "version_id": f"v{i}", "matters": True,
                    "reason": "not on the destination"} for i in range(missing)]
    result = {
        "prefix": "media/", "rules": 1, "seconds": 4.2, "ok": not missing, "compared": 3250,
        "counts": {"replicated": 3244 - missing, "delete-marker-replicated": 0, "missing": missing,
                   "size-mismatch": 0, "etag-mismatch": 0, "kind-mismatch": 0, "delete-marker-missing": 0,
                   "delete-marker-not-replicated": 0, "extra": 0, "out-of-scope": 0, "not-eligible": 6},
        "differences_that_matter": missing, "expected_differences": 6, "etag_differs_expected": 0,
        "source": {"bucket": SOURCE, "account": A, "region": "us-east-1", "versions": 3250, "bytes": 14_800_000},
        "destination": {"bucket": DESTINATION, "account": B, "region": "us-east-1", "versions": 3244 - missing,
                        "bytes": 14_700_000},
        "differences": differences, "differences_not_kept": 0,
        "expected": [{"outcome": "not-eligible", "key": f"logs/app-{i}.log", "version_id": "null", "matters": False,
                      "reason": "expected: GLACIER objects are not replicated"} for i in range(6)],
        "expected_not_kept": 0, "notes": [],
    }
    return {"ts": at, "kind": "verify", "plan_id": PLAN, "result": result}


def canary(ok: bool = True, at: str = "2026-11-24T10:07:00+00:00") -> dict:
    result = {
        "ok": ok, "status": "replicated" if ok else "timeout",
        "message": "the canary replicated in 2.40s and the replica checks out" if ok
        else "the canary was still PENDING after 900s",
        "source_bucket": SOURCE, "destination_bucket": DESTINATION, "key": "media/.s3xrep-canary/1",
        "version_id": "cv1", "rule_id": f"s3xrep-to-{DESTINATION}",
        "replication_status": "COMPLETED" if ok else "PENDING",
        "seconds_to_replicate": 2.4 if ok else None, "seconds": 3.1,
        "checks": [{"name": "replica-status", "ok": True, "detail": "ReplicationStatus REPLICA"},
                   {"name": "readable", "ok": True, "detail": "the destination's credentials read the same bytes"}]
        if ok else [],
        "failure_code": None, "fix": None if ok else "run the canary again with a longer --timeout",
        "cleanup": [],
    }
    return {"ts": at, "kind": "canary", "plan_id": PLAN, "result": result}


# ---------------------------------------------------------------------------------------- tests

import pytest

from s3xrep_tui.core.report import (
    MigrationReport,
    build_report,
    code,
    md,
    render_html,
    render_markdown,
)

GOLDEN = Path(__file__).parent / "golden" / "report"
REGEN = os.environ.get("S3XREP_REGEN_GOLDEN") == "1"
GENERATED = "2026-11-24T11:00:00+00:00"
PROFILES = {"source": "prof-source", "destination": "prof-destination"}


def build(entries: list[dict] | None = None, jobs: list[dict] | None = None, **kwargs: Any) -> MigrationReport:
    kwargs.setdefault("verify", verify())
    kwargs.setdefault("canary", canary())
    return build_report(PLAN, journal() if entries is None else entries, jobs=[job()] if jobs is None else jobs,
                        profiles=PROFILES, generated_at=GENERATED, **kwargs)


def golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.md"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}: run with S3XREP_REGEN_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{name} differs from its golden file (S3XREP_REGEN_GOLDEN=1 to accept)"


CASES: dict[str, dict[str, Any]] = {
    "complete": {},
    "failed_tasks": {"jobs": [job(failed=3, groups=[ACCESS_DENIED_GROUP])]},
    "in_progress_not_verified": {"jobs": [job("Active")], "verify": None, "canary": None},
    "job_expired_verify_differences": {
        "jobs": [{"job_id": JOB, "account_id": A, "region": "us-east-1", "detail": None, "report": None,
                  "report_error": None, "error": None, "missing": True}],
        "verify": verify(missing=2), "canary": canary(ok=False)},
    "no_job_undone": {"entries": journal(job=False, undo=True), "jobs": []},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_matches_its_golden_file(name: str) -> None:
    golden(name, render_markdown(build(**CASES[name])))


def test_every_golden_file_has_a_case() -> None:
    assert {p.stem for p in GOLDEN.glob("*.md")} == set(CASES)


def test_a_complete_migration() -> None:
    report = build()
    assert report.status == "complete" and report.ok and report.reasons == ()
    assert (report.source.bucket, report.source.account_id, report.source.region, report.source.profile) == (
        SOURCE, A, "us-east-1", "prof-source")
    assert (report.destination.bucket, report.destination.account_id) == (DESTINATION, B)
    assert report.first_write == "2026-11-24T10:00:01.000+00:00"
    assert report.job_end == "2026-11-24T10:05:10+00:00"
    scope = report.scope
    assert scope is not None
    assert (scope.rule_id, scope.prefix, scope.delete_markers, scope.storage_class) == (
        f"s3xrep-to-{DESTINATION}", "media/", True, "STANDARD_IA")
    assert scope.kms_objects and scope.replica_kms_key.endswith("key/k-1") and scope.owner_override
    policy = next(d for d in report.documents if d.call == "s3.put_bucket_policy")
    assert policy.had_before and policy.before == BEFORE_POLICY and policy.state == "applied"
    assert not next(d for d in report.documents if d.call == "s3.put_bucket_replication").had_before
    (view,) = report.jobs
    assert (view.total, view.succeeded, view.failed, view.duration) == (3244, 3244, 0, 300.0)
    assert report.verify is not None and (report.verify.replicated, report.verify.expected) == (3244, 6)
    assert report.canary is not None and report.canary.seconds_to_replicate == 2.4


@pytest.mark.parametrize(("case", "status", "reason"), [
    ({"jobs": [job("Active")]}, "in progress", "is running (1,622 of 3,244 tasks)"),
    ({"jobs": [job("Failed")]}, "failed", f"Batch job {JOB} failed"),
    ({"jobs": [job("Cancelled")]}, "failed", "was cancelled"),
    ({"jobs": [job(failed=3, groups=[ACCESS_DENIED_GROUP])]}, "failed", "3 of 3,244 tasks failed"),
    ({"jobs": [{"job_id": JOB, "error": "access denied to s3control.describe_job"}]}, "unknown", "could not be read"),
    ({"entries": journal(confirm_last=False)}, "failed", "s3control.create_job on job s3xrep"),
    ({"entries": journal(undo=True)}, "undone", "the replication configuration was undone"),
    ({"entries": []}, "in progress", "nothing applied yet"),
    ({"verify": verify(missing=2)}, "failed", "verify found 2 version(s) missing or mismatched"),
    # a verification older than the job's end is stale, not a failure
    ({"verify": verify(missing=2, at="2026-11-24T10:01:00+00:00")}, "in progress", "ran before the Batch job ended"),
])
def test_the_status_and_why(case: dict, status: str, reason: str) -> None:
    report = build(**case)
    assert report.status == status
    assert any(reason in r for r in report.reasons), report.reasons
    assert not report.ok


def test_differences_that_matter_make_the_report_not_ok_and_show_first() -> None:
    report = build(verify=verify(missing=12))
    assert not report.ok and report.verify_differences == 12
    assert len(report.verify.differences) == 10  # the first ones
    text = render_markdown(report)
    assert "First differences that matter (10 of 12)" in text and "| missing | `media/missing.jpg` | `v0` |" in text


def test_a_job_aws_no_longer_knows_is_said_so_and_does_not_block_completion() -> None:
    report = build(jobs=[{"job_id": JOB, "missing": True}])
    assert report.status == "complete"
    assert any("no longer known to AWS" in note and "90 days" in note for note in report.attention)
    assert "no longer found. AWS keeps jobs for 90 days" in render_markdown(report)


def test_a_failed_canary_and_a_missing_verify_are_pointed_out() -> None:
    report = build(verify=None, canary=canary(ok=False))
    assert report.status == "complete"
    assert any("not verified yet" in a for a in report.attention)
    assert any("the last canary did not replicate: timeout" in a for a in report.attention)


# -- escaping ----------------------------------------------------------------------------------------

EVIL = '<script>alert("x")</script>'


def evil_report() -> MigrationReport:
    doc = replication(Filter={"And": {"Prefix": "in`box/", "Tags": [{"Key": "team", "Value": EVIL}]}})
    entries = journal(replication_doc=doc)
    entries[0]["target"] = f"bucket {SOURCE}"
    failing = dict(ACCESS_DENIED_GROUP, fix=f"fix {EVIL} | now", examples=[f"media/{EVIL}.jpg"])
    evil_job = job(failed=3, groups=[failing])
    evil_job["detail"]["description"] = EVIL
    evil_verify = verify(missing=1, key=f"media/{EVIL}")
    evil_canary = canary(ok=False)
    evil_canary["result"]["message"] = f"failed: {EVIL}"
    return build(entries, [evil_job], verify=evil_verify, canary=evil_canary)


def test_markdown_escapes_what_could_become_html_or_markup() -> None:
    text = render_markdown(evil_report())
    assert "<script>" not in text.replace(f"`team={EVIL}`", "").replace(f"`media/{EVIL}`", "").split("```")[0]
    assert f"`team={EVIL}`" in text  # a code span: shown literally by any Markdown renderer
    assert "``in`box/``" not in text and "`` in`box/ ``" in text  # a backtick inside: a longer fence
    assert "fix \\<script\\>alert" in text and "\\| now" in text  # free text: escaped, the table cell intact
    # inside the fenced documents, JSON as it is (fenced blocks are literal)
    assert '"Value": "<script>alert(\\"x\\")</script>"' in text


def test_md_and_code_helpers() -> None:
    assert md("a | b <i> *c* [d](e) _f_ snake_case") == "a \\| b \\<i\\> \\*c\\* \\[d\\](e) \\_f\\_ snake_case"
    assert code("plain") == "`plain`" and code("a`b") == "`` a`b ``" and code("x\ny") == "`x y`"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_well_formed_and_escapes_every_value() -> None:
    page = render_html(evil_report())
    parser = _Collect()
    parser.feed(page)
    parser.close()
    assert parser.open == []  # every element closed, in order
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert not any(name in ("src", "href") for name, _ in parser.attrs)
    assert "url(" not in page and "http://" not in page and "https://" not in page and "@import" not in page
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    text = "".join(parser.text)
    assert f"team={EVIL}" in text and f"media/{EVIL}" in text and f"failed: {EVIL}" in text
    assert "<details>" in page and "<summary>" in page and "@media print" in page


def test_html_documents_show_before_and_after_collapsed() -> None:
    page = render_html(build())
    policy = page[page.index("s3.put_bucket_policy"):]
    policy = policy[: policy.index("</details>")]
    assert "<h3>Before</h3>" in policy and "<h3>After</h3>" in policy and "PlatformReadOnlyAudit" in policy
    assert "<details open" not in page
