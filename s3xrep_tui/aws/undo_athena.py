"""Undo of the Athena engine's writes (``aws.athena_setup``): newest first, workgroup to database.

Each reversal deletes only what the journal says we made and what is still
ours: the workgroup and database by their ``s3xrep:managed-by`` tag, the
tables and partitions by name inside our database. A database that meanwhile
holds someone else's table is kept (Glue's DeleteDatabase would delete that
table too). The query results Athena wrote under our results prefix stay in
the reports bucket (its lifecycle rule, if any, expires them).
"""

from __future__ import annotations

from typing import Any

from ..core.athena_plan import DESTINATION_TABLE, SOURCE_TABLE
from ..core.ownership import MANAGED_TAG, MANAGED_VALUE

Outcome = tuple[Any, str, str]
_GLUE_ABSENT = ("EntityNotFoundException",)


def _region(entry: dict[str, Any]) -> str:
    return str(entry.get("region") or "us-east-1")


def _partition_of(entry: dict[str, Any]) -> str:
    return "aws-cn" if _region(entry).startswith("cn-") else "aws-us-gov" if _region(entry).startswith("us-gov-") else "aws"


def database(undoer: Any, entry: dict[str, Any]) -> Outcome:
    name = (entry.get("after") or {}).get("DatabaseInput", {}).get("Name")
    glue = undoer.client(entry, "glue")
    what = f"Glue database {name}"
    if undoer.call(entry, f"glue.get_database {name!r}", lambda: glue.get_database(Name=name), absent=_GLUE_ABSENT) is None:
        return "unchanged", f"{what} is already gone", ""
    arn = f"arn:{_partition_of(entry)}:glue:{_region(entry)}:{entry.get('account_id')}:database/{name}"
    tags = (undoer.call(entry, f"glue.get_tags {name!r}", lambda: glue.get_tags(ResourceArn=arn)) or {}).get("Tags") or {}
    if tags.get(MANAGED_TAG) != MANAGED_VALUE:
        return "skipped", f"{what} no longer carries our tag: kept", "delete it by hand if it is not needed"
    tables = (undoer.call(entry, f"glue.get_tables {name!r}", lambda: glue.get_tables(DatabaseName=name)) or {})
    foreign = [t.get("Name") for t in tables.get("TableList") or [] if t.get("Name") not in (SOURCE_TABLE, DESTINATION_TABLE)]
    if foreign:
        return "skipped", f"{what} holds tables that are not ours ({', '.join(map(str, foreign[:3]))}): kept", \
            "move or drop those tables, then run undo again"
    if undoer.dry_run:
        return "would-delete", f"would delete {what}", ""
    undoer.call(entry, f"glue.delete_database {name!r}", lambda: glue.delete_database(Name=name), absent=_GLUE_ABSENT)
    return "deleted", f"{what} deleted", ""


def table(undoer: Any, entry: dict[str, Any]) -> Outcome:
    after = entry.get("after") or {}
    db, name = after.get("DatabaseName"), (after.get("TableInput") or {}).get("Name")
    glue = undoer.client(entry, "glue")
    what = f"table {db}.{name}"
    found = undoer.call(entry, f"glue.get_table {db}.{name}", lambda: glue.get_table(DatabaseName=db, Name=name),
                        absent=_GLUE_ABSENT)
    if found is None:
        return "unchanged", f"{what} is already gone", ""
    location = ((found.get("Table") or {}).get("StorageDescriptor") or {}).get("Location")
    if location != ((after.get("TableInput") or {}).get("StorageDescriptor") or {}).get("Location"):
        return "skipped", f"{what} now reads {location}, not what we made: kept", "drop it by hand if it is not needed"
    if undoer.dry_run:
        return "would-delete", f"would drop {what}", ""
    undoer.call(entry, f"glue.delete_table {db}.{name}", lambda: glue.delete_table(DatabaseName=db, Name=name),
                absent=_GLUE_ABSENT)
    return "deleted", f"{what} dropped (its partitions with it; the inventory files are untouched)", ""


def partition(undoer: Any, entry: dict[str, Any]) -> Outcome:
    after = entry.get("after") or {}
    db, name = after.get("DatabaseName"), after.get("TableName")
    values = (after.get("PartitionInput") or {}).get("Values") or []
    glue = undoer.client(entry, "glue")
    what = f"partition dt={values[0] if values else '?'} of {db}.{name}"
    found = undoer.call(entry, f"glue.get_partition {what}",
                        lambda: glue.get_partition(DatabaseName=db, TableName=name, PartitionValues=values),
                        absent=_GLUE_ABSENT)
    if found is None:
        return "unchanged", f"{what} is already gone", ""
    if undoer.dry_run:
        return "would-delete", f"would remove {what}", ""
    undoer.call(entry, f"glue.delete_partition {what}",
                lambda: glue.delete_partition(DatabaseName=db, TableName=name, PartitionValues=values),
                absent=_GLUE_ABSENT)
    return "deleted", f"{what} removed", ""


def workgroup(undoer: Any, entry: dict[str, Any]) -> Outcome:
    name = (entry.get("after") or {}).get("Name")
    athena = undoer.client(entry, "athena")
    what = f"Athena workgroup {name}"
    found = undoer.call(entry, f"athena.get_work_group {name!r}", lambda: athena.get_work_group(WorkGroup=name),
                        absent=("InvalidRequestException",))
    if not found or (found.get("WorkGroup") or {}).get("Name") != name:
        return "unchanged", f"{what} is already gone", ""
    arn = f"arn:{_partition_of(entry)}:athena:{_region(entry)}:{entry.get('account_id')}:workgroup/{name}"
    tags = (undoer.call(entry, f"athena.list_tags_for_resource {name!r}",
                        lambda: athena.list_tags_for_resource(ResourceARN=arn)) or {}).get("Tags") or []
    if {t.get("Key"): t.get("Value") for t in tags}.get(MANAGED_TAG) != MANAGED_VALUE:
        return "skipped", f"{what} no longer carries our tag: kept", "delete it by hand if it is not needed"
    if undoer.dry_run:
        return "would-delete", f"would delete {what}", ""
    # not recursive: named queries someone saved in it make Athena refuse, and they are kept
    undoer.call(entry, f"athena.delete_work_group {name!r}",
                lambda: athena.delete_work_group(WorkGroup=name, RecursiveDeleteOption=False))
    return "deleted", f"{what} deleted (its query results stay in the reports bucket)", ""


__all__ = ["database", "partition", "table", "workgroup"]
