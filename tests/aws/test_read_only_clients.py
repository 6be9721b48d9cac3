"""Read-only is enforced once, where clients are built: every mutating operation of every
service the package uses is refused before anything is sent; reads still go over HTTP.

The services are found by reading the package's code (every ``clients("SERVICE")`` /
``.client("SERVICE")``), the operations from botocore's service models, so a service
or an operation added later is covered without editing this test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name

import s3xrep_tui
from s3xrep_tui.aws.clients import Clients
from s3xrep_tui.aws.errors import AwsError, ReadOnlyRefused, explain
from s3xrep_tui.aws.read_only import is_mutating, set_process_read_only

from .conftest import SOURCE_ID, Accounts, account_clients

PACKAGE = Path(s3xrep_tui.__file__).parent
# clients("s3"), clients("cloudwatch", region), self.client(entry, "iam"), session.client("sts", ...)
_SERVICE_CALL = re.compile(r"""(?:clients|client)\(\s*(?:[a-z_]+,\s*)?["']([a-z0-9-]+)["']""")
_MODELS = botocore.session.get_session()


def used_services() -> list[str]:
    """Every AWS service the package (not the sandbox emulator, not tooling) makes a client for."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "sandbox" in path.parts or path.name == "screenshots.py":
            continue
        found.update(_SERVICE_CALL.findall(path.read_text(encoding="utf-8")))
    return sorted(found & set(_MODELS.get_available_services()))


def operations(service: str) -> list[str]:
    return list(_MODELS.get_service_model(service).operation_names)


def mutating(service: str) -> list[str]:
    return [op for op in operations(service) if is_mutating(service, op)]


def test_the_package_uses_these_services() -> None:
    # a floor, not the list: a new service the code reaches is enumerated below without editing this
    assert {"s3", "s3control", "iam", "sts", "kms", "cloudwatch"} <= set(used_services())


def test_the_classification_agrees_with_the_http_method_of_rest_services() -> None:
    """S3 and S3 Control are REST: GET/HEAD are reads, anything else writes, but S3 Select (a read over POST)
    and S3 CreateSession (a GET that is named like a write: directory buckets' session credentials)."""
    for service in ("s3", "s3control"):
        model = _MODELS.get_service_model(service)
        for name in model.operation_names:
            method = model.operation_model(name).http["method"]
            if name in ("SelectObjectContent", "CreateSession"):
                assert not is_mutating(service, name)
                continue
            assert is_mutating(service, name) == (method not in ("GET", "HEAD")), (service, name, method)
    assert not is_mutating("sts", "AssumeRole") and not is_mutating("sts", "GetCallerIdentity")
    assert is_mutating("iam", "PutRolePolicy") and not is_mutating("iam", "SimulatePrincipalPolicy")


@pytest.fixture(scope="module")
def unreachable_read_only(endpoint: str) -> Clients:
    """Read-only clients of the sandbox's account; a ``before-send`` probe on each records any request."""
    base = account_clients(endpoint, SOURCE_ID)
    return Clients(base.session, endpoint_url=endpoint, read_only=True)


@pytest.mark.parametrize("service", used_services())
def test_every_mutating_operation_is_refused_before_it_is_sent(service: str, unreachable_read_only: Clients) -> None:
    client = unreachable_read_only(service)
    sent: list[str] = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(request.url))
    refused = []
    for name in mutating(service):
        with pytest.raises(ReadOnlyRefused) as caught:
            getattr(client, xform_name(name))()  # no parameters: refused before they are even checked
        error = caught.value
        assert error.message == f"read-only: refused {service}:{name}" and error.code == "ReadOnly"
        assert "without --read-only" in error.fix and explain(error) is error
        refused.append(name)
    assert sent == []
    assert len(refused) == len(mutating(service)) > 0 or service in ("sts", "pricing")  # only reads there


def test_reads_go_over_http_and_writes_change_nothing(accounts: Accounts, endpoint: str) -> None:
    accounts.source("s3").create_bucket(Bucket="ro-clients-src")
    ro = Clients(accounts.source.session, endpoint_url=endpoint, read_only=True)
    assert ro.read_only
    assert ro("sts").get_caller_identity()["Account"] == SOURCE_ID
    assert "ro-clients-src" in [b["Name"] for b in ro("s3").list_buckets()["Buckets"]]
    assert ro("s3").get_bucket_versioning(Bucket="ro-clients-src").get("Status") is None
    with pytest.raises(AwsError, match=r"^read-only: refused s3:PutBucketVersioning$"):
        ro("s3").put_bucket_versioning(Bucket="ro-clients-src", VersioningConfiguration={"Status": "Enabled"})
    with pytest.raises(AwsError, match=r"refused s3:PutObject"):
        ro("s3").put_object(Bucket="ro-clients-src", Key="k", Body=b"x")
    with pytest.raises(AwsError, match=r"refused iam:CreateRole"):
        ro("iam").create_role(RoleName="ro-role", AssumeRolePolicyDocument="{}")
    assert accounts.source("s3").get_bucket_versioning(Bucket="ro-clients-src").get("Status") is None
    assert accounts.source("s3").list_objects_v2(Bucket="ro-clients-src").get("KeyCount") == 0
    assert "ro-role" not in [r["RoleName"] for r in accounts.source("iam").list_roles()["Roles"]]


def test_the_mode_is_read_at_each_call_and_the_process_mode_covers_every_client(accounts: Accounts, endpoint: str) -> None:
    """The app's toggle (a callable) and the headless --read-only (the process's mode) need no new clients."""
    mode = {"on": True}
    toggled = Clients(accounts.source.session, endpoint_url=endpoint, read_only=lambda: mode["on"])
    with pytest.raises(ReadOnlyRefused):
        toggled("s3").create_bucket(Bucket="ro-toggled")
    mode["on"] = False
    toggled("s3").create_bucket(Bucket="ro-toggled")  # the same cached client writes once the mode is off
    plain: Any = Clients(accounts.source.session, endpoint_url=endpoint)
    previous = set_process_read_only(True)
    try:
        assert plain.read_only
        with pytest.raises(ReadOnlyRefused, match="s3:DeleteBucket"):
            plain("s3").delete_bucket(Bucket="ro-toggled")
    finally:
        set_process_read_only(previous)
    assert "ro-toggled" in [b["Name"] for b in accounts.source("s3").list_buckets()["Buckets"]]


def test_an_athena_query_is_a_write_and_reading_its_results_is_not() -> None:
    """verify --engine athena's decision: a query writes its result file and is billed, so read-only refuses it."""
    assert {"athena", "glue"} <= set(used_services())
    assert is_mutating("athena", "StartQueryExecution") and is_mutating("athena", "StopQueryExecution")
    assert not is_mutating("athena", "GetQueryResults") and not is_mutating("athena", "GetQueryExecution")
