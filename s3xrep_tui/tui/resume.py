"""Reopening an applied migration: its identities (by profile name), buckets and rule, then a step.

Used by the home screen. The Accounts screen stays the bottom of the stack and
owns the profiles; these functions ask it to reload them with the journal's
two preselected, then check what they resolve to against the journal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ..aws.migrations import Migration
from ..core.models import MigrationOptions

if TYPE_CHECKING:
    from .app import S3xrepApp

# Steps a migration resumes at beyond the flow's own: (module, class); each takes the migration.
EXTRA_STEPS = {
    "undo": ("s3xrep_tui.tui.screens.undo", "UndoScreen"),
    "finish": ("s3xrep_tui.tui.screens.finish", "FinishScreen"),
    "stakeholder": ("s3xrep_tui.tui.screens.stakeholder", "StakeholderScreen"),
}


def reopen_profiles(app: S3xrepApp, profiles: dict[str, str | None]) -> None:
    """Have the Accounts screen select the journal's profiles (in the demo, once the sandbox is up)."""
    named = {side: name for side, name in profiles.items() if name}
    if app.demo and app.sandbox is None:
        return  # the sandbox's arrival loads its profiles, which are the ones a demo journal names
    app.accounts.load_profiles(preselect=named)


def identities_for(app: S3xrepApp, m: Migration) -> str | None:
    """None while waiting; "" when both identities are the journal's and resolved; else why not."""
    if app.demo and app.sandbox is None:
        problem = getattr(app.accounts, "problem", None)
        return "the demo sandbox did not start" if problem else None
    for side, account in (("source", m.source_account), ("destination", m.destination_account)):
        wanted = m.profiles.get(side)
        if not wanted:
            return f"the journal names no {side} profile (credentials from the environment?)"
        choice = app.source if side == "source" else app.destination
        if choice is None or choice.profile.name != wanted:
            rows = getattr(app.accounts, "rows", {}) or {}
            if rows and wanted not in {row.profile.name for row in rows.values()}:
                return f"the {side} profile {wanted!r} is not in the AWS config any more"
            return None
        state = choice.identity.state
        if state == "failed":
            error = choice.identity.error
            return f"the {side} profile {wanted!r} did not resolve ({error.message if error else 'unknown error'})"
        if state != "resolved":
            return None
        if account and choice.account_id != account:
            return f"the {side} profile {wanted!r} is now account {choice.account_id}, the journal says {account}"
    return ""


def resume(app: S3xrepApp, m: Migration, step: str) -> None:
    """Set the migration's buckets, rule and plan id, then open ``step`` on top of the home screen."""
    app.source_bucket = m.source_bucket
    app.destination_bucket = m.destination_bucket
    default_rule = f"s3xrep-to-{m.destination_bucket}"[:255]
    app.options = MigrationOptions(rule_id=m.rule_id if m.rule_id and m.rule_id != default_rule else None)
    app.plan = None
    app.resumed_plan_id = m.plan_id
    app.resumed_region = m.region
    if step in EXTRA_STEPS:
        module, name = EXTRA_STEPS[step]
        app.push_screen(getattr(importlib.import_module(module), name)(m))
    else:
        app.goto(step)


def leave_home(app: S3xrepApp, notice: str = "") -> None:
    """Down to the Accounts screen (a new migration, or identities to choose by hand)."""
    app.resumed_plan_id = None
    app.resumed_region = None
    while len(app.screen_stack) > 1:
        app.pop_screen()
    if notice:
        app.notify(notice, title="Migrations", severity="warning", timeout=10)

