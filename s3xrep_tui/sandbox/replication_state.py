"""ReplicationStatus of each version, kept per destination and read as S3 reports it.

A source version replicated to several destination buckets has one status per
destination; its ``x-amz-replication-status`` is FAILED when any destination
failed, COMPLETED only when every destination completed, PENDING otherwise
("Replication status if replicating to multiple destination buckets", S3 User
Guide). A replica reads REPLICA, whatever a Batch Replication job later does
with it.
"""

from __future__ import annotations

import threading

Key = tuple[str, str, str]  # (bucket, key, version id)


class StatusBook:
    """Per-destination outcomes of each version and the status S3 reports for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reported: dict[Key, str] = {}
        self._per_destination: dict[Key, dict[str, tuple[str, str | None]]] = {}  # -> {bucket: (status, code)}

    def status(self, ident: Key) -> str | None:
        return self._reported.get(ident)

    def failure_code(self, ident: Key) -> str | None:
        """The failure code of the first failed destination (by bucket name), or None."""
        with self._lock:
            outcomes = self._per_destination.get(ident, {})
            return next((code for _, (status, code) in sorted(outcomes.items()) if status == "FAILED"), None)

    def destination_status(self, ident: Key, destination: str) -> str | None:
        with self._lock:
            return self._per_destination.get(ident, {}).get(destination, (None, None))[0]

    def set(self, ident: Key, destination: str, status: str, code: str | None = None) -> None:
        """Record one destination's outcome (PENDING, COMPLETED, or FAILED with its code)."""
        with self._lock:
            outcomes = self._per_destination.setdefault(ident, {})
            outcomes[destination] = (status, code if status == "FAILED" else None)
            if self._reported.get(ident) == "REPLICA":
                return  # a replica replicated on by Batch Replication still reads REPLICA
            statuses = {state for state, _ in outcomes.values()}
            if "FAILED" in statuses:
                self._reported[ident] = "FAILED"
            elif statuses == {"COMPLETED"}:
                self._reported[ident] = "COMPLETED"
            else:
                self._reported[ident] = "PENDING"

    def mark_replica(self, ident: Key) -> None:
        with self._lock:
            self._reported[ident] = "REPLICA"
            self._per_destination.pop(ident, None)
