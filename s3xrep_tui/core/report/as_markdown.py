"""The report as Markdown: free text backslash-escaped, names in code spans fenced as long as needed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..estimate_text import estimate_lines
from ..text import safe
from .model import MigrationReport
from .text import (
    _difference_text,
    _document_json,
    _endpoint_text,
    _job_figures,
    _scope_rows,
    _status_word,
    _verify_figures,
    finish_intro,
    finish_sections,
    seconds_text,
    time_text,
)

_MD_SPECIAL = re.compile(r"([\\`*<>\[\]|#!])|((?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def markdown_escape(text: Any) -> str:
    """Free text for Markdown: one line, punctuation that could mark up or open HTML escaped."""
    flat = re.sub(r"\s+", " ", str(text))
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), flat)


def markdown_code(text: Any) -> str:
    """A code span holding ``text`` literally (a longer fence when it holds backticks)."""
    flat = " ".join(str(text).split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or longest else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _md_pieces(pieces: list[tuple[str, bool]]) -> str:
    return "".join(markdown_code(text) if is_code else markdown_escape(text) for text, is_code in pieces)


def _md_fenced(text: str, info: str = "json") -> list[str]:
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", text, fence]


def _md_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(report: MigrationReport) -> str:
    """The report as GitHub-flavoured Markdown (tables, fenced JSON)."""
    out: list[str] = [f"# Migration report: {markdown_code(report.source.bucket)} → {markdown_code(report.destination.bucket)}", ""]
    out.append(f"**From** {_md_pieces(_endpoint_text(report.source))}  ")
    out.append(f"**To** {_md_pieces(_endpoint_text(report.destination))}  ")
    out.append(f"**Plan** {markdown_code(report.plan_id)}")
    out.append("")
    out.append(f"**Status: {markdown_escape(_status_word(report))}**")
    out += [""] + [f"- {markdown_escape(reason)}" for reason in report.reasons]
    if report.attention:
        out += [""] + [f"- note: {markdown_escape(note)}" for note in report.attention]
    if report.reasons or report.attention:
        out.append("")
    out += _md_finish(report)
    out += ["## When", ""]
    out += _md_table(("Event", "Time"), [
        *([("Finished", markdown_escape(time_text(report.finish.at)))] if report.finish else []),
        ("First write", markdown_escape(time_text(report.first_write))),
        ("Last write confirmed", markdown_escape(time_text(report.last_applied))),
        ("Batch job ended", markdown_escape(time_text(report.job_end))),
        ("Verified", markdown_escape(time_text(report.verify.at if report.verify else ""))),
        ("Canary", markdown_escape(time_text(report.canary.at if report.canary else ""))),
        ("Report generated", markdown_escape(time_text(report.generated_at))),
    ])
    out += ["", "## What is replicated where", ""]
    if report.scope is None:
        out.append("No replication configuration in the journal.")
    else:
        out += _md_table(("", "Setting"), [(markdown_escape(label), _md_pieces(pieces)) for label, pieces in
                                           _scope_rows(report.scope)])
    out += _md_estimate(report)
    out += ["", f"## Documents applied ({len(report.documents)})", ""]
    if not report.documents:
        out.append("Nothing was written.")
    for number, doc in enumerate(report.documents, start=1):
        out.append(f"### {number}. {markdown_code(doc.call)} on {markdown_code(doc.target)}")
        out.append("")
        account = f" {markdown_code(doc.account_id)}" if doc.account_id else ""
        before = ("a previous document existed (kept in the journal; undo restores it)" if doc.had_before
                  else "nothing existed before")
        out.append(f"{markdown_escape(doc.side.capitalize())} account{account} · {markdown_escape(time_text(doc.ts))} · {markdown_escape(doc.state)} · "
                   f"{markdown_escape(before)}")
        out.append("")
        if doc.after is not None:
            out += _md_fenced(_document_json(doc.after))
            out.append("")
    out += _md_jobs(report)
    out += _md_verify(report)
    out += _md_canary(report)
    if report.notes:
        out += ["## Notes", ""] + [f"- {markdown_escape(note)}" for note in report.notes] + [""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _md_estimate(report: MigrationReport) -> list[str]:
    if report.estimate is None:
        return []
    when = f" on {time_text(report.estimate_at)}" if report.estimate_at else ""
    text = "\n".join(safe(line) for line in estimate_lines(report.estimate))
    return ["", "## Cost and time (estimate)", "", markdown_escape(f"Estimated with the plan{when}, before apply."), "",
            *_md_fenced(text, "text")]


def _md_jobs(report: MigrationReport) -> list[str]:
    out = ["## Batch Replication job" + ("s" if len(report.jobs) > 1 else ""), ""]
    if not report.jobs:
        return out + ["No Batch Replication job was created (existing objects were not part of the plan).", ""]
    for job in report.jobs:
        if not job.found:
            out += [(f"Job {markdown_code(job.job_id)}: no longer found. AWS keeps jobs for 90 days after they end; "
                     "its figures are gone."), ""]
            continue
        if job.error:
            out += [f"Job {markdown_code(job.job_id)}: could not be read: {markdown_escape(job.error)}", ""]
            continue
        out += [f"### Job {markdown_code(job.job_id)}: {markdown_escape(job.status)} ({markdown_escape(job.outcome)})", ""]
        out += _md_table(("", "Figure"), [(markdown_escape(a), markdown_escape(b)) for a, b in _job_figures(job)])
        out.append("")
        for reason in job.reasons:
            out.append(f"- job failure {markdown_code(reason.code)}: {markdown_escape(reason.message)}" + (
                f". Fix: {markdown_escape(reason.fix)}" if reason.fix else ""))
        if job.reasons:
            out.append("")
        if job.failures:
            out += ["Failed tasks by code:", ""]
            out += _md_table(("Code", "Tasks", "What it means", "Fix", "First keys"), [
                (markdown_code(f.code), f"{f.count or 0:,}", markdown_escape(f.meaning), markdown_escape(f.fix),
                 ", ".join(markdown_code(x) for x in f.examples[:3]) or "-")
                for f in job.failures
            ])
            out.append("")
        elif job.report_note:
            out += [f"Failures by code: {markdown_escape(job.report_note)}.", ""]
        elif job.failed == 0:
            out += ["No task failed" + (f" (completion report: {markdown_code(job.report_location)})."
                                        if job.report_location else "."), ""]
    return out


def _md_verify(report: MigrationReport) -> list[str]:
    out = ["## Verify", ""]
    v = report.verify
    if v is None:
        return out + ["Not verified yet: run `s3xrep verify`.", ""]
    scope = f" under {markdown_code(v.prefix)}" if v.prefix else ""
    verdict = "OK, nothing missing or mismatched" if v.ok else "differences that matter"
    out += [f"{markdown_escape(time_text(v.at))}{scope}: **{verdict}** ({v.compared:,} versions compared in {v.seconds:.1f}s)", ""]
    out += _md_table(("", "Versions"), _verify_figures(v))
    out.append("")
    for note in v.notes:
        out.append(f"- note: {markdown_escape(note)}")
    if v.notes:
        out.append("")
    for title, items, total in (("First differences that matter", v.differences, v.mattering),
                                ("First expected differences", v.expected_items, v.expected)):
        if not items:
            continue
        out += [f"{title} ({len(items)} of {total:,}):", ""]
        out += _md_table(("Outcome", "Key", "Version", "Why"),
                         [(markdown_escape(a), markdown_code(b), markdown_code(c), markdown_escape(d)) for a, b, c, d in map(_difference_text, items)])
        out.append("")
    return out


def _md_canary(report: MigrationReport) -> list[str]:
    out = ["## Canary", ""]
    c = report.canary
    if c is None:
        return out + ["No canary yet: run `s3xrep canary`.", ""]
    head = (f"replicated in **{seconds_text(c.seconds_to_replicate)}**" if c.status == "replicated"
            else f"**{markdown_escape(c.status)}**")
    out += [f"{markdown_escape(time_text(c.at))}: {head}" + (" and the replica checks out" if c.ok else "")
            + (f" (rule {markdown_code(c.rule_id)})" if c.rule_id else ""), ""]
    if c.message and not c.ok:
        out += [markdown_escape(c.message), ""]
    if c.checks:
        out += _md_table(("Check", "Result", "Detail"),
                         [(markdown_escape(name), "ok" if ok else "FAILED", markdown_escape(detail)) for name, ok, detail in c.checks])
        out.append("")
    if c.failure_code:
        out += [f"Failure code {markdown_code(c.failure_code)}.", ""]
    if c.fix:
        out += [f"Fix: {markdown_escape(c.fix)}", ""]
    return out


def _md_finish(report: MigrationReport) -> list[str]:
    if report.finish is None:
        return []
    out = ["## Finished", "", markdown_escape(finish_intro(report.finish)), ""]
    for title, rows in finish_sections(report.finish):
        out += [f"### {title}", ""]
        out += _md_table(("Element", "Account", "Why"), [tuple(markdown_escape(c) for c in row) for row in rows])
        out.append("")
    return out
