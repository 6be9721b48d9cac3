"""Merges that lose nothing: bucket/key policies and replication configurations.

``put_bucket_policy``, ``put_key_policy`` and ``put_bucket_replication`` replace
the whole document, so everything we write is a merge of what is there now and
what we need (AWS: S3 API Reference, PutBucketPolicy and PutBucketReplication: each replaces the
whole document). The rules:

* a policy statement is OURS when its ``Sid`` starts with our Sid family, its
  ``Principal`` is the principal of our statements, and it is proven ours: it is
  exactly the statement we would write under that Sid, or the journal says an
  apply of this plan wrote it (``proven``, :mod:`.statement_proof`); ours are
  replaced in place, appended when new and removed when no longer wanted;
  everything else is foreign and kept exactly (same content, same relative order);
* a statement in our Sid family with another principal or a shape we never write
  is a collision: we refuse; one with our principal that is not proven ours is
  kept (``unproven``) when its Sid is not one we write, and refused when it is
  (unless ``adopt``: the user's journaled decision to replace it, ``adopted``);
* a replication rule is ours when its ``ID`` is our rule ID; it is replaced in
  place; every other rule is kept verbatim, priority included; V1 rules are
  refused (mixing schemas is rejected by S3, converting changes behaviour).

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .errors import S3xrepError
from .names import MAX_RULE_ID_LENGTH, bucket_from_arn
from .statement_proof import statement_fingerprint

POLICY_VERSION = "2012-10-17"
BUCKET_POLICY_LIMIT = 20 * 1024  # bytes, minified
KEY_POLICY_LIMIT = 32 * 1024  # bytes, minified
MAX_REPLICATION_RULES = 1000
RTC_MINUTES = 15  # the only value of ReplicationTime.Time.Minutes and Metrics.EventThreshold.Minutes


class MergeError(S3xrepError, ValueError):
    """A document cannot be merged safely.

    ``message`` names the problem and the document, ``fix`` says what the user
    does about it, ``finding_id`` is a stable kebab-case id (for a Finding).
    """

    def __init__(self, message: str, *, fix: str, finding_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.finding_id = finding_id

    def __str__(self) -> str:
        return f"{self.message} ({self.fix})"


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class PolicyMerge:
    policy: dict[str, Any]
    added: tuple[str, ...]  # our Sids that were not there
    replaced: tuple[str, ...]  # our Sids that were there with different content
    removed: tuple[str, ...]  # our Sids that were there and are no longer wanted
    foreign: int  # how many statements are not ours (all kept)
    changed: bool  # False: the merged policy equals the existing one, nothing to write
    size: int  # minified bytes, as S3/KMS measure it
    unproven: tuple[str, ...] = ()  # Sids in our family naming our principal, not proven ours: kept
    adopted: tuple[str, ...] = ()  # Sids of statements not proven ours that ``adopt`` replaced

    @property
    def empty(self) -> bool:
        """No statement left: delete the policy instead of putting an empty one (S3 rejects it)."""
        return not self.policy.get("Statement")

    def text(self) -> str:
        return minified(self.policy)


def minified(policy: dict[str, Any]) -> str:
    return json.dumps(policy, separators=(",", ":"))


def policy_size(policy: dict[str, Any]) -> int:
    """Bytes as AWS counts them for the policy size limits (whitespace removed)."""
    return len(minified(policy).encode())


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def parse_policy(text: str | None, *, what: str) -> dict[str, Any]:
    """JSON policy text -> dict with ``Statement`` as a list.

    ``None`` (no policy) is an empty policy. A single-statement ``Statement``
    object is normalised to a one-element list. Malformed JSON, a document that
    is not an object, or a ``Statement`` of the wrong type raises ``MergeError``
    naming ``what`` (e.g. "the bucket policy of acme-platform-media").
    """
    if text is None:
        return {"Version": POLICY_VERSION, "Statement": []}
    fix = f"correct {what} by hand (or remove it) so that it is a valid JSON policy document, then run the plan again"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise MergeError(
            f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno} (character {error.pos})",
            fix=fix,
            finding_id="policy-invalid-json",
        ) from None
    except (TypeError, ValueError) as error:  # not a str, or a str json refuses
        raise MergeError(f"{what} is not valid JSON: {error}", fix=fix, finding_id="policy-invalid-json") from None
    if not isinstance(document, dict):
        raise MergeError(
            f"{what} is a JSON {_json_type(document)} at the top level, not an object",
            fix=fix,
            finding_id="policy-not-object",
        )
    policy = dict(document)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    elif not isinstance(statements, list):
        raise MergeError(
            f"{what}: \"Statement\" is a JSON {_json_type(statements)}, not a list of statement objects",
            fix=fix,
            finding_id="policy-statement-invalid",
        )
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            raise MergeError(
                f"{what}: Statement[{index}] is a JSON {_json_type(statement)}, not a statement object",
                fix=fix,
                finding_id="policy-statement-invalid",
            )
    policy["Statement"] = list(statements)
    return policy


def _as_values(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(sorted({str(item) for item in items}))


def normalise_principal(principal: Any) -> Any:
    """A hashable, order-insensitive form: ``{"AWS": x}`` equals ``{"AWS": [x]}``; ``"*"`` equals ``{"AWS": "*"}``."""
    if principal is None:
        return None
    if isinstance(principal, str):
        return (("AWS", _as_values(principal)),) if principal == "*" else ("?", principal)
    if isinstance(principal, dict):
        return tuple(sorted((str(key), _as_values(value)) for key, value in principal.items()))
    return ("?", json.dumps(principal, sort_keys=True))


def merge_policy(
    existing: str | None,
    ours: list[dict[str, Any]],
    *,
    family: str,
    what: str,
    limit: int,
    proven: Collection[str] = (),
    adopt: bool | None = None,
) -> PolicyMerge:
    """Merge ``ours`` into the ``existing`` policy text (``None``: no policy yet).

    Every statement of ``ours`` must have a unique Sid starting with ``family``
    (a programming error otherwise: ``ValueError``). When ``ours`` is empty no
    principal is known, so nothing can be recognised as ours: the policy is
    returned unchanged. ``proven``: fingerprints of the statements the journal says
    we wrote; ``adopt``: the user's decision to replace a statement with our Sid
    that is not proven ours (None: this caller offers no adoption).
    """
    sids = _our_sids(ours, family)
    wanted = {statement["Sid"]: copy.deepcopy(statement) for statement in ours}
    principals = {normalise_principal(statement.get("Principal")) for statement in ours}

    original = parse_policy(existing, what=what)
    statements: list[dict[str, Any]] = []
    added: list[str] = []
    replaced: list[str] = []
    removed: list[str] = []
    unproven: list[str] = []
    adopted: list[str] = []
    seen: set[str] = set()
    foreign = 0
    for statement in original["Statement"]:
        sid = statement.get("Sid")
        if not (ours and isinstance(sid, str) and sid.startswith(family)):
            foreign += 1
            statements.append(statement)
            continue
        _refuse_unless_ours(statement, sid, principals, family=family, what=what)
        if not _proven(statement, wanted.get(sid), proven):
            if sid not in wanted:  # not a Sid we write: theirs, kept as it is
                foreign += 1
                unproven.append(sid)
                statements.append(statement)
                continue
            if not adopt:
                raise _not_ours(statement, sid, what=what, adopt=adopt)
            adopted.append(sid)
        if sid in wanted and sid not in seen:
            seen.add(sid)
            statements.append(wanted[sid])
            if wanted[sid] != statement:
                replaced.append(sid)
        else:  # turned off, or a duplicate of one already kept
            removed.append(sid)
    for sid in sids:
        if sid not in seen:
            statements.append(wanted[sid])
            added.append(sid)

    merged = {**original, "Statement": statements}
    size = _within(merged, what, limit)
    return PolicyMerge(
        policy=merged,
        added=tuple(added),
        replaced=tuple(replaced),
        removed=tuple(removed),
        foreign=foreign,
        changed=merged != original,
        size=size,
        unproven=tuple(unproven),
        adopted=tuple(adopted),
    )


def _our_sids(ours: list[dict[str, Any]], family: str) -> list[str]:
    """Our statements' Sids, each unique and in ``family`` (anything else is a programming error)."""
    if not family:
        raise ValueError("the Sid family must not be empty")
    sids: list[str] = []
    for statement in ours:
        sid = statement.get("Sid")
        if not isinstance(sid, str) or not sid.startswith(family):
            raise ValueError(f"our statement Sid {sid!r} does not start with the family {family!r}")
        if sid in sids:
            raise ValueError(f"our statements repeat the Sid {sid!r}")
        sids.append(sid)
    return sids


def _within(merged: dict[str, Any], what: str, limit: int) -> int:
    """The merged policy's size, refused above ``limit``."""
    size = policy_size(merged)
    if size > limit:
        raise MergeError(
            f"{what} would be {size:,} bytes after adding our statements; the limit is {limit:,} bytes "
            "(measured without whitespace)",
            fix=f"shorten or consolidate the other statements in {what} (for example merge statements that differ "
            "only in Resource), then run the plan again",
            finding_id="policy-too-large",
        )
    return size


def _proven(statement: dict[str, Any], wanted: dict[str, Any] | None, proven: Collection[str]) -> bool:
    """Ours by proof: exactly what we would write under its Sid, or written by an apply of this plan."""
    fingerprint = statement_fingerprint(statement)
    return fingerprint in proven or (wanted is not None and fingerprint == statement_fingerprint(wanted))


def _not_ours(statement: dict[str, Any], sid: str, *, what: str, adopt: bool | None) -> MergeError:
    """A statement with a Sid we write, naming our role, that we cannot prove we wrote: not overwritten."""
    fix = f"rename the Sid of that statement (or remove it) in {what}, then run the plan again"
    if adopt is not None:
        fix += "; or pass --adopt to replace it with ours (the policy as it is now is journaled first; undo puts it back)"
    return MergeError(
        f"{what} already has a statement {sid!r} naming our role ({_brief(statement)}), but neither is it what "
        "this plan would write nor did this plan's journal write it: someone else may have written it, and "
        "replacing it would silently change what it grants",
        fix=fix, finding_id="policy-statement-not-ours",
    )


def _brief(statement: dict[str, Any]) -> str:
    actions = statement.get("Action")
    listed = ", ".join(map(str, actions)) if isinstance(actions, list) else str(actions)
    return f"{statement.get('Effect')} {listed} on {json.dumps(statement.get('Resource'))}"[:300]


def _refuse_unless_ours(statement: dict[str, Any], sid: str, principals: set[Any], *, family: str, what: str) -> None:
    """A statement in our Sid family is ours only with our principal and our shape: anything else is a collision."""
    fix = f"rename the Sid of that statement (or remove the statement) in {what}, then run the plan again"
    if normalise_principal(statement.get("Principal")) not in principals or "NotPrincipal" in statement:
        raise MergeError(
            f"{what} already has a statement with Sid {sid!r}, which is in the Sid family {family!r} this tool "
            f"uses for its own statements, but its principal {json.dumps(statement.get('Principal'))} is not "
            "ours: refusing to overwrite a statement we did not write",
            fix=fix, finding_id="policy-sid-collision",
        )
    if not _could_be_ours(statement):  # a Deny naming our role, say: removing it would lift a guard
        raise MergeError(
            f"{what} already has a statement with Sid {sid!r}, in the Sid family {family!r} this tool uses for "
            f"its own statements, but it is {_shape(statement)}, which this tool never writes: refusing to "
            "overwrite (replace or remove) a statement we did not write",
            fix=fix, finding_id="policy-sid-collision",
        )


_OUR_KEYS = frozenset({"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})


def _could_be_ours(statement: dict[str, Any]) -> bool:
    """Our statements are Allows of Action on Resource (``policy_parts.statement``); nothing else is ours."""
    return statement.get("Effect") == "Allow" and set(statement) <= _OUR_KEYS


def _shape(statement: dict[str, Any]) -> str:
    if statement.get("Effect") != "Allow":
        return f"a {json.dumps(statement.get('Effect'))} statement"
    return "a statement with " + ", ".join(sorted(set(statement) - _OUR_KEYS))


def merge_bucket_policy(existing: str | None, ours: list[dict[str, Any]], *, family: str, bucket: str,
                        proven: Collection[str] = (), adopt: bool | None = None) -> PolicyMerge:
    return merge_policy(
        existing, ours, family=family, what=f"the bucket policy of {bucket}", limit=BUCKET_POLICY_LIMIT,
        proven=proven, adopt=adopt,
    )


def merge_key_policy(existing: str | None, ours: list[dict[str, Any]], *, family: str, key: str,
                     proven: Collection[str] = (), adopt: bool | None = None) -> PolicyMerge:
    return merge_policy(existing, ours, family=family, what=f"the key policy of {key}", limit=KEY_POLICY_LIMIT,
                        proven=proven, adopt=adopt)


# --------------------------------------------------------------------------- replication


@dataclass(frozen=True)
class ReplicationMerge:
    configuration: dict[str, Any]
    role: str  # the Role of the merged configuration
    reused_existing_role: bool  # True: the existing Role was kept; grant it our permissions
    replaced_rule: bool  # True: a rule with our ID was there and is replaced in place
    priority: int  # the Priority of our rule
    other_rules: tuple[dict[str, Any], ...]  # every other rule, verbatim
    other_destinations: tuple[str, ...]  # with replace_role: buckets whose policies must trust our role
    changed: bool  # False: the result equals the existing configuration


def is_v1_rule(rule: dict[str, Any]) -> bool:
    """A V1 (schema 1) rule: a top-level ``Prefix`` and no ``Filter``."""
    return "Prefix" in rule and "Filter" not in rule


def rule_destination(rule: dict[str, Any]) -> str | None:
    destination = rule.get("Destination")
    bucket = destination.get("Bucket") if isinstance(destination, dict) else None
    return bucket_from_arn(bucket) if isinstance(bucket, str) else None


def rule_limit_problem(rule: dict[str, Any]) -> str | None:
    """What in ``rule`` S3 would refuse at PutBucketReplication (its documented limits), or None."""
    rule_id = rule.get("ID")
    if isinstance(rule_id, str) and len(rule_id) > MAX_RULE_ID_LENGTH:
        return f"rule ID is {len(rule_id)} characters; S3 allows at most {MAX_RULE_ID_LENGTH}"
    tags = ((rule.get("Filter") or {}).get("And") or {}).get("Tags") or []
    keys = [tag.get("Key") for tag in tags if isinstance(tag, dict)]
    if len(keys) != len(set(keys)):
        return "the rule's tag filter repeats a tag key; S3 requires the keys of a filter to be unique"
    destination = rule.get("Destination") or {}
    for outer, inner in (("ReplicationTime", "Time"), ("Metrics", "EventThreshold")):
        minutes = ((destination.get(outer) or {}).get(inner) or {}).get("Minutes", RTC_MINUTES)
        if minutes != RTC_MINUTES:
            return f"{outer}.{inner}.Minutes is {minutes}; S3 takes only {RTC_MINUTES}"
    return None


def next_priority(existing_rules: Any, wanted: int | None) -> int:
    """The priority for our rule among ``existing_rules`` (the OTHER rules).

    ``wanted`` (the user's explicit choice) is returned unless another rule
    already uses it (``MergeError``); ``None`` picks the lowest positive
    integer no other rule uses.
    """
    used = {rule.get("Priority") for rule in existing_rules if isinstance(rule, dict)}
    if wanted is not None:
        if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 0:
            raise MergeError(
                f"replication rule priority {wanted!r} is not a non-negative integer",
                fix="choose a priority of 0 or more, or leave it out to use the lowest unused one",
                finding_id="replication-priority-invalid",
            )
        if wanted in used:
            holders = [str(rule.get("ID", "?")) for rule in existing_rules if rule.get("Priority") == wanted]
            raise MergeError(
                f"replication priority {wanted} is already used by rule {', '.join(holders)} of the source bucket's "
                "replication configuration (S3 requires unique priorities)",
                fix="choose another --priority, or leave it out to use the lowest unused one",
                finding_id="replication-priority-taken",
            )
        return wanted
    candidate = 1
    while candidate in used:
        candidate += 1
    return candidate


def _refuse_v1_rules(rules: list[dict[str, Any]]) -> None:
    """V1 rules cannot be mixed with ours (V2), and converting them is the user's decision."""
    v1 = [str(r.get("ID", f"#{index + 1}")) for index, r in enumerate(rules) if is_v1_rule(r)]
    if v1:
        raise MergeError(
            f"the source bucket's replication configuration has V1 rules (a top-level Prefix, no Filter): "
            f"{', '.join(v1)}. S3 does not allow mixing V1 and V2 rules, and converting them would silently change "
            "their delete-marker behaviour (V1 replicates delete markers, V2 does not unless told to)",
            fix=f"convert rule(s) {', '.join(v1)} to V2 deliberately (Filter, Priority and an explicit "
            "DeleteMarkerReplication) with aws s3api put-bucket-replication, then run the plan again",
            finding_id="replication-v1-rules",
        )


def _rule_priority(
    others: list[dict[str, Any]], rule: dict[str, Any], replaced_priority: Any, priority: int | None
) -> int:
    """The user's priority, else the replaced rule's, else our rule's hint when unused, else the lowest unused."""
    if priority is not None:
        return next_priority(others, priority)
    if isinstance(replaced_priority, int) and not isinstance(replaced_priority, bool):
        return replaced_priority
    hint = rule.get("Priority")
    used = {r.get("Priority") for r in others}
    if isinstance(hint, int) and not isinstance(hint, bool) and hint >= 1 and hint not in used:
        return hint
    return next_priority(others, None)


def merge_replication(
    existing: dict[str, Any] | None,
    rule: dict[str, Any],
    *,
    role: str,
    replace_role: bool = False,
    priority: int | None = None,
) -> ReplicationMerge:
    """Merge our ``rule`` into the ``existing`` ReplicationConfiguration (``None``: none yet).

    Priority: ``priority`` is the user's explicit choice (options.priority) and
    must be unused by other rules. Without it, the priority of the rule we
    replace is kept; failing that, ``rule["Priority"]`` is a hint used when no
    other rule has it; otherwise the lowest unused positive integer.
    """
    rule_id = rule.get("ID")
    if not isinstance(rule_id, str) or not rule_id:
        raise ValueError("our replication rule needs an ID")
    if problem := rule_limit_problem(rule):
        raise MergeError(
            f"our replication rule {rule_id[:40]!r} cannot be put: {problem}",
            fix="change the option behind it (--rule-id, --tag), then run the plan again",
            finding_id="replication-rule-over-limits",
        )
    existing = existing or {}
    rules = existing.get("Rules") or []

    _refuse_v1_rules(rules)

    position = next((index for index, r in enumerate(rules) if r.get("ID") == rule_id), None)
    others = [r for index, r in enumerate(rules) if index != position]
    replaced_priority = rules[position].get("Priority") if position is not None else None

    chosen = _rule_priority(others, rule, replaced_priority, priority)

    ours = {**copy.deepcopy(rule), "Priority": chosen}
    merged_rules = [copy.deepcopy(r) for r in rules]
    if position is None:
        merged_rules.append(ours)
    else:
        merged_rules[position] = ours
    if len(merged_rules) > MAX_REPLICATION_RULES:
        raise MergeError(
            f"the source bucket's replication configuration already has {len(rules):,} rules; adding ours would "
            f"exceed S3's limit of {MAX_REPLICATION_RULES:,}",
            fix="remove or consolidate unused replication rules on the source bucket, then run the plan again",
            finding_id="replication-too-many-rules",
        )

    existing_role = existing.get("Role")
    reused = False
    other_destinations: tuple[str, ...] = ()
    final_role = role
    if isinstance(existing_role, str) and existing_role and existing_role != role:
        if replace_role:
            other_destinations = tuple(
                dict.fromkeys(d for d in (rule_destination(r) for r in others) if d is not None)
            )
        else:
            final_role = existing_role
            reused = True

    configuration = {**copy.deepcopy(existing), "Role": final_role, "Rules": merged_rules}
    return ReplicationMerge(
        configuration=configuration,
        role=final_role,
        reused_existing_role=reused,
        replaced_rule=position is not None,
        priority=chosen,
        other_rules=tuple(copy.deepcopy(r) for r in others),
        other_destinations=other_destinations,
        changed=configuration != existing,
    )
