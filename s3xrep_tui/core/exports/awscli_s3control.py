"""An AWS CLI plugin: s3control calls to an endpoint given as an IP address or localhost.

botocore's endpoint rules put the account id in front of the S3 Control host,
also for a custom endpoint: ``http://127.0.0.1:4566`` becomes
``http://111111111111.127.0.0.1:4566``, which cannot resolve. This plugin drops
that prefix just before signing, and only when the rest of the host is an IP
address or ``localhost`` (AWS's own hosts and VPC endpoints, whose wildcard DNS
resolves the prefixed name, are left alone). Enable it in the AWS config file::

    [plugins]
    s3xrep_s3control = s3xrep_tui.core.exports.awscli_s3control

(AWS CLI v1; CLI v2 also needs ``cli_legacy_plugin_path`` in ``[plugins]``.)
Imports nothing: the CLI loads it on every command.
"""

from __future__ import annotations

import re
from typing import Any

_PREFIXED = re.compile(
    r"^(https?://)\d{12}\.(?=(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|localhost)(?::\d+)?(?:/|$))"
)


def strip_account_prefix(url: str) -> str:
    return _PREFIXED.sub(r"\1", url)


def _before_sign(request: Any, **_: Any) -> None:
    request.url = strip_account_prefix(request.url)


def awscli_initialize(cli: Any) -> None:
    cli.register("before-sign.s3-control", _before_sign)
