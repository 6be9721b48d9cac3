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

A crash while a line is written leaves a truncated last line: readers skip it
and say so (``JournalRead.problems``), and the next append starts a new line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import storage

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


@dataclass
class JournalRead:
    """The entries of a journal file, and what could not be read (one line per problem)."""

    path: Path
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

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
    """Every readable entry of ``path``; a truncated or corrupt line is skipped and reported."""
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
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        last = number == len(lines)
        try:
            entry = json.loads(line.decode("utf-8"))
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            if last and not complete:
                result.problems.append(
                    f"{path}: the last line ({number}) is incomplete (a crash while it was written?); ignored"
                )
            else:
                result.problems.append(f"{path}: line {number} is not a journal entry; ignored")
            continue
        result.entries.append(entry)
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
        """After a crash mid-line, the next entry must not be glued to the broken one."""
        if self._checked_tail:
            return
        self._checked_tail = True
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size:
            with open(self.path, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    storage.append_private(self.path, "")

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append an entry (``ts``, ``plan_id``, ``run``, ``id`` added) and fsync it; returns it."""
        self._seq += 1
        entry: dict[str, Any] = {
            "ts": _now(),
            "plan_id": self.plan_id,
            "run": self.run,
            "id": f"{self.run}:{self._seq}",
            "kind": kind,
            **fields,
        }
        line = _mask(json.dumps(entry, separators=(",", ":"), default=str))
        self._start_on_a_new_line()
        storage.append_private(self.path, line)
        return entry
