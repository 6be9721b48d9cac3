"""What the plan says about statements in our Sid family it cannot prove are ours (core.statement_proof)."""

from __future__ import annotations

from .merge import PolicyMerge
from .models import Finding


def statement_findings(merged: PolicyMerge, what: str) -> list[Finding]:
    """A warning for each kind: statements kept because they are not proven ours, and those ``--adopt`` replaces."""
    findings: list[Finding] = []
    if merged.unproven:
        findings.append(Finding(
            id="policy-statement-kept",
            severity="warning",
            message=f"{what} has statement(s) {', '.join(merged.unproven)} in the Sid family this tool uses, naming "
            "our role, that this plan's journal never wrote: they are not ours, so the plan keeps them exactly as "
            "they are (apply, undo and finish leave them alone).",
            fix="Nothing to do if they are meant to be there; otherwise remove them yourself, or rename their Sids.",
        ))
    if merged.adopted:
        findings.append(Finding(
            id="policy-statement-adopted",
            severity="warning",
            message=f"{what} has statement(s) {', '.join(merged.adopted)} with our Sids that this tool did not "
            "write. With --adopt the plan replaces them with ours; the policy as it is now is saved in the journal "
            "first, and undo puts it back.",
            fix="Drop --adopt to keep them (the plan is then blocked until they are renamed or removed).",
        ))
    return findings
