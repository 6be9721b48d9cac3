"""The pairs of a fleet migration, from a pairs file (TOML or CSV) or a ``--map`` pattern.

Pure: the caller reads the file and lists the buckets; this module parses and checks.
Every problem is a :class:`PairsError` naming the line and field and saying the fix.

TOML::

    migration = "acme-move"            # optional: a name for the migration id
    role_per_pair = false              # optional: one role per source bucket instead of per account

    [defaults]                         # shared options (override the command line's)
    delete_markers = true

    [[pair]]
    source = "legacy:acme-legacy-orders"
    destination = "platform:acme-platform-orders"
    prefix = "2024/"                   # this pair's own options override the shared ones

CSV: a header ``source,destination[,option,...]``; an empty cell takes the shared value.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .errors import S3xrepError
from .models import MigrationOptions

# Options a pairs file may set, per pair or in [defaults], with how a CSV cell is read.
# Role names are not among them: the fleet names its shared roles (core.fleet).
PAIR_OPTIONS: dict[str, str] = {
    "prefix": "str",
    "tags": "tags",
    "delete_markers": "bool",
    "storage_class": "str",
    "rtc": "bool",
    "metrics": "bool",
    "replica_kms_key": "str",
    "rule_id": "str",
    "priority": "int",
    "replicate_existing": "bool",
    "existing_statuses": "list",
    "report_bucket": "str",
    "report_prefix": "str",
    "report_failed_only": "bool",
    "job_priority": "int",
}
_TOP_KEYS = ("migration", "role_per_pair", "defaults", "pair")
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


class PairsError(S3xrepError, ValueError):
    """A pairs file or map that cannot be used: where, what, and the fix, in one line."""


@dataclass(frozen=True)
class PairSpec:
    """One source -> destination pair as the user gave it (profiles by name, ``None``: ambient)."""

    source_profile: str | None
    source_bucket: str
    destination_profile: str | None
    destination_bucket: str
    overrides: dict[str, Any] = field(default_factory=dict)  # this pair's options (MigrationOptions fields)
    line: int | None = None  # where the pair was given, for messages

    @property
    def label(self) -> str:
        return f"{self.source_bucket} -> {self.destination_bucket}"


@dataclass(frozen=True)
class PairsFile:
    pairs: tuple[PairSpec, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    migration: str | None = None
    role_per_pair: bool = False


def endpoint(text: str, where: str) -> tuple[str | None, str]:
    """``PROFILE:BUCKET`` (``:BUCKET`` for the ambient credentials) -> (profile, bucket)."""
    profile, sep, bucket = str(text).strip().rpartition(":")
    if not sep or not bucket:
        raise PairsError(f"{where}: {text!r} is not PROFILE:BUCKET; write it as PROFILE:BUCKET "
                         "(or :BUCKET for the ambient credentials)")
    return (profile or None), bucket


def _known(name: str, where: str) -> None:
    if name not in PAIR_OPTIONS:
        raise PairsError(f"{where}: unknown option {name!r}; a pair takes source, destination and "
                         f"{', '.join(PAIR_OPTIONS)}")


def _typed(name: str, value: Any, where: str) -> Any:
    """A TOML value checked, or a CSV cell read, as option ``name`` expects."""
    kind = PAIR_OPTIONS[name]
    text = value.strip() if isinstance(value, str) else None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise PairsError(f"{where}: {name} = {value!r} is not true or false; write true or false")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and re.fullmatch(r"-?\d+", text):
            return int(text)
        raise PairsError(f"{where}: {name} = {value!r} is not a whole number; write a number such as 10")
    if kind == "list":
        items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
        return tuple(str(i).strip().upper() for i in items if str(i).strip())
    if kind == "tags":
        pairs = value.items() if isinstance(value, dict) else (
            tuple(p.partition("=")[::2] for p in str(value).split(";") if p.strip()))
        tags = tuple((str(k).strip(), str(v)) for k, v in pairs)
        if any(not k for k, _ in tags):
            raise PairsError(f"{where}: tags {value!r} has an empty key; write KEY=VALUE;KEY2=VALUE2 "
                             "(a TOML table in a .toml file)")
        return tags
    if not isinstance(value, str):
        raise PairsError(f"{where}: {name} = {value!r} is not text; quote it")
    return value


def _options(table: dict[str, Any], where: str) -> dict[str, Any]:
    out = {}
    for name, value in table.items():
        _known(name, where)
        out[name] = _typed(name, value, f"{where}, field {name}")
    return out


def _pair_lines(text: str) -> list[int]:
    """The line of each ``[[pair]]`` header, in order (tomllib keeps no positions)."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*pair\s*\]\]", line)]


def parse_toml(text: str, name: str = "pairs file") -> PairsFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PairsError(f"{name}: not valid TOML ({exc}); fix that line, or give a .csv file") from None
    for key in data:
        if key not in _TOP_KEYS:
            raise PairsError(f"{name}: unknown top-level key {key!r}; the file takes {', '.join(_TOP_KEYS)} "
                             "(each pair under [[pair]])")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise PairsError(f"{name}: defaults must be a table ([defaults])")
    shared = _options(defaults, f"{name}, [defaults]")
    tables = data.get("pair") or []
    if not isinstance(tables, list) or not tables:
        raise PairsError(f"{name}: no pairs; add one [[pair]] table per pair with source and destination")
    lines = _pair_lines(text)
    pairs = []
    for index, table in enumerate(tables):
        line = lines[index] if index < len(lines) else None
        where = f"{name} line {line} (pair {index + 1})" if line else f"{name}, pair {index + 1}"
        pairs.append(_pair(dict(table), where, line))
    migration = data.get("migration")
    if migration is not None and not isinstance(migration, str):
        raise PairsError(f"{name}: migration = {migration!r} must be text, a name for the migration")
    per_pair = data.get("role_per_pair", False)
    if not isinstance(per_pair, bool):
        raise PairsError(f"{name}: role_per_pair = {per_pair!r} is not true or false")
    return PairsFile(tuple(pairs), shared, migration, per_pair)


def _pair(table: dict[str, Any], where: str, line: int | None) -> PairSpec:
    ends = {}
    for end in ("source", "destination"):
        value = table.pop(end, None)
        if value in (None, ""):
            raise PairsError(f"{where}: the pair has no {end}; add {end} = \"PROFILE:BUCKET\"")
        ends[end] = endpoint(value, f"{where}, field {end}")
    overrides = _options(table, where)
    (sp, sb), (dp, db) = ends["source"], ends["destination"]
    return PairSpec(sp, sb, dp, db, overrides, line)


def parse_csv(text: str, name: str = "pairs file") -> PairsFile:
    rows = list(csv.reader(io.StringIO(text)))
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)
                and not row[0].lstrip().startswith("#")]
    if not numbered:
        raise PairsError(f"{name}: empty; the first line is the header source,destination[,option,...]")
    header_line, header = numbered[0]
    columns = [c.strip().lower() for c in header]
    if columns[:2] != ["source", "destination"]:
        raise PairsError(f"{name} line {header_line}: the header must start with source,destination "
                         f"(found {','.join(columns[:2])!r})")
    for column in columns[2:]:
        _known(column, f"{name} line {header_line}")
    pairs = []
    for line, row in numbered[1:]:
        where = f"{name} line {line}"
        if len(row) > len(columns):
            raise PairsError(f"{where}: {len(row)} cells but the header names {len(columns)}; quote a value "
                             "that holds a comma")
        cells = {columns[i]: row[i] for i in range(len(row)) if row[i].strip()}
        pairs.append(_pair(cells, where, line))
    if not pairs:
        raise PairsError(f"{name}: no pairs under the header; add one line per pair: PROFILE:BUCKET,PROFILE:BUCKET")
    return PairsFile(tuple(pairs))


def parse_pairs(text: str, name: str) -> PairsFile:
    """A ``.toml`` or ``.csv`` pairs file by its name's suffix (a guess from the content otherwise)."""
    lower = name.lower()
    if lower.endswith(".csv"):
        return parse_csv(text, name)
    if lower.endswith(".toml") or "[[pair]]" in text.replace(" ", ""):
        return parse_toml(text, name)
    return parse_csv(text, name)


# --- --map 'PROFILE:acme-legacy-*=PROFILE:acme-platform-*' ------------------------------------------


@dataclass(frozen=True)
class BucketMap:
    source_profile: str | None
    source_pattern: str
    destination_profile: str | None
    destination_pattern: str

    def destination_for(self, source_bucket: str) -> str | None:
        """The destination the pattern gives ``source_bucket``, or ``None`` when it does not match."""
        parts = [re.escape(p) for p in self.source_pattern.split("*")]
        found = re.fullmatch("(.*)".join(parts), source_bucket)
        if found is None:
            return None
        pieces = self.destination_pattern.split("*")
        out = pieces[0]
        for group, piece in zip(found.groups(), pieces[1:], strict=True):
            out += group + piece
        return out


def parse_map(text: str) -> BucketMap:
    left, sep, right = text.partition("=")
    if not sep or not left.strip() or not right.strip():
        raise PairsError(f"--map {text!r} is not SOURCE=DESTINATION; write e.g. "
                         "'legacy:acme-legacy-*=platform:acme-platform-*'")
    sp, _, spat = left.strip().rpartition(":")
    dp, _, dpat = right.strip().rpartition(":")
    if spat.count("*") != dpat.count("*") or not spat.count("*"):
        raise PairsError(f"--map {text!r}: both sides need the same number of '*' (at least one), each '*' of "
                         "the destination taking what the source's matched")
    return BucketMap(sp or None, spat, dp or None, dpat)


@dataclass(frozen=True)
class MapResult:
    pairs: tuple[PairSpec, ...]
    missing: tuple[tuple[str, str], ...]  # (source, destination the map gives) with no such destination bucket


def expand_map(bucket_map: BucketMap, source_buckets: list[str], destination_buckets: list[str]) -> MapResult:
    """The pairs the map gives over the listed buckets; sources whose destination is not listed are set aside."""
    listed = set(destination_buckets)
    pairs, missing = [], []
    for bucket in sorted(source_buckets):
        target = bucket_map.destination_for(bucket)
        if target is None:
            continue
        if target in listed:
            pairs.append(PairSpec(bucket_map.source_profile, bucket, bucket_map.destination_profile, target))
        else:
            missing.append((bucket, target))
    return MapResult(tuple(pairs), tuple(missing))


def pair_options(base: MigrationOptions, defaults: dict[str, Any], spec: PairSpec, mid: str) -> MigrationOptions:
    """The pair's options: the command line's, then the file's [defaults], then the pair's own."""
    fields = {**base.model_dump(), **defaults, **spec.overrides, "migration_id": mid}
    try:
        return MigrationOptions(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "options"
        where = f"line {spec.line}" if spec.line else f"pair {spec.label}"
        raise PairsError(f"{where} ({spec.label}), field {name}: {first['msg'].removeprefix('Value error, ')}") from None
