"""CloudTrail Lake dashboards: custom dashboards of widgets, each a query of the caller's event data stores
(``CreateDashboard``, ``GetDashboard``, ``ListDashboards``, ``UpdateDashboard``, ``DeleteDashboard``), refreshed on
request (``StartDashboardRefresh``) or on their schedule.

A refresh is CloudTrail's own work: each widget's query is a ``StartQuery`` call by ``cloudtrail.amazonaws.com``
for the dashboard (``aws:SourceArn``), which every store's resource-based policy must allow; a scheduled refresh
is ``StartDashboardRefresh`` called by CloudTrail, which the dashboard's own policy must allow. ``DescribeQuery``
finds a widget's query by the refresh's ID and the widget's ``QueryAlias``."""

from __future__ import annotations

import random
import re
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.identity.principal import service_principal
from profilestack.outbox.worker import enqueue
from profilestack.services.cloudtrail.errors import invalid_parameter, invalid_token, refused
from profilestack.services.cloudtrail.handlers import cloudtrail
from profilestack.services.cloudtrail.lake_arns import DASHBOARD, lake_arn
from profilestack.services.cloudtrail.lake_events import lake_time
from profilestack.services.cloudtrail.lake_queries import lake_statement
from profilestack.services.cloudtrail.lake_sql import StatementError, parse_time
from profilestack.services.cloudtrail.resource_policies import SERVICE_PRINCIPAL, forget_policy
from profilestack.services.cloudtrail.tables import cloudtrail_dashboards, cloudtrail_queries
from profilestack.services.cloudtrail.tagging import tags_given, too_many_tags
from profilestack.services.next_token import page_result
from profilestack.store.resource_tags import remove_tags, set_tags

if TYPE_CHECKING:
    from profilestack.app import App

HIGHLIGHTS = "AWSCloudTrail-Highlights"
REFRESH_TASK = "cloudtrail.dashboard-refresh"
MOST_WIDGETS = 10
PARAMETERS = ("$StartTime$", "$EndTime$", "$Period$")
SHOWN = timedelta(days=1)  # what a refresh shows when its request names no $StartTime$: the day before it
DEFAULT_PERIOD = "hour"
_HOURLY = (1, 6, 12, 24)  # the hours a custom dashboard may be refreshed every
_PLACEHOLDER = re.compile(r"'\?'|\?")  # a parameter's place in a widget's statement, quoted or not
_ARN = re.compile(r"arn:aws:cloudtrail:[a-z0-9-]+:[0-9]{12}:dashboard/.+")
_dashboards = cloudtrail_dashboards.c
_queries = cloudtrail_queries.c


def require_dashboard(ctx: CallContext, name: str) -> Row[Any]:
    """The caller's dashboard in this region, named by its name or ARN."""
    arn = name if _ARN.fullmatch(name) else lake_arn(DASHBOARD, ctx.region, ctx.account, name)
    row = ctx.db.execute(select(cloudtrail_dashboards).where(
        _dashboards.arn == arn, _dashboards.account_id == ctx.account, _dashboards.region == ctx.region)).first()
    if row is None:
        raise refused("ResourceNotFoundException", f"The dashboard {name} does not exist.")
    return row


def _bound(statement: str, names: list[str], values: dict[str, str]) -> str:
    """The statement with each parameter's value, a string literal, in its place."""
    given = iter(names)
    return _PLACEHOLDER.sub(lambda _: "'" + values[next(given)].replace("'", "''") + "'", statement)


def _parameter_values(given: dict[str, str] | None, now: datetime) -> dict[str, str]:
    """A refresh's parameter values: those given (times in Lake's form), the day before ``now`` and hours else."""
    given = given or {}
    for name in given:
        if name not in PARAMETERS:
            raise invalid_parameter(f"{name} is not a parameter of a custom dashboard: they are "
                                    f"{', '.join(PARAMETERS)}.")
    values = {"$StartTime$": lake_time(now - SHOWN), "$EndTime$": lake_time(now), "$Period$": DEFAULT_PERIOD}
    for name in ("$StartTime$", "$EndTime$"):
        if name in given:
            moment = parse_time(given[name])
            if moment is None:
                raise invalid_parameter(f"{name} {given[name]} is not a time, such as 2026-12-06T10:45:00Z.")
            values[name] = lake_time(moment)
    if "$Period$" in given:
        values["$Period$"] = given["$Period$"]
    return values


def _widgets(ctx: CallContext, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The widgets, each with a query alias of its own, once each statement reads active stores of the caller's
    that the caller may query (what CloudTrail will query for it) and names a place for each of its parameters."""
    if len(given) > MOST_WIDGETS:
        raise refused("ServiceQuotaExceededException", f"A dashboard has at most {MOST_WIDGETS} widgets.")
    sample = _parameter_values(None, ctx.now())
    widgets = []
    for number, widget in enumerate(given, 1):
        names = widget.get("QueryParameters") or []
        for name in names:
            if name not in PARAMETERS:
                raise refused("InvalidQueryStatementException", f"Widget {number}: {name} is not a query parameter; "
                              f"they are {', '.join(PARAMETERS)}.")
        places = len(_PLACEHOLDER.findall(widget["QueryStatement"]))
        if places != len(names):
            raise refused("InvalidQueryStatementException", f"Widget {number}: its statement has {places} places "
                          f"for parameters (?), and it names {len(names)} QueryParameters.")
        try:  # what CloudTrail will run for the caller, who must be allowed to run it
            lake_statement(ctx, _bound(widget["QueryStatement"], names, sample))
        except StatementError as exc:
            raise refused("InvalidQueryStatementException", f"Widget {number}: {exc}") from exc
        widgets.append({"QueryAlias": f"widget{number}-{uuid.uuid4().hex[:8]}", **widget})
    return widgets


def _schedule(ctx: CallContext, given: dict[str, Any] | None, arn: str) -> dict[str, Any] | None:
    """A custom dashboard's refresh schedule: every 1, 6, 12 or 24 hours, or every day, at a time of day; setting
    one takes leave to refresh the dashboard, which CloudTrail will do for the caller."""
    if given is None:
        return None
    frequency = given.get("Frequency")
    if given.get("Status") == "ENABLED" and frequency is None:
        raise invalid_parameter("An enabled refresh schedule needs a Frequency.")
    if frequency is not None:
        unit, value = frequency.get("Unit"), frequency.get("Value")
        if (unit, value) != ("DAYS", 1) and not (unit == "HOURS" and value in _HOURLY):
            raise invalid_parameter("A custom dashboard is refreshed every 1, 6, 12 or 24 HOURS, or every 1 DAYS.")
    hours, minutes = _time_of_day(given)
    if hours > 23 or minutes > 59 or len(given.get("TimeOfDay", "00:00")) != 5:
        raise invalid_parameter(f"TimeOfDay {given['TimeOfDay']} is not a time of day in UTC, such as 06:30.")
    ctx.authorize("cloudtrail:StartDashboardRefresh", arn)
    return given


def _time_of_day(schedule: dict[str, Any]) -> tuple[int, int]:
    """The hour and minute of a schedule's TimeOfDay (HH:MM, the model's pattern; midnight when not given)."""
    time_of_day = schedule.get("TimeOfDay", "00:00")
    return int(time_of_day[:2]), int(time_of_day[3:5])


def _enabled(schedule: dict[str, Any] | None) -> bool:
    return bool(schedule) and schedule.get("Status") == "ENABLED" and "Frequency" in schedule


def _period(schedule: dict[str, Any]) -> timedelta:
    frequency = schedule["Frequency"]
    return timedelta(hours=frequency["Value"]) if frequency["Unit"] == "HOURS" else timedelta(days=1)


def next_refresh(schedule: dict[str, Any], after: datetime) -> datetime:
    """The first time after ``after`` a schedule refreshes: at its TimeOfDay's minute of the hour (hourly), or at
    its TimeOfDay (daily)."""
    hours, minutes = _time_of_day(schedule)
    if schedule["Frequency"]["Unit"] == "HOURS":
        due, step = after.replace(minute=minutes, second=0, microsecond=0), timedelta(hours=1)
    else:
        due, step = after.replace(hour=hours, minute=minutes, second=0, microsecond=0), timedelta(days=1)
    return due if due > after else due + step


def _plan_refreshes(ctx: CallContext, row: Row[Any]) -> None:
    """The next scheduled refresh, named by the dashboard's last change: one planned before it is let go."""
    if _enabled(row.refresh_schedule):
        due = next_refresh(row.refresh_schedule, ctx.now())
        ctx.enqueue(REFRESH_TASK, {"dashboard": row.arn, "version": row.updated_at.isoformat(),
                                   "due": due.isoformat()}, (due - ctx.now()).total_seconds())


def _shape(row: Row[Any]) -> dict[str, Any]:
    shape = {"DashboardArn": row.arn, "Name": row.name, "Type": "CUSTOM", "Widgets": row.widgets,
             "TerminationProtectionEnabled": row.termination_protection,
             "CreatedTimestamp": row.created_at, "UpdatedTimestamp": row.updated_at}
    if row.refresh_schedule is not None:
        shape["RefreshSchedule"] = row.refresh_schedule
    return shape


@cloudtrail.operation("CreateDashboard")
def create_dashboard(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    if name == HIGHLIGHTS:
        raise refused("UnsupportedOperationException", "profilestack has no Highlights dashboard: its widgets are "
                      "what AWS's own analysis finds in an account. Make a custom dashboard.")
    arn = lake_arn(DASHBOARD, ctx.region, ctx.account, name)
    if ctx.db.execute(select(_dashboards.arn).where(_dashboards.arn == arn)).first() is not None:
        raise refused("ConflictException", f"A dashboard named {name} already exists.")
    widgets = _widgets(ctx, params.get("Widgets") or [])
    schedule = _schedule(ctx, params.get("RefreshSchedule"), arn)
    now = ctx.now()
    ctx.db.execute(insert(cloudtrail_dashboards).values(
        arn=arn, account_id=ctx.account, region=ctx.region, name=name, widgets=widgets, refresh_schedule=schedule,
        termination_protection=params.get("TerminationProtectionEnabled", False), created_at=now, updated_at=now))
    if params.get("TagsList"):
        set_tags(ctx.db, arn, tags_given(params["TagsList"]), too_many_tags)
    row = require_dashboard(ctx, arn)
    _plan_refreshes(ctx, row)
    shape = _shape(row)
    del shape["CreatedTimestamp"], shape["UpdatedTimestamp"]
    return {**shape, **({"TagsList": params["TagsList"]} if params.get("TagsList") else {})}


@cloudtrail.operation("GetDashboard")
def get_dashboard(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_dashboard(ctx, params["DashboardId"])
    shape = _shape(row)
    del shape["Name"]
    shape["Status"] = "CREATED" if row.updated_at == row.created_at else "UPDATED"
    if row.last_refresh_id:
        shape["LastRefreshId"] = row.last_refresh_id
    if row.last_refresh_failure:
        shape["LastRefreshFailureReason"] = row.last_refresh_failure
    return shape


@cloudtrail.operation("ListDashboards")
def list_dashboards(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.db.execute(select(_dashboards.arn, _dashboards.name).where(
        _dashboards.account_id == ctx.account, _dashboards.region == ctx.region).order_by(_dashboards.name)).all()
    prefix = params.get("NamePrefix", "")
    wanted = [row for row in rows if row.name.startswith(prefix) and params.get("Type") in (None, "CUSTOM")]
    return page_result(wanted, params, lambda chunk: [{"DashboardArn": row.arn, "Type": "CUSTOM"} for row in chunk],
                       1000, "Dashboards", invalid_token)


@cloudtrail.operation("UpdateDashboard")
def update_dashboard(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_dashboard(ctx, params["DashboardId"])
    values: dict[str, Any] = {"updated_at": ctx.now()}
    if "Widgets" in params:
        values["widgets"] = _widgets(ctx, params["Widgets"])
    if "RefreshSchedule" in params:
        values["refresh_schedule"] = _schedule(ctx, params["RefreshSchedule"], row.arn)
    if "TerminationProtectionEnabled" in params:
        values["termination_protection"] = params["TerminationProtectionEnabled"]
    ctx.db.execute(update(cloudtrail_dashboards).where(_dashboards.arn == row.arn).values(**values))
    row = require_dashboard(ctx, row.arn)
    _plan_refreshes(ctx, row)
    return _shape(row)


@cloudtrail.operation("DeleteDashboard")
def delete_dashboard(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_dashboard(ctx, params["DashboardId"])
    if row.termination_protection:
        raise refused("ConflictException", f"The dashboard {row.name} has termination protection: turn it off "
                      "(UpdateDashboard) to delete it.")
    remove_tags(ctx.db, row.arn)
    forget_policy(ctx.db, row.arn)
    ctx.db.execute(delete(cloudtrail_dashboards).where(_dashboards.arn == row.arn))
    return {}


@cloudtrail.operation("StartDashboardRefresh")
def start_dashboard_refresh(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Each widget's query started by CloudTrail for the dashboard, all or none (one transaction)."""
    row = require_dashboard(ctx, params["DashboardId"])
    values = _parameter_values(params.get("QueryParameterValues"), ctx.now())
    refresh_id = f"{int(ctx.now().timestamp() * 1000)}{random.randrange(1000):03d}"
    acting = service_principal(SERVICE_PRINCIPAL, row.account_id, row.arn)
    for widget in row.widgets:
        statement = _bound(widget["QueryStatement"], widget.get("QueryParameters") or [], values)
        try:
            started = ctx.app.gateway.invoke(acting, "cloudtrail", "StartQuery", {"QueryStatement": statement},
                                             ctx.region, parent=ctx)
        except AwsError as exc:
            if exc.code == "MaxConcurrentQueriesException":
                raise refused("ServiceQuotaExceededException", exc.message) from exc
            raise
        ctx.db.execute(update(cloudtrail_queries).where(_queries.id == started["QueryId"]).values(
            refresh_id=refresh_id, query_alias=widget["QueryAlias"]))
    ctx.db.execute(update(cloudtrail_dashboards).where(_dashboards.arn == row.arn).values(
        last_refresh_id=refresh_id, last_refresh_failure=None))
    return {"RefreshId": refresh_id}


@cloudtrail.task(REFRESH_TASK)
def scheduled_refresh(app: App, payload: dict[str, Any]) -> None:
    """A schedule's refresh: StartDashboardRefresh called by CloudTrail (the dashboard's policy must let it), its
    failure kept for GetDashboard; then the next one. A dashboard changed or deleted since it was planned has
    planned its own."""
    with app.database.transaction(write=False) as db:
        row = db.execute(select(cloudtrail_dashboards).where(_dashboards.arn == payload["dashboard"])).first()
    if row is None or row.updated_at.isoformat() != payload["version"] or not _enabled(row.refresh_schedule):
        return
    failure = None
    try:
        app.gateway.invoke(service_principal(SERVICE_PRINCIPAL, row.account_id, row.arn), "cloudtrail",
                           "StartDashboardRefresh", {"DashboardId": row.arn}, row.region)
    except AwsError as exc:
        failure = f"{exc.code}: {exc.message}"
    period, now = _period(row.refresh_schedule), app.clock.now()
    due = datetime.fromisoformat(payload["due"]) + period
    while due <= now:  # refreshes missed while the server was stopped (or its clock moved on) are not made up
        due += period
    with app.database.transaction() as db:
        if failure is not None:
            db.execute(update(cloudtrail_dashboards).where(_dashboards.arn == row.arn).values(
                last_refresh_failure=failure))
        enqueue(db, app.clock, REFRESH_TASK, {**payload, "due": due.isoformat()}, not_before=due)
