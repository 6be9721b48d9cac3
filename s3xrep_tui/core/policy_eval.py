"""A small, pure IAM policy evaluator: one policy document, one request, which statement decides.

Follows AWS's "Policy evaluation logic" and "IAM JSON policy elements: Condition operators"
pages for what replication's requests meet: an explicit Deny wins over any Allow, an Allow
decides only when no Deny applies, and nothing matching is an implicit deny. Supported:
``Effect``, ``Principal`` / ``NotPrincipal`` (``AWS``, ``Service``, ``"*"``), ``Action`` /
``NotAction`` and ``Resource`` / ``NotResource`` with ``*`` and ``?`` wildcards (and the
``${*}``, ``${?}``, ``${$}`` literals), and the common condition operators, with the
``IfExists`` suffix and the ``ForAnyValue:`` / ``ForAllValues:`` prefixes.

A condition this module cannot evaluate (an unknown operator) never decides silently: an
Allow that depends on it does not allow, and a Deny that depends on it is reported in
``Decision.unevaluated`` so that the caller can say so. The sandbox's IAM emulation and the
preflight both use this module, so the two never disagree.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

Effect = Literal["allow", "deny", "implicit"]
ContextValue = str | bool | int | Sequence[str]

_ROLE_SESSION = re.compile(r"^arn:(aws[\w-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$")
_IAM_ACCOUNT = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):")
_LITERALS = {"${*}": "*", "${?}": "?", "${$}": "$"}


@dataclass(frozen=True)
class Request:
    """One API request as IAM sees it. ``context`` holds condition keys (case-insensitive)."""

    principal: str  # a role, user or session ARN, a 12-digit account, or a service principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    effect: Effect
    statement: dict[str, Any] | None = None  # the statement that decided (the Deny, or the first Allow)
    unevaluated: tuple[dict[str, Any], ...] = ()  # matching Deny statements with a condition we cannot evaluate

    @property
    def allowed(self) -> bool:
        return self.effect == "allow"


class _Unknown(Exception):
    """A condition operator (or value) this evaluator does not understand."""


# --------------------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for token in re.split(r"(\$\{[*?$]\}|\*|\?)", pattern):
        if token in _LITERALS:
            parts.append(re.escape(_LITERALS[token]))
        elif token == "*":
            parts.append(".*")
        elif token == "?":
            parts.append(".")
        else:
            parts.append(re.escape(token))
    return re.compile("^" + "".join(parts) + "$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character, ``${*}`` a literal ``*``."""
    return bool(_glob(pattern, ignore_case).match(value))


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def account_of(principal: str) -> str | None:
    """The account id of an IAM/STS ARN or of a bare 12-digit account, or None (services)."""
    if re.fullmatch(r"\d{12}", principal or ""):
        return principal
    match = _IAM_ACCOUNT.match(principal or "")
    return match.group(1) if match else None


def _role_of_session(principal: str) -> str | None:
    match = _ROLE_SESSION.match(principal)
    return f"arn:{match.group(1)}:iam::{match.group(2)}:role/{match.group(3)}" if match else None


def _same_role(listed: str, principal: str) -> bool:
    """A role ARN names the role whatever its path; a session of it is the role too."""
    role = _role_of_session(principal) or principal
    if ":role/" not in listed or ":role/" not in role:
        return False
    head_l, _, name_l = listed.partition(":role/")
    head_r, _, name_r = role.partition(":role/")
    return head_l == head_r and name_l.rsplit("/", 1)[-1] == name_r.rsplit("/", 1)[-1]


def principal_matches(element: Any, principal: str) -> bool:
    """Does a ``Principal`` (or ``NotPrincipal``) element name ``principal``?"""
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    account = account_of(principal)
    for value in map(str, as_list(element.get("AWS"))):
        if value == "*" or value == principal or _same_role(value, principal):
            return True
        if account and (value == account or re.fullmatch(rf"arn:aws[\w-]*:iam::{account}:root", value)):
            return True
    return any(str(value) == principal for value in as_list(element.get("Service")))


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(glob_match(str(p), action, ignore_case=True) for p in as_list(statement["NotAction"]))
    return any(glob_match(str(p), action, ignore_case=True) for p in as_list(statement.get("Action")))


def _resource_matches(statement: dict[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(glob_match(str(p), resource) for p in as_list(statement["NotResource"]))
    if "Resource" not in statement:  # trust policies and key policies may omit it
        return True
    return any(glob_match(str(p), resource) for p in as_list(statement["Resource"]))


def _principal_ok(statement: dict[str, Any], principal: str, identity: bool) -> bool:
    if identity:  # identity policies have no Principal: the policy's holder is the principal
        return True
    if "NotPrincipal" in statement:
        return not principal_matches(statement["NotPrincipal"], principal)
    return principal_matches(statement.get("Principal"), principal)


# --------------------------------------------------------------------------- conditions


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _string_eq(pattern: str, value: str) -> bool:
    return pattern == value


def _string_eq_ci(pattern: str, value: str) -> bool:
    return pattern.lower() == value.lower()


def _like(pattern: str, value: str) -> bool:
    return glob_match(pattern, value)


def _bool(pattern: str, value: str) -> bool:
    return pattern.lower() == value.lower()


def _numeric(compare: Any) -> Any:
    def test(pattern: str, value: str) -> bool:
        try:
            return bool(compare(float(value), float(pattern)))
        except ValueError:
            return False

    return test


def _ip(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False


# operator -> (test of one policy value against one request value, negated)
_OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (_string_eq, False),
    "StringNotEquals": (_string_eq, True),
    "StringEqualsIgnoreCase": (_string_eq_ci, False),
    "StringNotEqualsIgnoreCase": (_string_eq_ci, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (_like, False),  # AWS matches ARNs segment by segment, wildcards allowed in both
    "ArnLike": (_like, False),
    "ArnNotEquals": (_like, True),
    "ArnNotLike": (_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric(lambda a, b: a == b), False),
    "NumericNotEquals": (_numeric(lambda a, b: a == b), True),
    "NumericLessThan": (_numeric(lambda a, b: a < b), False),
    "NumericLessThanEquals": (_numeric(lambda a, b: a <= b), False),
    "NumericGreaterThan": (_numeric(lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, b: a >= b), False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
}


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            return [_text(v) for v in as_list(value)] if isinstance(value, (list, tuple)) else [_text(value)]
    return None


def _one_key(operator: str, key: str, expected: Any, context: Mapping[str, ContextValue]) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base[: -len("IfExists")] if if_exists else base
    patterns = [_text(v) for v in as_list(expected)]
    actual = _lookup(context, key)
    if base == "Null":
        if qualifier or if_exists or not patterns:
            raise _Unknown(operator)
        return all((actual is None) == (p.lower() == "true") for p in patterns)
    if base not in _OPERATORS or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise _Unknown(operator)
    test, negated = _OPERATORS[base]
    if actual is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated and qualifier == ""  # a missing key never equals, so "not equals" holds

    def value_ok(value: str) -> bool:
        hit = any(test(pattern, value) for pattern in patterns)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(value_ok(v) for v in actual)
    if qualifier == "ForAnyValue" or not negated:
        return any(value_ok(v) for v in actual)
    return all(value_ok(v) for v in actual)  # a negated operator on a multi-valued key: none may match


def conditions_hold(condition: Any, context: Mapping[str, ContextValue]) -> bool:
    """Every operator and every key in a ``Condition`` block holds (AND); values of one key are OR.

    Raises ``ValueError`` for what cannot be evaluated (an unknown operator, a malformed block).
    """
    if condition is None:
        return True
    if not isinstance(condition, dict):
        raise ValueError("Condition is not an object")
    try:
        for operator, keys in condition.items():
            if not isinstance(keys, dict):
                raise _Unknown(operator)
            for key, expected in keys.items():
                if not _one_key(str(operator), str(key), expected, context):
                    return False
    except _Unknown as unknown:
        raise ValueError(f"condition operator {unknown.args[0]!r} cannot be evaluated") from None
    return True


# --------------------------------------------------------------------------- evaluation


def statements(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        for statement in as_list(document.get("Statement")):
            if isinstance(statement, dict):
                yield statement


def evaluate(document: Any, request: Request, *, identity: bool = False) -> Decision:
    """What ``document`` says about ``request``: an explicit Deny, an Allow, or nothing (implicit).

    ``identity``: the document is an identity policy (no ``Principal`` element); otherwise a
    resource policy (bucket policy, key policy, trust policy) whose statements name principals.
    """
    allowing: dict[str, Any] | None = None
    unevaluated: list[dict[str, Any]] = []
    for statement in statements(document):
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            continue
        if not (
            _principal_ok(statement, request.principal, identity)
            and _action_matches(statement, request.action)
            and _resource_matches(statement, request.resource)
        ):
            continue
        try:
            holds = conditions_hold(statement.get("Condition"), request.context)
        except ValueError:
            if effect == "Deny":
                unevaluated.append(statement)
            continue  # an Allow we cannot evaluate does not allow
        if not holds:
            continue
        if effect == "Deny":
            return Decision("deny", statement, tuple(unevaluated))
        if allowing is None:
            allowing = statement
    if allowing is not None:
        return Decision("allow", allowing, tuple(unevaluated))
    return Decision("implicit", None, tuple(unevaluated))
