"""Turn a finished call into an audit row: who, what, where, outcome; secrets removed."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from botocore.model import Shape

from profilestack.audit.session_context import session_context
from profilestack.gateway.codecs.compiled import PerShape, each_item, each_value
from profilestack.iam_policy.engine import owning_account
from profilestack.identity.principal import Principal

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_NAMES = frozenset(
    name.lower()
    for name in (
        "SecretAccessKey", "Password", "NewPassword", "OldPassword", "SessionToken",
        "PrivateKey", "SAMLAssertion", "WebIdentityToken", "SecretKey", "ClientSecret", "TokenCode",
        "AuthenticationCode1", "AuthenticationCode2",
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
    shared_event_id: str | None = None  # the same call recorded for each account it touched (owners_copies)
    seconds: float | None = None  # how long the call took to handle (the server's metrics; not stored)
    tls_details: dict[str, str] | None = None  # CloudTrail's tlsDetails, for a call over TLS
    size: int = 0  # its request body's length, which its parameters about take in memory (not stored)
    # what a call that changes something answered, and its shape: responseElements, worked out by the writer
    response: Any = None
    response_shape: Shape | None = None

    def values(self) -> list[Any]:
        """The row, in ``COLUMNS`` order."""
        principal = self.principal
        if principal is None:
            who = [None] * 6
        else:
            who = [principal.kind, principal.arn, principal.principal_id,
                   principal.name or ("root" if principal.is_root else None), principal.access_key,
                   principal.invoked_by]
        return [self.event_id, self.event_time, self.account_id, self.region, self.event_source, self.event_name,
                self.read_only, *who, self.source_ip, _storable(self.user_agent), self.request_id, self.error_code,
                _storable(self.error_message), self.request_parameters, self.resources, self.shared_event_id,
                session_context(principal), self.tls_details, self.response_elements()]

    def response_elements(self) -> dict[str, Any] | None:
        """CloudTrail's responseElements: the answer of a call that changed something, as its request parameters
        are shown (lowerCamelCase, secrets hidden) but for a secret access key, left out, and IAM's and STS's times,
        written as they write them; None for reads, failures and empty answers."""
        if self.response is None:
            return None
        return scrub(self.response_shape, self.response,
                     _IAM_ANSWER if self.event_source in _JAVA_DATED else _ANSWER)

    def owners_copies(self, new_id: Callable[[], str]) -> list[AuditEvent]:
        """The call as recorded for each other account that owns a resource it names (a role assumed across
        accounts), as CloudTrail delivers a cross-account call to both accounts: the same ``shared_event_id``,
        an event id of each copy's own. AWS-owned resources (managed policies) belong to no account."""
        owners = dict.fromkeys(owning_account(item["ResourceName"]) for item in self.resources)
        others = [owner for owner in owners if owner is not None and owner != self.account_id]
        if not others:
            return []
        self.shared_event_id = self.event_id
        return [replace(self, event_id=new_id(), account_id=owner) for owner in others]


def _storable(text: str | None) -> str | None:
    """Text a client sent (a header, a message echoing a parameter) with U+0000, which PostgreSQL cannot store in a
    text column, replaced by U+FFFD."""
    return text.replace("\x00", "\ufffd") if text and "\x00" in text else text


COLUMNS = ("event_id", "event_time", "account_id", "region", "event_source", "event_name", "read_only",
           "principal_type", "principal_arn", "principal_id", "username", "access_key_id", "invoked_by", "source_ip",
           "user_agent", "request_id", "error_code", "error_message", "request_parameters", "resources",
           "shared_event_id", "session_context", "tls_details", "response_elements")


@dataclass(frozen=True)
class _Rendering:
    """How values are shown: ``answer``, in responseElements, where CloudTrail leaves a secret access key out;
    ``java_dates``, times as IAM and STS write them there ("Mar 9, 2026, 9:16:35 AM", UTC: Java's medium format)
    rather than ISO 8601."""

    answer: bool = False
    java_dates: bool = False


_PARAMETERS, _ANSWER, _IAM_ANSWER = _Rendering(), _Rendering(answer=True), _Rendering(answer=True, java_dates=True)
_JAVA_DATED = frozenset({"iam.amazonaws.com", "sts.amazonaws.com"})
_LEFT_OUT = object()  # a member not shown at all


def scrub(shape: Shape | None, params: dict[str, Any], rendering: _Rendering = _PARAMETERS) -> dict[str, Any] | None:
    """Request parameters (or an answer) as CloudTrail shows them: lowerCamelCase keys, secrets hidden."""
    if not params:
        return None
    if shape is None:
        return _scrub_unshaped(params)
    return _scrubber(shape, rendering)(params)


def java_date(moment: datetime) -> str:
    """``moment`` in Java's medium format for the US, as IAM and STS write times in CloudTrail events."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment  # the server's times are UTC
    return (f"{moment:%b} {moment.day}, {moment.year}, {moment.hour % 12 or 12}:{moment:%M:%S} "
            f"{'AM' if moment.hour < 12 else 'PM'}")


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


Scrubber = Callable[[Any], Any]


def _build_scrubber(shape: Shape, rendering: _Rendering) -> Scrubber | None:
    """How the shape's values appear in the audit trail, worked out once; None when they appear as they are."""
    if shape.metadata.get("sensitive"):
        return _hidden
    kind = shape.type_name
    if kind == "structure":
        return partial(_scrub_structure, shape, rendering, {})
    if kind in ("list", "map"):
        item = _scrubber(shape.member if kind == "list" else shape.value, rendering)
        if item is None:
            return None
        return partial(each_item if kind == "list" else each_value, item)
    if kind == "timestamp" and rendering.java_dates:
        return _java_date_of
    if kind in ("timestamp", "blob"):
        return _scrub_unshaped
    return None


_scrubber: PerShape[Scrubber | None] = PerShape(_build_scrubber)


def _hidden(_value: Any) -> str:
    return HIDDEN


def _scrub_structure(shape: Shape, rendering: _Rendering, members: dict[str, tuple[str, Any]],
                     value: dict[str, Any]) -> Any:
    if not members:  # compiled on first use (shapes may be recursive), published whole (threads share it)
        members.update({name: (_camel(name), _member_scrubber(name, member, rendering))
                        for name, member in shape.members.items()})
    out = {}
    for key, item in value.items():
        found = members.get(key)
        if found is None:
            out[_camel(key)] = _scrub_unshaped(item, key)
        else:
            camel, scrubber = found
            if scrubber is not _LEFT_OUT:
                out[camel] = item if scrubber is None else scrubber(item)
    return out


def _member_scrubber(name: str, member: Shape, rendering: _Rendering) -> Any:
    if rendering.answer and name == "SecretAccessKey":
        return _LEFT_OUT
    return _hidden if name.lower() in _SECRET_NAMES else _scrubber(member, rendering)


def _java_date_of(value: Any) -> Any:
    return java_date(value) if isinstance(value, datetime) else value


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
