"""Access keys the user adds in the app, kept in the OS keyring, never in a file of ours.

Each identity is one keyring entry (service ``s3xrep-tui``, user ``keys:NAME``,
a JSON password holding the key id, secret, optional session token, region and
endpoint). The names are discoverable without a file: a second entry (user
``index``) holds the names with their non-secret metadata (region, endpoint,
whether a session token is present), so listing identities never reads a
secret.

Without a usable backend (``keyring.backends.fail.Keyring`` on headless SSH and
CloudShell, a chainer with nothing viable, the null backend, or a backend that
fails a read probe) the store keeps keys in memory for this run:
``persistent`` is False and ``why`` says so in one line the UI can show. A
backend that refuses a write later degrades the same way for that entry.

An identity is chosen with the profile spelling ``keyring:NAME`` (see
:data:`PREFIX`). botocore accepts any character but a newline in a profile
name (``[profile keyring:x]`` is a valid section), so no marker is impossible
in a config file: the ``keyring:`` prefix is reserved instead, and
``list_profiles`` leaves out (and logs) a file profile whose name starts with it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import S3xrepError
from .secret_mask import remember_secret

if TYPE_CHECKING:
    import keyring.backend

# keyring (its backends, found through entry points) is imported when a store is
# first used: the accounts screen imports this module before its first paint,
# and that import costs ~0.2 s of CPU.

log = logging.getLogger(__name__)

SERVICE = "s3xrep-tui"
PREFIX = "keyring:"  # clients_for("keyring:NAME") / resolve_identity("keyring:NAME")
_INDEX_USER = "index"
_ENTRY_USER = "keys:{}"

NO_KEYRING = "no usable keyring on this machine (headless SSH/CloudShell): keys are kept in memory until you quit"

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_KEY_ID_RE = re.compile(r"^[A-Z0-9]{16,128}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


class InvalidEntry(S3xrepError, ValueError):
    """A value the form must correct: ``field`` names it, ``message`` says why (no secret in it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class StoredKeys:
    """One stored identity. ``repr`` never shows the secret or the token."""

    name: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    region: str | None = None
    endpoint_url: str | None = None

    @property
    def profile(self) -> str:
        """The spelling ``clients_for`` and ``resolve_identity`` accept."""
        return PREFIX + self.name

    def summary(self) -> dict[str, Any]:
        """The non-secret part, as kept in the index."""
        return {"region": self.region, "endpoint_url": self.endpoint_url, "temporary": bool(self.session_token)}


def keyring_name(profile: str | None) -> str | None:
    """``NAME`` for ``"keyring:NAME"``, None for anything else (a profile name or the ambient chain)."""
    if profile and profile.startswith(PREFIX):
        return profile[len(PREFIX):]
    return None


def is_keyring_profile(profile: str | None) -> bool:
    return keyring_name(profile) is not None


def validate(name: str, access_key_id: str, secret: str, session_token: str | None = None,
             region: str | None = None) -> None:
    """Raise :class:`InvalidEntry` for the first field the form must fix."""
    if not _NAME_RE.match(name or ""):
        raise InvalidEntry("name", "a name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if not _KEY_ID_RE.match(access_key_id or ""):
        raise InvalidEntry("access_key_id", "an access key id is 16 or more capital letters and digits (AKIA…, ASIA…)")
    if not secret or any(c.isspace() for c in secret):
        raise InvalidEntry("secret", "the secret access key is required and has no spaces")
    if session_token is not None and (not session_token or any(c.isspace() for c in session_token)):
        raise InvalidEntry("session_token", "a session token has no spaces (leave it empty for long-term keys)")
    if region is not None and not _REGION_RE.match(region):
        raise InvalidEntry("region", "a region looks like us-east-1 or eu-west-2")


def _unusable(backend: keyring.backend.KeyringBackend) -> bool:
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return True
    if type(backend).__module__ == "keyring.backends.null":  # accepts writes, forgets them
        return True
    return isinstance(backend, chainer.ChainerBackend) and not backend.backends


class KeyStore:
    """Named access keys in the OS keyring, or in memory when there is none.

    Thread-safe. ``backend=None`` uses ``keyring.get_keyring()`` (whatever
    ``keyring.set_keyring`` chose); :meth:`in_memory` never touches a keyring.
    """

    def __init__(self, service: str = SERVICE, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self.service = service
        self._memory: dict[str, StoredKeys] = {}
        self._lock = threading.RLock()
        self._backend: keyring.backend.KeyringBackend | None = None
        self.why = ""
        if backend is None:
            import keyring

            backend = keyring.get_keyring()
        candidate = backend
        if _unusable(candidate):
            self.why = NO_KEYRING
            log.info("keyring %s is not usable: keys stay in memory", type(candidate).__name__)
            return
        try:
            candidate.get_password(service, _INDEX_USER)  # the probe: can we read at all?
        except Exception as exc:  # noqa: BLE001 - keyring backends raise anything (D-Bus, locked, …)
            self.why = f"the keyring ({type(candidate).__name__}) cannot be read: keys are kept in memory until you quit"
            log.info("keyring %s failed its probe (%s): keys stay in memory", type(candidate).__name__, type(exc).__name__)
            return
        self._backend = candidate

    @classmethod
    def in_memory(cls, why: str = NO_KEYRING) -> KeyStore:
        store = cls.__new__(cls)
        store.service, store._memory, store._lock, store._backend, store.why = SERVICE, {}, threading.RLock(), None, why
        return store

    @property
    def persistent(self) -> bool:
        """True when saved keys outlive this run (they went to a working keyring)."""
        return self._backend is not None and not self._memory

    @property
    def backend_name(self) -> str:
        return type(self._backend).__name__ if self._backend is not None else "memory"

    # --- the index ----------------------------------------------------------

    def _read_index(self) -> dict[str, dict[str, Any]]:
        if self._backend is None:
            return {}
        try:
            raw = self._backend.get_password(self.service, _INDEX_USER)
        except Exception as exc:  # noqa: BLE001 - keyring backends raise anything (D-Bus, locked, …)
            log.warning("reading the keyring index failed (%s)", type(exc).__name__)
            return {}
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("the keyring index of %s is not JSON; ignoring it", self.service)
            return {}
        if not isinstance(data, dict):
            return {}
        return {n: (m if isinstance(m, dict) else {}) for n, m in data.items() if isinstance(n, str) and _NAME_RE.match(n)}

    def _write_index(self, index: dict[str, dict[str, Any]]) -> None:
        assert self._backend is not None
        self._backend.set_password(self.service, _INDEX_USER, json.dumps(index, sort_keys=True))

    # --- the API --------------------------------------------------------------

    def save(self, name: str, access_key_id: str, secret: str, session_token: str | None = None,
             region: str | None = None, *, endpoint_url: str | None = None) -> StoredKeys:
        """Store (or replace) ``name``. Raises :class:`InvalidEntry` for a bad field.

        A keyring that refuses the write degrades this store to memory for the run
        (``persistent`` becomes False, ``why`` says why); the keys still work.
        """
        session_token = session_token or None
        region = region or None
        validate(name, access_key_id, secret, session_token, region)
        entry = StoredKeys(name, access_key_id, secret, session_token, region, endpoint_url or None)
        remember_secret(secret)
        remember_secret(session_token)
        with self._lock:
            if self._backend is not None and name not in self._memory:
                try:
                    payload = {"access_key_id": access_key_id, "secret_access_key": secret,
                               "session_token": session_token, "region": region, "endpoint_url": entry.endpoint_url}
                    self._backend.set_password(self.service, _ENTRY_USER.format(name), json.dumps(payload))
                    index = self._read_index()
                    index[name] = entry.summary()
                    self._write_index(index)
                    log.info("saved keys %s in the keyring (%s)", name, self.backend_name)
                    return entry
                except Exception as exc:  # noqa: BLE001 - keyring backends raise anything (D-Bus, locked, …)
                    self.why = (f"the keyring ({self.backend_name}) refused to store keys: "
                                "they are kept in memory until you quit")
                    log.warning("keyring write for %s failed (%s): keeping it in memory", name, type(exc).__name__)
            self._memory[name] = entry
            if not self.why:
                self.why = NO_KEYRING
            log.info("kept keys %s in memory", name)
            return entry

    def load(self, name: str) -> StoredKeys | None:
        """The stored keys for ``name``, or None."""
        with self._lock:
            if name in self._memory:
                return self._memory[name]
            if self._backend is None or not _NAME_RE.match(name or ""):
                return None
            try:
                raw = self._backend.get_password(self.service, _ENTRY_USER.format(name))
            except Exception as exc:  # noqa: BLE001 - keyring backends raise anything (D-Bus, locked, …)
                log.warning("reading keys %s from the keyring failed (%s)", name, type(exc).__name__)
                return None
        if not raw:
            return None
        try:
            data = json.loads(raw)
            entry = StoredKeys(name, str(data["access_key_id"]), str(data["secret_access_key"]),
                               data.get("session_token") or None, data.get("region") or None,
                               data.get("endpoint_url") or None)
        except (ValueError, KeyError, TypeError):
            log.warning("keyring entry %s is damaged; ignoring it", name)
            return None
        remember_secret(entry.secret_access_key)
        remember_secret(entry.session_token)
        return entry

    def delete(self, name: str) -> bool:
        """Forget ``name`` (memory and keyring). True when something was removed."""
        removed = False
        with self._lock:
            removed = self._memory.pop(name, None) is not None
            if self._backend is not None and _NAME_RE.match(name or ""):
                try:
                    if self._backend.get_password(self.service, _ENTRY_USER.format(name)) is not None:
                        self._backend.delete_password(self.service, _ENTRY_USER.format(name))
                        removed = True
                    index = self._read_index()
                    if index.pop(name, None) is not None:
                        self._write_index(index)
                        removed = True
                except Exception as exc:  # noqa: BLE001 - keyring backends raise anything (D-Bus, locked, …)
                    log.warning("deleting keys %s from the keyring failed (%s)", name, type(exc).__name__)
        if removed:
            log.info("deleted keys %s", name)
        return removed

    def names(self) -> list[str]:
        """Every stored name, sorted (the keyring's index and this run's memory)."""
        return sorted(self.summaries())

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Name -> non-secret metadata (region, endpoint_url, temporary, persistent); reads no secret."""
        with self._lock:
            found = {n: {**m, "persistent": True} for n, m in self._read_index().items()}
            for n, entry in self._memory.items():
                found[n] = {**entry.summary(), "persistent": False}
        return found


# --- the store the app uses ------------------------------------------------------

_default: KeyStore | None = None
_default_lock = threading.Lock()


def default_store() -> KeyStore:
    """The process's store, created (and the keyring probed) on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = KeyStore()
        return _default


def use_store(store: KeyStore | None) -> None:
    """Replace the process's store (tests; None: probe again on next use)."""
    global _default
    with _default_lock:
        _default = store


__all__ = [
    "NO_KEYRING", "PREFIX", "SERVICE", "InvalidEntry", "KeyStore", "StoredKeys", "default_store",
    "is_keyring_profile", "keyring_name", "use_store", "validate",
]
