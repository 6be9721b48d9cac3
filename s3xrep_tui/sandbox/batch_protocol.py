"""The s3control REST-XML wire format for the Batch Operations job routes.

Requests are parsed and responses written with botocore's own parser and
serializer, driven by the real ``s3control`` service model, so element names,
list ``<member>`` wrapping, booleans and timestamps are exactly what boto3
sends and expects back:

* ``CreateJob``: ``POST /v20180820/jobs``, body ``<CreateJobRequest
  xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">``, header
  ``x-amz-account-id``; answer ``<CreateJobResult><JobId>``.
* ``ListJobs``: ``GET /v20180820/jobs?jobStatuses=A&jobStatuses=B&maxResults=N&nextToken=T``.
* ``DescribeJob``: ``GET /v20180820/jobs/{id}``.
* ``UpdateJobStatus``: ``POST /v20180820/jobs/{id}/status?requestedJobStatus=Ready&statusUpdateReason=...``.
* ``UpdateJobPriority``: ``POST /v20180820/jobs/{id}/priority?priority=N``.
* ``GetJobTagging``/``PutJobTagging``/``DeleteJobTagging``: ``/v20180820/jobs/{id}/tagging``.

Errors are ``<Error><Code>NotFoundException</Code><Message>...`` (botocore maps
the code onto ``client.exceptions.NotFoundException``).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from typing import Any

from werkzeug.wrappers import Response

from s3xrep_tui.sandbox.server import Call

NAMESPACE = "http://awss3control.amazonaws.com/doc/2018-08-20/"

_JOB_PATH = re.compile(r"^/v20180820/jobs(?:/(?P<id>[^/]+)(?:/(?P<sub>status|priority|tagging))?)?/?$")

# (method, has id, sub-resource) -> operation name
_ROUTES = {
    ("POST", False, None): "CreateJob",
    ("GET", False, None): "ListJobs",
    ("GET", True, None): "DescribeJob",
    ("POST", True, "status"): "UpdateJobStatus",
    ("POST", True, "priority"): "UpdateJobPriority",
    ("GET", True, "tagging"): "GetJobTagging",
    ("PUT", True, "tagging"): "PutJobTagging",
    ("DELETE", True, "tagging"): "DeleteJobTagging",
}

# HTTP status per error code (AWS documents none; these follow the usual REST mapping)
ERROR_STATUS = {
    "BadRequestException": 400,
    "InvalidRequestException": 400,
    "InvalidNextTokenException": 400,
    "IdempotencyException": 409,
    "JobStatusException": 409,
    "NotFoundException": 404,
    "AccessDenied": 403,
    "TooManyTagsException": 400,
}


class S3ControlError(Exception):
    """Raised by handlers; turned into an XML error response."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status or ERROR_STATUS.get(code, 400)


def route(call: Call) -> tuple[str, str | None] | None:
    """(operation name, job id) for a Batch Operations job route, else None."""
    if not call.is_s3control:
        return None
    match = _JOB_PATH.match(call.request.path)
    if not match:
        return None
    job_id = match.group("id")
    operation = _ROUTES.get((call.method, job_id is not None, match.group("sub")))
    if operation is None:
        return None
    return operation, job_id


@functools.lru_cache(maxsize=1)
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("s3control")


def parse_body(operation: str, call: Call) -> dict[str, Any]:
    """The XML body members of an operation's input, as boto3 would have passed them."""
    from botocore.parsers import RestXMLParser

    shape = service_model().operation_model(operation).input_shape
    if not call.body.strip():
        return {}
    try:
        ET.fromstring(call.body)
    except ET.ParseError as exc:
        raise S3ControlError("MalformedXML", f"The XML you provided was not well-formed: {exc}") from exc
    parsed = RestXMLParser().parse({"body": call.body, "headers": {}, "status_code": 200}, shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def respond(operation: str, result: dict[str, Any], status: int = 200) -> Response:
    """Serialize ``result`` with the operation's output shape."""
    from botocore.serialize import RestXMLSerializer

    shape = service_model().operation_model(operation).output_shape
    if shape is None or not result:
        return Response(b"", status=status, headers={"x-amz-request-id": "s3xrep-sandbox"})
    pseudo_root = ET.Element("")
    RestXMLSerializer()._serialize(shape, result, pseudo_root, shape.name)
    root = next(iter(pseudo_root))
    root.set("xmlns", NAMESPACE)
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")
    return Response(body, status=status, content_type="application/xml", headers={"x-amz-request-id": "s3xrep-sandbox"})


def error_response(error: S3ControlError) -> Response:
    from s3xrep_tui.sandbox.server import s3_error

    return s3_error(error.code, error.message, error.status)
