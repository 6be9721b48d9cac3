"""Property: verify --inventory (DuckDB over the sandbox's delivered reports) gives the verdicts of today's
listing verify on the same buckets, over generated histories: versions, delete markers (replicated or not),
replication failures (a Deny on part of the destination), storage-class overrides, GLACIER sources,
out-of-scope keys, versions written straight to the destination and replicas deleted by version id."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from s3xrep_tui.aws.inventory_verify import verify_from_inventory
from s3xrep_tui.aws.verify import verify_replication
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT
from tests.aws.inventory_helpers import configure_pair, deliver_pair
from tests.aws.test_verify import SharedSandbox, shared_sandbox
from tests.sandbox.helpers import DST_ACTIONS, make_setup, policy, wait_for

KEYS = ["in/a", "in/b", "in/deny/c", "in/é", "out/d", "e"]  # the rule covers in/; in/deny/ fails to replicate
_pairs = itertools.count()

source_op = st.one_of(
    st.tuples(st.just("put"), st.sampled_from(KEYS), st.integers(0, 3), st.sampled_from(["STANDARD", "GLACIER"])),
    st.tuples(st.just("delete"), st.sampled_from(KEYS)),
)
destination_op = st.one_of(
    st.tuples(st.just("direct"), st.sampled_from(KEYS)),
    st.tuples(st.just("drop"), st.integers(0, 5)),
)
histories = st.fixed_dictionaries({
    "source": st.lists(source_op, max_size=8),
    "destination": st.lists(destination_op, max_size=3),
    "delete_markers": st.booleans(),
    "storage_class": st.sampled_from([None, "STANDARD_IA"]),
})


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSandbox]:
    yield from shared_sandbox(tmp_path_factory.mktemp("inventory-properties"))


def _pair(sandbox: SharedSandbox, history: dict[str, Any]) -> Any:
    n = next(_pairs)
    src, dst, role = f"prop-src-{n}", f"prop-dst-{n}", f"prop-repl-{n}"
    role_arn = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{role}"
    dst_policy = policy(
        {"Sid": "Repl", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": DST_ACTIONS,
         "Resource": f"arn:aws:s3:::{dst}/*"},
        {"Sid": "Fail", "Effect": "Deny", "Principal": {"AWS": role_arn}, "Action": "s3:ReplicateObject",
         "Resource": f"arn:aws:s3:::{dst}/in/deny/*"})
    destination = {"StorageClass": history["storage_class"]} if history["storage_class"] else {}
    return make_setup(sandbox, src=src, dst=dst, role_name=role, dst_policy=dst_policy, flt={"Prefix": "in/"},
                      delete_markers=history["delete_markers"], **destination)


def _verdicts(report: Any) -> tuple[dict[str, int], list[tuple[str, str, str]], tuple[int, int]]:
    s = report.summary
    rows = sorted((r.outcome.value, r.key, r.version_id) for r in s.differences + s.expected)
    return {o.value: n for o, n in s.counts.items() if n}, rows, (s.source_bytes, s.destination_bytes)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories)
@example(history={  # every kind at once: a failure, a GLACIER source, out of scope, markers, extras, a dropped replica
    "source": [("put", "in/a", 1, "STANDARD"), ("put", "in/a", 2, "STANDARD"), ("put", "in/deny/c", 1, "STANDARD"),
               ("put", "in/b", 3, "GLACIER"), ("put", "out/d", 1, "STANDARD"), ("delete", "in/a"), ("delete", "e")],
    "destination": [("direct", "in/z"), ("drop", 0)], "delete_markers": True, "storage_class": "STANDARD_IA"})
def test_inventory_verdicts_equal_listing_verdicts(sandbox: SharedSandbox, history: dict[str, Any]) -> None:
    setup = _pair(sandbox, history)
    configure_pair(setup)
    for op in history["source"]:
        if op[0] == "put":
            setup.s3a.put_object(Bucket=setup.src, Key=op[1], Body=b"v" * op[2], StorageClass=op[3])
        else:
            setup.s3a.delete_object(Bucket=setup.src, Key=op[1])
    wait_for(lambda: sandbox.engine.pending_count() == 0, timeout=30, what="replication to settle")
    for op in history["destination"]:
        if op[0] == "direct":
            setup.s3b.put_object(Bucket=setup.dst, Key=op[1], Body=b"direct")
        else:
            versions = setup.s3b.list_object_versions(Bucket=setup.dst).get("Versions") or []
            if versions:
                victim = versions[op[1] % len(versions)]
                setup.s3b.delete_object(Bucket=setup.dst, Key=victim["Key"], VersionId=victim["VersionId"])
    deliver_pair(sandbox, setup)
    args = (sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), setup.src, setup.dst)
    listing = verify_replication(*args, limit=None)
    inventory = verify_from_inventory(*args, limit=None)
    assert _verdicts(inventory) == _verdicts(listing)
    assert inventory.ok is listing.ok
    if ("put", "in/deny/c", 1, "STANDARD") in history["source"]:  # the example: the failure is seen as such
        assert inventory.replication_status.get("FAILED") == 1 and _verdicts(inventory)[0]["missing"] >= 1
