"""CloudTrail Lake event data stores: created, read, listed, updated, deleted (seven days pending, restorable),
ingestion started and stopped. A store of AWS's events holds no copy of them: it is the audit trail seen through
it — the events since it was made, while it ingested, within its retention, in its region (all of them when
multi-Region), that its advanced event selectors take (``events_of``). A store of applications' events
(``ActivityAuditLog``) holds what channels sent it (activity_events.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from profilestack.audit.table import audit_events
from profilestack.gateway.context import CallContext
from profilestack.services import periods
from profilestack.services.cloudtrail import activity_events
from profilestack.services.cloudtrail.errors import in_no_organization, invalid_parameter, invalid_token, refused
from profilestack.services.cloudtrail.handlers import cloudtrail, cloudtrail_event
from profilestack.services.cloudtrail.lake_arns import CHANNEL, STORE, arn_of, id_of, lake_arn
from profilestack.services.cloudtrail.lake_events import (
    ACTIVITY,
    ACTIVITY_CATEGORY,
    OPERATORS,
    SELECTOR_FIELDS,
    Schema,
    lake_row,
    schema_of,
    selected,
)
from profilestack.services.cloudtrail.lake_sql import first_store
from profilestack.services.cloudtrail.resource_policies import forget_policy
from profilestack.services.cloudtrail.tables import cloudtrail_event_data_stores
from profilestack.services.cloudtrail.tagging import tags_given, too_many_tags
from profilestack.services.next_token import page_result
from profilestack.store.locks import lock_for_transaction
from profilestack.store.resource_tags import remove_tags, set_tags

MOST_STORES = 10  # per account and region, as CloudTrail's quota
PENDING_DELETION = timedelta(days=7)
_DEFAULT_SELECTORS = [{"Name": "Default management events",
                       "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
_RETENTION = {"EXTENDABLE_RETENTION_PRICING": (366, 3653), "FIXED_RETENTION_PRICING": (2557, 2557)}
_SETTINGS = ("AdvancedEventSelectors", "MultiRegionEnabled", "OrganizationEnabled", "RetentionPeriod",
             "TerminationProtectionEnabled", "KmsKeyId", "BillingMode")
_stores = cloudtrail_event_data_stores.c


def require_store(ctx: CallContext, name: str, active: bool = False, owner: str | None = None) -> Row[Any]:
    """The caller's store in this region named by ARN or ID — or ``owner``'s, another account's, when its
    resource-based policy let the caller through; with ``active``, not pending deletion."""
    owner = owner or ctx.account
    arn = arn_of(STORE, name, ctx.region, owner)
    if arn is None:
        raise refused("EventDataStoreARNInvalidException", f"{name} is not an event data store ARN or ID.")
    row = ctx.db.execute(select(cloudtrail_event_data_stores).where(
        _stores.arn == arn, _stores.account_id == owner, _stores.region == ctx.region)).first()
    if row is None or _expired(row, ctx.now()):
        raise refused("EventDataStoreNotFoundException", f"The event data store {name} does not exist.")
    if active and row.status == "PENDING_DELETION":
        raise refused("InactiveEventDataStoreException", f"The event data store {name} is pending deletion.")
    return row


def store_schema(store: Row[Any]) -> Schema:
    """Which events the store holds, and so its columns: AWS's calls, or applications' (``ActivityAuditLog``)."""
    return schema_of(store.settings["AdvancedEventSelectors"])


def _expired(row: Row[Any], now: datetime) -> bool:
    return row.deleted_at is not None and row.deleted_at + PENDING_DELETION <= now


def _shape(row: Row[Any], listed: bool = False) -> dict[str, Any]:
    settings = row.settings
    shape = {"EventDataStoreArn": row.arn, "Name": row.name, "Status": row.status,
             "AdvancedEventSelectors": settings["AdvancedEventSelectors"],
             "MultiRegionEnabled": settings["MultiRegionEnabled"], "OrganizationEnabled": False,
             "RetentionPeriod": settings["RetentionPeriod"],
             "TerminationProtectionEnabled": settings["TerminationProtectionEnabled"],
             "CreatedTimestamp": row.created_at, "UpdatedTimestamp": row.updated_at}
    if not listed:
        shape["BillingMode"] = settings["BillingMode"]
        if settings.get("KmsKeyId"):
            shape["KmsKeyId"] = settings["KmsKeyId"]
    return shape


def _checked(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings with their defaults, refused where CloudTrail refuses them or nothing here could hold them."""
    if settings.get("OrganizationEnabled"):
        raise in_no_organization()
    billing = settings.get("BillingMode") or "EXTENDABLE_RETENTION_PRICING"
    default, most = _RETENTION[billing]
    retention = settings.get("RetentionPeriod") or default
    if not 7 <= retention <= most:
        raise refused("InvalidParameterException", f"RetentionPeriod {retention} is not valid for {billing}: "
                     f"7 to {most} days.")
    selectors = settings.get("AdvancedEventSelectors") or _DEFAULT_SELECTORS
    if schema_of(selectors) is ACTIVITY:
        _check_activity_selectors(selectors)
    for selector in selectors:
        fields = [field["Field"].lower() for field in selector["FieldSelectors"]]
        if "eventcategory" not in fields:
            raise refused("InvalidEventSelectorsException",
                         "Each advanced event selector of an event data store needs an eventCategory field.")
        for field in selector["FieldSelectors"]:
            if field["Field"].lower() not in SELECTOR_FIELDS:
                raise refused("InvalidEventSelectorsException", f"Field {field['Field']} is not a field advanced "
                             "event selectors of management events use.")
            if not any(field.get(operator) for operator in OPERATORS):
                raise refused("InvalidEventSelectorsException",
                             f"Field selector {field['Field']} needs an operator: Equals, StartsWith, EndsWith, "
                             "NotEquals, NotStartsWith or NotEndsWith.")
    return {"AdvancedEventSelectors": selectors,
            "MultiRegionEnabled": settings.get("MultiRegionEnabled", True),
            "OrganizationEnabled": False, "RetentionPeriod": retention,
            "TerminationProtectionEnabled": settings.get("TerminationProtectionEnabled", True),
            "KmsKeyId": settings.get("KmsKeyId"), "BillingMode": billing,
            "InsightSelectors": settings.get("InsightSelectors"),  # PutInsightSelectors' (below)
            "InsightsDestination": settings.get("InsightsDestination")}


def _check_activity_selectors(selectors: list[dict[str, Any]]) -> None:
    """A store of events from outside AWS takes them alone, selected by their category alone."""
    for selector in selectors:
        for field in selector["FieldSelectors"]:
            if field["Field"].lower() != "eventcategory" or set(field) - {"Field", "Equals"} \
                    or field.get("Equals") != [ACTIVITY_CATEGORY]:
                raise refused("InvalidEventSelectorsException",
                              f"An event data store of events from outside AWS selects them by eventCategory Equals "
                              f"{ACTIVITY_CATEGORY} alone.")


def _name_free(ctx: CallContext, name: str, arn: str | None = None) -> None:
    taken = ctx.db.execute(select(_stores.arn).where(_stores.account_id == ctx.account, _stores.region == ctx.region,
                                                     _stores.name == name)).scalar()
    if taken is not None and taken != arn:
        raise refused("EventDataStoreAlreadyExistsException", f"An event data store named {name} already exists.")


def lake_quota_lock(ctx: CallContext) -> None:
    """Held until the call commits, so that two calls counting the region's stores or queries against a quota
    cannot both find room for the last one (on PostgreSQL; SQLite has one writer at a time)."""
    lock_for_transaction(ctx.db, f"cloudtrail-lake:{ctx.account}:{ctx.region}")


def _room_for_one(ctx: CallContext) -> None:
    lake_quota_lock(ctx)
    count = ctx.db.execute(select(func.count()).select_from(cloudtrail_event_data_stores).where(
        _stores.account_id == ctx.account, _stores.region == ctx.region)).scalar()
    if count >= MOST_STORES:
        raise refused("EventDataStoreMaxLimitExceededException",
                     f"This account has {MOST_STORES} event data stores in {ctx.region}, as many as it may.")


@cloudtrail.operation("CreateEventDataStore")
def create_event_data_store(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    settings = _checked({member: params[member] for member in _SETTINGS if member in params})
    _name_free(ctx, params["Name"])
    _room_for_one(ctx)
    now = ctx.now()
    arn = lake_arn(STORE, ctx.region, ctx.account, str(uuid.uuid4()))
    ingesting = params.get("StartIngestion", True)
    ctx.db.execute(insert(cloudtrail_event_data_stores).values(
        arn=arn, account_id=ctx.account, region=ctx.region, name=params["Name"],
        status="ENABLED" if ingesting else "STOPPED_INGESTION", settings=settings,
        ingestion=periods.begun([], now) if ingesting else [], created_at=now, updated_at=now))
    if params.get("TagsList"):
        set_tags(ctx.db, arn, tags_given(params["TagsList"]), too_many_tags)
    shape = _shape(ctx.db.execute(select(cloudtrail_event_data_stores).where(_stores.arn == arn)).one())
    if params.get("TagsList"):
        shape["TagsList"] = params["TagsList"]
    return shape


@cloudtrail.operation("GetEventDataStore")
def get_event_data_store(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _shape(require_store(ctx, params["EventDataStore"]))


@cloudtrail.operation("ListEventDataStores")
def list_event_data_stores(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.now()
    rows = [row for row in ctx.db.execute(select(cloudtrail_event_data_stores).where(
        _stores.account_id == ctx.account, _stores.region == ctx.region).order_by(_stores.created_at, _stores.arn))
        if not _expired(row, now)]
    return page_result(rows, params, lambda chunk: [_shape(row, listed=True) for row in chunk], 1000,
                       "EventDataStores", invalid_token)


@cloudtrail.operation("UpdateEventDataStore")
def update_event_data_store(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_store(ctx, params["EventDataStore"], active=True)
    if params.get("BillingMode") == "FIXED_RETENTION_PRICING" != row.settings["BillingMode"]:
        raise refused("InvalidParameterException", "An event data store's billing mode cannot change from "
                     "EXTENDABLE_RETENTION_PRICING to FIXED_RETENTION_PRICING.")
    changed = {**row.settings, **{member: params[member] for member in _SETTINGS if member in params}}
    if "RetentionPeriod" not in params and "BillingMode" in params:
        changed["RetentionPeriod"] = None  # the new billing mode's default
    settings = _checked(changed)
    if schema_of(settings["AdvancedEventSelectors"]) is not store_schema(row):
        raise refused("InvalidEventSelectorsException", "An event data store's events cannot change between AWS "
                      f"events and events from outside AWS ({ACTIVITY_CATEGORY}): make another store.")
    name = params.get("Name", row.name)
    _name_free(ctx, name, row.arn)
    _set(ctx, row.arn, name=name, settings=settings, updated_at=ctx.now())
    return _shape(require_store(ctx, row.arn))


@cloudtrail.operation("DeleteEventDataStore")
def delete_event_data_store(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_store(ctx, params["EventDataStore"], active=True)
    if row.settings["TerminationProtectionEnabled"]:
        raise refused("EventDataStoreTerminationProtectedException",
                     f"The event data store {row.arn} has termination protection: turn it off with "
                     "UpdateEventDataStore first.")
    now = ctx.now()
    _set(ctx, row.arn, status="PENDING_DELETION", deleted_at=now, updated_at=now,
         ingestion=periods.ended(row.ingestion, now))
    return {}


@cloudtrail.operation("RestoreEventDataStore")
def restore_event_data_store(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_store(ctx, params["EventDataStore"])
    if row.status != "PENDING_DELETION":
        raise refused("InvalidEventDataStoreStatusException",
                     f"The event data store {row.arn} is {row.status}: only one pending deletion is restored.")
    now = ctx.now()
    _set(ctx, row.arn, status="ENABLED", deleted_at=None, updated_at=now, ingestion=periods.begun(row.ingestion, now))
    return _shape(require_store(ctx, row.arn))


@cloudtrail.operation("StartEventDataStoreIngestion")
def start_ingestion(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _in_status(ctx, params, "STOPPED_INGESTION", "StartEventDataStoreIngestion")
    now = ctx.now()
    _set(ctx, row.arn, status="ENABLED", updated_at=now, ingestion=periods.begun(row.ingestion, now))
    return {}


@cloudtrail.operation("StopEventDataStoreIngestion")
def stop_ingestion(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _in_status(ctx, params, "ENABLED", "StopEventDataStoreIngestion")
    now = ctx.now()
    _set(ctx, row.arn, status="STOPPED_INGESTION", updated_at=now, ingestion=periods.ended(row.ingestion, now))
    return {}


def _in_status(ctx: CallContext, params: dict[str, Any], status: str, operation: str) -> Row[Any]:
    row = require_store(ctx, params["EventDataStore"], active=True)
    if row.status != status:
        raise refused("InvalidEventDataStoreStatusException",
                     f"{operation} needs an event data store in status {status}; {row.arn} is {row.status}.")
    return row


def put_store_insight_selectors(ctx: CallContext, name: str, destination: str | None,
                                selectors: list[dict[str, Any]]) -> dict[str, Any]:
    """Insights on a store's management events, logged to another store (``InsightsDestination``) that takes
    Insights events; an empty list turns them off."""
    store = require_store(ctx, name, active=True)
    if selectors and store_schema(store) is ACTIVITY:
        raise invalid_parameter("Insights are not supported on event data stores of events from outside AWS.")
    if any("Data" in (selector.get("EventCategories") or []) for selector in selectors):
        raise invalid_parameter("Insights on data events are not supported on event data stores.")
    target = None
    if selectors:
        if not destination:
            raise refused("InvalidParameterCombinationException", "An event data store's Insights need an "
                          "InsightsDestination: the event data store that logs its Insights events.")
        target = require_store(ctx, destination, active=True)
        takes_insights = any(field["Field"].lower() == "eventcategory" and "Insight" in (field.get("Equals") or [])
                             for selector in target.settings["AdvancedEventSelectors"]
                             for field in selector["FieldSelectors"])
        if target.arn == store.arn or not takes_insights:
            raise invalid_parameter(f"The InsightsDestination {destination} must be another event data store, one "
                                    "whose advanced event selectors take eventCategory Insight.")
    settings = {**store.settings, "InsightSelectors": selectors or None,
                "InsightsDestination": target.arn if target else None}
    _set(ctx, store.arn, settings=settings, updated_at=ctx.now())
    return {"EventDataStoreArn": store.arn, "InsightSelectors": selectors,
            **({"InsightsDestination": target.arn} if target else {})}


def store_insight_selectors(ctx: CallContext, name: str) -> dict[str, Any]:
    store = require_store(ctx, name)
    if not store.settings.get("InsightSelectors"):
        raise refused("InsightNotEnabledException", f"The event data store {store.arn} does not have Insights "
                      "enabled.")
    return {"EventDataStoreArn": store.arn, "InsightSelectors": store.settings["InsightSelectors"],
            "InsightsDestination": store.settings["InsightsDestination"]}


def stores_with_insights(ctx: CallContext) -> list[list[dict[str, Any]]]:
    """The Insights selectors of the region's stores that have some."""
    now = ctx.now()
    return [row.settings["InsightSelectors"] for row in ctx.db.execute(select(cloudtrail_event_data_stores).where(
        _stores.account_id == ctx.account, _stores.region == ctx.region))
        if row.settings.get("InsightSelectors") and row.status != "PENDING_DELETION" and not _expired(row, now)]


def _set(ctx: CallContext, arn: str, **values: Any) -> None:
    ctx.db.execute(update(cloudtrail_event_data_stores).where(_stores.arn == arn).values(**values))


def forget_expired(db: Connection, now: datetime) -> None:
    """Stores seven days past their deletion go, with their tags and the events sent to them; events sent to a
    store go once past its retention."""
    for arn in db.execute(select(_stores.arn).where(_stores.deleted_at <= now - PENDING_DELETION)).scalars().all():
        remove_tags(db, arn)
        forget_policy(db, arn)
        activity_events.forget(db, arn)
        db.execute(delete(cloudtrail_event_data_stores).where(_stores.arn == arn))
    for store in db.execute(select(cloudtrail_event_data_stores)):
        if store_schema(store) is ACTIVITY:
            activity_events.drop_past_retention(db, store.arn, store.settings["RetentionPeriod"], now)


def events_of(db: Connection, store: Row[Any], now: datetime, since: datetime | None, until: datetime | None,
              count: Callable[[int], None]) -> Iterator[tuple[Any, ...]]:
    """The store's events as Lake rows, oldest first, between ``since`` and ``until`` when given; ``count`` is
    told of each event read from the trail, taken or not (a query's events scanned)."""
    settings = store.settings
    if store_schema(store) is ACTIVITY:  # the events sent to it, kept as they came
        kept_since = now - timedelta(days=settings["RetentionPeriod"])
        yield from activity_events.rows_of(db, store.arn, max(kept_since, since or kept_since), until, count)
        return
    start = max(store.created_at, now - timedelta(days=settings["RetentionPeriod"]), since or store.created_at)
    end = min(now, until) if until else now
    ingesting = periods.covering(store.ingestion)
    query = select(audit_events).where(audit_events.c.account_id == store.account_id,
                                       audit_events.c.event_time >= start, audit_events.c.event_time <= end)
    if not settings["MultiRegionEnabled"]:
        query = query.where(audit_events.c.region == store.region)
    for row in db.execute(query.order_by(audit_events.c.event_time)):
        count(1)
        moment = row.event_time
        if not ingesting(moment):
            continue
        record = cloudtrail_event(row)
        if selected(settings["AdvancedEventSelectors"], record):
            yield lake_row(record, moment)


def resource_names(db_read: Callable[[Any], Any], params: dict[str, Any]) -> Callable[[str], str | None]:
    """How a CloudTrail request names what it acts on: ``trail/${TrailName}`` is its ``Name``;
    ``channel/${ChannelId}`` its ``Channel`` (``channelArn`` in PutAuditEvents); ``eventdatastore/${EventDataStoreId}``
    its ``EventDataStore``, a channel's first destination, the first store its ``QueryStatement`` reads, or the
    first store of the query its ``QueryId`` names."""

    def resolve(variable: str) -> str | None:
        variable = variable.lower()
        if variable == "trailname":
            return params.get("Name")
        if variable == "dashboardname":  # by its name, or the name ending its ARN
            dashboard = params.get("Name") or params.get("DashboardId")
            return dashboard.rsplit("/", 1)[-1] if isinstance(dashboard, str) else None
        if variable == "channelid":
            channel = params.get("Channel") or params.get("channelArn")  # PutAuditEvents' (cloudtrail-data)
            return id_of(CHANNEL, channel) if isinstance(channel, str) else None
        if variable != "eventdatastoreid":
            return None
        if isinstance(params.get("EventDataStore"), str):
            return id_of(STORE, params["EventDataStore"])
        destinations = params.get("Destinations")
        if isinstance(destinations, list) and destinations and isinstance(destinations[0], dict) \
                and isinstance(destinations[0].get("Location"), str):  # a channel's first
            return id_of(STORE, destinations[0]["Location"])
        if isinstance(params.get("QueryStatement"), str):
            return first_store(params["QueryStatement"])
        if isinstance(params.get("QueryId"), str):
            return db_read(params["QueryId"])
        return None

    return resolve
