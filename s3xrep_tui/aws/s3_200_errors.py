"""S3's "200 OK with an error inside" check, without parsing every listing page twice.

S3 can answer 200 with an ``<Error>`` document, and a network fault can cut a
body short. botocore checks every 200 body for both by building a whole
ElementTree of it (``handlers._handle_200_error``) and then parses it again for
real: py-spy put 22% of ``s3xrep verify``'s listing threads in that first parse,
and each listing thread held two trees of a 1,000-version page at once. For the
listings, this module checks the same two things from the ends of the body: the
root element's name, and the root's closing tag at the end. Every other
operation, and any body that does not start the way S3's XML does, still gets
botocore's own check.
"""

from __future__ import annotations

import re
from typing import Any

from botocore import handlers as _botocore_handlers

#: The operations whose pages are big and checked here (everything else: botocore's check).
LISTINGS = frozenset({"ListObjectVersions", "ListObjectsV2", "ListObjects", "ListBuckets", "ListMultipartUploads"})

_ROOT = re.compile(rb"(?:\s*<\?xml[^>]*\?>)?\s*<([A-Za-z_][\w.:-]*)[\s>/]")
_botocore_check = getattr(_botocore_handlers, "_handle_200_error", None)


def looks_like_an_error(body: bytes) -> bool | None:
    """True: an ``<Error>`` document or a body cut short; False: a whole document; None: cannot tell cheaply."""
    match = _ROOT.match(body)
    if match is None:
        return None
    root = match.group(1)
    if root == b"Error":
        return True
    return not body.rstrip().endswith(b"</" + root + b">")


def check_200(operation_model: Any, response_dict: Any, **kwargs: Any) -> None:
    """botocore's ``_handle_200_error``, cheap for listings: a 200 that is really an error becomes a 500 (retried)."""
    if operation_model.name in LISTINGS and response_dict and response_dict.get("status_code") == 200:
        body = response_dict.get("body")
        verdict = looks_like_an_error(body) if isinstance(body, bytes) and body else False
        if verdict is not None:
            if verdict:
                response_dict["status_code"] = 500
            return
    if _botocore_check is not None:
        _botocore_check(operation_model=operation_model, response_dict=response_dict, **kwargs)


def install(client: Any) -> None:
    """Replace botocore's check with :func:`check_200` on one S3 client (no-op if botocore renamed it)."""
    if _botocore_check is None:
        return
    events = client.meta.events
    events.unregister("before-parse.s3.*", _botocore_check)
    events.register_first("before-parse.s3.*", check_200)
