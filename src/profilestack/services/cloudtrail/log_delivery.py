"""What CloudTrail delivers to CloudWatch Logs: a trail with a ``CloudWatchLogsLogGroupArn`` sends that log group
the events it logs — those its event selectors take, in the periods it logged, from its home region or every
region. Nothing is copied: a log group's events are read from the audit trail when something analyses them
(CloudWatch's Contributor Insights rules)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from profilestack.audit.table import audit_events
from profilestack.services import periods
from profilestack.services.cloudtrail.handlers import cloudtrail_event
from profilestack.services.cloudtrail.lake_events import selected
from profilestack.services.cloudtrail.tables import cloudtrail_trails

_LOG_GROUP_ARN = re.compile(r"arn:aws[\w-]*:logs:([^:]+):(\d{12}):log-group:(.+?)(?::\*)?")


@dataclass(frozen=True)
class Delivery:
    """A trail delivering to a log group."""

    region: str
    log_group: str
    trail: Row[Any]


def deliveries(db: Connection, account: str) -> list[Delivery]:
    """The account's trails that deliver to a log group of its own, with the log group's region and name."""
    found = []
    for trail in db.execute(select(cloudtrail_trails).where(cloudtrail_trails.c.account_id == account)):
        match = _LOG_GROUP_ARN.fullmatch(trail.settings.get("CloudWatchLogsLogGroupArn") or "")
        if match is not None and match.group(2) == account:
            found.append(Delivery(match.group(1), match.group(3), trail))
    return found


def delivered(db: Connection, trail: Row[Any], since: datetime, until: datetime
              ) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """The events the trail delivered between ``since`` and ``until``, oldest first, as CloudTrail's records: those
    of the periods it logged."""
    began = periods.first_began(trail.logging)
    if began is None:
        return
    logged = periods.covering(trail.logging)
    query = select(audit_events).where(audit_events.c.account_id == trail.account_id,
                                       audit_events.c.event_time >= max(since, began),
                                       audit_events.c.event_time < until)
    if not trail.multi_region:
        query = query.where(audit_events.c.region == trail.region)
    for row in db.execute(query.order_by(audit_events.c.event_time)):
        if not logged(row.event_time):
            continue
        record = cloudtrail_event(row)
        if _taken(trail, record):
            yield row.event_time, record


def _taken(trail: Row[Any], record: dict[str, Any]) -> bool:
    if trail.advanced_event_selectors is not None:
        return selected(trail.advanced_event_selectors, record)
    if trail.event_selectors is None:  # the default: every management event
        return bool(record["managementEvent"])
    return any(_basic_takes(selector, record) for selector in trail.event_selectors)


def _basic_takes(selector: dict[str, Any], record: dict[str, Any]) -> bool:
    """A basic event selector's management events: read, write or both, but the event sources it excludes (no
    data events reach a log group here: the resources they name are not served)."""
    if not record["managementEvent"] or not selector.get("IncludeManagementEvents", True):
        return False
    if record["eventSource"] in selector.get("ExcludeManagementEventSources", []):
        return False
    kind = selector.get("ReadWriteType", "All")
    return kind == "All" or (kind == "ReadOnly") == bool(record["readOnly"])
