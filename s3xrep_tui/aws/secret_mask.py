"""Masking secrets in text: the ones we have seen, and anything shaped like one.

Its own module: the credentials (MFA codes, log records) and the keyring store
(the keys it hands out) both remember secrets, and neither imports the other
for that.
"""

from __future__ import annotations

import re

_known_secrets: set[str] = set()
_SHAPES = [
    # header / parameter / JSON / repr forms: X-Amz-Security-Token: b'…', 'TokenCode': '123456', SecretAccessKey=…
    re.compile(
        r"(?i)((?:x-amz-security-token|securitytoken|sessiontoken|session_token|aws_session_token|secretaccesskey"
        r"|secret_access_key|aws_secret_access_key|secret_key|tokencode|token_code)['\"]?\s*(?:[:=]|,)\s*b?['\"]?)"
        r"[^'\"\s,}&<]+"
    ),
    # XML elements of STS answers
    re.compile(r"(?i)(<(?:SecretAccessKey|SessionToken)>)[^<]*"),
    # canonical request header lines: x-amz-security-token:…
    re.compile(r"(?im)^(x-amz-security-token:).*$"),
]
_LONG_TOKEN_RE = re.compile(r"[A-Za-z0-9+/=]{100,}")  # session tokens are hundreds of characters


def remember_secret(value: str | None) -> None:
    """Mask ``value`` in every log record from now on (secrets, tokens, MFA codes)."""
    if value and len(value) >= 6:
        _known_secrets.add(value)


def scrub(text: str) -> str:
    """``text`` with known secrets and secret-shaped values masked."""
    for secret in list(_known_secrets):
        if secret in text:
            text = text.replace(secret, "***")
    for shape in _SHAPES:
        text = shape.sub(lambda m: m.group(1) + "***", text)
    return _LONG_TOKEN_RE.sub("***", text)
