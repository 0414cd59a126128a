"""Applications' events in CloudTrail Lake (the integrations event schema): an event's ``eventData`` checked as
``PutAuditEvents`` takes it, the record Lake shows made of it, one copy kept per destination event data store, read
back by queries, and dropped past its store's retention or with its store."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from profilestack import jsontext
from profilestack.services.cloudtrail.lake_events import ACTIVITY_CATEGORY, activity_row, lake_time
from profilestack.services.cloudtrail.lake_sql import parse_time
from profilestack.services.cloudtrail.tables import cloudtrail_activity_events

MOST_EVENT_BYTES = 256 * 1024  # an event's eventData, as a Lake event's largest standard size
_REQUIRED = ("version", "userIdentity", "eventSource", "eventName", "eventTime", "UID", "recipientAccountId")
_TEXT_LIMITS = {"version": 256, "userAgent": 1024, "eventSource": 1024, "eventName": 1024, "UID": 1024,
                "errorCode": 256, "errorMessage": 256, "sourceIPAddress": 64, "recipientAccountId": 12,
                "eventTime": 64}
_IDENTITY_LIMITS = {"type": 128, "principalId": 1024}
_OBJECT_LIMITS = {"requestParameters": 100_000, "responseElements": 100_000, "additionalEventData": 28_000}
_events = cloudtrail_activity_events.c


class EventRefused(ValueError):
    """One event PutAuditEvents does not take: its ``failed`` entry's code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def checked(event_data: str, checksum: str | None, account: str) -> dict[str, Any]:
    """The event's data, or EventRefused: it must match its checksum (base64 SHA-256), be a JSON object of the
    schema's fields within their limits, and be addressed to the channel's own account."""
    encoded = event_data.encode()
    if checksum is not None and checksum != base64.b64encode(hashlib.sha256(encoded).digest()).decode():
        raise EventRefused("InvalidChecksum", "eventDataChecksum is not the base64 SHA-256 digest of eventData.")
    if len(encoded) > MOST_EVENT_BYTES:
        raise EventRefused("EventTooLarge", f"eventData is larger than {MOST_EVENT_BYTES:,} bytes.")
    try:
        data = jsontext.loads_exact(event_data)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise EventRefused("InvalidEventData", "eventData is not a JSON object.")
    _check_schema(data, account)
    return data


def _check_schema(data: dict[str, Any], account: str) -> None:
    def refuse(message: str) -> EventRefused:
        return EventRefused("InvalidEventData", message)

    unknown = sorted(set(data) - set(_REQUIRED) - set(_TEXT_LIMITS) - set(_OBJECT_LIMITS))
    if unknown:
        raise refuse(f"eventData has fields the schema does not have: {', '.join(unknown)}.")
    missing = [field for field in _REQUIRED if data.get(field) in (None, "")]
    if missing:
        raise refuse(f"eventData lacks {', '.join(missing)}.")
    for field, most in _TEXT_LIMITS.items():
        if field in data and not (isinstance(data[field], str) and len(data[field]) <= most):
            raise refuse(f"eventData.{field} must be a string of at most {most} characters.")
    identity = data["userIdentity"]
    if not isinstance(identity, dict) or set(identity) - {"type", "principalId", "details"}:
        raise refuse("eventData.userIdentity must be an object of type, principalId and details.")
    for field, most in _IDENTITY_LIMITS.items():
        if not (isinstance(identity.get(field), str) and 0 < len(identity[field]) <= most):
            raise refuse(f"eventData.userIdentity.{field} must be a string of 1 to {most} characters.")
    if "details" in identity and not isinstance(identity["details"], dict):
        raise refuse("eventData.userIdentity.details must be a JSON object.")
    for field, most in _OBJECT_LIMITS.items():
        if field in data and not isinstance(data[field], dict):
            raise refuse(f"eventData.{field} must be a JSON object.")
        if field in data and len(json.dumps(data[field], separators=(",", ":")).encode()) > most:
            raise refuse(f"eventData.{field} is larger than {most:,} bytes.")
    if parse_time(data["eventTime"]) is None:
        raise refuse(f"eventData.eventTime {data['eventTime']} is not a time such as 2026-12-06T12:00:00Z.")
    if "sourceIPAddress" in data:
        try:
            ipaddress.ip_address(data["sourceIPAddress"])
        except ValueError:
            raise refuse(f"eventData.sourceIPAddress {data['sourceIPAddress']} is not an IP address.") from None
    if data["recipientAccountId"] != account:
        raise refuse(f"eventData.recipientAccountId must be {account}, the account that owns the channel.")


def lake_record(data: dict[str, Any], event_id: str, channel_arn: str, region: str, now: datetime) -> dict[str, Any]:
    """The event as Lake shows it: the fields CloudTrail adds around the application's eventData."""
    return {"eventVersion": "2.00", "eventCategory": ACTIVITY_CATEGORY, "eventType": "ActivityLog",
            "eventID": event_id, "eventTime": lake_time(parse_time(data["eventTime"]) or now), "awsRegion": region,
            "recipientAccountId": data["recipientAccountId"],
            "metadata": {"ingestionTime": lake_time(now), "channelARN": channel_arn}, "eventData": data}


def keep(db: Connection, store_arns: list[str], records: list[dict[str, Any]]) -> None:
    """Each record, a copy in each store."""
    rows = [{"store_arn": arn, "event_time": parse_time(record["eventData"]["eventTime"]), "record": record}
            for record in records for arn in store_arns]
    if rows:
        db.execute(insert(cloudtrail_activity_events), rows)


def rows_of(db: Connection, store_arn: str, start: datetime, end: datetime | None,
            count: Callable[[int], None]) -> Iterator[tuple[Any, ...]]:
    """The store's events from ``start`` (until ``end`` when given: by their own eventTime, which an application
    may set ahead) as Lake rows, oldest first."""
    query = select(_events.record).where(_events.store_arn == store_arn, _events.event_time >= start)
    if end is not None:
        query = query.where(_events.event_time <= end)
    for row in db.execute(query.order_by(_events.event_time)):
        count(1)
        yield activity_row(row.record)


def forget(db: Connection, store_arn: str) -> None:
    db.execute(delete(cloudtrail_activity_events).where(_events.store_arn == store_arn))


def drop_past_retention(db: Connection, store_arn: str, retention_days: int, now: datetime) -> None:
    db.execute(delete(cloudtrail_activity_events).where(
        _events.store_arn == store_arn, _events.event_time < now - timedelta(days=retention_days)))
