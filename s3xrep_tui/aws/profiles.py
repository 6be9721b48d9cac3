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


class IdentityError(Exception):
    """Why a profile could not be resolved, and what the user can do about it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}: {self.fix}"


# --- listing ---------------------------------------------------------------


def _profiles_config() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Profiles (config and credentials files merged) and sso-session sections."""
    session = botocore.session.Session()
    try:
        full = session.full_config
    except bce.ConfigParseError as exc:
        raise IdentityError(
            f"the AWS config file cannot be parsed ({exc.kwargs.get('path', 'config')})",
            "fix the file's syntax, or point AWS_CONFIG_FILE at another file",
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

    Raises :class:`IdentityError` when a config file cannot be parsed.
    """
    profiles, _ = _profiles_config()
    found = [_classify(name, conf) for name, conf in profiles.items()]
    if include_ambient:
        found.insert(0, describe_ambient())
    return found


# --- resolving -------------------------------------------------------------


def resolve_identity(profile: str | None) -> Account:
    """Who ``profile`` is (``None``: the ambient chain), via STS in its region.

    Raises :class:`IdentityError` with a one-line message and fix; never prompts.
    """
    label = profile or "the ambient credentials"
    try:
        _refuse_prompts(profile)
        session = open_session(profile)
        _disable_mfa_prompt(session)
        region = session.region_name or DEFAULT_REGION
        sts = session.client("sts", region_name=region, config=_STS_CONFIG)
        reply = sts.get_caller_identity()
    except IdentityError:
        raise
    except Exception as exc:  # every failure becomes message + fix
        error = explain(exc, profile)
        if isinstance(exc, (bce.BotoCoreError, bce.ClientError)):
            log.info("resolving %s failed: %s (%s)", label, error.message, type(exc).__name__)
        else:  # our bug or botocore's: keep the traceback in the log
            log.exception("resolving %s failed unexpectedly", label)
        raise error from None
    arn = reply["Arn"]
    partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
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
            raise IdentityError(
                f"profile {name} assumes a role that needs an MFA code, which the app cannot ask for",
                f"in a shell run `eval $(aws configure export-credentials --profile {profile} --format env)`, "
                "then start s3xrep there and pick (ambient)",
            )


def _refuse_mfa_prompt(*_: Any, **__: Any) -> str:
    raise IdentityError(
        "this role needs an MFA code, which the app cannot ask for",
        "export credentials in a shell with `aws configure export-credentials --format env`, then pick (ambient)",
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


def explain(exc: BaseException, profile: str | None) -> IdentityError:
    """One line for what went wrong and one for the fix; no secrets, no tracebacks."""
    who = f"profile {profile}" if profile else "the ambient credentials"
    configure = f"aws configure --profile {profile}" if profile else "aws configure"
    if isinstance(exc, bce.ProfileNotFound):
        missing = exc.kwargs.get("profile", profile)
        return IdentityError(
            f"profile {missing} is not in the AWS config files",
            "check the name with `aws configure list-profiles`, or unset AWS_PROFILE",
        )
    if isinstance(exc, (bce.SSOTokenLoadError, bce.UnauthorizedSSOTokenError, bce.TokenRetrievalError)) or (
        isinstance(exc, bce.ClientError) and exc.response.get("Error", {}).get("Code") == "UnauthorizedException"
    ):
        login = _sso_profile(profile)
        return IdentityError(
            f"the SSO session of {who} has expired or was never started",
            f"run `aws sso login --profile {login}`" if login else "run `aws sso login`",
        )
    if isinstance(exc, bce.InvalidConfigError):
        return IdentityError(_first_line(str(exc)), f"fix {who} in ~/.aws/config")
    if isinstance(exc, bce.PartialCredentialsError):
        return IdentityError(
            f"{who} has incomplete keys ({_first_line(str(exc)).split('missing: ')[-1]} missing)",
            f"run `{configure}` to set both keys",
        )
    if isinstance(exc, bce.NoCredentialsError):
        if profile:
            return IdentityError(f"{who} has no credentials", f"run `{configure}`, or add SSO or role settings")
        return IdentityError(
            "no credentials in the environment",
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE, or run in CloudShell",
        )
    if isinstance(exc, bce.CredentialRetrievalError):
        return IdentityError(
            f"the credential source of {who} failed: {_first_line(str(exc).split(': ', 1)[-1])}",
            f"run the credential_process of {who} in a shell to see why",
        )
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ReadTimeoutError)):
        url = getattr(exc, "kwargs", {}).get("endpoint_url", "")
        host = urlsplit(url).netloc or "the endpoint"
        return IdentityError(
            f"STS at {host} is not answering",
            "check the network, or the endpoint_url of the profile" if profile else "check the network",
        )
    if isinstance(exc, bce.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"):
            return IdentityError(f"AWS rejected the keys of {who} ({code})", f"create new keys, then `{configure}`")
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return IdentityError(
                f"the session token of {who} has expired",
                f"get fresh credentials for {who}, or run `{configure}`",
            )
        if code == "AccessDenied":
            return IdentityError(
                f"access denied while resolving {who}: {_first_line(exc.response['Error'].get('Message', ''))}",
                "check the role's trust policy and the caller's sts:AssumeRole permission",
            )
        if code in ("InvalidIdentityToken", "IDPRejectedClaim"):
            return IdentityError(f"the web identity token of {who} was rejected", "refresh the token file")
        return IdentityError(f"STS refused {who}: {code}", "see the log file for the full message")
    if isinstance(exc, bce.BotoCoreError):
        return IdentityError(_first_line(str(exc)), f"check {who} in ~/.aws/config")
    return IdentityError(f"unexpected {type(exc).__name__} while resolving {who}", "see the log file")


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


__all__ = ["IdentityError", "Kind", "ProfileInfo", "describe_ambient", "explain", "list_profiles", "resolve_identity"]
