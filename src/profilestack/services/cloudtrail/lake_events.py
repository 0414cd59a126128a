"""The events of CloudTrail Lake as queries see them (pure): the audit trail's records laid out in the event data
store schema's columns, and whether a store's advanced event selectors take an event.

Struct members are columns of their own, named by their path (``useridentity.arn``,
``useridentity.sessioncontext.sessionissuer.username``, ``tlsdetails.tlsversion``: lake_sql.py reads
``userIdentity.arn`` as that column); the struct itself, a map (``requestParameters``, ``responseElements``,
``additionalEventData``, string values) and ``resources`` are JSON text.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

# The columns SELECT * answers, in the schema's order
TOP_LEVEL = ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
             "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
             "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent",
             "recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory", "tlsDetails",
             "sessionCredentialFromConsole")
STRUCTS = frozenset({"useridentity", "tlsdetails"})
MAPS = frozenset({"requestparameters", "responseelements", "additionaleventdata"})
BOOLEANS = frozenset({"readonly", "managementevent"})
_IDENTITY_PATHS = ("type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
                   "identityProvider", "sessionContext.attributes.creationDate",
                   "sessionContext.attributes.mfaAuthenticated", "sessionContext.sessionIssuer.type",
                   "sessionContext.sessionIssuer.principalId", "sessionContext.sessionIssuer.arn",
                   "sessionContext.sessionIssuer.accountId", "sessionContext.sessionIssuer.userName",
                   "sessionContext.sourceIdentity")
_TLS_PATHS = ("tlsVersion", "cipherSuite", "clientProvidedHostHeader")
NESTED = tuple(f"useridentity.{path.lower()}" for path in _IDENTITY_PATHS) + tuple(
    f"tlsdetails.{path.lower()}" for path in _TLS_PATHS)
COLUMNS = TOP_LEVEL + NESTED


def lake_time(moment: datetime) -> str:
    """A time as Lake shows ``eventTime``: ``2026-12-06 12:00:00.000`` (UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def lake_row(record: dict[str, Any], moment: datetime) -> tuple[Any, ...]:
    """A CloudTrail record (handlers.cloudtrail_event) as a row of COLUMNS."""
    values: dict[str, Any] = {name: record.get(name) for name in TOP_LEVEL}
    values["eventTime"] = lake_time(moment)
    values["recipientAccountId"] = record.get("recipientAccountId")
    values["eventCategory"] = "Management"
    for name in ("readOnly", "managementEvent"):
        values[name] = None if record.get(name) is None else int(bool(record[name]))
    for name in ("requestParameters", "responseElements", "additionalEventData"):
        values[name] = _map_text(record.get(name))
    for name in ("userIdentity", "tlsDetails", "resources"):
        values[name] = None if record.get(name) is None else json.dumps(record[name], separators=(",", ":"))
    nested = [_at(record.get("userIdentity"), path) for path in _IDENTITY_PATHS]
    nested += [_at(record.get("tlsDetails"), path) for path in _TLS_PATHS]
    return tuple(values[name] for name in TOP_LEVEL) + tuple(nested)


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
    return value if value is None or isinstance(value, str | int | float) else json.dumps(value)


# What an advanced field selector's Field reads of a record
_FIELDS = {
    "eventcategory": lambda record: "Management",
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
