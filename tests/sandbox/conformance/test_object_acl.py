"""Object ownership in ACLs: GetObjectAcl names the owner the listings name."""

from __future__ import annotations

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, canonical_user_id

from ..helpers import make_setup, wait_final


def test_object_acl_owner_is_the_writer_and_after_owner_override_the_destination_account(aws, sandbox):
    """Changing the replica owner (S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html): with
    AccessControlTranslation Owner=Destination the replica is owned by the destination account, and
    GetObjectAcl (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html) names that
    owner, as ListObjectVersions does; the source object stays the writer's."""
    s = make_setup(sandbox, AccessControlTranslation={"Owner": "Destination"}, Account=DESTINATION_ACCOUNT)
    version = s.s3a.put_object(Bucket=s.src, Key="doc.txt", Body=b"x")["VersionId"]
    assert wait_final(s.s3a, s.src, "doc.txt") == "COMPLETED"
    source_acl = aws("s3api", "get-object-acl", "--bucket", s.src, "--key", "doc.txt")
    assert source_acl["Owner"]["ID"] == canonical_user_id(SOURCE_ACCOUNT)
    replica_acl = aws("s3api", "get-object-acl", "--bucket", s.dst, "--key", "doc.txt", "--version-id", version,
                      profile="destination")
    listed = aws("s3api", "list-object-versions", "--bucket", s.dst, profile="destination")["Versions"]
    assert replica_acl["Owner"]["ID"] == listed[0]["Owner"]["ID"] == canonical_user_id(DESTINATION_ACCOUNT)
    assert [g["Grantee"]["ID"] for g in replica_acl["Grants"]] == [canonical_user_id(DESTINATION_ACCOUNT)]
