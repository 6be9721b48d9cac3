"""apply's IAM steps: the replication role (created, or its trust updated; adopted with --adopt) and its inline policy.

A role is ours only when tagged ours (``core.ownership``); one that appeared
since the plan and is not ours is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..core.models import Step
from ..core.ownership import MANAGED_TAG, MANAGED_VALUE, role_tags
from ..core.policy_json import dump_policy, load_policy
from .apply_executor import ExecutorBase, Side
from .apply_result import Outcome
from .backoff import ABSENT
from .errors import AwsError, error_code


class RoleSteps(ExecutorBase):
    # -- IAM -------------------------------------------------------------------------------------

    def _get_role(self, side: Side, name: str) -> dict[str, Any] | None:
        iam = side.clients("iam")
        answer = self.call(side, f"iam.get_role {name!r}", lambda: iam.get_role(RoleName=name), absent=("NoSuchEntity",))
        return None if answer is ABSENT else answer["Role"]

    def _create_role(self, side: Side, step: Step, name: str, trust: dict[str, Any], description: str) -> None:
        iam = side.clients("iam")
        self.write(
            side, step, call="iam.create_role", target=f"role {name}", region=None, before=None, after=trust,
            send=lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=dump_policy(trust), Description=description,
                                         Tags=role_tags(self.plan.id)),
        )
        self.created_roles.add(name)

    def _set_trust(self, side: Side, step: Step, name: str, current: Any, trust: dict[str, Any]) -> None:
        iam = side.clients("iam")
        self.write(
            side, step, call="iam.update_assume_role_policy", target=f"role {name}", region=None,
            before=current, after=trust,
            send=lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=dump_policy(trust)),
            retry=self._role_not_visible(name),
        )

    def create_role(self, step: Step) -> Outcome:
        side = self.side(step.account)
        name = step.request["RoleName"]
        trust = load_policy(step.request["AssumeRolePolicyDocument"])
        role = self._get_role(side, name)
        if role is None:
            self._create_role(side, step, name, trust, step.request.get("Description", "s3xrep"))
            return Outcome("done", f"role {name} created")
        if not self._tagged_ours(side, name):
            raise AwsError(
                f"role {name} was absent when the plan was made but exists now, and it is not ours (no "
                f"{MANAGED_TAG}={MANAGED_VALUE} tag): refusing to change it",
                "plan again: the plan then says whose role it is and offers --role-name or --adopt",
                "RoleNotOurs",
            )
        current = load_policy(role.get("AssumeRolePolicyDocument"))
        if current == trust:
            return Outcome("no-op", f"role {name} already exists with this trust policy")
        self._set_trust(side, step, name, current, trust)
        return Outcome("done", f"role {name} already existed: its trust policy was updated")

    def update_trust(self, step: Step) -> Outcome:
        side = self.side(step.account)
        name = step.request["RoleName"]
        trust = load_policy(step.request["PolicyDocument"])
        role = self._get_role(side, name)
        if role is None:
            self._create_role(side, step, name, trust, "s3xrep: replication")
            return Outcome("done", f"role {name} no longer existed: created it")
        current = load_policy(role.get("AssumeRolePolicyDocument"))
        adopted = self.options.adopt and self._adopt(side, step, name, current)
        if current == trust:
            return Outcome("done" if adopted else "no-op", f"role {name} " + (
                "tagged ours; already trusted as needed" if adopted else "already trusted as needed"))
        self._set_trust(side, step, name, current, trust)
        return Outcome("done", f"trust policy of role {name} updated" + ("; tagged ours" if adopted else ""))

    def _role_tags(self, side: Side, name: str) -> dict[str, str]:
        iam = side.clients("iam")
        answer = self.call(side, f"iam.list_role_tags {name!r}", lambda: iam.list_role_tags(RoleName=name))
        return {t["Key"]: t.get("Value", "") for t in answer.get("Tags") or []}

    def _tagged_ours(self, side: Side, name: str) -> bool:
        return self._role_tags(side, name).get(MANAGED_TAG) == MANAGED_VALUE

    def _adopt(self, side: Side, step: Step, name: str, trust: Any) -> bool:
        """A role the user adopted (--adopt), untagged: journal all of it (trust, policies, tags), then tag it ours."""
        tags = self._role_tags(side, name)
        if tags.get(MANAGED_TAG) == MANAGED_VALUE:
            return False
        iam = side.clients("iam")
        inline = self.call(side, f"iam.list_role_policies {name!r}", lambda: iam.list_role_policies(RoleName=name))
        policies = {
            policy: load_policy(self.call(side, f"iam.get_role_policy {policy!r} of role {name!r}",
                                     lambda policy=policy: iam.get_role_policy(RoleName=name, PolicyName=policy))
                           .get("PolicyDocument"))
            for policy in inline.get("PolicyNames") or []
        }
        attached = self.call(side, f"iam.list_attached_role_policies {name!r}",
                             lambda: iam.list_attached_role_policies(RoleName=name))
        ours = role_tags(self.plan.id)[:1]  # managed-by only: the role was not created by this plan
        self.write(
            side, step, call="iam.tag_role", target=f"role {name}", region=None,
            before={"Tags": tags, "AssumeRolePolicyDocument": trust, "InlinePolicies": policies,
                    "AttachedPolicies": [p.get("PolicyArn") for p in attached.get("AttachedPolicies") or []]},
            after={"Tags": {t["Key"]: t["Value"] for t in ours}},
            send=lambda: iam.tag_role(RoleName=name, Tags=ours),
        )
        return True

    def _role_not_visible(self, name: str) -> Callable[[ClientError], str | None]:
        def reason(exc: ClientError) -> str | None:
            if error_code(exc) == "NoSuchEntity" and name in self.created_roles:
                return f"waiting for IAM to show the new role {name}"
            return None

        return reason

    def role_policy(self, step: Step) -> Outcome:
        side = self.side(step.account)
        request = step.request
        name, policy_name = request["RoleName"], request["PolicyName"]
        wanted = load_policy(request["PolicyDocument"])
        iam = side.clients("iam")
        answer = self.call(
            side, f"iam.get_role_policy {policy_name!r} of role {name!r}",
            lambda: iam.get_role_policy(RoleName=name, PolicyName=policy_name),
            absent=("NoSuchEntity",),
        )
        current = None if answer is ABSENT else load_policy(answer.get("PolicyDocument"))
        if current == wanted:
            return Outcome("no-op", f"role {name} already has inline policy {policy_name} as planned")
        self.write(
            side, step, call=step.call, target=f"role {name} policy {policy_name}", region=None,
            before=current, after=wanted,
            send=lambda: iam.put_role_policy(**request),
            retry=self._role_not_visible(name),
        )
        return Outcome("done", f"inline policy {policy_name} {'updated' if current else 'added'} on role {name}")

