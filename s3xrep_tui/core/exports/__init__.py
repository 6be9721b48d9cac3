"""The plan as other tools' files: an AWS CLI script, CloudFormation templates, Terraform.

Pure text generators: each takes a :class:`~s3xrep_tui.core.models.Plan` (and
the profile names the user chose, which the plan does not carry) and returns
``{file name: text}``. Nothing here talks to AWS or writes files; the ``plan``
command and the preview screen decide where the text goes.

Only an unblocked plan is exported: a blocked plan lacks documents, and a
script or template made from it would do something other than ``apply``.
"""

from __future__ import annotations

from typing import Any

from ..errors import S3xrepError

FORMATS = ("aws-cli", "cloudformation", "terraform")


class ExportError(S3xrepError, ValueError):
    """The plan cannot be exported (blocked, or an unknown format)."""


def export_files(
    plan: Any,
    fmt: str,
    *,
    source_profile: str | None = None,
    destination_profile: str | None = None,
) -> dict[str, str]:
    """``{file name: text}`` of the plan in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    if plan.blocked:
        blocking = "; ".join(f.message for f in plan.findings if f.severity == "blocking")
        raise ExportError(f"the plan is blocked, so there is nothing faithful to export: {blocking}")
    profiles = {"source_profile": source_profile, "destination_profile": destination_profile}
    if fmt == "aws-cli":
        from .aws_cli import render

        return {"s3xrep-migrate.sh": render(plan, **profiles)}
    if fmt == "cloudformation":
        from .cloudformation import render_templates

        return render_templates(plan, **profiles)
    from .terraform import render as render_terraform

    return render_terraform(plan, **profiles)
