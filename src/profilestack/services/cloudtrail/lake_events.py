"""The events of CloudTrail Lake as queries see them (pure): the audit trail's records, and the events applications
send through channels (``ActivityAuditLog``), laid out in their event data store schema's columns; and whether a
store's advanced event selectors take an event.

Struct members are columns of their own, named by their path (``useridentity.arn``,
``useridentity.sessioncontext.sessionissuer.username``, ``eventdata.useridentity.type``: lake_sql.py reads
``userIdentity.arn`` as that column); the struct itself, a map (``requestParameters``, ``responseElements``,
``additionalEventData``, an application's ``userIdentity.details``) and ``resources`` are JSON text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Schema:
    """An event data store's columns: ``top_level`` (what SELECT * answers, in the schema's order) and the struct
    members laid out after them (``nested``, by their lower-case path)."""

    top_level: tuple[str, ...]
    nested: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.top_level + self.nested


def _paths(struct: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{struct}.{path.lower()}" for path in paths)


_IDENTITY_PATHS = ("type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
                   "identityProvider", "sessionContext.attributes.creationDate",
                   "sessionContext.attributes.mfaAuthenticated", "sessionContext.sessionIssuer.type",
                   "sessionContext.sessionIssuer.principalId", "sessionContext.sessionIssuer.arn",
                   "sessionContext.sessionIssuer.accountId", "sessionContext.sessionIssuer.userName",
                   "sessionContext.sourceIdentity")
_TLS_PATHS = ("tlsVersion", "cipherSuite", "clientProvidedHostHeader")
# AWS's calls: the audit trail's records
MANAGEMENT = Schema(
    top_level=("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
               "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements",
               "additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion",
               "managementEvent", "recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory",
               "tlsDetails", "sessionCredentialFromConsole"),
    nested=_paths("useridentity", _IDENTITY_PATHS) + _paths("tlsdetails", _TLS_PATHS))
# Applications' events, sent through a channel (the integrations event schema)
_EVENT_DATA_PATHS = ("version", "userIdentity", "userIdentity.type", "userIdentity.principalId",
                     "userIdentity.details", "userAgent", "eventSource", "eventName", "eventTime", "UID",
                     "requestParameters", "responseElements", "errorCode", "errorMessage", "sourceIPAddress",
                     "recipientAccountId", "additionalEventData")
_ACTIVITY_PATHS = (*(f"eventData.{path}" for path in _EVENT_DATA_PATHS), "metadata.ingestionTime",
                   "metadata.channelARN", "addendum.reason", "addendum.updatedFields", "addendum.originalUID",
                   "addendum.originalEventID")
ACTIVITY = Schema(
    top_level=("eventVersion", "eventCategory", "eventType", "eventID", "eventTime", "awsRegion", "recipientAccountId",
               "addendum", "metadata", "eventData"),
    nested=tuple(path.lower() for path in _ACTIVITY_PATHS))
ACTIVITY_CATEGORY = "ActivityAuditLog"

# What either schema's statements may name: the structs whose members are columns, the maps looked up by key, the
# booleans answered as true or false
STRUCTS = frozenset({"useridentity", "tlsdetails", "eventdata", "metadata", "addendum"})
MAPS = frozenset({"requestparameters", "responseelements", "additionaleventdata", "details"})
BOOLEANS = frozenset({"readonly", "managementevent"})


def schema_of(selectors: list[dict[str, Any]]) -> Schema:
    """The schema of a store with these advanced event selectors: its eventCategory says."""
    categories = {value for selector in selectors for field in selector["FieldSelectors"]
                  if field["Field"].lower() == "eventcategory" for value in field.get("Equals") or []}
    return ACTIVITY if ACTIVITY_CATEGORY in categories else MANAGEMENT


def lake_time(moment: datetime) -> str:
    """A time as Lake shows ``eventTime``: ``2026-12-06 12:00:00.000`` (UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def lake_row(record: dict[str, Any], moment: datetime) -> tuple[Any, ...]:
    """A CloudTrail record (handlers.cloudtrail_event) as a row of MANAGEMENT's columns."""
    values: dict[str, Any] = {name: record.get(name) for name in MANAGEMENT.top_level}
    values["eventTime"] = lake_time(moment)
    values["recipientAccountId"] = record.get("recipientAccountId")
    values["eventCategory"] = record.get("eventCategory", "Management")
    for name in ("readOnly", "managementEvent"):
        values[name] = None if record.get(name) is None else int(bool(record[name]))
    for name in ("requestParameters", "responseElements", "additionalEventData"):
        values[name] = _map_text(record.get(name))
    for name in ("userIdentity", "tlsDetails", "resources"):
        values[name] = None if record.get(name) is None else json.dumps(record[name], separators=(",", ":"))
    nested = [_at(record.get("userIdentity"), path) for path in _IDENTITY_PATHS]
    nested += [_at(record.get("tlsDetails"), path) for path in _TLS_PATHS]
    return tuple(values[name] for name in MANAGEMENT.top_level) + tuple(nested)


def activity_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """An application's event as Lake keeps it (activity_events.py) as a row of ACTIVITY's columns."""
    return tuple(_at(record, path) for path in ACTIVITY.top_level + _ACTIVITY_PATHS)


def _map_text(value: Any) -> str | None:
    """A map<string, string> as Lake keeps request parameters: nested values as their JSON text."""
    if not isinstance(value, dict):
        return None
    return json.dumps({key: item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
                       for key, item in value.items()}, separators=(",", ":"))


def _at(value: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value if value is None or isinstance(value, str | int | float) else json.dumps(value, separators=(",", ":"))


# What an advanced field selector's Field reads of a record
_FIELDS = {
    "eventcategory": lambda record: record.get("eventCategory", "Management"),
    "readonly": lambda record: "true" if record.get("readOnly") else "false",
    "eventsource": lambda record: record.get("eventSource"),
    "eventname": lambda record: record.get("eventName"),
    "eventtype": lambda record: record.get("eventType"),
    "errorcode": lambda record: record.get("errorCode"),
    "useridentity.arn": lambda record: (record.get("userIdentity") or {}).get("arn"),
    "sessioncredentialfromconsole": lambda record: None,
    "vpcendpointid": lambda record: None,
    "resources.type": lambda record: None,  # management events name no resource type here
    "resources.arn": lambda record: None,
}
SELECTOR_FIELDS = frozenset(_FIELDS)
_OPERATORS = {
    "Equals": lambda value, given: value in given,
    "StartsWith": lambda value, given: any(value.startswith(item) for item in given),
    "EndsWith": lambda value, given: any(value.endswith(item) for item in given),
    "NotEquals": lambda value, given: value not in given,
    "NotStartsWith": lambda value, given: not any(value.startswith(item) for item in given),
    "NotEndsWith": lambda value, given: not any(value.endswith(item) for item in given),
}
OPERATORS = frozenset(_OPERATORS)


def selected(selectors: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """Whether any selector takes the record: all its field selectors match (each operator given, for a field
    the record has; a field it lacks matches only the Not operators)."""
    return any(all(_field_matches(field, record) for field in selector["FieldSelectors"]) for selector in selectors)


def _field_matches(field: dict[str, Any], record: dict[str, Any]) -> bool:
    value = _FIELDS[field["Field"].lower()](record)
    for operator, test in _OPERATORS.items():
        given = field.get(operator)
        if given is None:
            continue
        if value is None:
            if not operator.startswith("Not"):
                return False
        elif not test(value, given):
            return False
    return True
