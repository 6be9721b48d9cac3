"""The identities a user can pick: named profiles, the ambient chain, keys added in the app.

Listing reads ``~/.aws/config`` and ``~/.aws/credentials`` through botocore (so
``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` are honoured) and the
keyring store's index, and never touches credentials: no SSO token, no role
assumption, no process, no secret read, no network. Keys added in the app are
listed as kind ``keyring`` with the name ``keyring:NAME`` (the spelling
``resolve_identity`` and ``clients_for`` accept; a file profile whose name
starts with ``keyring:`` is left out, since the prefix is ours).
Resolving asks STS who an identity is, in its own region, and turns every way
that can fail into one line saying what is wrong and one saying what to run.
An assume-role profile with ``mfa_serial`` gets its code from
:mod:`credentials` (``set_mfa_code``, a provider) or fails with ``MfaRequired``;
nothing ever prompts on the terminal. Nothing here returns, logs or formats a secret.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import botocore.exceptions as bce  # light; botocore.session, boto3 and keyring are imported when first used

from ..core.models import Account
from .errors import (
    EXPIRED_CODES,
    INVALID_KEY_CODES,
    AwsError,
    error_code,
    explain,
    redact,
)

if TYPE_CHECKING:
    from .credentials import MfaCodeProvider
    from .keyring_store import KeyStore

# The accounts screen imports this module before its first paint: botocore.session,
# boto3 (credentials, identity) and keyring cost ~0.2 s of CPU to import, so they are
# imported by the functions that need them (in the listing / resolving workers).
KEYRING_PREFIX = "keyring:"  # keyring_store.PREFIX (tests check they agree)

log = logging.getLogger(__name__)


def keyring_name(profile: str | None) -> str | None:
    """``NAME`` for ``"keyring:NAME"`` (as :func:`keyring_store.keyring_name`, without importing keyring)."""
    if profile and profile.startswith(KEYRING_PREFIX):
        return profile[len(KEYRING_PREFIX):]
    return None


def __getattr__(name: str) -> Any:
    if name == "mfa_required":  # re-exported from credentials (imported on first use)
        from .credentials import mfa_required

        return mfa_required
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

Kind = Literal["static", "sso", "assume-role", "process", "ambient", "keyring", "unknown"]

DEFAULT_REGION = "us-east-1"



def _sts_config() -> Any:
    """One quick retry: a profile that does not answer should say so in seconds,
    not after the five attempts the data-plane clients use."""
    from botocore.config import Config

    return Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=4,
        read_timeout=10,
        user_agent_extra="s3xrep-tui",
    )


@dataclass(frozen=True)
class ProfileInfo:
    """One identity the user can choose, as the config files describe it."""

    name: str | None  # None: the ambient chain (what boto3 uses with no profile); "keyring:NAME" for kind keyring
    kind: Kind
    region: str | None = None
    endpoint_url: str | None = None
    mfa: bool = False  # an mfa_serial is configured: resolving needs a code (credentials.set_mfa_code)
    via: str | None = None  # assume-role: source_profile or credential_source; sso: session or start URL
    detail: str = ""  # one line for humans: where the credentials come from

    @property
    def key(self) -> str:
        """A stable identifier, distinct for the ambient chain, any profile name and any keyring entry."""
        if self.name is None:
            return "ambient"
        return self.name if self.kind == "keyring" else f"profile:{self.name}"

    @property
    def label(self) -> str:
        return "(ambient)" if self.name is None else self.name

    @property
    def endpoint_host(self) -> str | None:
        """The custom endpoint's host, for display (ports change from run to run)."""
        return urlsplit(self.endpoint_url).hostname if self.endpoint_url else None


# --- listing ---------------------------------------------------------------


def _profiles_config() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Profiles (config and credentials files merged) and sso-session sections."""
    import botocore.session

    session = botocore.session.Session()
    try:
        full = session.full_config
    except bce.ConfigParseError as exc:
        raise _error(
            f"the AWS config file cannot be parsed ({exc.kwargs.get('path', 'config')})",
            "fix the file's syntax, or point AWS_CONFIG_FILE at another file",
            "ConfigParseError",
        ) from None
    return dict(full.get("profiles", {})), dict(full.get("sso_sessions", {}))


def _classify(name: str, conf: Mapping[str, Any]) -> ProfileInfo:
    region = conf.get("region")
    endpoint = conf.get("endpoint_url")
    mfa = bool(conf.get("mfa_serial"))
    # The order follows botocore's provider chain for an explicit profile.
    if conf.get("role_arn"):
        if conf.get("source_profile"):
            via, how = conf["source_profile"], f"via profile {conf['source_profile']}"
        elif conf.get("credential_source"):
            via, how = conf["credential_source"], f"via {conf['credential_source']}"
        elif conf.get("web_identity_token_file"):
            via, how = "web identity", "via a web identity token"
        else:
            via, how = None, "with no source_profile or credential_source"
        kind: Kind = "assume-role"
        detail = f"assumes {conf['role_arn']} {how}" + (" (MFA)" if mfa else "")
    elif conf.get("sso_session") or conf.get("sso_start_url"):
        kind = "sso"
        via = conf.get("sso_session") or conf.get("sso_start_url")
        role = conf.get("sso_role_name")
        account = conf.get("sso_account_id")
        detail = f"IAM Identity Center {via}" + (f", {role} in {account}" if role and account else "")
    elif conf.get("aws_access_key_id"):
        kind, via = "static", None
        detail = "access keys" + (" with a session token" if conf.get("aws_session_token") else "")
    elif conf.get("credential_process"):
        kind, via = "process", None
        detail = "credential_process"
    else:
        kind, via = "unknown", None
        detail = "no credentials configured in this profile"
    return ProfileInfo(name, kind, region, endpoint, mfa, via, detail)


def describe_ambient(env: Mapping[str, str] | None = None) -> ProfileInfo:
    """What boto3 would use with no profile, judged from the environment only."""
    env = os.environ if env is None else env
    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    if env.get("AWS_ACCESS_KEY_ID"):
        detail = "environment variables (AWS_ACCESS_KEY_ID)"
    elif profile:
        detail = f"AWS_PROFILE={profile}"
    elif env.get("AWS_WEB_IDENTITY_TOKEN_FILE") and env.get("AWS_ROLE_ARN"):
        detail = "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)"
    elif env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        detail = "container credentials (CloudShell, ECS)"
    else:
        detail = "profile default, then instance role if on EC2"
    region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")
    if not region:
        import botocore.session

        try:
            region = botocore.session.Session().get_config_variable("region")
        except bce.BotoCoreError:  # AWS_PROFILE names a profile that does not exist
            region = None
    endpoint = env.get("AWS_ENDPOINT_URL")
    return ProfileInfo(None, "ambient", region, endpoint, False, None, detail)


def describe_keyring(store: KeyStore | None = None) -> list[ProfileInfo]:
    """The keys added in the app, by name, from the store's index (no secret is read)."""
    if store is None:
        from .keyring_store import default_store

        store = default_store()
    found = []
    for name, meta in sorted(store.summaries().items()):
        where = "access keys in the OS keyring" if meta.get("persistent") else "access keys in memory until you quit"
        detail = where + (" with a session token" if meta.get("temporary") else "")
        found.append(ProfileInfo(KEYRING_PREFIX + name, "keyring", meta.get("region"), meta.get("endpoint_url"),
                                 False, None, detail))
    return found


def list_profiles(include_ambient: bool = True, include_keyring: bool | None = None,
                  store: KeyStore | None = None) -> list[ProfileInfo]:
    """The ambient chain first, then every named profile in file order, then keys added in the app.

    ``include_keyring`` defaults to ``include_ambient``: a caller that wants only
    the config file's profiles (the demo) gets no keyring entries either.
    ``store`` defaults to the process's :func:`keyring_store.default_store`.
    Raises :class:`AwsError` when a config file cannot be parsed.
    """
    profiles, _ = _profiles_config()
    found = []
    for name, conf in profiles.items():
        if name.startswith(KEYRING_PREFIX):
            log.warning("profile %r is not listed: names starting with %r mean keys added in the app",
                        name, KEYRING_PREFIX)
            continue
        found.append(_classify(name, conf))
    if include_ambient:
        found.insert(0, describe_ambient())
    if include_ambient if include_keyring is None else include_keyring:
        found.extend(describe_keyring(store))
    return found


# --- resolving -------------------------------------------------------------


def resolve_identity(profile: str | None, mfa_code_provider: MfaCodeProvider | None = None) -> Account:
    """Who ``profile`` is (``None``: the ambient chain; ``"keyring:NAME"``: keys added in the app), via STS.

    Asks STS in the identity's region (us-east-1 when none is configured). An
    MFA code comes from :mod:`credentials` or ``mfa_code_provider``.
    Raises :class:`AwsError` (``message``, ``fix``, ``code``); never prompts on the terminal.
    """
    from .credentials import session_for
    from .identity import partition_of_arn

    label = profile or "the ambient credentials"
    try:
        session, endpoint_url = session_for(profile, mfa_code_provider=mfa_code_provider)
        region = session.region_name or DEFAULT_REGION
        extra = {"endpoint_url": endpoint_url} if endpoint_url else {}
        sts = session.client("sts", region_name=region, config=_sts_config(), **extra)
        reply = sts.get_caller_identity()
    except AwsError:
        raise
    except Exception as exc:  # every failure becomes message + fix
        error = explain_identity(exc, profile)
        if isinstance(exc, (bce.BotoCoreError, bce.ClientError)):
            log.info("resolving %s failed: %s (%s)", label, error.message, type(exc).__name__)
        else:  # our bug or botocore's: keep the traceback in the log
            log.exception("resolving %s failed unexpectedly", label)
        raise error from None
    arn = reply["Arn"]
    partition = partition_of_arn(arn)
    if partition not in ("aws", "aws-cn", "aws-us-gov"):
        raise _error(f"partition {partition} of {arn} is not supported", "use an aws, aws-cn or aws-us-gov profile", "UnsupportedPartition")
    log.info("resolved %s as account %s", label, reply["Account"])
    return Account(id=reply["Account"], partition=partition, arn=arn)


def _chain(profile: str) -> list[tuple[str, dict[str, Any]]]:
    """``profile`` and the profiles it takes credentials from (source_profile), in order."""
    if keyring_name(profile) is not None:
        return []
    profiles, _ = _profiles_config()
    chain: list[tuple[str, dict[str, Any]]] = []
    name: str | None = profile
    while name and name in profiles and all(name != seen for seen, _ in chain):
        conf = profiles[name]
        chain.append((name, conf))
        name = conf.get("source_profile") if conf.get("role_arn") and conf.get("source_profile") != name else None
    return chain


def _sso_profile(profile: str | None) -> str | None:
    """The profile in the chain that holds the SSO settings (the one to log in with)."""
    if profile is None:
        return None
    for name, conf in _chain(profile):
        if conf.get("sso_session") or conf.get("sso_start_url"):
            return name
    return profile


def explain_identity(exc: BaseException, profile: str | None) -> AwsError:
    """One line for what went wrong and one for the fix; no secrets, no tracebacks.

    Cases where knowing the profile chain gives a better fix are handled here;
    everything else is :func:`errors.explain`'s.
    """
    stored = keyring_name(profile)
    who = f"keys {stored}" if stored is not None else f"profile {profile}" if profile else "the ambient credentials"
    if isinstance(exc, AwsError):
        return exc
    code = error_code(exc)
    if stored is not None and code in INVALID_KEY_CODES | EXPIRED_CODES:
        expired = code in EXPIRED_CODES
        return _error(
            f"the session keys stored as {stored} have expired ({code})" if expired
            else f"AWS rejected the keys stored as {stored} ({code})",
            f"get new temporary keys and add them again as {stored} on the accounts screen" if expired
            else f"check the access key id and secret of {stored} and add them again on the accounts screen",
            code,
        )
    if code in EXPIRED_CODES and profile and _static_with_token(profile):
        return _error(
            f"the session token in profile {profile} has expired ({code})",
            f"put fresh temporary keys in profile {profile} (aws_session_token expires), "
            "or use a profile that refreshes itself (SSO, assume-role)",
            code,
        )
    if code == "SignatureDoesNotMatch":
        return _error(
            f"AWS rejected the signature of {who}: the secret access key does not belong to the access key id ({code})",
            f"enter the secret that goes with the key id ('aws configure --profile {profile}')" if profile and stored is None
            else "enter the secret that goes with the key id",
            code,
        )
    if isinstance(exc, bce.RefreshWithMFAUnsupportedError):
        return _error(f"the MFA session of {who} has expired", "pick the identity again and enter a new MFA code",
                      "MfaExpired")
    if code in ("AccessDenied", "AccessDeniedException") and "MultiFactorAuthentication" in str(exc):
        return _error(
            f"the MFA code for {who} was not accepted",
            "enter the code the device shows now (each code works once, for about 30 seconds)",
            "MfaCodeRejected",
        )
    if isinstance(exc, bce.NoRegionError):
        from .credentials import no_region

        return no_region(profile)
    if isinstance(exc, (bce.SSOTokenLoadError, bce.UnauthorizedSSOTokenError, bce.TokenRetrievalError)) or (
        isinstance(exc, bce.ClientError) and error_code(exc) == "UnauthorizedException"
    ):
        login = _sso_profile(profile)  # for a role chained on SSO, log in with the SSO profile
        return _error(
            f"the SSO session of {who} has expired or was never started",
            f"run 'aws sso login --profile {login}'" if login else "run 'aws sso login'",
            "SSOTokenExpired",
        )
    if isinstance(exc, bce.InvalidConfigError):
        return _error(_first_line(str(exc)), f"fix {who} in {_config_file()}", "InvalidConfig")
    if isinstance(exc, bce.CredentialRetrievalError):
        why = _first_line(str(exc).split(": ", 1)[-1])
        return _error(
            f"the credential source of {who} failed: {why}",
            f"run the credential_process of {who} in a shell to see why",
            "CredentialRetrievalError",
        )
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ReadTimeoutError)):
        host = urlsplit(exc.kwargs.get("endpoint_url", "")).netloc or "the endpoint"
        return _error(
            f"STS at {host} is not answering",
            f"check the network, or the endpoint of {who}" if stored is not None
            else "check the network, or the endpoint_url of the profile" if profile else "check the network",
            "EndpointUnreachable",
        )
    return explain(exc, profile=profile)


def _static_with_token(profile: str) -> bool:
    try:
        chain = _chain(profile)
    except AwsError:
        return False
    return bool(chain) and not chain[0][1].get("role_arn") and bool(chain[0][1].get("aws_session_token"))


def _error(message: str, fix: str, code: str) -> AwsError:
    return AwsError(redact(message), redact(fix), code)


def _config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


__all__ = [
    "KEYRING_PREFIX", "AwsError", "Kind", "ProfileInfo", "describe_ambient", "describe_keyring", "explain_identity",
    "list_profiles", "mfa_required", "resolve_identity",  # noqa: F822  (mfa_required: module __getattr__)
]
