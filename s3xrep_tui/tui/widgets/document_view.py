"""One plan document: what writes it, a line per statement or rule, its JSON and its diff.

The JSON is shown highlighted (Rich ``Syntax``, the terminal's own ANSI
colours, line numbers, scrolls both ways) exactly as ``c`` copies and ``e``
exports it; the diff beside it compares with what is deployed now
(``core.diff``).

Not ``TextArea.code_editor(language="json")``: with tree-sitter 0.26.1 (what
``textual[syntax]`` installs today) building that widget corrupts the heap
and the process segfaults a moment later.
"""

from __future__ import annotations

import json
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from ...core.diff import JsonDiff
from ...core.documents import explain_rule, explain_statement
from ...core.models import Plan
from ...core.text import safe
from .json_diff import DiffView

# Tab titles, short enough for nine tabs in 120 columns.
DOCUMENT_TITLES = {
    "replication_role_trust_policy": "Repl trust",
    "replication_role_policy": "Repl perms",
    "batch_role_trust_policy": "Batch trust",
    "batch_role_policy": "Batch perms",
    "destination_bucket_policy": "Bucket policy",
    "destination_kms_key_policy": "KMS policy",
    "replication_configuration": "Replication",
    "batch_job": "Batch job",
    "source_inventory_reports_policy": "Src reports",  # S3 Inventory (issue 19)
    "source_inventory_configuration": "Src inventory",
    "destination_inventory_reports_policy": "Dst reports",
    "destination_inventory_configuration": "Dst inventory",
    "alarms": "Alarms",
}
DOCUMENT_DESCRIPTIONS = {
    "replication_role_trust_policy": "who may assume the replication role (source account)",
    "replication_role_policy": "what the replication role may do (its inline policy)",
    "batch_role_trust_policy": "who may assume the Batch Replication role (source account)",
    "batch_role_policy": "what the Batch Replication role may do (its inline policy)",
    "destination_bucket_policy": "the destination bucket's policy, ours merged into what is there",
    "destination_kms_key_policy": "the replica key's policy, ours merged into what is there",
    "replication_configuration": "the source bucket's replication configuration, merged with its rules",
    "batch_job": "the S3 Batch Operations job request that replicates existing objects",
    "source_inventory_reports_policy": "the source reports bucket's policy: S3 Inventory may deliver there",
    "source_inventory_configuration": "the source's daily all-versions Parquet inventory (for verify --inventory)",
    "destination_inventory_reports_policy": "the destination reports bucket's policy: S3 Inventory may deliver there",
    "destination_inventory_configuration": "the destination's daily all-versions Parquet inventory",
    "alarms": "alarms while it runs: the topic's policy and the source's event notifications (both merged with "
    "what is there), the topic, two CloudWatch alarms, our inbox queue, the subscriptions",
}
# Documents that replace nothing: why there is no diff.
NO_DIFF = {
    "alarms": "Each is judged at apply: a topic, alarm or queue of ours is kept or updated, one that is not ours "
    "is refused (the journal and our tag prove which are ours).",
    "batch_job": "Nothing to compare: each apply starts a new job (after checking that no job with the same "
    "description is running, and that this plan's journal has not created one already).",
}
_SAME_AS = {"batch_role_trust_policy": "replication_role_trust_policy", "batch_role_policy": "replication_role_policy"}


def document_text(document: Any) -> str:
    """The document as shown, copied and exported (``commands.plan.write_documents`` prints it so too)."""
    return json.dumps(document, indent=2)


def title_of(name: str) -> str:
    return DOCUMENT_TITLES.get(name, name.replace("_", " "))


def explanations(name: str, document: Any, plan: Plan) -> list[str]:
    """One line per statement or rule; the step that writes the document comes first."""
    lines: list[str] = []
    step = next((s for s in plan.steps if s.document == name), None)
    if step is None and name in _SAME_AS:
        twin = next((s for s in plan.steps if s.document == _SAME_AS[name]), None)
        if twin is not None:
            lines.append(f"Single role: the same document as {title_of(_SAME_AS[name])} (step {twin.id}).")
    elif step is not None:
        lines.append(f"Step {step.id} · {step.call} · {step.action}: {step.summary}")
    if isinstance(document, dict):
        for statement in document.get("Statement") or []:
            if isinstance(statement, dict):
                lines.append(f"{statement.get('Sid') or '(no Sid)'}: {explain_statement(statement)}")
        for rule in document.get("Rules") or []:
            if isinstance(rule, dict):
                lines.append(explain_rule(rule))
    return lines


def render_explanations(name: str, lines: list[str]) -> Text:
    text = Text()
    text.append(DOCUMENT_DESCRIPTIONS.get(name, name), style="bold")
    for line in map(safe, lines):  # Sids, rule IDs and resources may be the other account's
        text.append("\n• ")
        head, sep, rest = line.partition(": ")
        if sep and len(head) <= 80:
            step = head.startswith(("Step ", "Single role"))
            text.append(head + sep, style="bold magenta" if step else "bold cyan")
            text.append(rest)
        else:
            text.append(line)
    return text


class JsonView(VerticalScroll):
    """Highlighted JSON with line numbers; focusable, scrolls both ways (long ARNs are not cut)."""

    DEFAULT_CSS = """
    JsonView { border: round $secondary; height: 1fr; overflow-x: auto; }
    JsonView:focus { border: round $accent; }
    """

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = text

    def compose(self) -> ComposeResult:
        lines = self.text.splitlines() or [""]
        width = max(len(line) for line in lines)
        gutter = len(str(len(lines))) + 2
        syntax = Syntax(
            self.text, "json", theme="ansi_dark", line_numbers=True, word_wrap=False,
            code_width=width, background_color="default",
        )
        body = Static(syntax)
        body.styles.width = width + gutter + 1
        yield body


# What a narrow or short terminal shows of a document: one of its three parts at a time (keys d, n).
VIEW_MODES = ("json", "diff", "notes")


class DocumentView(Vertical):
    """Explanations on top; the JSON and its diff against what is deployed side by side.

    ``fit_layout`` fits the three to the terminal: the JSON always gets the rows; the diff sits beside it
    only when there is width for both, the explanations above it only when there is height, and
    otherwise each is behind the JSON (``mode`` says which one is shown)."""

    DEFAULT_CSS = """
    DocumentView { height: 1fr; }
    DocumentView > .explain { height: auto; max-height: 7; padding: 0 1; }
    DocumentView > .explain.-full { height: 1fr; max-height: 100%; border: round $secondary; }
    DocumentView > Horizontal { height: 1fr; }
    DocumentView JsonView { width: 1fr; }
    DocumentView DiffView { width: 1fr; }
    """

    def __init__(self, name: str, document: Any, plan: Plan, diff: JsonDiff | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document_name = name
        self.document = document
        self.text = document_text(document)
        self.lines = explanations(name, document, plan)
        self.diff = diff

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="explain"):
            yield Static(render_explanations(self.document_name, self.lines), classes="explain-text")
        with Horizontal():
            view = JsonView(self.text, id=f"json-{self.document_name}")
            view.border_title = f"{self.document_name}.json"
            yield view
            yield DiffView(self.diff, NO_DIFF.get(self.document_name), id=f"diff-{self.document_name}")

    def fit_layout(self, *, beside: bool, notes_on_top: bool, mode: str = "json") -> None:
        """``beside``: the diff beside the JSON; ``notes_on_top``: the explanations above; else ``mode``
        (json, diff or notes) is the one of them shown."""
        notes_full = mode == "notes" and not notes_on_top
        show_json = not notes_full and (mode != "diff" or beside)
        show_diff = not notes_full and (mode == "diff" or beside)
        explain = self.query_one(".explain", VerticalScroll)
        explain.display = notes_on_top or notes_full
        explain.set_class(notes_full, "-full")
        explain.border_title = "notes · n: back to the JSON" if notes_full else ""
        view = self.query_one(JsonView)
        view.display = show_json
        diff = self.query_one(DiffView)
        diff.display = show_diff
        self.query_one(Horizontal).display = show_json or show_diff
        hints = [] if beside else ["d diff"]
        hints += [] if notes_on_top else ["n notes"]
        view.border_title = " · ".join([f"{self.document_name}.json", *hints])
        diff.border_title = "diff vs deployed" + ("" if beside else " · d: back to the JSON")
