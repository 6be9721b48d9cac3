"""Preflight across the pairs of a fleet: what no single pair's plan can see.

S3 replication keeps each object's key (S3 User Guide, "Replicating objects within and across
Regions"), so two rules writing the same keys into one bucket overwrite each other's replicas; a
pair into its own source, or two pairs replicating into each other's source, loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from .fleet_pairs import PairSpec
from .models import Finding, PlanInputs


def _overlap(a: str, b: str) -> bool:
    """Two key prefixes share keys when one starts with the other ("" covers every key)."""
    return a.startswith(b) or b.startswith(a)


def cross_pair_findings(specs: Sequence[PairSpec], inputs: Sequence[PlanInputs]) -> list[Finding]:
    found: list[Finding] = []
    seen: set[str] = set()

    def add(finding: Finding) -> None:
        if finding.message not in seen:
            seen.add(finding.message)
            found.append(finding)

    items = list(zip(specs, inputs, strict=True))
    sources = {i.source.bucket.name: s for s, i in items}
    for n, (spec, item) in enumerate(items):
        src, dst, prefix = item.source.bucket.name, item.destination.bucket.name, item.options.prefix
        if src == dst:
            add(Finding(id="fleet-into-own-source", severity="blocking",
                        message=f"Pair {n + 1} ({spec.label}) replicates {src} into itself",
                        fix="give that pair a different destination bucket, or drop it from the pairs file"))
        back = sources.get(dst)
        if back is not None and back.destination_bucket == src and src != dst:
            add(Finding(id="fleet-replication-loop", severity="blocking",
                        message=f"{src} replicates into {dst} and {dst} back into {src}: the pairs "
                        f"{spec.label} and {back.label} form a loop",
                        fix="keep one direction: drop one of the two pairs"))
        elif back is not None and src != dst:
            add(Finding(id="fleet-chain", severity="warning",
                        message=f"{dst} is the destination of {spec.label} and the source of {back.label}: replicas "
                        f"written into {dst} are replicated on only when that pair picks REPLICA objects",
                        fix=f"replicate {src} straight to {back.destination_bucket} as well, or add REPLICA to that "
                        "pair's existing_statuses"))
        for m in range(n):
            other_spec, other = items[m]
            if other.destination.bucket.name != dst:
                continue
            if other.source.bucket.name == src and other.options.prefix == prefix:
                add(Finding(id="fleet-duplicate-pair", severity="blocking",
                            message=f"Pairs {m + 1} and {n + 1} are the same pair ({spec.label}, prefix {prefix!r})",
                            fix=f"remove one of them (line {spec.line or n + 1} of the pairs file)"))
            elif _overlap(other.options.prefix, prefix):
                add(Finding(id="fleet-destination-overlap", severity="blocking",
                            message=f"Pairs {m + 1} ({other_spec.label}) and {n + 1} ({spec.label}) both replicate "
                            f"keys under {min(prefix, other.options.prefix, key=len)!r} into {dst}: S3 keeps each "
                            "key, so one pair's replicas overwrite the other's",
                            fix="give the pairs prefixes that do not overlap, or different destination buckets"))
    return found
