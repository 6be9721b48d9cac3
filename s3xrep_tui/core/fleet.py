"""A fleet migration: N pairs planned together, composed of today's single-pair plan.

Each pair keeps its own :class:`Plan` (own id, journal, steps), built by ``core.plan.build_plan``
from facts *folded* over the pairs before it: the source's replication configuration with the
earlier pairs' rules merged in, the destination's bucket policy with their statements, the shared
roles with their inline policies. So one rule per pair lands in each source's configuration and
one bucket policy per destination holds every pair's statements, each merged exactly as a single
plan would merge it.

Documents are shared where AWS allows and least privilege holds: one replication role and one
Batch role per source account (``s3xrep-repl-<migration>``), each pair adding its own inline
policy naming exactly its buckets; IAM caps a role's inline policies at 10,240 characters in all
(IAM User Guide, "IAM and AWS STS quotas"), so a fleet past it is split into more roles, whole
source buckets at a time (a bucket's configuration names one role). One Batch Replication job per
source bucket: the last pair of that bucket starts it, once every rule is in place.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .fleet_checks import cross_pair_findings
from .fleet_pairs import PairSpec
from .models import Finding, MigrationOptions, Plan, PlanInputs, RoleFacts
from .names import fit_role_name, role_arn
from .ownership import MANAGED_TAG, MANAGED_VALUE, PLAN_TAG
from .plan import build_plan, inline_policy_name
from .policy_json import dump_policy

# IAM: "Role policy size cannot exceed 10,240 characters" (inline policies of one role, in total; white space
# not counted). IAM User Guide, "IAM and AWS STS quotas" (docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
ROLE_INLINE_LIMIT = 10_240
_TRUST_CALLS = ("iam.create_role", "iam.update_assume_role_policy")


def migration_id(specs: Sequence[PairSpec], name: str | None = None) -> str:
    """Stable for one set of pairs (order aside), so a re-run resumes the same migration."""
    key = "\n".join(sorted(f"{s.source_bucket}>{s.destination_bucket}>{s.overrides.get('rule_id') or ''}"
                           for s in specs))
    slug = re.sub(r"[^a-z0-9-]+", "-", (name or "fleet").lower()).strip("-")[:24] or "fleet"
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def shared_role_names(mid: str, chunk: int = 0) -> tuple[str, str]:
    """The replication and Batch roles of a migration's source account (chunk 1, 2, ...: the split ones)."""
    suffix = f"{mid}-{chunk + 1}" if chunk else mid
    return fit_role_name("s3xrep-repl-", suffix), fit_role_name("s3xrep-batch-", suffix)


@dataclass(frozen=True)
class PairPlan:
    index: int  # 1-based, as listed
    spec: PairSpec
    options: MigrationOptions
    plan: Plan
    lane: int  # pairs of one lane touch the same buckets: apply runs them one after another

    @property
    def label(self) -> str:
        return self.spec.label


@dataclass(frozen=True)
class RoleUse:
    """One role the fleet writes: whose account, which pairs add a policy, and its inline size."""

    name: str
    account: str
    kind: str  # "replication" or "batch"
    pairs: tuple[int, ...]
    characters: int
    creator: int | None  # the pair whose plan creates it (None: it exists already)


@dataclass(frozen=True)
class FleetPlan:
    id: str
    pairs: tuple[PairPlan, ...]
    findings: tuple[Finding, ...]  # across pairs; each pair's own are in its plan
    roles: tuple[RoleUse, ...] = ()
    missing_role_facts: tuple[tuple[str, str], ...] = ()  # (account, role) the caller should inspect
    estimate_hook: dict[str, Any] = field(default_factory=dict)  # {"pairs": [Estimate], "total": Estimate} when asked

    @property
    def blocked(self) -> bool:
        return any(f.severity == "blocking" for f in self.findings) or any(p.plan.blocked for p in self.pairs)

    def lanes(self) -> list[list[PairPlan]]:
        grouped: dict[int, list[PairPlan]] = {}
        for pair in self.pairs:
            grouped.setdefault(pair.lane, []).append(pair)
        return list(grouped.values())

    def pair(self, plan_id: str) -> PairPlan | None:
        return next((p for p in self.pairs if p.plan.id == plan_id), None)


def _lanes(pairs: Sequence[PlanInputs]) -> list[int]:
    """Union-find over buckets: pairs sharing any bucket (as source or destination) share a lane."""
    parent = list(range(len(pairs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[str, int] = {}
    for i, inputs in enumerate(pairs):
        for bucket in (inputs.source.bucket.name, inputs.destination.bucket.name):
            if bucket in seen:
                parent[root(i)] = root(seen[bucket])
            else:
                seen[bucket] = i
    roots = [root(i) for i in range(len(pairs))]
    numbering = {r: n for n, r in enumerate(dict.fromkeys(roots), start=1)}
    return [numbering[r] for r in roots]


def _size(document: Any) -> int:
    """IAM counts a policy's characters without white space; ours is compact JSON already."""
    return len(dump_policy(document)) if document else 0


def _assign_chunks(
    inputs: Sequence[PlanInputs], sizes: Sequence[tuple[int, int]], findings: list[Finding], labels: Sequence[str],
) -> list[int]:
    """Chunk per pair: a source account's buckets packed into roles under IAM's inline limit."""
    chunk_of = [0] * len(inputs)
    by_account: dict[str, dict[str, list[int]]] = {}
    for i, item in enumerate(inputs):
        by_account.setdefault(item.source_account.id, {}).setdefault(item.source.bucket.name, []).append(i)
    for account, buckets in by_account.items():
        chunk, repl, batch = 0, 0, 0
        for bucket, members in buckets.items():
            need_repl = sum(sizes[i][0] for i in members)
            need_batch = sum(sizes[i][1] for i in members)
            if max(need_repl, need_batch) > ROLE_INLINE_LIMIT:
                findings.append(Finding(
                    id="fleet-role-policy-too-large", severity="blocking",
                    message=f"The pairs of source bucket {bucket} ({', '.join(labels[i] for i in members)}) need "
                    f"{max(need_repl, need_batch)} characters of inline policy on one role; IAM allows "
                    f"{ROLE_INLINE_LIMIT} for a role's inline policies in total, and a bucket replicates with one role",
                    fix="split that bucket's pairs into separate migrations, or narrow their options (fewer KMS keys)",
                ))
            if (repl + need_repl > ROLE_INLINE_LIMIT or batch + need_batch > ROLE_INLINE_LIMIT) and (repl or batch):
                chunk, repl, batch = chunk + 1, 0, 0
            repl, batch = repl + need_repl, batch + need_batch
            for i in members:
                chunk_of[i] = chunk
        del account
    return chunk_of


def _with_roles(inputs: PlanInputs, repl: str, batch: str, facts: Mapping[tuple[str, str], RoleFacts],
                missing: list[tuple[str, str]]) -> PlanInputs:
    account = inputs.source_account.id
    options = inputs.options.model_copy(update={"replication_role_name": repl, "batch_role_name": batch})

    def role(name: str) -> RoleFacts:
        found = facts.get((account, name))
        if found is None:
            if (account, name) not in missing:
                missing.append((account, name))
            return RoleFacts(name=name)
        return found

    return inputs.model_copy(update={"options": options, "replication_role": role(repl),
                                     "batch_role": role(batch) if options.replicate_existing and not options.single_role
                                     else None})


class _Fold:
    """What the pairs planned so far will have written: the next pair is planned on top of it."""

    def __init__(self) -> None:
        self.replication: dict[str, dict[str, Any]] = {}  # source bucket -> configuration
        self.policy: dict[str, str] = {}  # destination bucket -> policy text
        self.roles: dict[tuple[str, str], RoleFacts] = {}

    def inputs(self, inputs: PlanInputs) -> PlanInputs:
        update: dict[str, Any] = {}
        src, dst = inputs.source, inputs.destination
        if src.bucket.name in self.replication:
            update["source"] = src.model_copy(update={"replication": self.replication[src.bucket.name]})
        if dst.bucket.name in self.policy:
            update["destination"] = dst.model_copy(update={"policy": self.policy[dst.bucket.name]})
        for field_name in ("replication_role", "batch_role"):
            facts = getattr(inputs, field_name)
            if facts is not None and (inputs.source_account.id, facts.name) in self.roles:
                update[field_name] = self.roles[(inputs.source_account.id, facts.name)]
        return inputs.model_copy(update=update) if update else inputs

    def add(self, inputs: PlanInputs, plan: Plan, *, keep_job: bool) -> None:
        docs = plan.documents
        if docs.get("replication_configuration"):
            self.replication[inputs.source.bucket.name] = docs["replication_configuration"]
        if docs.get("destination_bucket_policy"):
            self.policy[inputs.destination.bucket.name] = dump_policy(docs["destination_bucket_policy"])
        account = inputs.source_account.id
        for field_name, kind, trust in (("replication_role", "replication", "replication_role_trust_policy"),
                                        ("batch_role", "batch", "batch_role_trust_policy")):
            facts = getattr(inputs, field_name)
            policy = docs.get(f"{field_name}_policy")
            if kind == "batch" and not keep_job:  # this pair's Batch steps are dropped (another starts the job)
                continue
            if facts is None or policy is None or not any(s.call == "iam.put_role_policy" and
                                                          s.request["RoleName"] == facts.name for s in plan.steps):
                continue
            inline = dict(facts.inline_policies)
            inline[inline_policy_name(inputs, kind)] = policy
            self.roles[(account, facts.name)] = facts.model_copy(update={
                "exists": True, "arn": facts.arn or role_arn(account, facts.name, inputs.partition),
                "trust_policy": facts.trust_policy if facts.exists else docs.get(trust),
                "inline_policies": inline,
                "tags": facts.tags if facts.exists else {MANAGED_TAG: MANAGED_VALUE, PLAN_TAG: plan.id},
            })


def _job_owner(inputs: Sequence[PlanInputs]) -> list[bool]:
    """Which pair starts its source bucket's one Batch job: the last of the pairs that share its scope."""
    keep = [True] * len(inputs)
    last: dict[tuple[str, str, tuple[str, ...]], int] = {}
    for i, item in enumerate(inputs):
        o = item.options
        if not o.replicate_existing:
            continue
        key = (item.source.bucket.name, o.prefix, o.existing_statuses)
        if key in last:
            keep[last[key]] = False
        last[key] = i
    return keep


def _trim(plan: Plan, *, keep_job: bool, batch_role: str | None, creators: set[str]) -> Plan:
    """Drop the steps another pair takes: a shared role's creation, a job another pair starts."""
    steps = []
    for step in plan.steps:
        role = step.request.get("RoleName")
        if step.call in _TRUST_CALLS and role not in creators:
            continue
        if not keep_job and (step.call == "s3control.create_job" or (role == batch_role and role is not None)):
            continue
        steps.append(step)
    documents = plan.documents
    if not keep_job:
        documents = {**documents, "batch_job": None}
    return plan.model_copy(update={"steps": tuple(steps), "documents": documents})


def build_fleet(
    mid: str,
    pairs: Sequence[tuple[PairSpec, PlanInputs]],
    role_facts: Mapping[tuple[str, str], RoleFacts] | None = None,
    *,
    role_per_pair: bool = False,
) -> FleetPlan:
    """Plan every pair; ``role_facts`` (account, name) -> the shared roles as inspected."""
    facts = role_facts or {}
    specs = [s for s, _ in pairs]
    inputs = [i for _, i in pairs]
    labels = [s.label for s in specs]
    findings: list[Finding] = list(cross_pair_findings(specs, inputs))
    missing: list[tuple[str, str]] = []
    if not role_per_pair:
        drafts = [build_plan(i) for i in inputs]  # role policies do not depend on the role's name
        sizes = [(_size(d.documents.get("replication_role_policy")), _size(d.documents.get("batch_role_policy")))
                 for d in drafts]
        chunks = _assign_chunks(inputs, sizes, findings, labels)
        inputs = [_with_roles(i, *shared_role_names(mid, c), facts, missing) for i, c in zip(inputs, chunks, strict=True)]
    keep_job = _job_owner(inputs)
    fold = _Fold()
    planned: list[tuple[PlanInputs, Plan]] = []
    for item, keep in zip(inputs, keep_job, strict=True):
        folded = fold.inputs(item)
        plan = build_plan(folded)
        fold.add(folded, plan, keep_job=keep)
        planned.append((folded, plan))
    roles = _role_uses(planned, keep_job)
    creators = {r.name for r in roles if r.creator is not None}
    lanes = _lanes(inputs)
    out = []
    for n, ((item, plan), spec) in enumerate(zip(planned, specs, strict=True)):
        batch = _batch_role(item)
        trimmed = _trim(plan, keep_job=keep_job[n], batch_role=batch,
                        creators={c for c in creators if _creator_of(roles, c) == n + 1})
        out.append(PairPlan(n + 1, spec, item.options, trimmed, lanes[n]))
    return FleetPlan(mid, tuple(out), tuple(findings), tuple(roles), tuple(missing))


def _batch_role(item: PlanInputs) -> str | None:
    """The pair's own Batch role (None when one role does both, or there is no backfill)."""
    o = item.options
    return o.batch_role_for(item.source.bucket.name) if o.replicate_existing and not o.single_role else None


def _creator_of(roles: Sequence[RoleUse], name: str) -> int | None:
    return next((r.creator for r in roles if r.name == name), None)


def _role_uses(planned: Sequence[tuple[PlanInputs, Plan]], keep_job: Sequence[bool]) -> list[RoleUse]:
    uses: dict[tuple[str, str], dict[str, Any]] = {}
    for n, (item, plan) in enumerate(planned, start=1):
        for step in plan.steps:
            if step.call != "iam.put_role_policy":
                continue
            name = step.request["RoleName"]
            is_batch = name == _batch_role(item)
            if is_batch and not keep_job[n - 1]:
                continue
            use = uses.setdefault((item.source_account.id, name), {
                "kind": "batch" if is_batch else "replication", "pairs": [], "characters": 0, "creator": None})
            use["pairs"].append(n)
            use["characters"] += len(step.request["PolicyDocument"])
        for step in plan.steps:
            if step.call in _TRUST_CALLS and step.action == "create":
                made = uses.get((item.source_account.id, step.request["RoleName"]))
                if made is not None and made["creator"] is None:
                    made["creator"] = n
    return [RoleUse(name, account, u["kind"], tuple(u["pairs"]), u["characters"], u["creator"])
            for (account, name), u in uses.items()]
