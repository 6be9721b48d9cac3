"""Policy documents as AWS hands them over and as we send them: one parse, one dump.

AWS returns a policy as a dict (botocore decodes some), JSON text, or, from
IAM, URL-encoded JSON text (AWS: IAM API reference, GetRolePolicy: "The policy
document returned in this structure is URL-encoded compliant with RFC 3986").
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote


def load_policy(document: Any) -> Any:
    """A policy document (dict, JSON text or URL-encoded JSON text) -> what its JSON holds; None and dicts as they are.

    Raises ValueError when the text is JSON neither as it is nor URL-decoded.
    """
    if document is None or isinstance(document, dict):
        return document
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else str(document)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def dump_policy(document: Any) -> str:
    """The compact JSON text we send (and journal) for a policy document."""
    return json.dumps(document, separators=(",", ":"))
