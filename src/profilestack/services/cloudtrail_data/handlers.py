"""The CloudTrail Data Service: ``PutAuditEvents``, applications' own events sent through a CloudTrail Lake channel
(cloudtrail/channels.py) into its destination event data stores (cloudtrail/activity_events.py)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from profilestack.gateway.context import CallContext
from profilestack.services.cloudtrail import activity_events
from profilestack.services.cloudtrail.channels import require_channel
from profilestack.services.cloudtrail.errors import refused
from profilestack.services.cloudtrail.tables import cloudtrail_channels, cloudtrail_event_data_stores
from profilestack.services.registry import ServiceHandlers

cloudtrail_data = ServiceHandlers("cloudtrail-data")
_stores = cloudtrail_event_data_stores.c


@cloudtrail_data.operation("PutAuditEvents")
def put_audit_events(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Each event checked on its own: those taken are kept in every destination store that ingests, the others
    answered in ``failed``; the channel's IngestionStatus tells of the latest."""
    channel = require_channel(ctx, params["channelArn"], invalid="InvalidChannelARN", missing="ChannelNotFound",
                              shared=True)
    events = params["auditEvents"]
    ids = [event["id"] for event in events]
    if len(set(ids)) != len(ids):
        repeated = sorted({item for item in ids if ids.count(item) > 1})
        raise refused("DuplicatedAuditEventId", f"Two or more entries have the id {repeated[0]}.")
    now = ctx.now()
    successful: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    records = []
    for event in events:
        try:
            data = activity_events.checked(event["eventData"], event.get("eventDataChecksum"), channel.account_id)
        except activity_events.EventRefused as refusal:
            failed.append({"id": event["id"], "errorCode": refusal.code, "errorMessage": str(refusal)})
            continue
        event_id = str(uuid.uuid4())
        records.append(activity_events.lake_record(data, event_id, channel.arn, ctx.region, now))
        successful.append({"id": event["id"], "eventID": event_id})
    ingesting = ctx.db.execute(select(_stores.arn).where(
        _stores.arn.in_([item["Location"] for item in channel.destinations]), _stores.status == "ENABLED")).scalars()
    activity_events.keep(ctx.db, list(ingesting), records)
    status = dict(channel.ingestion_status)
    status["LatestIngestionAttemptTime"] = now.isoformat()
    if successful:
        latest = successful[-1]["eventID"]
        status.update(LatestIngestionSuccessTime=now.isoformat(), LatestIngestionSuccessEventID=latest,
                      LatestIngestionAttemptEventID=latest)
    if failed:
        status["LatestIngestionErrorCode"] = failed[-1]["errorCode"]
    ctx.db.execute(update(cloudtrail_channels).where(cloudtrail_channels.c.arn == channel.arn)
                   .values(ingestion_status=status))
    return {"successful": successful, "failed": failed}
