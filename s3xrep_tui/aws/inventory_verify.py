"""``verify --inventory``: both buckets' newest complete S3 Inventory reports, compared in DuckDB.

The same :class:`VerifyReport` as listing verify (``aws.verify``), plus which
reports were compared ("as of" their scan) and the source's replication
statuses of in-scope objects. Each side's report is found and fetched with that
side's own credentials; the rule's scope and the buckets' default encryption
are read as listing verify reads them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import locations
from ..core.inventory_sql import InventoryScope, scope_for
from ..core.verify import Expectations, expectations_for, rules_to
from .clients import Clients
from .errors import AwsError
from .inventory_duckdb import compare, connect, create_view
from .inventory_reports import InventoryReport, fetch_report, find_report
from .verify import VerifyReport, _account, _Bucket


@dataclass
class InventoryVerifyReport(VerifyReport):
    """A :class:`VerifyReport` from inventories: ``inventories`` (source, destination) and the statuses."""

    inventories: tuple[InventoryReport, InventoryReport] | None = None
    replication_status: dict[str, int] = field(default_factory=dict)

    @property
    def as_of(self) -> tuple[str, str]:
        assert self.inventories is not None
        return self.inventories[0].as_of, self.inventories[1].as_of

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        assert self.inventories is not None
        data["engine"] = "inventory"
        data["inventory"] = {"source": self.inventories[0].as_dict(), "destination": self.inventories[1].as_dict(),
                             "replication_status": dict(sorted(self.replication_status.items()))}
        return data


def _scope(src: _Bucket, dst: _Bucket, prefix: str) -> tuple[InventoryScope, Expectations, int]:
    """The rule's scope for the SQL, the same expectations for ``core.verify`` (tags looked up), the rule count."""
    notes: list[str] = []
    try:
        answer = src.call("get_bucket_replication", absent="ReplicationConfigurationNotFoundError")
        configuration, readable = (answer or {}).get("ReplicationConfiguration"), True
    except AwsError as exc:
        if exc.code != "AccessDenied":
            raise
        configuration, readable = None, False
        notes.append(f"the source's replication configuration cannot be read ({exc.message}): every version "
                     "counts as in scope and delete markers as not replicated")
    source_encryption, destination_encryption = src.default_encryption(), dst.default_encryption()
    scope = scope_for(configuration, dst.bucket, source_encryption=source_encryption,
                      destination_encryption=destination_encryption, prefix=prefix, readable=readable)
    facts = expectations_for(configuration, dst.bucket, source_encryption=source_encryption,
                             destination_encryption=destination_encryption, tags_of=src.tags_of)
    if not readable:  # as listing verify assumes (aws.verify.read_expectations)
        facts = Expectations(delete_markers=False, source_kms=facts.source_kms, destination_kms=facts.destination_kms,
                             notes=tuple(notes))
    return scope, facts, len(rules_to(configuration, dst.bucket))


def verify_from_inventory(
    source: Clients,
    destination: Clients,
    source_bucket: str,
    destination_bucket: str,
    *,
    prefix: str = "",
    limit: int | None = 20,
    source_owner: str | None = None,
    destination_owner: str | None = None,
    progress: Callable[[str], None] | None = None,
    memory_limit: str | None = None,
) -> InventoryVerifyReport:
    """Compare the newest complete inventories of both buckets (each read with its own account's credentials)."""
    started = time.monotonic()
    say = progress or (lambda _: None)
    source_owner = source_owner or _account(source, "source")
    destination_owner = destination_owner or _account(destination, "destination")
    src = _Bucket(source, source_bucket, source_owner, "source")
    dst = _Bucket(destination, destination_bucket, destination_owner, "destination")
    scope, facts, rules = _scope(src, dst, prefix)
    say("finding the newest complete inventory reports")
    reports = (find_report(src), find_report(dst))
    files = []
    for side, report in ((src, reports[0]), (dst, reports[1])):
        say(f"fetching the {side.side}'s inventory of {report.as_of} ({len(report.files)} file(s))")
        files.append(fetch_report(side, report))
    say("comparing in DuckDB")
    spill = locations.private_dir(locations.cache_dir() / "duckdb")
    with tempfile.TemporaryDirectory(dir=spill) as temp:
        con = connect(temp, **({"memory_limit": memory_limit} if memory_limit else {}))
        try:
            create_view(con, "source_inventory", files[0])
            create_view(con, "destination_inventory", files[1])
            compared = compare(con, scope, facts, limit=limit)
        finally:
            con.close()
    return InventoryVerifyReport(
        source_bucket=source_bucket, destination_bucket=destination_bucket, source_account=source_owner,
        destination_account=destination_owner, source_region=src.region, destination_region=dst.region,
        prefix=prefix, summary=compared.summary, seconds=time.monotonic() - started, rules=rules,
        inventories=reports, replication_status=compared.replication_status,
    )


__all__ = ["InventoryVerifyReport", "verify_from_inventory"]
