"""Policy documents: parsed, validated as IAM validates them on write, and kept with their source positions.

``parse_policy`` raises ``MalformedPolicy`` with IAM's wording; the caller turns it into
``MalformedPolicyDocument``. The text is stored as sent; this module only reads it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from profilestack import jsontext
from profilestack.iam_policy.conditions import parse_operator

VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
                   "Condition"}
_ACTION = re.compile(r"^(\*|[a-zA-Z0-9_.*?-]+:[a-zA-Z0-9_*?]+)\Z")
_PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}


class PolicyKind(Enum):
    IDENTITY = "identity"  # user, group, role and managed policies; boundaries and session policies too
    TRUST = "trust"  # a role's AssumeRolePolicyDocument
    RESOURCE = "resource"  # any other resource-based policy
    # a policy a service keeps on one resource and applies to it alone (CloudTrail's): Resource may be left out
    HELD = "held"


class MalformedPolicy(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str  # as written, e.g. ForAnyValue:StringLikeIfExists
    base: str  # StringLike
    qualifier: str | None  # ForAnyValue / ForAllValues
    if_exists: bool
    key: str  # lower-cased: condition keys are case-insensitive
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # Allow | Deny
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: dict[str, tuple[str, ...]] | None  # {"AWS": (...), "Service": (...)}, "*" as {"*": ("*",)}
    not_principal: bool
    conditions: tuple[Condition, ...]
    start: tuple[int, int] = (1, 1)  # line, column of the statement in the source text
    end: tuple[int, int] = (1, 1)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str
    statements: tuple[Statement, ...]
    text: str = field(repr=False)

    @property
    def supports_variables(self) -> bool:
        return self.version == "2012-10-17"


def _strings(value: object, what: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise MalformedPolicy("Syntax errors in policy.")
    return tuple(items)


# A user's or role's unique id (AIDA…, AROA…): how a trust policy shows one it named that no longer exists
UNIQUE_ID = re.compile(r"A(?:IDA|ROA)[A-Z0-9]{12,124}")


def _principals(value: object) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy("Syntax errors in policy.")
    principals = {}
    for kind, names in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise MalformedPolicy(f"Invalid principal in policy: \"{kind}\":{json.dumps(names)}")
        principals[kind] = _strings(names, "Principal")
        if kind == "AWS":
            for name in principals[kind]:
                if name != "*" and not re.fullmatch(r"[0-9]{12}", name) and not UNIQUE_ID.fullmatch(name) \
                        and not name.startswith("arn:"):
                    raise MalformedPolicy(f"Invalid principal in policy: \"AWS\":\"{name}\"")
    return principals


def _conditions(value: object) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise MalformedPolicy("Syntax errors in policy.")
    found = []
    for operator, block in value.items():
        parsed = parse_operator(operator)
        if parsed is None:
            raise MalformedPolicy(f"Invalid Condition type : {operator}.")
        base, qualifier, if_exists = parsed
        if not isinstance(block, dict):
            raise MalformedPolicy("Syntax errors in policy.")
        for key, raw in block.items():
            if ":" not in key:
                raise MalformedPolicy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
            items = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(item, str | bool | int | float) for item in items):
                raise MalformedPolicy("Syntax errors in policy.")
            values = tuple(json.dumps(item) if isinstance(item, bool) else str(item) for item in items)
            found.append(Condition(operator, base, qualifier, if_exists, key.lower(), values))
    return tuple(found)


def _statement(index: int, raw: object, kind: PolicyKind, positions: tuple[tuple[int, int], tuple[int, int]]
               ) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicy("Syntax errors in policy.")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise MalformedPolicy("Syntax errors in policy.")
    effect = raw.get("Effect")
    if effect is None:
        raise MalformedPolicy("Missing required field Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicy(f"Invalid effect: {effect}")
    if ("Action" in raw) == ("NotAction" in raw):
        raise MalformedPolicy("Policy statement must contain actions." if "Action" not in raw
                              else "Syntax errors in policy.")
    not_action = "NotAction" in raw
    actions = _strings(raw["NotAction" if not_action else "Action"], "Action")
    for action in actions:
        if not _ACTION.match(action):
            raise MalformedPolicy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if kind is PolicyKind.IDENTITY and has_principal:
        raise MalformedPolicy(f"Has prohibited field {'Principal' if 'Principal' in raw else 'NotPrincipal'}")
    if kind is not PolicyKind.IDENTITY and not has_principal:
        raise MalformedPolicy("Missing required field Principal")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise MalformedPolicy("Syntax errors in policy.")
    not_principal = "NotPrincipal" in raw
    principals = _principals(raw["NotPrincipal" if not_principal else "Principal"]) if has_principal else None
    if "Resource" in raw and "NotResource" in raw:
        raise MalformedPolicy("Syntax errors in policy.")
    not_resource = "NotResource" in raw
    if "Resource" in raw or not_resource:
        resources = _strings(raw["NotResource" if not_resource else "Resource"], "Resource")
    elif kind in (PolicyKind.TRUST, PolicyKind.HELD):
        resources = ("*",)
    else:
        raise MalformedPolicy("Policy statement must contain resources.")
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:") and not resource.startswith("${"):
            raise MalformedPolicy(f'Resource {resource} must be in ARN format or "*".')
    conditions = _conditions(raw["Condition"]) if "Condition" in raw else ()
    sid = raw.get("Sid")
    if sid is not None and (not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9 ._-]*", sid)):
        raise MalformedPolicy("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
                              "regular expression [0-9A-Za-z]*")
    return Statement(index, sid, effect, actions, not_action, resources, not_resource, principals, not_principal,
                     conditions, positions[0], positions[1])


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _statement_spans(text: str, count: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where each statement starts and ends in the text, for the simulator's ``MatchedStatements``."""
    decoder = json.JSONDecoder()
    spans = []
    found = re.search(r'"Statement"\s*:\s*', text)
    if found:
        offset = found.end()
        is_list = offset < len(text) and text[offset] == "["
        offset += 1 if is_list else 0
        for _ in range(count):
            while offset < len(text) and text[offset] in " \t\r\n,":
                offset += 1
            try:
                _, end = decoder.raw_decode(text, offset)
            except ValueError:
                break
            spans.append((_line_column(text, offset), _line_column(text, end)))
            offset = end
    while len(spans) < count:
        spans.append(((1, 1), _line_column(text, len(text))))
    return spans


@lru_cache(maxsize=4096)
def parse_policy(text: str, kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyDocument:
    try:
        raw = jsontext.loads_exact(text)
    except ValueError as exc:
        raise MalformedPolicy("Syntax errors in policy.") from exc
    if not isinstance(raw, dict):
        raise MalformedPolicy("Syntax errors in policy.")
    if set(raw) - {"Version", "Id", "Statement"}:
        raise MalformedPolicy("Syntax errors in policy.")
    version = raw.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicy("The policy failed legacy parsing")
    if "Statement" not in raw:
        raise MalformedPolicy("Missing required field Statement")
    statements = raw["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    if not statements:
        raise MalformedPolicy("Syntax errors in policy.")
    spans = _statement_spans(text, len(statements))
    parsed = tuple(_statement(index, item, kind, spans[index]) for index, item in enumerate(statements))
    sids = [statement.sid for statement in parsed if statement.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicy("Statement IDs (SID) in a single policy must be unique.")
    return PolicyDocument(version, parsed, text)
