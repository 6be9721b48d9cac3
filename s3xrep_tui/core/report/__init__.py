"""The migration report: one page for a stakeholder, in Markdown or self-contained HTML.

Pure: :func:`build_report` takes what other modules already produce, as plain
data, and :func:`render_markdown` / :func:`render_html` turn the
:class:`MigrationReport` into text.

* ``entries``: the plan's apply journal (``aws.journal.read_journal(...).entries``):
  every write with its before/after documents, its ``done`` and ``undo`` entries.
* ``jobs``: one dict per Batch job the plan created::

      {"job_id", "account_id", "region",
       "detail": JobDetail.to_dict() or None,       # None: not found or not readable
       "report": ReportSummary.to_dict() or None,   # the completion report by failure code
       "report_error": str or None, "error": str or None,
       "missing": bool}                             # AWS no longer knows the job (90 days)

* ``verify`` / ``canary``: the newest result entries of ``aws.results``
  (``{"ts", "result": VerifyReport.as_dict() | CanaryResult.as_dict()}``) or None.

The status is one of ``complete``, ``in progress``, ``failed``, ``unknown``
(a job could not be read) or ``undone`` (the replication configuration was
rolled back), with the reasons; ``finished`` once ``s3xrep finish`` recorded the
end (the report is then the final record: :mod:`.record`). :attr:`MigrationReport.ok` is False when the
migration is not complete or the last verification found differences that matter.

Every value is escaped: HTML with ``html.escape``; Markdown with code spans
(fenced as long as needed) for names and backslash escapes for free text, so a
bucket tag holding ``<script>`` stays text in both.

The package, in the order the data flows: :mod:`.model` (the dataclasses and
constants), :mod:`.building` (:func:`build_report`, with :mod:`.record` for a finished migration), :mod:`.text` (what both
renderings share), :mod:`.as_markdown` and :mod:`.as_html`.
"""

from __future__ import annotations

from .as_html import html_escape, render_html
from .as_markdown import markdown_code, markdown_escape, render_markdown
from .building import build_report
from .model import (
    FIRST_DIFFERENCES,
    FIRST_EXPECTED,
    STATUSES,
    UNDONE,
    AppliedDocument,
    CanaryView,
    Endpoint,
    Failure,
    FinishView,
    JobView,
    MigrationReport,
    ReplicationScope,
    VerifyView,
)
from .text import bytes_text, duration_text, rate_text, seconds_text, time_text

# The short names these helpers had, kept because tests/core/test_report.py imports them.
md = markdown_escape
code = markdown_code

__all__ = [
    "FIRST_DIFFERENCES",
    "FIRST_EXPECTED",
    "STATUSES",
    "UNDONE",
    "AppliedDocument",
    "CanaryView",
    "Endpoint",
    "Failure",
    "FinishView",
    "JobView",
    "MigrationReport",
    "ReplicationScope",
    "VerifyView",
    "build_report",
    "bytes_text",
    "code",
    "duration_text",
    "html_escape",
    "markdown_code",
    "markdown_escape",
    "md",
    "rate_text",
    "render_html",
    "render_markdown",
    "seconds_text",
    "time_text",
]
