"""The report as one self-contained HTML page (inline CSS, no scripts), every value escaped."""

from __future__ import annotations

import html
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

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; margin-top: 1.6rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: #f6f8fa; padding: 0 .25em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f6f8fa; padding: .6rem; border-radius: 4px; overflow-x: auto; white-space: pre-wrap;
      overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border: 1px solid #d0d7de; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #57606a; }
.status { display: inline-block; padding: .15rem .6rem; border-radius: 1rem; font-weight: 600; }
.s-complete { background: #dafbe1; color: #116329; }
.s-in-progress, .s-unknown { background: #fff8c5; color: #7d4e00; }
.s-failed, .s-undone { background: #ffebe9; color: #a40e26; }
.ok { color: #116329; font-weight: 600; }
.bad { color: #a40e26; font-weight: 600; }
details { border: 1px solid #d0d7de; border-radius: 4px; padding: .3rem .6rem; margin: .4rem 0; }
summary { cursor: pointer; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  table, pre, details { break-inside: avoid; }
  .status { border: 1px solid currentColor; }
}
""".strip()


def html_escape(value: Any) -> str:
    """Escape any value for HTML text or an attribute."""
    return html.escape(str(value), quote=True)


def _html_pieces(pieces: list[tuple[str, bool]]) -> str:
    return "".join(f"<code>{html_escape(text)}</code>" if is_code else html_escape(text) for text, is_code in pieces)


def _html_table(header: tuple[str, ...] | None, rows: list[tuple[str, ...]], numeric: tuple[int, ...] = ()) -> str:
    """Rows of already-escaped cells."""
    parts = ["<table>"]
    if header:
        parts.append("<tr>" + "".join(f"<th>{html_escape(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            tag = "th" if header is None and i == 0 else "td"
            klass = ' class="n"' if i in numeric else ""
            cells.append(f"<{tag}{klass}>{cell}</{tag}>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def _html_finish(report: MigrationReport) -> list[str]:
    if report.finish is None:
        return []
    out = ["<h2>Finished</h2>", f"<p>{html_escape(finish_intro(report.finish))}</p>"]
    for title, rows in finish_sections(report.finish):
        out.append(f"<h3>{html_escape(title)}</h3>")
        out.append(_html_table(("Element", "Account", "Why"), [tuple(html_escape(c) for c in row) for row in rows]))
    return out


def render_html(report: MigrationReport) -> str:
    """The report as one self-contained, printable HTML page (inline CSS, no script, no external asset)."""
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html_escape(report.title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>Migration report: <code>{html_escape(report.source.bucket)}</code> → <code>{html_escape(report.destination.bucket)}</code></h1>",
        (f'<p class="meta">From {_html_pieces(_endpoint_text(report.source))}<br>'
         f"To {_html_pieces(_endpoint_text(report.destination))}<br>"
         f"Plan <code>{html_escape(report.plan_id)}</code></p>"),
        f'<p><span class="status s-{html_escape(report.status.replace(" ", "-"))}">{html_escape(_status_word(report))}</span></p>',
    ]
    if report.reasons:
        out.append("<ul>" + "".join(f"<li>{html_escape(r)}</li>" for r in report.reasons) + "</ul>")
    if report.attention:
        out.append('<ul class="meta">' + "".join(f"<li>note: {html_escape(r)}</li>" for r in report.attention) + "</ul>")
    out += _html_finish(report)
    out.append("<h2>When</h2>")
    out.append(_html_table(None, [
        *([("Finished", html_escape(time_text(report.finish.at)))] if report.finish else []),
        ("First write", html_escape(time_text(report.first_write))),
        ("Last write confirmed", html_escape(time_text(report.last_applied))),
        ("Batch job ended", html_escape(time_text(report.job_end))),
        ("Verified", html_escape(time_text(report.verify.at if report.verify else ""))),
        ("Canary", html_escape(time_text(report.canary.at if report.canary else ""))),
        ("Report generated", html_escape(time_text(report.generated_at))),
    ]))
    out.append("<h2>What is replicated where</h2>")
    if report.scope is None:
        out.append("<p>No replication configuration in the journal.</p>")
    else:
        out.append(_html_table(None, [(html_escape(label), _html_pieces(pieces)) for label, pieces in _scope_rows(report.scope)]))
    if report.estimate is not None:
        when = f" on {time_text(report.estimate_at)}" if report.estimate_at else ""
        out.append("<h2>Cost and time (estimate)</h2>")
        out.append(f"<p>Estimated with the plan{html_escape(when)}, before apply.</p>")
        lines = (safe(line) for line in estimate_lines(report.estimate))  # a bucket name's controls made visible
        out.append(f"<pre>{html_escape(chr(10).join(lines))}</pre>")
    out.append(f"<h2>Documents applied ({len(report.documents)})</h2>")
    if not report.documents:
        out.append("<p>Nothing was written.</p>")
    for number, doc in enumerate(report.documents, start=1):
        before = ("a previous document existed (undo restores it)" if doc.had_before else "nothing existed before")
        out.append(
            f"<details><summary>{number}. <code>{html_escape(doc.call)}</code> on <code>{html_escape(doc.target)}</code> "
            f'<span class="meta">· {html_escape(doc.side)} account {html_escape(doc.account_id)} · {html_escape(time_text(doc.ts))} · '
            f"{html_escape(doc.state)} · {html_escape(before)}</span></summary>"
        )
        if doc.had_before:
            out.append(f"<h3>Before</h3>\n<pre>{html_escape(_document_json(doc.before))}</pre>")
        if doc.after is not None:
            out.append(f"<h3>After</h3>\n<pre>{html_escape(_document_json(doc.after))}</pre>")
        out.append("</details>")
    out += _html_jobs(report)
    out += _html_verify(report)
    out += _html_canary(report)
    if report.notes:
        out.append("<h2>Notes</h2>\n<ul>" + "".join(f"<li>{html_escape(n)}</li>" for n in report.notes) + "</ul>")
    out += [f'<p class="meta">Generated by s3xrep on {html_escape(time_text(report.generated_at))}.</p>', "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_jobs(report: MigrationReport) -> list[str]:
    out = ["<h2>Batch Replication job" + ("s" if len(report.jobs) > 1 else "") + "</h2>"]
    if not report.jobs:
        return out + ["<p>No Batch Replication job was created (existing objects were not part of the plan).</p>"]
    for job in report.jobs:
        if not job.found:
            out.append(f"<p>Job <code>{html_escape(job.job_id)}</code>: no longer found. AWS keeps jobs for 90 days after they "
                       "end; its figures are gone.</p>")
            continue
        if job.error:
            out.append(f'<p>Job <code>{html_escape(job.job_id)}</code>: <span class="bad">could not be read</span>: '
                       f"{html_escape(job.error)}</p>")
            continue
        out.append(f"<h3>Job <code>{html_escape(job.job_id)}</code>: {html_escape(job.status)} ({html_escape(job.outcome)})</h3>")
        out.append(_html_table(None, [(html_escape(a), html_escape(b)) for a, b in _job_figures(job)]))
        if job.reasons:
            out.append("<ul>" + "".join(
                f"<li>job failure <code>{html_escape(r.code)}</code>: {html_escape(r.message)}" + (f". Fix: {html_escape(r.fix)}" if r.fix else "")
                + "</li>" for r in job.reasons) + "</ul>")
        if job.failures:
            out.append("<p>Failed tasks by code:</p>")
            out.append(_html_table(("Code", "Tasks", "What it means", "Fix", "First keys"), [
                (f"<code>{html_escape(f.code)}</code>", f"{f.count or 0:,}", html_escape(f.meaning), html_escape(f.fix),
                 ", ".join(f"<code>{html_escape(x)}</code>" for x in f.examples[:3]) or "-")
                for f in job.failures
            ], numeric=(1,)))
        elif job.report_note:
            out.append(f"<p>Failures by code: {html_escape(job.report_note)}.</p>")
        elif job.failed == 0:
            where = f" (completion report: <code>{html_escape(job.report_location)}</code>)" if job.report_location else ""
            out.append(f'<p class="ok">No task failed{where}.</p>')
    return out


def _html_verify(report: MigrationReport) -> list[str]:
    out = ["<h2>Verify</h2>"]
    v = report.verify
    if v is None:
        return out + ["<p>Not verified yet: run <code>s3xrep verify</code>.</p>"]
    scope = f" under <code>{html_escape(v.prefix)}</code>" if v.prefix else ""
    verdict = ('<span class="ok">OK, nothing missing or mismatched</span>' if v.ok
               else '<span class="bad">differences that matter</span>')
    out.append(f"<p>{html_escape(time_text(v.at))}{scope}: {verdict} ({v.compared:,} versions compared in {v.seconds:.1f}s)</p>")
    out.append(_html_table(None, [(html_escape(a), html_escape(b)) for a, b in _verify_figures(v)], numeric=(1,)))
    if v.notes:
        out.append('<ul class="meta">' + "".join(f"<li>note: {html_escape(n)}</li>" for n in v.notes) + "</ul>")
    for title, items, total in (("First differences that matter", v.differences, v.mattering),
                                ("First expected differences", v.expected_items, v.expected)):
        if not items:
            continue
        out.append(f"<p>{html_escape(title)} ({len(items)} of {total:,}):</p>")
        out.append(_html_table(("Outcome", "Key", "Version", "Why"), [
            (html_escape(a), f"<code>{html_escape(b)}</code>", f"<code>{html_escape(c)}</code>", html_escape(d)) for a, b, c, d in map(_difference_text, items)
        ]))
    return out


def _html_canary(report: MigrationReport) -> list[str]:
    out = ["<h2>Canary</h2>"]
    c = report.canary
    if c is None:
        return out + ["<p>No canary yet: run <code>s3xrep canary</code>.</p>"]
    head = (f"replicated in <strong>{html_escape(seconds_text(c.seconds_to_replicate))}</strong>" if c.status == "replicated"
            else f'<span class="bad">{html_escape(c.status)}</span>')
    rule = f" (rule <code>{html_escape(c.rule_id)}</code>)" if c.rule_id else ""
    out.append(f"<p>{html_escape(time_text(c.at))}: {head}{' and the replica checks out' if c.ok else ''}{rule}</p>")
    if c.message and not c.ok:
        out.append(f"<p>{html_escape(c.message)}</p>")
    if c.checks:
        out.append(_html_table(("Check", "Result", "Detail"), [
            (html_escape(name), '<span class="ok">ok</span>' if ok else '<span class="bad">FAILED</span>', html_escape(detail))
            for name, ok, detail in c.checks
        ]))
    if c.failure_code:
        out.append(f"<p>Failure code <code>{html_escape(c.failure_code)}</code>.</p>")
    if c.fix:
        out.append(f"<p>Fix: {html_escape(c.fix)}</p>")
    return out
