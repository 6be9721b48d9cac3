"""S3 Inventory configurations, stored and returned as S3 does (moto's are not fit to build on).

moto 5 stores ``PutBucketInventoryConfiguration`` without validation, lists
every configuration with ``OptionalFields: ['Field']`` and a hard-coded
``IncludedObjectVersions``, and has no ``DeleteBucketInventoryConfiguration``:
its ``DELETE ?inventory`` falls through to DeleteBucket and deletes an empty
bucket. This middleware answers the four ``?inventory`` calls itself, following
the API reference (PutBucketInventoryConfiguration, GetBucketInventoryConfiguration,
ListBucketInventoryConfigurations, DeleteBucketInventoryConfiguration) and
"Amazon S3 Inventory" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html):
at most 1,000 configurations a bucket, 100 a list page, the enums checked
server side. :mod:`.inventory_delivery` writes the reports.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from .moto_access import find_bucket
from .server import Call, Forward, s3_error

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_CONFIGURATIONS = 1000  # per bucket (PutBucketInventoryConfiguration)
LIST_PAGE = 100  # ListBucketInventoryConfigurations returns up to 100 a page


def _optional_fields() -> frozenset[str]:
    """botocore's InventoryOptionalField enum: what S3 accepts (the sandbox follows the model it is driven by)."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model("s3").shape_for("InventoryOptionalField")
    return frozenset(shape.enum)


OPTIONAL_FIELDS = _optional_fields()
_FORMATS = ("CSV", "ORC", "Parquet")
_FREQUENCIES = ("Daily", "Weekly")
_VERSIONS = ("All", "Current")


class InventoryError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None else (found.text or "")


def parse_configuration(body: bytes) -> dict[str, Any]:
    """An ``<InventoryConfiguration>`` body as botocore's shape, checked as S3 checks it."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise InventoryError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                             "against our published schema") from None
    required = {name: _text(root, name) for name in ("Id", "IsEnabled", "IncludedObjectVersions")}
    destination = _child(root, "Destination")
    s3dest = _child(destination, "S3BucketDestination") if destination is not None else None
    schedule = _child(root, "Schedule")
    if any(v is None for v in required.values()) or s3dest is None or schedule is None:
        raise InventoryError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                             "against our published schema")
    config: dict[str, Any] = {"Id": required["Id"], "IsEnabled": required["IsEnabled"] == "true",
                              "IncludedObjectVersions": required["IncludedObjectVersions"],
                              "Schedule": {"Frequency": _text(schedule, "Frequency")}}
    if config["IncludedObjectVersions"] not in _VERSIONS:
        raise InventoryError("InvalidArgument", "IncludedObjectVersions must be All or Current")
    if config["Schedule"]["Frequency"] not in _FREQUENCIES:
        raise InventoryError("InvalidArgument", "Schedule Frequency must be Daily or Weekly")
    dest: dict[str, Any] = {"Bucket": _text(s3dest, "Bucket"), "Format": _text(s3dest, "Format")}
    for name in ("AccountId", "Prefix"):
        if _text(s3dest, name) is not None:
            dest[name] = _text(s3dest, name)
    encryption = _child(s3dest, "Encryption")
    if encryption is not None:
        if _child(encryption, "SSE-S3") is not None:
            dest["Encryption"] = {"SSES3": {}}
        elif (kms := _child(encryption, "SSE-KMS")) is not None:
            dest["Encryption"] = {"SSEKMS": {"KeyId": _text(kms, "KeyId") or ""}}
    if dest["Format"] not in _FORMATS:
        raise InventoryError("InvalidArgument", "Format must be CSV, ORC or Parquet")
    if not str(dest["Bucket"] or "").startswith("arn:aws:s3:::"):
        raise InventoryError("InvalidArgument", "The destination bucket must be an ARN (arn:aws:s3:::name)")
    config["Destination"] = {"S3BucketDestination": dest}
    flt = _child(root, "Filter")
    if flt is not None:
        config["Filter"] = {"Prefix": _text(flt, "Prefix") or ""}
    fields_element = _child(root, "OptionalFields")
    if fields_element is not None:
        fields = [f.text or "" for f in fields_element if _local(f.tag) == "Field"]
        unknown = sorted(set(fields) - OPTIONAL_FIELDS)
        if unknown:
            raise InventoryError("InvalidArgument", f"Invalid optional field: {unknown[0]}")
        config["OptionalFields"] = fields
    return config


def configuration_xml(config: dict[str, Any]) -> str:
    dest = config["Destination"]["S3BucketDestination"]
    parts = [f"<Id>{escape(config['Id'])}</Id>", f"<IsEnabled>{'true' if config['IsEnabled'] else 'false'}</IsEnabled>"]
    if "Filter" in config:
        parts.append(f"<Filter><Prefix>{escape(config['Filter'].get('Prefix', ''))}</Prefix></Filter>")
    inner = "".join(f"<{k}>{escape(str(dest[k]))}</{k}>" for k in ("AccountId", "Bucket", "Format", "Prefix") if k in dest)
    encryption = dest.get("Encryption") or {}
    if "SSES3" in encryption:
        inner += "<Encryption><SSE-S3/></Encryption>"
    elif "SSEKMS" in encryption:
        inner += f"<Encryption><SSE-KMS><KeyId>{escape(encryption['SSEKMS'].get('KeyId', ''))}</KeyId></SSE-KMS></Encryption>"
    parts.append(f"<Destination><S3BucketDestination>{inner}</S3BucketDestination></Destination>")
    parts.append(f"<IncludedObjectVersions>{config['IncludedObjectVersions']}</IncludedObjectVersions>")
    if config.get("OptionalFields"):
        parts.append("<OptionalFields>" + "".join(f"<Field>{f}</Field>" for f in config["OptionalFields"])
                     + "</OptionalFields>")
    parts.append(f"<Schedule><Frequency>{config['Schedule']['Frequency']}</Frequency></Schedule>")
    return "".join(parts)


class InventoryConfigurations:
    """Every bucket's inventory configurations (in put order), shared with the delivery."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_bucket: dict[str, dict[str, dict[str, Any]]] = {}

    def of(self, bucket: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._by_bucket.get(bucket, {}).values()]

    def buckets(self) -> list[str]:
        with self._lock:
            return sorted(self._by_bucket)

    # -- the middleware

    def __call__(self, call: Call, forward: Forward) -> Response:
        if call.service != "s3" or call.is_s3control or not call.bucket or call.key or "inventory" not in call.args:
            return forward()
        bucket = find_bucket(call.bucket)
        if bucket is None:
            return s3_error("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=call.bucket)
        if call.account_id != bucket.account_id:
            return s3_error("AccessDenied", "Access Denied", 403)
        try:
            return self._answer(call)
        except InventoryError as exc:
            return s3_error(exc.code, exc.message, exc.status)

    def _answer(self, call: Call) -> Response:
        name, wanted = str(call.bucket), call.args.get("id")
        if call.method == "GET" and wanted is None:
            return self._list(name, call.args.get("continuation-token"))
        if not wanted:
            raise InventoryError("InvalidArgument", "The id parameter is required")
        with self._lock:
            configs = self._by_bucket.setdefault(name, {})
            if call.method == "PUT":
                config = parse_configuration(call.body)
                if config["Id"] != wanted:
                    raise InventoryError("InvalidArgument", "The Id in the URL and in the configuration differ")
                if wanted not in configs and len(configs) >= MAX_CONFIGURATIONS:
                    raise InventoryError("TooManyConfigurations",
                                         f"You are attempting to create a new configuration but have already reached "
                                         f"the {MAX_CONFIGURATIONS}-configuration limit.")
                configs[wanted] = config
                return Response(status=200)
            if wanted not in configs:
                raise InventoryError("NoSuchConfiguration", "The specified configuration does not exist.", 404)
            if call.method == "DELETE":
                del configs[wanted]
                return Response(status=204)
            if call.method == "GET":
                return _xml(f'<InventoryConfiguration xmlns="{_NS}">{configuration_xml(configs[wanted])}'
                            "</InventoryConfiguration>")
        raise InventoryError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)

    def _list(self, bucket: str, token: str | None) -> Response:
        with self._lock:
            configs = list(self._by_bucket.get(bucket, {}).values())
        ids = [c["Id"] for c in configs]
        start = 0
        if token:
            if token not in ids:
                raise InventoryError("InvalidArgument", "The continuation token provided is incorrect")
            start = ids.index(token)
        page = configs[start:start + LIST_PAGE]
        truncated = start + LIST_PAGE < len(configs)
        body = "".join(f"<InventoryConfiguration>{configuration_xml(c)}</InventoryConfiguration>" for c in page)
        if token:
            body += f"<ContinuationToken>{escape(token)}</ContinuationToken>"
        body += f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
        if truncated:
            body += f"<NextContinuationToken>{escape(ids[start + LIST_PAGE])}</NextContinuationToken>"
        return _xml(f'<ListInventoryConfigurationsResult xmlns="{_NS}">{body}</ListInventoryConfigurationsResult>')


def _xml(body: str) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, content_type="application/xml")
