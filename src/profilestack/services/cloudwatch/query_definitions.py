"""CloudWatch metric data query definitions: PutMetricDataQueryDefinition, GetMetricDataQueryDefinition,
ListMetricDataQueryDefinitions, DeleteMetricDataQueryDefinition. A definition saves a query's expression under a
path, as CloudWatch does without validating or running it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch.errors import invalid, invalid_token
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.tables import cloudwatch_query_definitions
from profilestack.services.filters import in_callers_region
from profilestack.services.next_token import rows_by_name
from profilestack.store.resource_tags import remove_tags, set_tags

MOST_DEFINITIONS = 1000  # per account and region, as documented
_definitions = cloudwatch_query_definitions.c


def definition_arn(account: str, region: str, definition_id: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:metric-query-definition/{definition_id}"


def find_definition(ctx: CallContext, definition_id: str) -> Row[Any] | None:
    return ctx.db.execute(select(cloudwatch_query_definitions).where(
        in_callers_region(cloudwatch_query_definitions, ctx), _definitions.id == definition_id)).first()


def _not_found(definition_id: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Metric data query definition {definition_id} does not exist.",
                    404)


def _digest(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()


def _shape(ctx: CallContext, definition_id: str, path: str, expression: str, kind: str, created_at: datetime,
           updated_at: datetime) -> dict[str, Any]:
    return {"Id": definition_id, "Arn": definition_arn(ctx.account, ctx.region, definition_id), "Path": path,
            "Expression": expression, "Type": kind, "CreatedAt": created_at, "UpdatedAt": updated_at}


@cloudwatch.operation("PutMetricDataQueryDefinition")
def put_metric_data_query_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Without an Id: a new definition, its id made here; with one: that definition's path, expression and type
    replaced (its creation time kept). A path another definition has is ConflictException."""
    scope = in_callers_region(cloudwatch_query_definitions, ctx)
    digest, now = _digest(params["Path"]), ctx.now()
    holder = ctx.db.execute(select(_definitions.id).where(scope, _definitions.path_digest == digest)).scalar()
    if holder is not None and holder != params.get("Id"):
        raise AwsError("ConflictException", f"The path {params['Path']} is taken by metric data query definition "
                                            f"{holder}.", 409)
    values = {"path": params["Path"], "path_digest": digest, "expression": params["Expression"],
              "type": params["Type"], "updated_at": now}
    if params.get("Id"):
        definition_id = params["Id"]
        existing = find_definition(ctx, definition_id)
        if existing is None:
            raise _not_found(definition_id)
        ctx.db.execute(update(cloudwatch_query_definitions).where(scope, _definitions.id == definition_id)
                       .values(**values))
        created = existing.created_at
    else:
        count = ctx.db.execute(select(func.count()).select_from(cloudwatch_query_definitions).where(scope)).scalar()
        if count >= MOST_DEFINITIONS:
            raise AwsError("LimitExceededException", f"A Region of an account holds at most {MOST_DEFINITIONS} "
                                                     "metric data query definitions.", 400)
        definition_id = ctx.app.ids.uuid()
        ctx.db.execute(insert(cloudwatch_query_definitions).values(
            account_id=ctx.account, region=ctx.region, id=definition_id, created_at=now, **values))
        if params.get("Tags"):
            set_tags(ctx.db, definition_arn(ctx.account, ctx.region, definition_id),
                     {tag["Key"]: tag["Value"] for tag in params["Tags"]}, invalid)
        created = now
    return _shape(ctx, definition_id, params["Path"], params["Expression"], params["Type"], created, now)


@cloudwatch.operation("GetMetricDataQueryDefinition")
def get_metric_data_query_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = find_definition(ctx, params["Id"])
    if row is None:
        raise _not_found(params["Id"])
    return _shape(ctx, row.id, row.path, row.expression, row.type, row.created_at, row.updated_at)


@cloudwatch.operation("ListMetricDataQueryDefinitions")
def list_metric_data_query_definitions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Summaries (no expression), by id, a page read from after the last id the previous one answered."""
    def summaries(rows: list[Row[Any]]) -> list[dict[str, Any]]:
        return [{"Id": row.id, "Path": row.path, "Type": row.type, "UpdatedAt": row.updated_at} for row in rows]

    return rows_by_name(ctx.db, select(cloudwatch_query_definitions).where(
        in_callers_region(cloudwatch_query_definitions, ctx)), _definitions.id, params, summaries,
        invalid=invalid_token)


@cloudwatch.operation("DeleteMetricDataQueryDefinition")
def delete_metric_data_query_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Idempotent, as documented: an unknown id is no error."""
    ctx.db.execute(delete(cloudwatch_query_definitions).where(
        in_callers_region(cloudwatch_query_definitions, ctx), _definitions.id == params["Id"]))
    remove_tags(ctx.db, definition_arn(ctx.account, ctx.region, params["Id"]))
    return {}
