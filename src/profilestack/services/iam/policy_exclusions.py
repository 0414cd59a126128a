"""SimulatePrincipalPolicy's PolicyExclusionList: the held policies a simulation leaves out, to see what the decision
would be without them — by type (``inline``, ``aws-managed``, ``user-managed``, ``permission-boundary``; ``scp`` and
``rcp`` match nothing, there are no Organizations), by managed policy ARN (``*`` and ``?`` in its name), or by an
inline policy's name and the user, group or role holding it (AWS documents wildcards in that entity's name too, but
its model's pattern for the name admits none, so the request validation refuses them first)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.engine import Policy
from profilestack.iam_policy.wildcards import wildcard_match

_MANAGED_TYPES = ("aws-managed", "user-managed")
_POLICY_ARN = re.compile(r"arn:aws:iam::(aws|\d{12}):policy/([^*]*\*?[^*]*)\Z")


@dataclass(frozen=True)
class Exclusions:
    types: frozenset[str]
    arns: tuple[str, ...]  # patterns
    inline: tuple[tuple[str, str, str], ...]  # (policy name, holder kind, holder name pattern)

    @property
    def boundary(self) -> bool:
        return "permission-boundary" in self.types

    def keep(self, policy: Policy, holder_kind: str, holder_name: str) -> bool:
        managed = policy.source_type in _MANAGED_TYPES
        if policy.source_type in self.types or (not managed and "inline" in self.types):
            return False
        if managed:
            return not any(wildcard_match(pattern, policy.policy_id) for pattern in self.arns)
        return not any(name == policy.policy_id and kind == holder_kind and wildcard_match(pattern, holder_name)
                       for name, kind, pattern in self.inline)


def exclusions(entries: list[dict[str, Any]] | None) -> Exclusions:
    """The list as given; InvalidInput for an entry that names not exactly one thing, or an ARN with wildcards
    outside the policy's name (or more than one ``*``)."""
    types, arns, inline = set(), [], []
    for index, entry in enumerate(entries or [], 1):
        given = [name for name in ("PolicyType", "PolicyArn", "InlinePolicyIdentifier") if entry.get(name)]
        if len(given) != 1:
            raise _invalid(f"PolicyExclusionList.member.{index} must name exactly one of PolicyType, PolicyArn and "
                           "InlinePolicyIdentifier.")
        if given[0] == "PolicyType":
            types.add(entry["PolicyType"])
        elif given[0] == "PolicyArn":
            if not _POLICY_ARN.match(entry["PolicyArn"]):
                raise _invalid(f"PolicyExclusionList.member.{index}.PolicyArn {entry['PolicyArn']} is not a managed "
                               "policy's ARN: wildcards go in the policy's name only, one * at most.")
            arns.append(entry["PolicyArn"])
        else:
            identifier = entry["InlinePolicyIdentifier"]
            inline.append((identifier["PolicyName"], identifier["AttachmentType"], identifier["AttachmentName"]))
    return Exclusions(frozenset(types), tuple(arns), tuple(inline))


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidInput", message, 400)
