"""The sandbox's S3 canonical user ids, one per account.

Its own module: the emulator, the listing and the replication middleware all
name owners, and the middlewares must not import the emulator (it imports them).
"""

from __future__ import annotations

import hashlib


def canonical_user_id(account_id: str) -> str:
    """The sandbox's stand-in for an account's S3 canonical user id (64 hex digits)."""
    return hashlib.sha256(f"s3xrep-sandbox-canonical:{account_id}".encode()).hexdigest()
