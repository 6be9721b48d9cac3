"""What a plan's document changes: a unified diff of pretty-printed JSON against what is deployed.

Pure: ``deployed_document`` finds, in the ``PlanInputs`` the plan was built
from, what each document replaces (the destination bucket policy text, the
source's replication configuration, the replica key's policy, the roles'
trust and inline policies); ``json_diff`` compares the two with both sides
printed the same way (2-space indent), the deployed side's keys put in the
plan's order first, so only content shows up as ``+``/``-`` lines, never
formatting or key order, and the plan's side reads exactly like the document
shown beside it.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from .models import Plan, PlanInputs, RoleFacts, Step

LineKind = Literal["header", "hunk", "add", "remove", "context"]
DiffStatus = Literal["new", "changed", "unchanged", "removed", "absent"]


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    text: str


@dataclass(frozen=True)
class JsonDiff:
    """``lines`` is a unified diff (headers, hunks, +/-/context lines); counts exclude headers."""

    status: DiffStatus
    lines: tuple[DiffLine, ...]
    added: int
    removed: int

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def summary(self) -> str:
        """One line: what applying this document does to what is deployed."""
        if self.status == "new":
            return f"new: nothing deployed yet (+{self.added} lines)"
        if self.status == "unchanged":
            return "unchanged: matches what is deployed"
        if self.status == "removed":
            return f"removed: -{self.removed} lines"
        if self.status == "absent":
            return "nothing deployed and nothing planned"
        return f"changed: +{self.added} -{self.removed} lines against what is deployed"


def parse_document(document: Any) -> Any:
    """JSON text as returned by AWS -> its value; text that is not JSON stays text; anything else as is."""
    if isinstance(document, (str, bytes)):
        try:
            return json.loads(document)
        except ValueError:
            return document.decode() if isinstance(document, bytes) else document
    return document


def pretty(document: Any) -> str:
    """The form both sides of a diff are printed in; text that is not JSON is shown as it is."""
    value = parse_document(document)
    if isinstance(document, (str, bytes)) and isinstance(value, str):  # text that is not JSON
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _ident(value: Any) -> Any:
    """A statement's Sid or a rule's ID: what pairs list items of the two sides."""
    if isinstance(value, dict):
        return value.get("Sid") or value.get("ID")
    return None


def align(current: Any, template: Any) -> Any:
    """``current`` with its dict keys in ``template``'s order (its own extra keys after them).

    List items pair by Sid/ID, else by position. Only order changes, never content.
    """
    if isinstance(current, dict) and isinstance(template, dict):
        ordered = {key: align(current[key], template[key]) for key in template if key in current}
        ordered.update((key, value) for key, value in current.items() if key not in ordered)
        return ordered
    if isinstance(current, list) and isinstance(template, list):
        by_id = {_ident(item): item for item in template if _ident(item) is not None}
        paired = []
        for index, item in enumerate(current):
            twin = by_id.get(_ident(item)) if _ident(item) is not None else None
            if twin is None and index < len(template):
                twin = template[index]
            paired.append(align(item, twin) if twin is not None else item)
        return paired
    return current


def json_diff(
    current: Any,
    proposed: Any,
    *,
    context: int | None = 3,
    current_label: str = "deployed",
    proposed_label: str = "plan",
) -> JsonDiff:
    """Unified diff from ``current`` (``None``: nothing deployed) to ``proposed``.

    ``context=None`` keeps every line (the whole document, changes marked);
    an unchanged document then comes back as context lines only.
    """
    before, after = parse_document(current), parse_document(proposed)
    if current is not None and proposed is not None and not isinstance(before, str):
        before = align(before, after)
    old = [] if current is None else pretty(before).splitlines()
    new = [] if proposed is None else pretty(after).splitlines()
    if current is None and proposed is None:
        status: DiffStatus = "absent"
    elif current is None:
        status = "new"
    elif proposed is None:
        status = "removed"
    elif before == after or old == new:
        status = "unchanged"
    else:
        status = "changed"
    if status == "unchanged":
        body = tuple(DiffLine("context", " " + line) for line in new) if context is None else ()
        return JsonDiff(status, body, 0, 0)
    n = max(len(old), len(new)) if context is None else context
    lines: list[DiffLine] = []
    added = removed = 0
    raw = difflib.unified_diff(
        old, new, fromfile=current_label if current is not None else "/dev/null", tofile=proposed_label, n=n, lineterm=""
    )
    for index, text in enumerate(raw):
        if index < 2:
            kind: LineKind = "header"
        elif text.startswith("@@"):
            kind = "hunk"
        elif text.startswith("+"):
            kind, added = "add", added + 1
        elif text.startswith("-"):
            kind, removed = "remove", removed + 1
        else:
            kind = "context"
        lines.append(DiffLine(kind, text))
    return JsonDiff(status, tuple(lines), added, removed)


# --------------------------------------------------------------------------- what each document replaces


def _role(inputs: PlanInputs, name: str) -> RoleFacts | None:
    for facts in (inputs.replication_role, inputs.batch_role):
        if facts is not None and facts.exists and facts.name == name:
            return facts
    return None


def _step_for(plan: Plan, name: str) -> Step | None:
    return next((step for step in plan.steps if step.document == name), None)


_INVENTORY_REPORTS = {"source_inventory_reports_policy": "source_inventory_reports",
                      "destination_inventory_reports_policy": "destination_inventory_reports"}


def _from_step(step: Step, inputs: PlanInputs) -> Any:
    request = step.request
    if step.call in ("iam.create_role", "iam.update_assume_role_policy"):
        role = _role(inputs, str(request.get("RoleName")))
        return role.trust_policy if role else None
    if step.call == "iam.put_role_policy":
        role = _role(inputs, str(request.get("RoleName")))
        return role.inline_policies.get(str(request.get("PolicyName"))) if role else None
    if step.call == "s3.put_bucket_policy" and step.document in _INVENTORY_REPORTS:  # S3 Inventory (issue 19)
        reports = getattr(inputs, _INVENTORY_REPORTS[step.document])
        return reports.policy if reports else None
    if step.call == "s3.put_bucket_inventory_configuration":
        return inputs.source_inventory if step.account == "source" else inputs.destination_inventory
    if step.call == "s3.put_bucket_policy":
        return inputs.destination.policy
    if step.call == "kms.put_key_policy":
        return inputs.replica_key.policy if inputs.replica_key else None
    if step.call == "s3.put_bucket_replication":
        return inputs.source.replication
    return None  # s3control.create_job: every run starts a new job, nothing is replaced


# A document no step writes (the batch role's with --single-role, which is the
# replication role's) compares against the document that step writes.
_SAME_AS = {
    "batch_role_trust_policy": "replication_role_trust_policy",
    "batch_role_policy": "replication_role_policy",
}


def deployed_document(name: str, plan: Plan, inputs: PlanInputs) -> Any:
    """What is deployed now where ``plan`` would write document ``name`` (``None``: nothing).

    Policies read from AWS come as JSON text and are returned as such (``json_diff``
    parses them); role documents come parsed.
    """
    step = _step_for(plan, name) or (_step_for(plan, _SAME_AS[name]) if name in _SAME_AS else None)
    if step is not None:
        return _from_step(step, inputs)
    if name == "destination_bucket_policy":
        return inputs.destination.policy
    if name == "replication_configuration":
        return inputs.source.replication
    if name == "destination_kms_key_policy":
        return inputs.replica_key.policy if inputs.replica_key else None
    return None


def document_diff(name: str, plan: Plan, inputs: PlanInputs, *, context: int | None = None) -> JsonDiff:
    """``json_diff`` of document ``name`` against what is deployed (whole document by default)."""
    return json_diff(deployed_document(name, plan, inputs), plan.documents.get(name), context=context)
