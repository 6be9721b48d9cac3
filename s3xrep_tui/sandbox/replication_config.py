"""Replication configurations as S3 speaks them: the XML botocore sends and parses, and the
validation S3 does at PutBucketReplication that moto skips (with AWS's codes and messages).
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Response

from ..core.merge import MAX_REPLICATION_RULES, RTC_MINUTES
from ..core.names import MAX_RULE_ID_LENGTH
from .moto_access import find_bucket
from .replication import kms_opted_in
from .server import s3_error

MSG_DST_MISSING = "Destination bucket must exist."
MSG_DST_UNVERSIONED = "Destination bucket must have versioning enabled."
MSG_SCHEMA = "{field} {verb} for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information."
MSG_TAG_DMR = "Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information."
MSG_RTC_METRICS = "Replication destination must contain both ReplicationTime and Metrics or neither."
MSG_ROLE = "Invalid Role specified in replication configuration"
MSG_MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"
MSG_ID_LENGTH = f"ID length should not exceed allowed limit of {MAX_RULE_ID_LENGTH}"
MSG_DUPLICATE_TAGS = "Duplicate Tag Keys are not allowed."
MSG_MINUTES = ("{element} must be 15 minutes: it is the only value S3 Replication Time Control and "
               "replication metrics take")


_s3_model: Any = None


def _s3_service_model() -> Any:
    global _s3_model
    if _s3_model is None:
        import botocore.session

        _s3_model = botocore.session.get_session().get_service_model("s3")
    return _s3_model


def parse_replication_xml(body: bytes) -> dict[str, Any]:
    """The ReplicationConfiguration of a PutBucketReplication body, as boto3 would return it."""
    from botocore.parsers import RestXMLParser

    shape = _s3_service_model().operation_model("GetBucketReplication").output_shape
    parsed = RestXMLParser().parse({"body": body, "headers": {}, "status_code": 200}, shape)
    if "Error" in parsed:
        raise ValueError("not a replication configuration")
    config = parsed.get("ReplicationConfiguration")
    if not isinstance(config, dict):
        raise ValueError("not a replication configuration")
    return config


def replication_xml(config: dict[str, Any], bucket: str) -> bytes:
    """The XML S3 returns for GetBucketReplication (serialized by botocore's own serializer)."""
    from botocore.serialize import create_serializer

    operation = _s3_service_model().operation_model("PutBucketReplication")
    request = create_serializer("rest-xml", include_validation=False).serialize_to_request(
        {"Bucket": bucket, "ReplicationConfiguration": config}, operation
    )
    body = request["body"]
    return body if isinstance(body, bytes) else str(body).encode()


def validate_replication(config: dict[str, Any], source_bucket: str) -> Response | None:
    """S3's put-time checks that moto skips; an error response, or None when the configuration is valid."""
    role = config.get("Role")
    rules = config.get("Rules")
    if not role or not rules:
        return s3_error("MalformedXML", MSG_MALFORMED)
    limit = _limits(rules)
    if limit is not None:
        return limit
    if not re.match(r"^arn:aws[\w-]*:iam::\d{12}:role/\S+$", role):
        return s3_error("InvalidArgument", MSG_ROLE, ArgumentName="Role", ArgumentValue=role)
    v1 = any("Filter" not in rule for rule in rules)
    ids: set[str] = set()
    priorities: set[int] = set()
    for rule in rules:
        if rule.get("Status") not in ("Enabled", "Disabled") or not rule.get("Destination", {}).get("Bucket"):
            return s3_error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        if v1:
            for name in ("Priority", "DeleteMarkerReplication"):
                if name in rule:
                    return s3_error("InvalidRequest", MSG_SCHEMA.format(field=name, verb="cannot be used"))
        else:
            for name in ("Priority", "DeleteMarkerReplication"):
                if name not in rule:
                    return s3_error("InvalidRequest", MSG_SCHEMA.format(field=name, verb="must be specified"))
        rule_id = rule.get("ID")
        if rule_id:
            if rule_id in ids:
                return s3_error("InvalidArgument", "Rule Id must be unique", ArgumentName="ID", ArgumentValue=rule_id)
            ids.add(rule_id)
        if "Priority" in rule:
            if rule["Priority"] in priorities:
                return s3_error("InvalidRequest", f"Found duplicate priority {rule['Priority']}.")
            priorities.add(rule["Priority"])
        flt = rule.get("Filter") or {}
        has_tags = "Tag" in flt or bool((flt.get("And") or {}).get("Tags"))
        if has_tags and (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled":
            return s3_error("InvalidRequest", MSG_TAG_DMR)
        destination = rule["Destination"]
        bucket_arn = destination["Bucket"]
        match = re.match(r"^arn:aws[\w-]*:s3:::([^/]+)$", bucket_arn)
        if not match:
            return s3_error("InvalidArgument", "Invalid bucket ARN", ArgumentName="Bucket", ArgumentValue=bucket_arn)
        if match.group(1) == source_bucket:
            return s3_error("InvalidRequest", "Destination bucket cannot be the same as the source bucket.")
        if "AccessControlTranslation" in destination and not destination.get("Account"):
            return s3_error("InvalidRequest", "Account must be specified if the Owner in AccessControlTranslation has a value")
        kms_selected = kms_opted_in(rule)
        replica_key = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
        if "EncryptionConfiguration" in destination and not kms_selected:
            return s3_error("InvalidRequest", "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.")
        if kms_selected and not replica_key:
            return s3_error("InvalidRequest", "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.")
        if "ReplicationTime" in destination and "Metrics" not in destination:
            return s3_error("InvalidRequest", MSG_RTC_METRICS)
        target = find_bucket(match.group(1))
        if target is None:
            return s3_error("InvalidRequest", MSG_DST_MISSING)
        if target.versioning_status != "Enabled":
            return s3_error("InvalidRequest", MSG_DST_UNVERSIONED)
    return None


def _limits(rules: list[dict[str, Any]]) -> Response | None:
    """S3's documented limits (PutBucketReplication, ReplicationRule, ReplicationTimeValue), which moto skips."""
    if len(rules) > MAX_REPLICATION_RULES:  # "can contain a maximum of 1,000": the schema, as S3 publishes it
        return s3_error("MalformedXML", MSG_MALFORMED)
    for rule in rules:
        if "ExistingObjectReplication" in rule:
            # "no longer supported" (the model); S3 answers MalformedXML unless AWS Support enabled it for the
            # account, which no sandbox account has: existing objects go through Batch Replication
            return s3_error("MalformedXML", MSG_MALFORMED)
        rule_id = rule.get("ID")
        if isinstance(rule_id, str) and len(rule_id) > MAX_RULE_ID_LENGTH:
            return s3_error("InvalidArgument", MSG_ID_LENGTH, ArgumentName="ID", ArgumentValue=rule_id)
        tags = ((rule.get("Filter") or {}).get("And") or {}).get("Tags") or []
        keys = [tag.get("Key") for tag in tags]
        if len(keys) != len(set(keys)):
            return s3_error("InvalidRequest", MSG_DUPLICATE_TAGS)
        destination = rule.get("Destination") or {}
        for element, path in (("ReplicationTime.Time.Minutes", ("ReplicationTime", "Time")),
                              ("Metrics.EventThreshold.Minutes", ("Metrics", "EventThreshold"))):
            block = (destination.get(path[0]) or {}).get(path[1])
            if isinstance(block, dict) and "Minutes" in block and block["Minutes"] != RTC_MINUTES:
                return s3_error("InvalidArgument", MSG_MINUTES.format(element=element),
                                ArgumentName=element, ArgumentValue=str(block["Minutes"]))
    return None
