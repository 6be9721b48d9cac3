"""Trust-policy conditions the sandbox evaluates now that conditions are evaluated at all.

AWS page: "Cross-service confused deputy prevention" in the Amazon S3 User Guide
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/cross-service-confused-deputy-prevention.html):
a role's trust policy may require ``aws:SourceAccount`` / ``aws:SourceArn`` of the
service's request; S3 replication sends the source bucket's account and ARN.
"""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

from ..helpers import make_setup, wait_final


def _trust(account: str, bucket: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}}}]}


def test_a_trust_policy_scoped_to_the_source_bucket_lets_replication_assume_the_role(sandbox: Any) -> None:
    setup = make_setup(sandbox, trust=_trust(A, "src-bucket"))
    version = setup.s3a.put_object(Bucket=setup.src, Key="k", Body=b"x")["VersionId"]
    assert wait_final(setup.s3a, setup.src, "k", version) == "COMPLETED"
    setup.iam.update_assume_role_policy(RoleName="s3-repl", PolicyDocument=json.dumps(_trust("999999999999", "src-bucket")))
    version = setup.s3a.put_object(Bucket=setup.src, Key="k2", Body=b"x")["VersionId"]
    assert wait_final(setup.s3a, setup.src, "k2", version) == "FAILED"
    assert setup.failure("k2", version) == "AssumeRoleNotPermitted"
