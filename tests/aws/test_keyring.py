"""The keyring store: keys in a keyring backend of our own, the index, the memory fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import keyring
import pytest
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import KeyringLocked, PasswordDeleteError

from s3xrep_tui.aws import keyring_store
from s3xrep_tui.aws.keyring_store import (
    NO_KEYRING,
    SERVICE,
    InvalidEntry,
    KeyStore,
    keyring_name,
)

KEY_ID = "AKIAKEYRINGTEST00001"
SECRET = "kr-secret-" + "s" * 30
TOKEN = "kr-token-" + "t" * 200


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict. Never chosen by keyring's auto-detection (not viable)."""

    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        raise RuntimeError("test backend: set with keyring.set_keyring")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.refuse_writes = False

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse_writes:
            raise KeyringLocked("the collection is locked")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class BrokenKeyring(MemoryKeyring):
    """A backend whose every call fails (a SecretService with no D-Bus session, say)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("org.freedesktop.DBus.Error.ServiceUnknown")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """keyring.set_keyring(a MemoryKeyring), and a fresh default store; both restored after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    keyring_store.use_store(None)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
        keyring_store.use_store(None)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """keyring's own "nothing usable here" backend, as on headless SSH and CloudShell."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    keyring_store.use_store(None)
    try:
        yield
    finally:
        keyring.set_keyring(previous)
        keyring_store.use_store(None)


def test_saves_loads_lists_and_deletes_through_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore()
    assert store.persistent and store.why == ""
    store.save("second", KEY_ID, SECRET, TOKEN, "eu-west-1")
    store.save("third", KEY_ID, SECRET)
    assert store.names() == ["second", "third"]
    loaded = store.load("second")
    assert loaded is not None
    assert (loaded.access_key_id, loaded.secret_access_key, loaded.session_token, loaded.region) == (
        KEY_ID, SECRET, TOKEN, "eu-west-1")
    assert loaded.profile == "keyring:second"
    assert store.load("third").session_token is None  # type: ignore[union-attr]
    assert store.load("nobody") is None
    # everything lives in the keyring under our service name
    assert {service for service, _ in memory_keyring.entries} == {SERVICE}
    assert store.delete("second") and not store.delete("second")
    assert store.names() == ["third"] and store.load("second") is None


def test_a_new_store_finds_the_names_in_the_keyring_index_without_a_file(
    memory_keyring: MemoryKeyring, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    KeyStore().save("second", KEY_ID, SECRET, region="us-west-2", endpoint_url="http://127.0.0.1:1")
    assert list(tmp_path.iterdir()) == []  # no file written anywhere we own
    again = KeyStore()  # a later run
    assert again.names() == ["second"]
    assert again.summaries()["second"] == {
        "region": "us-west-2", "endpoint_url": "http://127.0.0.1:1", "temporary": False, "persistent": True}
    index = json.loads(memory_keyring.entries[(SERVICE, "index")])
    assert SECRET not in json.dumps(index) and KEY_ID not in json.dumps(index)  # the index holds no key material


def test_the_repr_of_stored_keys_hides_the_secret_and_token(memory_keyring: MemoryKeyring) -> None:
    entry = KeyStore().save("second", KEY_ID, SECRET, TOKEN)
    assert SECRET not in repr(entry) and TOKEN not in repr(entry)


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        (fail.Keyring(), NO_KEYRING),
        (BrokenKeyring(), "cannot be read"),
    ],
)
def test_an_unusable_backend_keeps_keys_in_memory_and_says_so(
    backend: KeyringBackend, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore(backend=backend)
    assert not store.persistent and why in store.why and "in memory until you quit" in store.why
    store.save("second", KEY_ID, SECRET, region="eu-west-1")
    assert store.load("second").secret_access_key == SECRET  # type: ignore[union-attr]
    assert store.names() == ["second"]
    assert store.summaries()["second"]["persistent"] is False
    assert KeyStore(backend=backend).names() == []  # gone with the run


def test_a_chainer_with_no_viable_backend_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    store = KeyStore(backend=chainer.ChainerBackend())
    assert not store.persistent and store.why == NO_KEYRING


def test_the_default_store_follows_the_process_keyring(no_keyring: None) -> None:
    store = keyring_store.default_store()
    assert store is keyring_store.default_store()
    assert not store.persistent and store.why == NO_KEYRING


def test_a_keyring_that_refuses_a_write_degrades_to_memory(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore()
    memory_keyring.refuse_writes = True
    store.save("second", KEY_ID, SECRET)
    assert not store.persistent and "refused to store keys" in store.why
    assert store.load("second").secret_access_key == SECRET  # type: ignore[union-attr]
    assert store.names() == ["second"]


def test_a_damaged_index_or_entry_is_ignored(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[(SERVICE, "index")] = "not json"
    memory_keyring.entries[(SERVICE, "keys:bad")] = "{"
    store = KeyStore()
    assert store.names() == [] and store.load("bad") is None
    store.save("second", KEY_ID, SECRET)
    assert store.names() == ["second"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", KEY_ID, SECRET), "name"),
        (("has space", KEY_ID, SECRET), "name"),
        (("a:b", KEY_ID, SECRET), "name"),
        (("ok", "akia-lower", SECRET), "access_key_id"),
        (("ok", KEY_ID, ""), "secret"),
        (("ok", KEY_ID, "with space"), "secret"),
        (("ok", KEY_ID, SECRET, "tok en"), "session_token"),
        (("ok", KEY_ID, SECRET, None, "Europe"), "region"),
    ],
)
def test_bad_fields_are_named_for_the_form(memory_keyring: MemoryKeyring, args: tuple, field: str) -> None:
    with pytest.raises(InvalidEntry) as caught:
        KeyStore().save(*args)
    assert caught.value.field == field
    assert SECRET not in caught.value.message


def test_the_keyring_spelling() -> None:
    assert keyring_name("keyring:second") == "second"
    assert keyring_name("second") is None and keyring_name(None) is None and keyring_name("") is None
