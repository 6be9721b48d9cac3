"""Sessions and clients: one place that knows how to reach AWS (or the sandbox).

Profiles are opened with ``boto3.Session(profile_name=...)`` so whatever the
user's ``~/.aws/config`` says (``endpoint_url``, SSO, assume-role chains,
``credential_process``) works unchanged; ``profile=None`` is the ambient chain
(environment variables, CloudShell container credentials, instance roles);
``"keyring:NAME"`` is keys the user added in the app (OS keyring, or memory).
MFA codes and the run's assumed-role cache are :mod:`credentials`' business.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import boto3
from botocore.config import Config

from . import lean_versions, s3_200_errors
from .credentials import MfaCodeProvider, session_for
from .timestamps import parse_timestamp

_ACCOUNT_HOST_PREFIX = re.compile(r"^(https?://)\d{12}\.")
_RETRIES = {"max_attempts": 5, "mode": "standard"}


def open_session(
    profile: str | None, region: str | None = None, *, mfa_code_provider: MfaCodeProvider | None = None
) -> boto3.Session:
    """A boto3 session for a profile, ``"keyring:NAME"``, or the ambient chain when ``profile`` is None.

    A keyring entry's endpoint URL is not part of a session: use :func:`clients_for`.
    Raises :class:`AwsError` for an unknown keyring name; botocore's ProfileNotFound for an unknown profile.
    """
    return session_for(profile, region, mfa_code_provider=mfa_code_provider)[0]


def is_custom_endpoint(url: str | None) -> bool:
    return bool(url) and not re.search(r"\.amazonaws\.com(\.cn)?(:\d+)?/?$|\.api\.aws/?$", str(url))


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    # botocore prefixes s3control hosts with the account id
    # ("http://111111111111.127.0.0.1:PORT"), which cannot resolve for a custom
    # endpoint such as the sandbox. Strip it just before signing.
    request.url = _ACCOUNT_HOST_PREFIX.sub(r"\1", request.url)


class Clients:
    """Thread-safe cache of boto3 clients for one session, per service and region.

    boto3 clients are thread-safe once created; creating them is not cheap and
    not thread-safe on a shared session, hence the lock.
    """

    def __init__(self, session: boto3.Session, endpoint_url: str | None = None) -> None:
        self.session = session
        self._endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    @property
    def default_region(self) -> str | None:
        return self.session.region_name

    def __call__(self, service: str, region: str | None = None) -> Any:
        region = region or self.session.region_name or "us-east-1"
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._create(service, region)
        return client

    def _create(self, service: str, region: str) -> Any:
        self.session._session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=parse_timestamp)
        config = Config(retries=_RETRIES, connect_timeout=5, read_timeout=30, user_agent_extra="s3xrep-tui")
        kwargs: dict[str, Any] = {"region_name": region}
        if self._endpoint_url:
            kwargs["endpoint_url"] = self._endpoint_url
        client = self.session.client(service, config=config, **kwargs)
        if is_custom_endpoint(client.meta.endpoint_url):
            if service == "s3":  # "bucket.127.0.0.1" does not resolve: path-style addressing
                client = self.session.client(
                    service, config=config.merge(Config(s3={"addressing_style": "path"})), **kwargs
                )
            if service == "s3control":
                client.meta.events.register("before-sign.s3-control.*", _strip_account_host_prefix)
        if service == "s3":
            s3_200_errors.install(client)
            lean_versions.install(client)
        return client


def clients_for(
    profile: str | None, *, region: str | None = None, mfa_code_provider: MfaCodeProvider | None = None
) -> Clients:
    """Clients for an identity as the user chose it: a profile name, ``"keyring:NAME"``,
    or None / "" for the ambient chain.

    The one place commands and screens turn an identity choice into clients.
    ``region`` overrides the identity's default region (``--region``);
    ``mfa_code_provider(profile, mfa_serial) -> code`` answers an MFA prompt
    (see :mod:`credentials` for the other ways a code can arrive).
    Raises :class:`AwsError` for an unknown keyring name.
    """
    session, endpoint_url = session_for(profile, region, mfa_code_provider=mfa_code_provider)
    return Clients(session, endpoint_url=endpoint_url)
