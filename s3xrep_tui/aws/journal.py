"""The apply journal: what was there before each write, so it can be undone.

One append-only JSON-lines file per plan, ``storage.data_dir()/journal/<plan_id>.jsonl``
(0600 in a 0700 directory; every line fsynced before the write it describes is
sent). Entries are plain dicts:

* ``kind="write"``: written BEFORE a write. ``{"ts", "plan_id", "run", "id",
  "kind", "step", "call", "account" ("source"|"destination"), "account_id",
  "profile" (a profile NAME, or null), "region", "target" (bucket/role/key/job),
  "before" (the previous document, null when there was none), "after" (what we
  write)}``.
* ``kind="done"``: after the write succeeded, ``"ref"`` = the write's ``id``,
  ``"result"`` (e.g. ``{"JobId": ...}``).
* ``kind="undo"``: what ``undo`` did about the write ``"ref"``: ``"status"``
  and ``"message"``.

No secrets: the documents hold none and credentials never reach this module;
as a last guard anything shaped like an access key id is masked.

* ``kind="torn"``: written by the first append after a crash left line
  ``"line"`` unfinished (see below).
* ``kind="skip-record"``: an undo run was told to go on without damaged line ``"line"``.

Every record carries ``"sha256"``: the SHA-256 of its canonical JSON (sorted keys,
no spaces) without that field, so a changed or corrupt record is found, not used.

A crash while a line is written leaves a truncated last line. Its write was never
sent (each line is fsynced before its call), so readers skip it with a warning
(``JournalRead.problems``); the next append ends that line and records a ``torn``
entry naming it, so it stays a known crash tail once lines follow it. Any other
line that does not read, or whose checksum does not match, is damage
(``JournalRead.damaged``, with line numbers): undo refuses such a journal unless
told which lines to go without. Records without a checksum (journals of older
versions) are read "unverified" with one warning; one after a checksummed record
is damage (this version writes none without).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import storage
from ..core.errors import S3xrepError

JOURNAL_DIR = "journal"
_PLAN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_ACCESS_KEY_RE = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b")


def check_plan_id(plan_id: str) -> str:
    """A plan id as a safe file name (letters, digits, ``.``, ``_``, ``-``); ValueError otherwise."""
    if not _PLAN_ID_RE.match(plan_id or "") or ".." in plan_id:
        raise ValueError(f"{plan_id!r} is not a plan id (letters, digits, '.', '_' and '-' only)")
    return plan_id


def journal_dir() -> Path:
    return storage.data_dir() / JOURNAL_DIR


def journal_path(plan_id: str) -> Path:
    return journal_dir() / f"{check_plan_id(plan_id)}.jsonl"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


CHECKSUM = "sha256"


def record_checksum(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of the record's canonical JSON without its checksum field."""
    rest = {k: v for k, v in entry.items() if k != CHECKSUM}
    canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Damage:
    """A journal line that cannot be trusted: its 1-based number and why."""

    line: int
    reason: str


class JournalDamaged(S3xrepError):
    """The journal has damaged lines that were not named to be skipped."""

    def __init__(self, path: Path, damaged: list[Damage]) -> None:
        self.path = path
        self.damaged = damaged
        lines = ", ".join(f"line {d.line} ({d.reason})" for d in damaged)
        super().__init__(f"the journal {path} is damaged: {lines}")


@dataclass
class JournalRead:
    """The entries of a journal file, and what could not be read (one line per problem)."""

    path: Path
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    damaged: list[Damage] = field(default_factory=list)
    unverified: int = 0  # records without a checksum (older versions)

    def writes(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e.get("kind") == "write"]

    def done(self) -> dict[str, dict[str, Any]]:
        """``done`` entries by the id of the write they complete."""
        return {e["ref"]: e for e in self.entries if e.get("kind") == "done" and "ref" in e}

    def undone(self) -> dict[str, dict[str, Any]]:
        """The last ``undo`` entry for each write id."""
        return {e["ref"]: e for e in self.entries if e.get("kind") == "undo" and "ref" in e}

    def profiles(self) -> dict[str, str | None]:
        """The profile name each side used (the latest write wins)."""
        found: dict[str, str | None] = {}
        for entry in self.entries:
            if entry.get("kind") == "write" and entry.get("account") in ("source", "destination"):
                found[entry["account"]] = entry.get("profile")
        return found


def read_journal(path: Path) -> JournalRead:
    """Every verified entry of ``path``; a crash tail is skipped with a warning, damage listed in ``damaged``."""
    result = JournalRead(path=Path(path))
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        result.problems.append(f"no journal at {path}")
        return result
    lines = raw.split(b"\n")
    complete = raw.endswith(b"\n")
    if complete:
        lines = lines[:-1]
    unreadable: dict[int, str] = {}
    torn: set[Any] = set()
    checksummed = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line.decode("utf-8"))
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            if number == len(lines) and not complete:
                result.problems.append(
                    f"{path}: the last line ({number}) is incomplete (a crash while it was written?); ignored"
                )
            else:
                unreadable[number] = "not a readable journal record (truncated or corrupt)"
            continue
        if CHECKSUM not in entry:
            if checksummed:
                result.damaged.append(Damage(number, "no checksum, after records that have one"))
                continue
            result.unverified += 1
        elif entry[CHECKSUM] != record_checksum(entry):
            result.damaged.append(Damage(number, "its checksum does not match its content (changed or corrupt)"))
            continue
        else:
            checksummed = True
            if entry.get("kind") == "torn":
                torn.add(entry.get("line"))
        result.entries.append(entry)
    for number, reason in unreadable.items():
        if number in torn:
            result.problems.append(f"{path}: line {number} is incomplete (a crash while it was written; "
                                   "marked by the next run); ignored")
        else:
            result.damaged.append(Damage(number, reason))
    result.damaged.sort(key=lambda d: d.line)
    for damage in result.damaged:
        result.problems.append(f"{path}: line {damage.line} is damaged: {damage.reason}")
    if result.unverified:
        result.problems.append(f"{path}: {result.unverified} record(s) have no checksum (written by an older "
                               "s3xrep): read unverified")
    return result


def _mask(line: str) -> str:
    return _ACCESS_KEY_RE.sub(lambda m: m.group(1) + "…", line)


class Journal:
    """The journal of one plan; ``record`` appends one fsynced line."""

    def __init__(self, plan_id: str, path: Path | None = None, run: str | None = None) -> None:
        self.plan_id = plan_id
        self.path = Path(path) if path is not None else journal_path(plan_id)
        self.run = run or f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        self._seq = 0
        self._checked_tail = False

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> JournalRead:
        return read_journal(self.path)

    def _start_on_a_new_line(self) -> None:
        """After a crash mid-line, end that line and record it as torn (a crash tail, not damage)."""
        if self._checked_tail:
            return
        self._checked_tail = True
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        if raw and not raw.endswith(b"\n"):
            storage.append_private(self.path, "")
            self.record("torn", line=raw.count(b"\n") + 1)

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append an entry (``ts``, ``plan_id``, ``run``, ``id``, ``sha256`` added) and fsync it; returns it."""
        self._start_on_a_new_line()
        self._seq += 1
        entry: dict[str, Any] = {
            "ts": _now(),
            "plan_id": self.plan_id,
            "run": self.run,
            "id": f"{self.run}:{self._seq}",
            "kind": kind,
            **fields,
        }
        # mask first, so the checksum covers exactly what is stored
        stored = json.loads(_mask(json.dumps(entry, separators=(",", ":"), default=str)))
        stored[CHECKSUM] = record_checksum(stored)
        storage.append_private(self.path, json.dumps(stored, separators=(",", ":"), ensure_ascii=False))
        return stored
