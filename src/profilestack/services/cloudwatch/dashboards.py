"""CloudWatch dashboards: PutDashboard, GetDashboard, ListDashboards, DeleteDashboards.

A dashboard belongs to the account, not to a region (its ARN names none). Its body is kept exactly as sent, after
a structural check (docs/decisions.md); nothing here draws it.
"""

from __future__ import annotations

import json
import re
from operator import attrgetter
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch.errors import invalid_token
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.tables import cloudwatch_dashboards
from profilestack.services.filters import names_missing
from profilestack.services.next_token import page_result
from profilestack.store.resource_tags import remove_tags, set_tags

LIST_PAGE = 1000
_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


def dashboard_arn(account: str, name: str) -> str:
    return f"arn:aws:cloudwatch::{account}:dashboard/{name}"


def _invalid_input(message: str) -> AwsError:
    return AwsError("InvalidParameterInput", message, 400)


def _not_found(names: list[str]) -> AwsError:
    return AwsError("ResourceNotFound", f"Dashboard {', '.join(names)} does not exist", 404)


def _problems(body: Any) -> list[dict[str, str]]:
    """What makes a body no dashboard: widgets must be a list of objects, each with a type."""
    if "widgets" not in body:
        return [{"dataPath": "", "message": "Should have required property 'widgets'"}]
    if not isinstance(body["widgets"], list):
        return [{"dataPath": "/widgets", "message": "Should be array"}]
    found = []
    for index, widget in enumerate(body["widgets"]):
        path = f"/widgets/{index}"
        if not isinstance(widget, dict):
            found.append({"dataPath": path, "message": "Should be object"})
            continue
        if not isinstance(widget.get("type"), str):
            found.append({"dataPath": path, "message": "Should have required property 'type'"})
        if "properties" in widget and not isinstance(widget["properties"], dict):
            found.append({"dataPath": f"{path}/properties", "message": "Should be object"})
    return found


def _checked_body(text: str) -> str:
    try:
        body = jsontext.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _invalid_input("The field DashboardBody must be a valid JSON object")
    problems = _problems(body)
    if problems:
        raise _invalid_input(f"The dashboard body is invalid, there are {len(problems)} validation errors:\n"
                             + json.dumps(problems, indent=2))
    return text


def find_dashboard(ctx: CallContext, name: str) -> Row[Any] | None:
    table = cloudwatch_dashboards
    return ctx.db.execute(select(table).where(table.c.account_id == ctx.account, table.c.name == name)).first()


@cloudwatch.operation("PutDashboard")
def put_dashboard(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Creates or replaces; tags are taken when the dashboard is created (later: TagResource)."""
    name, table = params["DashboardName"], cloudwatch_dashboards
    if not _NAME.fullmatch(name):
        raise _invalid_input("The value for field DashboardName contains invalid characters. It can only contain "
                             "alphanumerics, dash (-) and underscore (_).")
    body, now = _checked_body(params["DashboardBody"]), ctx.now()
    if find_dashboard(ctx, name) is None:
        ctx.db.execute(insert(table).values(account_id=ctx.account, name=name, body=body, updated_at=now))
        set_tags(ctx.db, dashboard_arn(ctx.account, name),
                 {tag["Key"]: tag["Value"] for tag in params.get("Tags") or []}, _invalid_input)
    else:
        ctx.db.execute(update(table).where(table.c.account_id == ctx.account, table.c.name == name)
                       .values(body=body, updated_at=now))
    return {"DashboardValidationMessages": []}


@cloudwatch.operation("GetDashboard")
def get_dashboard(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = find_dashboard(ctx, params["DashboardName"])
    if row is None:
        raise _not_found([params["DashboardName"]])
    return {"DashboardArn": dashboard_arn(ctx.account, row.name), "DashboardBody": row.body,
            "DashboardName": row.name}


@cloudwatch.operation("ListDashboards")
def list_dashboards(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    table = cloudwatch_dashboards
    rows = [row for row in ctx.db.execute(select(table).where(table.c.account_id == ctx.account))
            if row.name.startswith(params.get("DashboardNamePrefix") or "")]
    return page_result(rows, params, lambda chunk: [
        {"DashboardName": row.name, "DashboardArn": dashboard_arn(ctx.account, row.name),
         "LastModified": row.updated_at, "Size": len(row.body.encode())} for row in chunk],
        LIST_PAGE, "DashboardEntries", invalid_token, place=attrgetter("name"))


@cloudwatch.operation("DeleteDashboards")
def delete_dashboards(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """All or nothing: one name not found and no dashboard is deleted."""
    table = cloudwatch_dashboards
    missing, named = names_missing(ctx.db, table.c.name, table.c.account_id == ctx.account, params["DashboardNames"])
    if missing:
        raise _not_found(missing)
    ctx.db.execute(delete(table).where(named))
    for name in dict.fromkeys(params["DashboardNames"]):
        remove_tags(ctx.db, dashboard_arn(ctx.account, name))
    return {}
