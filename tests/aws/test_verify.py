"""aws.verify over HTTP on the sandbox: real listings of a replicating pair, joined and classified."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.verify import (
    Cancelled,
    VerifyProgress,
    iter_versions,
    page_records,
    verify_replication,
)
from s3xrep_tui.core.verify import Expectations, Outcome, VersionRecord
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from tests.sandbox.conftest import FAST_BATCH_RATE, FAST_DELAY
from tests.sandbox.helpers import (
    Setup,
    make_setup,
    wait_engine_final,
    wait_final,
    wait_for,
)


class SharedSandbox:
    """A sandbox for a whole module with one ``Clients`` per account.

    Creating boto3 clients costs a few hundred milliseconds (service models);
    tests share them and keep apart by using their own buckets and role.
    """

    def __init__(self, sandbox: SharedSandbox) -> None:
        self._sandbox = sandbox
        self._clients: dict[str, Any] = {}

    def clients(self, account_id: str) -> Any:
        if account_id not in self._clients:
            self._clients[account_id] = self._sandbox.clients(account_id)
        return self._clients[account_id]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sandbox, name)


def shared_sandbox(tmp_path: Path) -> Iterator[SharedSandbox]:
    with Sandbox(seed="empty", replication_delay=FAST_DELAY, batch_task_rate=FAST_BATCH_RATE,
                 config_path=tmp_path / "aws-config") as running:
        yield SharedSandbox(running)


_pairs = itertools.count()


def new_pair(sandbox: Any, **kw: Any) -> Setup:
    """A replicating pair of fresh buckets (and its own role) in the shared sandbox."""
    n = next(_pairs)
    return make_setup(sandbox, src=f"verify-src-{n}", dst=f"verify-dst-{n}", role_name=f"s3-repl-{n}", **kw)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSandbox]:
    yield from shared_sandbox(tmp_path_factory.mktemp("verify"))


def _put(setup: Setup, key: str, body: bytes = b"data", **kw: Any) -> str:
    return setup.s3a.put_object(Bucket=setup.src, Key=key, Body=body, **kw)["VersionId"]


def _replicated(setup: Setup, key: str, version_id: str) -> str:
    return wait_final(setup.s3a, setup.src, key, version_id)


def _verify(sandbox: SharedSandbox, setup: Setup, **kw: Any):
    return verify_replication(sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT),
                              setup.src, setup.dst, **kw)


def _counts(report) -> dict[str, int]:
    return {o.value: n for o, n in report.summary.counts.items() if n}


@pytest.fixture
def replicated(sandbox: SharedSandbox) -> Setup:
    """A replicating pair with 7 keys (one with 3 versions, mixed-case and unicode keys), all COMPLETED."""
    setup = new_pair(sandbox)
    written = [(key, _put(setup, key, key.encode())) for key in ("B-upper", "a-lower", "docs/é.txt", "docs/！", "docs/😀", "z")]
    written += [("many", _put(setup, "many", b"x" * i)) for i in range(3)]
    for key, version_id in written:
        assert _replicated(setup, key, version_id) == "COMPLETED"
    return setup


def test_everything_replicated(sandbox: SharedSandbox, replicated: Setup) -> None:
    seen: list[VerifyProgress] = []
    report = _verify(sandbox, replicated, progress=seen.append)
    assert report.ok, report.summary.differences
    assert _counts(report) == {"replicated": 9}
    assert report.summary.source_versions == report.summary.destination_versions == 9
    assert report.rules == 1 and report.source_region == "us-east-1"
    assert (report.source_account, report.destination_account) == (SOURCE_ACCOUNT, DESTINATION_ACCOUNT)
    assert seen[-1].done and seen[-1].compared == 9 and seen[-1].source_listed == 9
    assert seen[-1].destination_listed == 9 and seen[-1].rate > 0


def test_small_pages_give_the_same_result_with_and_without_prefetch(sandbox: SharedSandbox, replicated: Setup) -> None:
    expected = [r.as_dict() for r in _collect(sandbox, replicated)]
    for prefetch in (True, False):
        assert [r.as_dict() for r in _collect(sandbox, replicated, page_size=2, prefetch=prefetch)] == expected


def _collect(sandbox: SharedSandbox, setup: Setup, **kw: Any) -> list:
    results: list = []
    _verify(sandbox, setup, on_result=lambda r, s: results.append(r), **kw)
    return results


def test_listing_order_is_utf8_byte_order_and_keys_span_pages(sandbox: SharedSandbox, replicated: Setup) -> None:
    records = list(iter_versions(replicated.s3a, replicated.src, expected_owner=SOURCE_ACCOUNT, page_size=2))
    keys = [r.key for r in records]
    assert keys == sorted(keys, key=lambda k: k.encode("utf-8"))
    assert keys.index("B-upper") < keys.index("a-lower")  # bytes, not case-insensitive
    assert keys.index("docs/！") < keys.index("docs/😀")  # UTF-8, not UTF-16
    assert keys.count("many") == 3


def test_a_deleted_replica_version_is_missing(sandbox: SharedSandbox, replicated: Setup) -> None:
    version = replicated.s3b.list_object_versions(Bucket=replicated.dst, Prefix="many")["Versions"][1]
    replicated.s3b.delete_object(Bucket=replicated.dst, Key="many", VersionId=version["VersionId"])
    report = _verify(sandbox, replicated)
    assert not report.ok
    assert _counts(report) == {"replicated": 8, "missing": 1}
    (difference,) = report.summary.differences
    assert (difference.key, difference.version_id) == ("many", version["VersionId"])
    assert difference.outcome is Outcome.MISSING and "not on the destination" in difference.reason


def test_an_object_put_directly_into_the_destination_is_extra(sandbox: SharedSandbox, replicated: Setup) -> None:
    replicated.s3b.put_object(Bucket=replicated.dst, Key="only-in-b", Body=b"b")
    report = _verify(sandbox, replicated)
    assert report.ok  # extra objects are reported, they do not fail the verification
    assert _counts(report) == {"replicated": 9, "extra": 1}
    assert report.summary.expected[0].key == "only-in-b"


def test_a_size_mismatch_is_found(sandbox: SharedSandbox, replicated: Setup) -> None:
    def overwrite(destination: Any) -> None:  # the same version id with other bytes (only the sandbox can do this)
        versions = list(destination.keys.getlist("z"))
        versions[0].value = b"tampered!"

    from s3xrep_tui.sandbox.moto_access import find_bucket

    overwrite(find_bucket(replicated.dst))
    report = _verify(sandbox, replicated)
    assert _counts(report) == {"replicated": 8, "size-mismatch": 1}
    assert report.summary.differences[0].key == "z"


@pytest.mark.parametrize("delete_markers", [True, False])
def test_delete_markers_with_and_without_delete_marker_replication(sandbox: SharedSandbox, delete_markers: bool) -> None:
    setup = new_pair(sandbox, delete_markers=delete_markers)
    assert _replicated(setup, "gone", _put(setup, "gone")) == "COMPLETED"
    marker = setup.s3a.delete_object(Bucket=setup.src, Key="gone")["VersionId"]
    if delete_markers:
        assert wait_engine_final(sandbox, setup.src, "gone", marker) == "COMPLETED"
    report = _verify(sandbox, setup)
    assert report.ok
    if delete_markers:
        assert _counts(report) == {"replicated": 1, "delete-marker-replicated": 1}
    else:
        assert _counts(report) == {"replicated": 1, "delete-marker-not-replicated": 1}
        assert "expected" in report.summary.expected[0].reason


def test_a_delete_marker_the_rule_should_have_replicated_is_missing(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, delete_markers=False)
    assert _replicated(setup, "gone", _put(setup, "gone")) == "COMPLETED"
    setup.s3a.delete_object(Bucket=setup.src, Key="gone")
    from tests.sandbox.helpers import rule

    setup.put_rules(rule(setup.dst, delete_markers=True))  # the rule promises delete markers now
    report = _verify(sandbox, setup)
    assert _counts(report) == {"replicated": 1, "delete-marker-missing": 1} and not report.ok


def test_scope_storage_class_and_prefix(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, flt={"Prefix": "in/"})
    assert _replicated(setup, "in/a", _put(setup, "in/a")) == "COMPLETED"
    _put(setup, "out/a")
    _put(setup, "in/cold", StorageClass="GLACIER")
    # as if written before the rule: the engine replicates it, then the replica goes
    assert _replicated(setup, "in/pre-existing", _put(setup, "in/pre-existing")) == "COMPLETED"
    for version in setup.s3b.list_object_versions(Bucket=setup.dst, Prefix="in/pre-existing")["Versions"]:
        setup.s3b.delete_object(Bucket=setup.dst, Key="in/pre-existing", VersionId=version["VersionId"])
    report = _verify(sandbox, setup)
    assert _counts(report) == {"replicated": 1, "missing": 1, "out-of-scope": 1, "not-eligible": 1}
    assert not report.ok and report.summary.differences[0].key == "in/pre-existing"
    only_in = _verify(sandbox, setup, prefix="in/a")
    assert _counts(only_in) == {"replicated": 1} and only_in.prefix == "in/a"


def test_tag_filtered_rule_reads_tags_only_for_what_is_missing(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, flt={"Tag": {"Key": "replicate", "Value": "yes"}})
    assert _replicated(setup, "t/yes", _put(setup, "t/yes", Tagging="replicate=yes")) == "COMPLETED"
    _put(setup, "t/no", Tagging="replicate=no")
    report = _verify(sandbox, setup)
    assert _counts(report) == {"replicated": 1, "out-of-scope": 1} and report.ok


def test_without_a_rule_everything_absent_is_out_of_scope_and_said(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, replicate=False)
    _put(setup, "k")
    report = _verify(sandbox, setup)
    assert _counts(report) == {"out-of-scope": 1} and report.rules == 0
    assert "no enabled replication rule" in report.summary.notes[0]


def test_explicit_expectations_replace_the_rule(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, replicate=False)
    _put(setup, "k")
    report = _verify(sandbox, setup, expectations=Expectations())
    assert _counts(report) == {"missing": 1}


def test_the_wrong_owner_is_refused(sandbox: SharedSandbox, replicated: Setup) -> None:
    with pytest.raises(AwsError) as caught:
        _verify(sandbox, replicated, source_owner="999999999999")
    assert caught.value.message.startswith("source")


def test_cancel_between_pages(sandbox: SharedSandbox, replicated: Setup) -> None:
    stop = threading.Event()
    pages: list[int] = []

    def progress(p: VerifyProgress) -> None:
        pages.append(p.source_listed + p.destination_listed)
        if len(pages) == 2:
            stop.set()

    with pytest.raises(Cancelled):
        _verify(sandbox, replicated, page_size=2, cancel=stop, progress=progress)
    assert len(pages) < 6
    wait_for(lambda: not [t for t in threading.enumerate() if t.name.startswith("s3xrep-verify")],
             what="the listing threads to stop")


def test_page_records_merges_versions_and_delete_markers_by_key() -> None:
    page = {"Versions": [{"Key": "a", "VersionId": "1", "Size": 1}, {"Key": "c", "VersionId": "1", "Size": 1}],
            "DeleteMarkers": [{"Key": "b", "VersionId": "2"}, {"Key": "c", "VersionId": "3"}]}
    records = page_records(page)
    assert [(r.key, r.version_id, r.is_delete_marker) for r in records] == [
        ("a", "1", False), ("b", "2", True), ("c", "1", False), ("c", "3", True)]
    assert all(isinstance(r, VersionRecord) for r in records)
