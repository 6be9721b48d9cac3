"""The record of a fleet migration: which pairs (plan ids, buckets, profiles) a migration id ties together.

``storage.data_dir()/fleet/<migration id>.json``, 0600 in a 0700 directory, written when the fleet is
applied (before its first write), so ``undo --migration``, ``jobs --migration``, ``verify --migration``
and the fleet board find every pair. Each pair's own journal stays where apply keeps it
(:mod:`.journal`): the record holds names only, never a secret.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import storage
from .journal import check_plan_id

FLEET_DIR = "fleet"


@dataclass(frozen=True)
class FleetPair:
    index: int
    plan_id: str
    source_profile: str | None
    source_bucket: str
    destination_profile: str | None
    destination_bucket: str
    lane: int
    creates_roles: tuple[str, ...] = ()  # shared roles this pair's plan creates: undone after the others

    @property
    def label(self) -> str:
        return f"{self.source_bucket} -> {self.destination_bucket}"


@dataclass(frozen=True)
class FleetRecord:
    id: str
    created: str
    pairs: tuple[FleetPair, ...]

    def pair(self, key: str) -> FleetPair | None:
        """A pair by plan id, index (``3``) or source bucket."""
        return next((p for p in self.pairs if key in (p.plan_id, str(p.index), p.source_bucket)), None)


def fleet_path(mid: str) -> Path:
    return storage.data_dir() / FLEET_DIR / f"{check_plan_id(mid)}.json"


def record_of(fleet: Any) -> FleetRecord:
    """The record of a ``core.fleet.FleetPlan``."""
    creators: dict[int, list[str]] = {}
    for role in fleet.roles:
        if role.creator is not None:
            creators.setdefault(role.creator, []).append(role.name)
    pairs = tuple(
        FleetPair(p.index, p.plan.id, p.spec.source_profile, p.spec.source_bucket, p.spec.destination_profile,
                  p.spec.destination_bucket, p.lane, tuple(creators.get(p.index, ())))
        for p in fleet.pairs
    )
    return FleetRecord(fleet.id, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), pairs)


def save(record: FleetRecord) -> Path:
    """Write the record; a re-run keeps the first ``created`` and the union of the roles each pair created."""
    path = fleet_path(record.id)
    try:
        old = load(record.id)
    except (FileNotFoundError, ValueError):
        old = None
    if old is not None:
        made = {p.plan_id: p.creates_roles for p in old.pairs}
        pairs = tuple(FleetPair(**{**asdict(p), "creates_roles": tuple(dict.fromkeys(made.get(p.plan_id, ())
                                                                                     + p.creates_roles))})
                      for p in record.pairs)
        record = FleetRecord(record.id, old.created, pairs)
    storage.private_dir(path.parent)
    storage.write_private(path, json.dumps(asdict(record), indent=2) + "\n")
    return path


def load(mid: str) -> FleetRecord:
    """The record of migration ``mid``; FileNotFoundError when there is none, ValueError when it does not read."""
    path = fleet_path(mid)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pairs = tuple(FleetPair(**{**p, "creates_roles": tuple(p.get("creates_roles") or ())})
                      for p in data["pairs"])
        return FleetRecord(str(data["id"]), str(data.get("created", "")), pairs)
    except FileNotFoundError:
        raise FileNotFoundError(f"no fleet migration {mid} on this machine (looked for {path}); "
                                "`s3xrep apply --pairs FILE` prints the migration id") from None
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the record of migration {mid} at {path} does not read ({exc})") from None


def list_fleets() -> list[FleetRecord]:
    directory = storage.data_dir() / FLEET_DIR
    try:
        names = sorted(p.stem for p in directory.iterdir() if p.suffix == ".json")
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = []
    for name in names:
        try:
            out.append(load(name))
        except (OSError, ValueError):
            continue
    return out
