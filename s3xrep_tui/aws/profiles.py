"""The identities a user can pick: named profiles and the ambient credential chain.

Listing reads ``~/.aws/config`` and ``~/.aws/credentials`` through botocore (so
``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` are honoured) and never
touches credentials: no SSO token, no role assumption, no process, no network.
Resolving asks STS who a profile is, in the profile's own region, and turns
every way that can fail into one line saying what is wrong and one saying what
to run. Nothing here ever returns, logs or formats a secret.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import botocore.exceptions as bce
import botocore.session
from botocore.config import Config

from ..core.models import Account
from .clients import open_session
from .errors import AwsError, error_code, explain, redact
from .identity import partition_of_arn

log = logging.getLogger(__name__)

Kind = Literal["static", "sso", "assume-role", "process", "ambient", "unknown"]

DEFAULT_REGION = "us-east-1"

# One quick retry: a profile that does not answer should say so in seconds,
# not after the five attempts the data-plane clients use.
_STS_CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"},
    connect_timeout=4,
    read_timeout=10,
    user_agent_extra="s3xrep-tui",
)


@dataclass(frozen=True)
class ProfileInfo:
    """One identity the user can choose, as the config files describe it."""

    name: str | None  # None: the ambient chain (what boto3 uses with no profile)
    kind: Kind
    region: str | None = None
    endpoint_url: str | None = None
    mfa: bool = False  # an mfa_serial is configured (botocore would prompt for a code)
    via: str | None = None  # assume-role: source_profile or credential_source; sso: session or start URL
    detail: str = ""  # one line for humans: where the credentials come from

    @property
    def key(self) -> str:
        """A stable identifier, distinct for the ambient chain and any profile name."""
        return "ambient" if self.name is None else f"profile:{self.name}"

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
        try:
            region = botocore.session.Session().get_config_variable("region")
        except bce.BotoCoreError:  # AWS_PROFILE names a profile that does not exist
            region = None
    endpoint = env.get("AWS_ENDPOINT_URL")
    return ProfileInfo(None, "ambient", region, endpoint, False, None, detail)


def list_profiles(include_ambient: bool = True) -> list[ProfileInfo]:
    """The ambient chain first, then every named profile in file order.

    Raises :class:`AwsError` when a config file cannot be parsed.
    """
    profiles, _ = _profiles_config()
    found = [_classify(name, conf) for name, conf in profiles.items()]
    if include_ambient:
        found.insert(0, describe_ambient())
    return found


# --- resolving -------------------------------------------------------------


def resolve_identity(profile: str | None) -> Account:
    """Who ``profile`` is (``None``: the ambient chain), via STS in its region.

    Raises :class:`AwsError` (``message``, ``fix``, ``code``); never prompts.
    """
    label = profile or "the ambient credentials"
    try:
        _refuse_prompts(profile)
        session = open_session(profile)
        _disable_mfa_prompt(session)
        region = session.region_name or DEFAULT_REGION
        sts = session.client("sts", region_name=region, config=_STS_CONFIG)
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
    profiles, _ = _profiles_config()
    chain: list[tuple[str, dict[str, Any]]] = []
    name: str | None = profile
    while name and name in profiles and all(name != seen for seen, _ in chain):
        conf = profiles[name]
        chain.append((name, conf))
        name = conf.get("source_profile") if conf.get("role_arn") and conf.get("source_profile") != name else None
    return chain


def _refuse_prompts(profile: str | None) -> None:
    # botocore asks for an MFA code with getpass on the terminal, which would
    # corrupt the screen and hang the worker. Refuse before it gets there.
    if profile is None:
        return
    for name, conf in _chain(profile):
        if conf.get("role_arn") and conf.get("mfa_serial"):
            raise _error(
                f"profile {name} assumes a role that needs an MFA code, which the app cannot ask for",
                f"in a shell run 'eval $(aws configure export-credentials --profile {profile} --format env)', "
                "then start s3xrep there and pick (ambient)",
                "MfaRequired",
            )


def _refuse_mfa_prompt(*_: Any, **__: Any) -> str:
    raise _error(
        "this role needs an MFA code, which the app cannot ask for",
        "export credentials in a shell with 'aws configure export-credentials --format env', then pick (ambient)",
        "MfaRequired",
    )


def _disable_mfa_prompt(session: Any) -> None:
    # A second guard for chains _refuse_prompts cannot see (credential_source).
    try:
        provider = session._session.get_component("credential_provider").get_provider("assume-role")
    except Exception:  # private API moved: the pre-check above still holds
        return
    if hasattr(provider, "_prompter"):
        provider._prompter = _refuse_mfa_prompt


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
    who = f"profile {profile}" if profile else "the ambient credentials"
    if isinstance(exc, AwsError):
        return exc
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
            "check the network, or the endpoint_url of the profile" if profile else "check the network",
            "EndpointUnreachable",
        )
    return explain(exc, profile=profile)


def _error(message: str, fix: str, code: str) -> AwsError:
    return AwsError(redact(message), redact(fix), code)


def _config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


__all__ = ["AwsError", "Kind", "ProfileInfo", "describe_ambient", "explain_identity", "list_profiles", "resolve_identity"]
