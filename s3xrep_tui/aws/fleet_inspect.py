"""Inspect every pair of a fleet and plan it (reads only): ``core.fleet`` over ``inspect.gather_inputs``.

One set of clients per profile (their boto3 clients shared by the pairs); the pairs are read side by
side in a small pool (each pair's own reads go in parallel too), bounded so one account is not
throttled. Who each account is and each shared role are read once for the whole fleet (``_Once``),
not once per pair: the calls grow with the pairs only by each pair's own buckets. A fleet split into
more roles than the first pass named reads those too and is planned once more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ..core.estimate import total
from ..core.fleet import FleetPlan, build_fleet, migration_id, shared_role_names
from ..core.fleet_pairs import PairsFile, PairSpec, pair_options
from ..core.models import Account, MigrationOptions, PlanInputs, RoleFacts
from .clients import Clients, clients_for
from .estimate import PriceBooks, estimate_inputs
from .identity import caller_identity
from .inspect import gather_inputs, inspect_role

INSPECT_WORKERS = 4  # pairs read at once (each reads its two buckets and roles side by side)


@dataclass
class FleetClients:
    """Clients per profile name (``None``: the ambient credentials), made once."""

    make: Callable[[str | None], Clients] = clients_for

    def __post_init__(self) -> None:
        self._cache: dict[str | None, Clients] = {}
        self._lock = threading.Lock()  # the pairs' workers ask at once: one session per profile

    def __call__(self, profile: str | None) -> Clients:
        with self._lock:
            if profile not in self._cache:
                self._cache[profile] = self.make(profile)
            return self._cache[profile]

    def for_pair(self, spec: PairSpec) -> dict[str, Clients]:
        return {"source": self(spec.source_profile), "destination": self(spec.destination_profile)}


class _Once:
    """Each key read once however many pairs ask at once: the others wait for its answer (or its error)."""

    def __init__(self) -> None:
        self._answers: dict[Any, Future[Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, key: Any, read: Callable[[], Any]) -> Any:
        with self._lock:
            answer, mine = self._answers.get(key), key not in self._answers
            if answer is None:
                answer = self._answers[key] = Future()
        if mine:
            try:
                answer.set_result(read())
            except Exception as exc:  # every pair that asked gets the same error (each names its side)
                answer.set_exception(exc)
        return answer.result()


class FleetReads:
    """The reads a fleet shares: who each account is, and each role (clients are per profile, so by id)."""

    def __init__(self) -> None:
        self._once = _Once()

    def identity(self, clients: Clients) -> Account:
        return self._once(("identity", id(clients)), lambda: caller_identity(clients))  # type: ignore[no-any-return]

    def role(self, clients: Clients, name: str) -> RoleFacts:
        return self._once(("role", id(clients), name), lambda: inspect_role(clients, name))  # type: ignore[no-any-return]


def fleet_options(pairs: PairsFile, base: MigrationOptions) -> tuple[str, list[tuple[PairSpec, MigrationOptions]]]:
    """The migration id and each pair's options (PairsError naming the line and field when one is invalid)."""
    mid = migration_id(pairs.pairs, pairs.migration)
    out = []
    for spec in pairs.pairs:
        options = pair_options(base, pairs.defaults, spec, mid)
        if not pairs.role_per_pair:
            repl, batch = shared_role_names(mid)
            options = options.model_copy(update={"replication_role_name": repl, "batch_role_name": batch})
        out.append((spec, options))
    return mid, out


def plan_fleet(pairs: PairsFile, base: MigrationOptions, clients: FleetClients | None = None, *,
               estimate: bool = False) -> FleetPlan:
    """Read every pair and plan the fleet; AwsError (naming the side and profile) when AWS cannot be read.

    ``estimate``: also each pair's cost and time (CloudWatch's storage metrics and the Price List API,
    reads only; each region's prices read once) and their total, in ``estimate_hook``.
    """
    clients = clients or FleetClients()
    mid, chosen = fleet_options(pairs, base)
    shared = FleetReads()

    def read(item: tuple[PairSpec, MigrationOptions]) -> PlanInputs:
        spec, options = item
        return gather_inputs(clients(spec.source_profile), clients(spec.destination_profile),
                             spec.source_bucket, spec.destination_bucket, options,
                             identity=shared.identity, role=shared.role)

    inputs = _in_pool(read, chosen)
    profile_of = {i.source_account.id: spec.source_profile for (spec, _), i in zip(chosen, inputs, strict=True)}
    facts: dict[tuple[str, str], RoleFacts] = {}
    for item in inputs:
        for role in (item.replication_role, item.batch_role):
            if role is not None:
                facts[(item.source_account.id, role.name)] = role
    specs = [spec for spec, _ in chosen]
    fleet = build_fleet(mid, list(zip(specs, inputs, strict=True)), facts, role_per_pair=pairs.role_per_pair)
    if fleet.missing_role_facts:  # split into more roles than the first pass read: read them, plan again
        found = _in_pool(lambda key: shared.role(clients(profile_of[key[0]]), key[1]), list(fleet.missing_role_facts))
        facts.update(dict(zip(fleet.missing_role_facts, found, strict=True)))
        fleet = build_fleet(mid, list(zip(specs, inputs, strict=True)), facts, role_per_pair=pairs.role_per_pair)
    if estimate and inputs:
        books = PriceBooks(clients(specs[0].source_profile))
        per_pair = _in_pool(lambda item: estimate_inputs(clients(item[0].source_profile), item[1], books=books),
                            list(zip(specs, inputs, strict=True)))
        fleet = replace(fleet, estimate_hook={"pairs": per_pair, "total": total(per_pair)})
    return fleet


def _in_pool(task: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    if len(items) <= 1:
        return [task(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(INSPECT_WORKERS, len(items)), thread_name_prefix="s3xrep-fleet") as pool:
        return list(pool.map(task, items))


def list_bucket_names(clients: Clients) -> list[str]:
    """Every bucket the identity lists (``--map`` is matched against these); paged by ContinuationToken."""
    s3 = clients("s3")
    names: list[str] = []
    kwargs: dict[str, Any] = {}
    while True:
        answer = s3.list_buckets(**kwargs)
        names += [b["Name"] for b in answer.get("Buckets") or []]
        token = answer.get("ContinuationToken")
        if not token:
            return names
        kwargs["ContinuationToken"] = token
