"""Verification: a streamed merge-join of two version listings.

What replicates: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html;
when ETags may differ: https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html.

Both inputs are iterables of :class:`VersionRecord` in the order S3's
``ListObjectVersions`` returns them: keys ascending in UTF-8 binary order (the
order every S3 list call guarantees), every version of a key together. The
order of versions *within* a key is not relied on: the join groups each side
per key and matches by version id inside the key group. So memory holds one
key group per side, whatever the object count, and any producer that yields
records in key order (one paginator, or partitions listed concurrently and
concatenated in key order) gives the same results.

Python compares ``str`` by code point, which is exactly UTF-8 byte order (UTF-8
preserves code-point order), so keys are compared as ``str``; that differs from
case-insensitive, locale or UTF-16 orders, which S3 does not use.

Pure: no boto3, no I/O. Whatever needs a call (an object's tags for a tag
filter, an object's encryption to explain an ETag difference) comes in as a
callable the caller supplies, and is only called for the few versions that
need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from .errors import S3xrepError

Side = Literal["source", "destination"]

#: Storage classes S3 replication skips (https://docs.aws.amazon.com/AmazonS3/latest/userguide/sc-howtoset.html).
NOT_REPLICATED_STORAGE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: Server-side encryption whose ETag is not an MD5 of the data
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})
SSE_C = "SSE-C"


class ListingOrderError(S3xrepError, ValueError):
    """A listing was not in key order (or repeated a version): the join would be wrong, so it stops."""


class Outcome(str, Enum):
    """How one (key, version id) compares. ``value`` is the stable name used in JSON and on screen."""

    REPLICATED = "replicated"
    DELETE_MARKER_REPLICATED = "delete-marker-replicated"
    # differences that matter: the destination does not hold what the rule promises
    MISSING = "missing"
    SIZE_MISMATCH = "size-mismatch"
    ETAG_MISMATCH = "etag-mismatch"
    KIND_MISMATCH = "kind-mismatch"  # a delete marker on one side, an object on the other, same version id
    DELETE_MARKER_MISSING = "delete-marker-missing"  # the rule replicates delete markers, this one is not there
    # differences that are expected (reported, not failures)
    DELETE_MARKER_NOT_REPLICATED = "delete-marker-not-replicated"
    EXTRA = "extra"
    OUT_OF_SCOPE = "out-of-scope"
    NOT_ELIGIBLE = "not-eligible"

    def __str__(self) -> str:
        return self.value

    @property
    def agrees(self) -> bool:
        return self in _AGREES

    @property
    def matters(self) -> bool:
        return self in _MATTERS


_AGREES = frozenset({Outcome.REPLICATED, Outcome.DELETE_MARKER_REPLICATED})
_MATTERS = frozenset(
    {Outcome.MISSING, Outcome.SIZE_MISMATCH, Outcome.ETAG_MISMATCH, Outcome.KIND_MISMATCH, Outcome.DELETE_MARKER_MISSING}
)


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One entry of ``ListObjectVersions`` (a version or a delete marker).

    ``encryption`` is not in listings: ``None`` means unknown; when a caller
    knows it (``AES256``, ``aws:kms``, ``aws:kms:dsse``, ``SSE-C``) it is used
    to explain ETag differences.
    """

    key: str
    version_id: str
    is_latest: bool = False
    size: int = 0
    etag: str | None = None
    storage_class: str | None = None
    last_modified: datetime | None = None
    is_delete_marker: bool = False
    encryption: str | None = None

    @classmethod
    def from_listing(cls, entry: Mapping[str, Any], *, delete_marker: bool = False) -> VersionRecord:
        """From one element of a page's ``Versions`` (or ``DeleteMarkers`` with ``delete_marker=True``)."""
        etag = entry.get("ETag")
        return cls(
            key=entry["Key"],
            version_id=str(entry.get("VersionId") or "null"),
            is_latest=bool(entry.get("IsLatest", False)),
            size=0 if delete_marker else int(entry.get("Size") or 0),
            etag=None if delete_marker or etag is None else str(etag).strip('"'),
            storage_class=None if delete_marker else entry.get("StorageClass"),
            last_modified=entry.get("LastModified"),
            is_delete_marker=delete_marker,
        )

    @property
    def multipart(self) -> bool:
        """A multipart ETag (``"<md5 of part md5s>-<parts>"``)."""
        return bool(self.etag) and "-" in str(self.etag)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "version_id": self.version_id, "is_latest": self.is_latest}
        if self.is_delete_marker:
            data["delete_marker"] = True
        else:
            data.update(size=self.size, etag=self.etag, storage_class=self.storage_class)
        if self.last_modified is not None:
            data["last_modified"] = self.last_modified.isoformat()
        if self.encryption is not None:
            data["encryption"] = self.encryption
        return data


# -- what the rule promises -------------------------------------------------------------------------


def _everything(_: VersionRecord) -> bool:
    return True


@dataclass(frozen=True)
class Expectations:
    """What the source's replication rule(s) promise for the destination, and the ETag facts.

    ``in_scope(record)``: the rule covers this source version (prefix/tags filter).
    ``delete_markers(record)``: the rule that covers this delete marker replicates
    delete markers. ``source_kms`` / ``destination_kms``: the bucket's default
    encryption is SSE-KMS or DSSE-KMS (ETags then legitimately differ).
    ``encryption_of(record, side)``: looks an object's encryption up (a HEAD);
    only called when ETags differ and nothing else explains it.
    ``storage_class_override``: the rule sets the replicas' storage class
    (kept for display; storage classes are not compared).
    """

    in_scope: Callable[[VersionRecord], bool] = _everything
    delete_markers: Callable[[VersionRecord], bool] | bool = False
    source_kms: bool = False
    destination_kms: bool = False
    encryption_of: Callable[[VersionRecord, Side], str | None] | None = None
    storage_class_override: str | None = None
    notes: tuple[str, ...] = ()  # what the caller wants the user to know about these expectations

    def replicates_delete_marker(self, record: VersionRecord) -> bool:
        if callable(self.delete_markers):
            return bool(self.delete_markers(record))
        return bool(self.delete_markers)


def _rule_prefix_and_tags(rule: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    if "Filter" not in rule:  # V1 schema
        return str(rule.get("Prefix") or ""), {}
    flt = rule.get("Filter") or {}
    if "And" in flt:
        conj = flt.get("And") or {}
        return str(conj.get("Prefix") or ""), {str(t.get("Key")): str(t.get("Value")) for t in conj.get("Tags") or []}
    if "Tag" in flt:
        tag = flt.get("Tag") or {}
        return "", {str(tag.get("Key")): str(tag.get("Value"))}
    return str(flt.get("Prefix") or ""), {}


def rule_bucket(rule: Mapping[str, Any]) -> str | None:
    destination = rule.get("Destination")
    arn = destination.get("Bucket") if isinstance(destination, Mapping) else None
    if not isinstance(arn, str):
        return None
    return arn.split(":::", 1)[1] if ":::" in arn else arn


def rules_to(configuration: Mapping[str, Any] | None, destination_bucket: str) -> list[dict[str, Any]]:
    """The enabled rules of a ReplicationConfiguration that replicate to ``destination_bucket``."""
    rules = (configuration or {}).get("Rules") or []
    return [
        dict(rule)
        for rule in rules
        if isinstance(rule, Mapping) and rule.get("Status") == "Enabled" and rule_bucket(rule) == destination_bucket
    ]


def rule_prefix(rule: Mapping[str, Any]) -> str:
    return _rule_prefix_and_tags(rule)[0]


def rule_tags(rule: Mapping[str, Any]) -> dict[str, str]:
    return _rule_prefix_and_tags(rule)[1]


class RuleScope:
    """Which rule covers a version: the enabled rules to one destination, highest priority first.

    ``tags_of(record)`` returns a source version's tags; it is only called for
    rules that filter on tags, and only when the prefix already matches.
    Delete markers carry no tags, so tag-filtered rules never cover them (S3
    does not replicate delete markers with tag-based rules).
    """

    def __init__(self, rules: Iterable[Mapping[str, Any]], *, tags_of: Callable[[VersionRecord], Mapping[str, str]] | None = None) -> None:
        ordered = sorted(rules, key=lambda r: -int(r.get("Priority") or 0))
        self.rules = [(rule, *_rule_prefix_and_tags(rule)) for rule in ordered]
        self._tags_of = tags_of

    def rule_for(self, record: VersionRecord) -> Mapping[str, Any] | None:
        tags: Mapping[str, str] | None = None
        for rule, prefix, wanted in self.rules:
            if not record.key.startswith(prefix):
                continue
            if wanted:
                if record.is_delete_marker:
                    continue
                if tags is None:
                    tags = self._tags_of(record) if self._tags_of is not None else {}
                if any(tags.get(k) != v for k, v in wanted.items()):
                    continue
            return rule
        return None

    def covers(self, record: VersionRecord) -> bool:
        return self.rule_for(record) is not None

    def replicates_delete_marker(self, record: VersionRecord) -> bool:
        rule = self.rule_for(record)
        if rule is None:
            return False
        if "Filter" not in rule:  # V1 rules replicate (user) delete markers
            return True
        return (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"


def expectations_for(
    configuration: Mapping[str, Any] | None,
    destination_bucket: str,
    *,
    source_encryption: str | None = None,
    destination_encryption: str | None = None,
    tags_of: Callable[[VersionRecord], Mapping[str, str]] | None = None,
    encryption_of: Callable[[VersionRecord, Side], str | None] | None = None,
) -> Expectations:
    """Expectations from the source's ReplicationConfiguration and both buckets' default encryption.

    ``source_encryption`` / ``destination_encryption`` are the buckets' default
    ``SSEAlgorithm`` (``None``: none / unknown).
    """
    rules = rules_to(configuration, destination_bucket)
    scope = RuleScope(rules, tags_of=tags_of)
    notes: list[str] = []
    if not rules:
        notes.append(
            f"the source has no enabled replication rule to {destination_bucket}: every version that is not there "
            "counts as out of the rule's scope"
        )
    overrides = {str((r.get("Destination") or {}).get("StorageClass")) for r in rules if (r.get("Destination") or {}).get("StorageClass")}
    return Expectations(
        in_scope=scope.covers,
        delete_markers=scope.replicates_delete_marker,
        source_kms=source_encryption in KMS_ALGORITHMS,
        destination_kms=destination_encryption in KMS_ALGORITHMS,
        encryption_of=encryption_of,
        storage_class_override=next(iter(overrides)) if len(overrides) == 1 else None,
        notes=tuple(notes),
    )


# -- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    """One (key, version id) and how it compares, with the reason in words."""

    outcome: Outcome
    key: str
    version_id: str
    source: VersionRecord | None = None
    destination: VersionRecord | None = None
    reason: str = ""

    @property
    def matters(self) -> bool:
        return self.outcome.matters

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"outcome": self.outcome.value, "key": self.key, "version_id": self.version_id,
                                "matters": self.matters, "reason": self.reason}
        if self.source is not None:
            data["source"] = self.source.as_dict()
        if self.destination is not None:
            data["destination"] = self.destination.as_dict()
        return data


def _kind(record: VersionRecord) -> str:
    return "delete marker" if record.is_delete_marker else "object"


def _etag_difference_explained(source: VersionRecord, destination: VersionRecord, facts: Expectations) -> str | None:
    """Why different ETags are legitimate here (see KMS_ALGORITHMS), or None when they are not."""
    if source.multipart or destination.multipart:
        return "ETags differ: multipart ETags depend on the part layout, not the data"
    source_enc, destination_enc = source.encryption, destination.encryption
    for enc, side in ((source_enc, "source"), (destination_enc, "replica")):
        if enc in KMS_ALGORITHMS:
            return f"ETags differ: the {side} is {enc}-encrypted (its ETag is not an MD5 of the data)"
        if enc == SSE_C:
            return f"ETags differ: the {side} is SSE-C-encrypted (its ETag is not an MD5 of the data)"
    if facts.source_kms and source_enc is None:
        return "ETags differ: the source bucket encrypts with SSE-KMS by default (ETags are not MD5s)"
    if facts.destination_kms and destination_enc is None:
        return "ETags differ: the destination bucket's default SSE-KMS re-encrypts replicas (documented)"
    if facts.encryption_of is not None:
        looked_up = replace(source, encryption=source_enc or facts.encryption_of(source, "source"))
        replica = replace(destination, encryption=destination_enc or facts.encryption_of(destination, "destination"))
        if looked_up.encryption or replica.encryption:
            return _etag_difference_explained(looked_up, replica, Expectations())
    return None


def compare_pair(source: VersionRecord, destination: VersionRecord, facts: Expectations) -> Result:
    """A version present on both sides (same key and version id)."""
    key, version_id = source.key, source.version_id
    if source.is_delete_marker != destination.is_delete_marker:
        return Result(Outcome.KIND_MISMATCH, key, version_id, source, destination,
                      f"the source has a {_kind(source)}, the destination a {_kind(destination)} with the same version id")
    if source.is_delete_marker:
        return Result(Outcome.DELETE_MARKER_REPLICATED, key, version_id, source, destination, "delete marker replicated")
    if source.size != destination.size:
        return Result(Outcome.SIZE_MISMATCH, key, version_id, source, destination,
                      f"size {source.size} on the source, {destination.size} on the destination")
    if source.etag == destination.etag or not source.etag or not destination.etag:
        return Result(Outcome.REPLICATED, key, version_id, source, destination, "")
    explained = _etag_difference_explained(source, destination, facts)
    if explained is not None:
        return Result(Outcome.REPLICATED, key, version_id, source, destination, explained)
    return Result(Outcome.ETAG_MISMATCH, key, version_id, source, destination,
                  f"ETag {source.etag} on the source, {destination.etag} on the destination (same size, "
                  "no encryption or multipart upload explains it: the data differs)")


def source_only(record: VersionRecord, facts: Expectations) -> Result:
    """A source version with no version of the same id on the destination."""
    key, version_id = record.key, record.version_id
    if record.is_delete_marker:
        if not facts.in_scope(record):
            return Result(Outcome.OUT_OF_SCOPE, key, version_id, record, None,
                          "delete marker outside the rule's scope (or the rule filters on tags)")
        if facts.replicates_delete_marker(record):
            return Result(Outcome.DELETE_MARKER_MISSING, key, version_id, record, None,
                          "the rule replicates delete markers, but this one is not on the destination")
        return Result(Outcome.DELETE_MARKER_NOT_REPLICATED, key, version_id, record, None,
                      "expected: the rule does not replicate delete markers")
    if record.storage_class in NOT_REPLICATED_STORAGE_CLASSES:
        return Result(Outcome.NOT_ELIGIBLE, key, version_id, record, None,
                      f"expected: {record.storage_class} objects are not replicated")
    if not facts.in_scope(record):
        return Result(Outcome.OUT_OF_SCOPE, key, version_id, record, None,
                      "expected: outside the rule's scope (prefix/tag filter)")
    return Result(Outcome.MISSING, key, version_id, record, None,
                  "not on the destination (written before replication was on, failed, or still pending)")


def destination_only(record: VersionRecord) -> Result:
    what = "delete marker" if record.is_delete_marker else "version"
    return Result(Outcome.EXTRA, record.key, record.version_id, None, record,
                  f"{what} only on the destination (written there directly, or deleted by version id on the source)")


# -- the join ---------------------------------------------------------------------------------------


def key_groups(records: Iterable[VersionRecord], side: str = "listing") -> Iterator[tuple[str, list[VersionRecord]]]:
    """Consecutive records of the same key, checking that keys ascend and version ids do not repeat."""
    group: list[VersionRecord] = []
    seen: set[str] = set()
    current: str | None = None
    for record in records:
        key = record.key
        if key != current:
            if current is not None:
                if key < current:
                    raise ListingOrderError(
                        f"the {side} listing is not in key order ({key!r} after {current!r}); cannot join it"
                    )
                yield current, group
            current, group, seen = key, [], set()
        if record.version_id in seen:
            raise ListingOrderError(f"the {side} listing repeats version {record.version_id!r} of {key!r}")
        seen.add(record.version_id)
        group.append(record)
    if current is not None:
        yield current, group


def join_group(source: list[VersionRecord], destination: list[VersionRecord], facts: Expectations) -> Iterator[Result]:
    """One key's versions on both sides: source versions in listed order, then the destination's extras."""
    if not destination:
        for record in source:
            yield source_only(record, facts)
        return
    if not source:
        for record in destination:
            yield destination_only(record)
        return
    by_id = {record.version_id: record for record in destination}
    for record in source:
        replica = by_id.pop(record.version_id, None)
        yield source_only(record, facts) if replica is None else compare_pair(record, replica, facts)
    for record in destination:
        if record.version_id in by_id:
            yield destination_only(record)


def join_versions(
    source: Iterable[VersionRecord], destination: Iterable[VersionRecord], facts: Expectations | None = None
) -> Iterator[Result]:
    """Merge-join two key-ordered listings: one Result per distinct (key, version id), in key order."""
    facts = facts or Expectations()
    sources = key_groups(source, "source")
    destinations = key_groups(destination, "destination")
    s = next(sources, None)
    d = next(destinations, None)
    while s is not None or d is not None:
        if d is None or (s is not None and s[0] < d[0]):
            assert s is not None
            yield from join_group(s[1], [], facts)
            s = next(sources, None)
        elif s is None or d[0] < s[0]:
            yield from join_group([], d[1], facts)
            d = next(destinations, None)
        else:
            yield from join_group(s[1], d[1], facts)
            s = next(sources, None)
            d = next(destinations, None)


# -- the running summary ----------------------------------------------------------------------------


@dataclass
class Summary:
    """Counts per outcome, versions and bytes per side, and the first ``limit`` differences.

    ``differences`` keeps the first ``limit`` results that matter, ``expected``
    the first ``limit`` expected differences (extra, out of scope, not eligible,
    delete markers not replicated); the rest are only counted. ``limit=None``
    keeps every one (for ``--json``); memory then grows with the differences.
    """

    limit: int | None = 20
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    source_versions: int = 0
    destination_versions: int = 0
    source_bytes: int = 0
    destination_bytes: int = 0
    etag_differs_expected: int = 0
    differences: list[Result] = field(default_factory=list)
    expected: list[Result] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    @property
    def compared(self) -> int:
        """Distinct (key, version id) pairs seen on either side."""
        return sum(self.counts.values())

    @property
    def mattering(self) -> int:
        return sum(n for outcome, n in self.counts.items() if outcome.matters)

    @property
    def expected_differences(self) -> int:
        return sum(n for outcome, n in self.counts.items() if not outcome.matters and not outcome.agrees)

    @property
    def ok(self) -> bool:
        """Nothing missing or mismatched."""
        return self.mattering == 0

    @property
    def differences_not_kept(self) -> int:
        return self.mattering - len(self.differences)

    @property
    def expected_not_kept(self) -> int:
        return self.expected_differences - len(self.expected)

    def add(self, result: Result) -> None:
        outcome = result.outcome
        self.counts[outcome] += 1
        if result.source is not None:
            self.source_versions += 1
            self.source_bytes += result.source.size
        if result.destination is not None:
            self.destination_versions += 1
            self.destination_bytes += result.destination.size
        if outcome in _AGREES:
            if result.reason and outcome is Outcome.REPLICATED:
                self.etag_differs_expected += 1
            return
        kept = self.differences if outcome in _MATTERS else self.expected
        if self.limit is None or len(kept) < self.limit:
            kept.append(result)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "compared": self.compared,
            "counts": {outcome.value: n for outcome, n in self.counts.items()},
            "differences_that_matter": self.mattering,
            "expected_differences": self.expected_differences,
            "etag_differs_expected": self.etag_differs_expected,
            "source": {"versions": self.source_versions, "bytes": self.source_bytes},
            "destination": {"versions": self.destination_versions, "bytes": self.destination_bytes},
            "differences": [r.as_dict() for r in self.differences],
            "differences_not_kept": self.differences_not_kept,
            "expected": [r.as_dict() for r in self.expected],
            "expected_not_kept": self.expected_not_kept,
            "notes": list(self.notes),
        }


def verify_versions(
    source: Iterable[VersionRecord],
    destination: Iterable[VersionRecord],
    facts: Expectations | None = None,
    *,
    limit: int | None = 20,
    on_result: Callable[[Result, Summary], None] | None = None,
) -> Summary:
    """Join both listings into a :class:`Summary` (``on_result`` sees every result as it comes)."""
    facts = facts or Expectations()
    summary = Summary(limit=limit, notes=facts.notes)
    add = summary.add
    for result in join_versions(source, destination, facts):
        add(result)
        if on_result is not None:
            on_result(result, summary)
    return summary
