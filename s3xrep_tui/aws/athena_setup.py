"""The Athena engine's plumbing, made by apply's executor: journaled, refused read-only, undoable.

The steps come from ``core.athena_plan.athena_steps`` (the Glue database, the
two inventory tables, the compared reports' partitions, the workgroup, all in
the source account). Each step reads first and does nothing when what it
would make is there and ours; a database or workgroup of that name that is not
ours (no ``s3xrep:managed-by`` tag) is never touched: the step fails naming it.
A table of ours pointing elsewhere (the inventory moved) is not rewritten
either: undo, then verify again. ``s3xrep undo PLAN`` removes what was made
(:mod:`.undo_athena`), and so does ``s3xrep finish``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..core.athena_plan import reports_family
from ..core.merge import merge_bucket_policy
from ..core.models import Account, Bucket, MigrationOptions, Plan, Step
from ..core.ownership import MANAGED_TAG, MANAGED_VALUE
from ..core.policy_json import dump_policy, load_policy
from .apply_executor import ExecutorBase
from .apply_result import ApplyEvent, ApplyResult, Outcome
from .backoff import ABSENT, Backoff
from .clients import Clients
from .errors import AwsError
from .journal import Journal


def _not_ours(what: str, name: str) -> AwsError:
    return AwsError(f"the {what} {name} exists and is not ours (no {MANAGED_TAG}={MANAGED_VALUE} tag): not touched",
                    f"remove or rename that {what}, or verify with --engine duckdb", "NotOurs")


class AthenaSetup(ExecutorBase):
    """Runs the Athena steps with apply's journal, backoff, read-only refusal and account check."""

    def handlers(self) -> dict[str, Callable[[Step], Outcome]]:
        return {"s3.put_bucket_policy": self.reports_policy, "glue.create_database": self.database, "glue.create_table": self.table,
                "glue.create_partition": self.partition, "athena.create_work_group": self.workgroup}

    def reports_policy(self, step: Step) -> Outcome:
        """Our read grant merged by Sid into the destination's reports bucket policy (others' statements kept)."""
        side = self.side("destination")
        bucket, owner = step.request["Bucket"], step.request["ExpectedBucketOwner"]
        s3 = side.clients("s3", self.region_of("destination"))
        ours = (load_policy(step.request["Policy"]) or {}).get("Statement") or []
        answer = self.call(side, f"s3.get_bucket_policy on bucket {bucket!r}",
                           lambda: s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=owner),
                           absent=("NoSuchBucketPolicy",))
        current_text = None if answer is ABSENT else answer.get("Policy")
        current = load_policy(current_text) if current_text is not None else None
        family = reports_family(self.plan.source_account.id, self.plan.source.name, self.plan.destination.name)
        merged = merge_bucket_policy(current_text, ours, family=family, bucket=bucket, proven=self.proven())
        if current == merged.policy:
            return Outcome("no-op", f"the bucket policy of {bucket} already lets the source account read")
        self.write(side, step, call=step.call, target=f"bucket {bucket}", region=self.region_of("destination"),
                   before=current, after=merged.policy,
                   send=lambda: s3.put_bucket_policy(Bucket=bucket, Policy=dump_policy(merged.policy),
                                                     ExpectedBucketOwner=owner))
        return Outcome("done", f"the bucket policy of {bucket} lets the source account read the inventory "
                       f"({merged.foreign} other statement(s) kept)")

    def _glue(self) -> Any:
        return self.side("source").clients("glue", self.region_of("source"))

    def database(self, step: Step) -> Outcome:
        side, glue = self.side("source"), self._glue()
        name = step.request["DatabaseInput"]["Name"]
        found = self.call(side, f"glue.get_database {name!r}", lambda: glue.get_database(Name=name),
                          absent=("EntityNotFoundException",))
        if found is not ABSENT:
            arn = f"arn:{self.plan.source_account.partition}:glue:{self.region_of('source') or 'us-east-1'}:" \
                  f"{side.account_id}:database/{name}"
            tags = self.call(side, f"glue.get_tags {name!r}", lambda: glue.get_tags(ResourceArn=arn)).get("Tags") or {}
            if tags.get(MANAGED_TAG) != MANAGED_VALUE:
                raise _not_ours("Glue database", name)
            return Outcome("no-op", f"the Glue database {name} is there (ours)")
        self.write(side, step, call=step.call, target=f"glue database {name}", region=self.region_of("source"),
                   before=None, after=step.request, send=lambda: glue.create_database(**step.request))
        return Outcome("done", f"created the Glue database {name}")

    def table(self, step: Step) -> Outcome:
        side, glue = self.side("source"), self._glue()
        database, name = step.request["DatabaseName"], step.request["TableInput"]["Name"]
        location = step.request["TableInput"]["StorageDescriptor"]["Location"]
        found = self.call(side, f"glue.get_table {database}.{name}",
                          lambda: glue.get_table(DatabaseName=database, Name=name), absent=("EntityNotFoundException",))
        if found is not ABSENT:
            table = found.get("Table") or {}
            if (table.get("StorageDescriptor") or {}).get("Location") != location:
                raise AwsError(f"the table {database}.{name} reads {table.get('StorageDescriptor', {}).get('Location')}"
                               f", not {location}: not rewritten",
                               "run s3xrep undo for this plan (it drops our tables), then verify again", "TableMoved")
            return Outcome("no-op", f"the table {database}.{name} is there")
        self.write(side, step, call=step.call, target=f"glue table {database}.{name}", region=self.region_of("source"),
                   before=None, after=step.request, send=lambda: glue.create_table(**step.request))
        return Outcome("done", f"created the table {database}.{name} over {location}")

    def partition(self, step: Step) -> Outcome:
        side, glue = self.side("source"), self._glue()
        database, name = step.request["DatabaseName"], step.request["TableName"]
        values = step.request["PartitionInput"]["Values"]
        found = self.call(side, f"glue.get_partition {database}.{name} {values}",
                          lambda: glue.get_partition(DatabaseName=database, TableName=name, PartitionValues=values),
                          absent=("EntityNotFoundException",))
        if found is not ABSENT:
            return Outcome("no-op", f"the partition dt={values[0]} of {database}.{name} is there")
        self.write(side, step, call=step.call, target=f"glue partition {database}.{name} dt={values[0]}",
                   region=self.region_of("source"), before=None, after=step.request,
                   send=lambda: glue.create_partition(**step.request))
        return Outcome("done", f"registered dt={values[0]} in {database}.{name}")

    def workgroup(self, step: Step) -> Outcome:
        side = self.side("source")
        athena = side.clients("athena", self.region_of("source"))
        name = step.request["Name"]
        found = self.call(side, f"athena.get_work_group {name!r}", lambda: athena.get_work_group(WorkGroup=name),
                          absent=("InvalidRequestException",))
        if found is not ABSENT and (found.get("WorkGroup") or {}).get("Name") == name:
            arn = f"arn:{self.plan.source_account.partition}:athena:{self.region_of('source') or 'us-east-1'}:" \
                  f"{side.account_id}:workgroup/{name}"
            tags = self.call(side, f"athena.list_tags_for_resource {name!r}",
                             lambda: athena.list_tags_for_resource(ResourceARN=arn)).get("Tags") or []
            if {t.get("Key"): t.get("Value") for t in tags}.get(MANAGED_TAG) != MANAGED_VALUE:
                raise _not_ours("Athena workgroup", name)
            return Outcome("no-op", f"the workgroup {name} is there (ours)")
        self.write(side, step, call=step.call, target=f"athena workgroup {name}", region=self.region_of("source"),
                   before=None, after=step.request, send=lambda: athena.create_work_group(**step.request))
        return Outcome("done", f"created the workgroup {name}")


def pair_plan(plan_id: str, source_account: str, source_bucket: str, source_region: str | None,
              destination_account: str, destination_bucket: str, destination_region: str | None,
              steps: tuple[Step, ...]) -> Plan:
    """A plan holding only the Athena steps, for the executor (the journal is the migration's own)."""
    return Plan(id=plan_id, source_account=Account(id=source_account), destination_account=Account(id=destination_account),
                source=Bucket(name=source_bucket, region=source_region),
                destination=Bucket(name=destination_bucket, region=destination_region),
                findings=(), documents={}, steps=steps)


def set_up(plan: Plan, clients: Mapping[str, Clients], *, read_only: bool = False,
           progress: Callable[[ApplyEvent], None] | None = None, backoff: Backoff | None = None) -> ApplyResult:
    """Run the plan's Athena steps; the result says what each did (never raises for AWS failures)."""
    journal = Journal(plan.id)
    executor = AthenaSetup(plan, clients, progress=progress, read_only=read_only, cancel=None,
                           journal=journal, backoff=backoff or Backoff(), readback_timeout=30.0,
                           options=MigrationOptions())
    result = ApplyResult(plan_id=plan.id, journal_path=journal.path, read_only=read_only)
    executor.run(result)
    return result


__all__ = ["AthenaSetup", "pair_plan", "set_up"]
