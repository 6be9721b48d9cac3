"""The Batch job's ClientRequestToken names one intended job: a retry the same token, a new backfill a new one."""

from __future__ import annotations

import uuid

from s3xrep_tui.core.batch_job import FRESH_BACKFILL_STATUSES, client_request_token, fresh_backfill_request
from s3xrep_tui.core.documents import batch_job_request, batch_role_arn
from tests.core.conftest import make_inputs


def _statuses(request: dict) -> list[str]:
    return request["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"]["ObjectReplicationStatuses"]


def test_generation_zero_is_the_plans_token_and_each_fresh_backfill_gets_its_own() -> None:
    inputs = make_inputs()
    planned = batch_job_request(inputs, batch_role_arn(inputs))
    assert client_request_token(planned) == client_request_token(planned, 0) == planned["ClientRequestToken"]
    fresh = [fresh_backfill_request(planned, n) for n in (1, 2, 3)]
    tokens = {planned["ClientRequestToken"], *(f["ClientRequestToken"] for f in fresh)}
    assert len(tokens) == 4 and all(uuid.UUID(t).version == 5 for t in tokens)
    # a retry of the same backfill is the same job
    assert fresh_backfill_request(planned, 2)["ClientRequestToken"] == fresh[1]["ClientRequestToken"]


def test_a_fresh_backfill_takes_what_is_still_none_or_failed_and_leaves_the_plan_alone() -> None:
    inputs = make_inputs()
    planned = batch_job_request(inputs, batch_role_arn(inputs))
    planned["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"]["ObjectReplicationStatuses"] = ["COMPLETED"]
    fresh = fresh_backfill_request(planned, 1)
    assert _statuses(fresh) == list(FRESH_BACKFILL_STATUSES) == ["NONE", "FAILED"]
    assert _statuses(planned) == ["COMPLETED"]  # the plan's document is not changed
    rest = {k: v for k, v in fresh.items() if k not in ("ClientRequestToken", "ManifestGenerator")}
    assert rest == {k: v for k, v in planned.items() if k not in ("ClientRequestToken", "ManifestGenerator")}
