"""Turn a finished call into an audit row: who, what, where, outcome; secrets removed."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from botocore.model import Shape

from profilestack.gateway.codecs.compiled import PerShape, each_item, each_value
from profilestack.identity.principal import Principal

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_NAMES = frozenset(
    name.lower()
    for name in (
        "SecretAccessKey", "Password", "NewPassword", "OldPassword", "SessionToken",
        "PrivateKey", "SAMLAssertion", "WebIdentityToken", "SecretKey", "ClientSecret",
    )
)


@dataclass(slots=True)
class AuditEvent:
    event_id: str
    event_time: datetime
    account_id: str
    region: str
    event_source: str
    event_name: str
    read_only: bool
    principal: Principal | None
    source_ip: str | None
    user_agent: str | None
    request_id: str
    error_code: str | None = None
    error_message: str | None = None
    request_parameters: dict[str, Any] | None = None
    resources: list[dict[str, str]] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        principal = self.principal
        return {
            "event_id": self.event_id,
            "event_time": self.event_time,
            "account_id": self.account_id,
            "region": self.region,
            "event_source": self.event_source,
            "event_name": self.event_name,
            "read_only": self.read_only,
            "principal_type": principal.kind if principal else None,
            "principal_arn": principal.arn if principal else None,
            "principal_id": principal.principal_id if principal else None,
            "username": (principal.name or ("root" if principal.is_root else None)) if principal else None,
            "access_key_id": principal.access_key if principal else None,
            "invoked_by": principal.invoked_by if principal else None,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "request_id": self.request_id,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "request_parameters": self.request_parameters,
            "resources": self.resources,
        }


def scrub(shape: Shape | None, params: dict[str, Any]) -> dict[str, Any] | None:
    """Request parameters as CloudTrail shows them: lowerCamelCase keys, secrets hidden."""
    if not params:
        return None
    if shape is None:
        return _scrub_unshaped(params)
    return _scrubber(shape)(params)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


Scrubber = Callable[[Any], Any]


def _build_scrubber(shape: Shape, _variant: Any) -> Scrubber | None:
    """How the shape's values appear in the audit trail, worked out once; None when they appear as they are."""
    if shape.metadata.get("sensitive"):
        return _hidden
    kind = shape.type_name
    if kind == "structure":
        return partial(_scrub_structure, shape, {})
    if kind in ("list", "map"):
        item = _scrubber(shape.member if kind == "list" else shape.value)
        if item is None:
            return None
        return partial(each_item if kind == "list" else each_value, item)
    if kind in ("timestamp", "blob"):
        return _scrub_unshaped
    return None


_scrubber: PerShape[Scrubber | None] = PerShape(_build_scrubber)


def _hidden(_value: Any) -> str:
    return HIDDEN


def _scrub_structure(shape: Shape, members: dict[str, tuple[str, Scrubber | None]], value: dict[str, Any]) -> Any:
    if not members:  # compiled on first use (shapes may be recursive), published whole (threads share it)
        members.update({name: (_camel(name), _hidden if name.lower() in _SECRET_NAMES else _scrubber(member))
                        for name, member in shape.members.items()})
    out = {}
    for key, item in value.items():
        found = members.get(key)
        if found is None:
            out[_camel(key)] = _scrub_unshaped(item, key)
        else:
            camel, scrubber = found
            out[camel] = item if scrubber is None else scrubber(item)
    return out


def _scrub_unshaped(value: Any, name: str | None = None) -> Any:
    """Values no shape describes (parameters of a shapeless call, unknown members) and timestamps and blobs:
    judged by their name and type."""
    if name is not None and name.lower() in _SECRET_NAMES:
        return HIDDEN
    if isinstance(value, dict):
        return {key: _scrub_unshaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_unshaped(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value
