"""undo (and finish) of ``s3.put_bucket_inventory_configuration``: the configuration as it was before apply.

None before: deleted (DeleteBucketInventoryConfiguration, by the journaled Id);
another before: put back; changed since apply: left alone (it would clobber that change).
"""

from __future__ import annotations

from typing import Any

from .inventory_reports import NO_CONFIGURATION


def inventory_configuration(undoer: Any, entry: dict[str, Any]) -> tuple[Any, str, str]:
    """``undoer`` is undo's ``_Undoer`` (its ``call``, ``client`` and ``_restore``)."""
    bucket = entry["target"].split(" ", 2)[1]
    config_id = entry.get("inventory_id") or (entry.get("after") or {}).get("Id")
    owner = entry.get("account_id")
    owner_kw = {"ExpectedBucketOwner": owner} if owner else {}
    s3 = undoer.client(entry, "s3")
    what = f"inventory configuration {config_id} of {bucket}"
    answer = undoer.call(entry, f"s3.get_bucket_inventory_configuration {config_id!r} on bucket {bucket!r}",
                         lambda: s3.get_bucket_inventory_configuration(Bucket=bucket, Id=config_id, **owner_kw),
                         absent=NO_CONFIGURATION)
    current = answer.get("InventoryConfiguration") if answer else None
    return undoer._restore(
        entry, what, current,
        put=lambda doc: undoer.call(entry, f"s3.put_bucket_inventory_configuration on bucket {bucket!r}",
                                    lambda: s3.put_bucket_inventory_configuration(
                                        Bucket=bucket, Id=config_id, InventoryConfiguration=doc, **owner_kw)),
        delete=lambda: undoer.call(entry, f"s3.delete_bucket_inventory_configuration on bucket {bucket!r}",
                                   lambda: s3.delete_bucket_inventory_configuration(Bucket=bucket, Id=config_id,
                                                                                    **owner_kw)),
    )
