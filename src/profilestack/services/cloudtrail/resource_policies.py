"""Resource-based policies CloudTrail's event data stores, channels and dashboards hold: ``PutResourcePolicy``,
``GetResourcePolicy``, ``DeleteResourcePolicy``, and ``policy_of``, which the authorizer reads (a policy may let
other accounts query a store or send events to a channel, let CloudTrail itself refresh a dashboard and run its
widgets' queries, or deny even the owner).

Each kind of resource takes the policies the CloudTrail User Guide describes for it, and nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.document import MalformedPolicy, PolicyDocument, PolicyKind, Statement, parse_policy
from profilestack.iam_policy.wildcards import arn_match
from profilestack.services.cloudtrail.errors import refused
from profilestack.services.cloudtrail.handlers import cloudtrail
from profilestack.services.cloudtrail.lake_arns import CHANNEL, DASHBOARD, STORE
from profilestack.services.cloudtrail.tables import (
    cloudtrail_channels,
    cloudtrail_dashboards,
    cloudtrail_event_data_stores,
    cloudtrail_resource_policies,
)
from profilestack.services.iam.trust_principals import principal_ids

SERVICE_PRINCIPAL = "cloudtrail.amazonaws.com"
MOST_STATEMENTS = 20
MOST_PRINCIPALS = 50  # in one statement
_ARN = re.compile(r"arn:aws:cloudtrail:([a-z0-9-]+):([0-9]{12}):([a-z]+)/(.+)")
_SERVICE_CONDITION_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})
_policies = cloudtrail_resource_policies.c


@dataclass(frozen=True, slots=True)
class _Holder:
    """A kind of resource that holds a policy: where it is kept, and what its policy may say."""

    noun: str
    table: Table
    actions: tuple[str, ...]  # those its policy may name
    service_actions: tuple[str, ...]  # those a statement naming CloudTrail itself may name
    resource_must_match: bool  # a statement's Resource must name the resource (a channel's)


HOLDERS: dict[str, _Holder] = {
    STORE: _Holder("event data store", cloudtrail_event_data_stores,
                   ("cloudtrail:StartQuery", "cloudtrail:CancelQuery", "cloudtrail:ListQueries",
                    "cloudtrail:DescribeQuery", "cloudtrail:GetQueryResults", "cloudtrail:GenerateQuery",
                    "cloudtrail:GenerateQueryResultsSummary", "cloudtrail:GetEventDataStore"),
                   ("cloudtrail:StartQuery",), resource_must_match=False),
    CHANNEL: _Holder("channel", cloudtrail_channels, ("cloudtrail-data:PutAuditEvents",), (),
                     resource_must_match=True),
    DASHBOARD: _Holder("dashboard", cloudtrail_dashboards, ("cloudtrail:StartDashboardRefresh",),
                         ("cloudtrail:StartDashboardRefresh",), resource_must_match=False),
}


def policy_of(db: Connection, arn: str) -> str | None:
    """The policy the resource holds, if any (what the authorizer evaluates)."""
    return db.execute(select(_policies.policy).where(_policies.arn == arn)).scalar()


def forget_policy(db: Connection, arn: str) -> None:
    """A deleted resource's policy goes with it."""
    db.execute(delete(cloudtrail_resource_policies).where(_policies.arn == arn))


def _invalid(message: str) -> AwsError:
    return refused("ResourcePolicyNotValidException", message)


def _holding(ctx: CallContext, arn: str) -> _Holder:
    """The kind of the caller's resource ``arn`` names, which must exist in this account and region."""
    found = _ARN.fullmatch(arn)
    if found is None:
        raise refused("ResourceARNNotValidException", f"{arn} is not the ARN of a CloudTrail event data store, "
                      "dashboard or channel.")
    region, account, kind, _ = found.groups()
    holder = HOLDERS.get(kind)
    if holder is None:
        raise refused("ResourceTypeNotSupportedException", f"A {kind} holds no resource-based policy: event data "
                      "stores, dashboards and channels do.")
    exists = (region == ctx.region and account == ctx.account
              and ctx.db.execute(select(holder.table.c.arn).where(holder.table.c.arn == arn)).first() is not None)
    if not exists:
        raise refused("ResourceNotFoundException", f"The {holder.noun} {arn} does not exist.")
    return holder


def _check_statement(statement: Statement, holder: _Holder, arn: str) -> None:
    number = statement.index + 1
    if statement.not_action or statement.not_principal:
        raise _invalid(f"Statement {number}: a {holder.noun}'s policy names its actions and principals (no "
                       "NotAction or NotPrincipal).")
    allowed = {action.lower(): action for action in holder.actions}
    for action in statement.actions:
        if action.lower() not in allowed:
            raise _invalid(f"Statement {number}: {action} is not an action a {holder.noun}'s policy can name; it "
                           f"can name {', '.join(holder.actions)}.")
    principals = statement.principals or {}
    if sum(len(names) for names in principals.values()) > MOST_PRINCIPALS:
        raise _invalid(f"Statement {number} names more than {MOST_PRINCIPALS} principals.")
    if holder.resource_must_match and not all(arn_match(resource, arn) for resource in statement.resources):
        raise _invalid(f"Statement {number}: the Resource of a {holder.noun}'s policy must be the {holder.noun} "
                       f"itself, {arn}.")
    lets_cloudtrail_alone = holder.actions == holder.service_actions  # a dashboard's policy
    if "Service" in principals or lets_cloudtrail_alone:
        _check_service_statement(statement, holder, number)


def _check_service_statement(statement: Statement, holder: _Holder, number: int) -> None:
    """A statement letting CloudTrail act on the resource names CloudTrail alone, its action alone, and conditions
    on the dashboard and account it acts for alone."""
    principals = statement.principals or {}
    if not holder.service_actions:
        raise _invalid(f"Statement {number}: a {holder.noun}'s policy names accounts, users and roles, not "
                       "services.")
    if list(principals) != ["Service"] or principals["Service"] != (SERVICE_PRINCIPAL,):
        raise _invalid(f"Statement {number}: the only principal of a statement letting CloudTrail act on a "
                       f"{holder.noun} is {SERVICE_PRINCIPAL}.")
    if {action.lower() for action in statement.actions} - {action.lower() for action in holder.service_actions}:
        raise _invalid(f"Statement {number}: CloudTrail may be allowed {' and '.join(holder.service_actions)} on "
                       f"a {holder.noun}, nothing else.")
    if any(condition.key not in _SERVICE_CONDITION_KEYS for condition in statement.conditions):
        raise _invalid(f"Statement {number}: the conditions of a statement letting CloudTrail act test "
                       "aws:SourceArn (the dashboards) and aws:SourceAccount alone.")


def _checked(ctx: CallContext, holder: _Holder, arn: str, text: str) -> PolicyDocument:
    try:
        document = parse_policy(text, PolicyKind.HELD)
    except MalformedPolicy as exc:
        raise _invalid(str(exc)) from exc
    if len(document.statements) > MOST_STATEMENTS:
        raise _invalid(f"A resource-based policy has at most {MOST_STATEMENTS} statements.")
    for statement in document.statements:
        _check_statement(statement, holder, arn)
    try:  # users and roles of the accounts this server holds must exist
        principal_ids(ctx.db, ctx.app.settings.accounts_held(), document)
    except AwsError as exc:
        raise _invalid(exc.message) from exc
    return document


def _answer(arn: str, text: str) -> dict[str, Any]:
    return {"ResourceArn": arn, "ResourcePolicy": text}


@cloudtrail.operation("PutResourcePolicy")
def put_resource_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    arn, text = params["ResourceArn"], params["ResourcePolicy"]
    _checked(ctx, _holding(ctx, arn), arn, text)
    if policy_of(ctx.db, arn) is None:
        ctx.db.execute(insert(cloudtrail_resource_policies).values(arn=arn, policy=text))
    else:
        ctx.db.execute(update(cloudtrail_resource_policies).where(_policies.arn == arn).values(policy=text))
    ctx.on_commit(ctx.app.policies.invalidate)
    return _answer(arn, text)


def _require_policy(ctx: CallContext, arn: str) -> str:
    holder = _holding(ctx, arn)
    text = policy_of(ctx.db, arn)
    if text is None:
        raise refused("ResourcePolicyNotFoundException", f"The {holder.noun} {arn} holds no resource-based policy.")
    return text


@cloudtrail.operation("GetResourcePolicy")
def get_resource_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _answer(params["ResourceArn"], _require_policy(ctx, params["ResourceArn"]))


@cloudtrail.operation("DeleteResourcePolicy")
def delete_resource_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _require_policy(ctx, params["ResourceArn"])
    forget_policy(ctx.db, params["ResourceArn"])
    ctx.on_commit(ctx.app.policies.invalidate)
    return {}
