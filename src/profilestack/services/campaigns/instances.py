"""Amazon Connect instances onboarded to Outbound Campaigns: onboarding creates the account's service-linked role
``AWSServiceRoleForConnectCampaigns`` (the caller, through the service, as CreateDomain does for Customer
Profiles), which then stays in use while any instance is onboarded."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, Row, Table, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.campaigns.handlers import check_domain_arn, delete_campaign_rows, outbound, paged
from profilestack.services.campaigns.tables import campaigns, connect_instance_configs, connect_instance_integrations
from profilestack.services.iam import entities
from profilestack.services.iam.linked_services import LinkedService, register
from profilestack.services.iam.service import account_writes_lock
from profilestack.store.locks import lock_for_transaction

SERVICE_PRINCIPAL = "connect-campaigns.amazonaws.com"
ROLE_NAME = "AWSServiceRoleForConnectCampaigns"
_table = connect_instance_configs


def instances_using(db: Connection, account: str, role_name: str) -> list[tuple[str, list[str]]]:
    """IAM's question before deleting the role: which onboarded instances, in which regions, still use it."""
    usage: dict[str, list[str]] = {}
    for row in db.execute(select(_table.c.region, _table.c.instance_id).where(_table.c.account_id == account)
                          .order_by(_table.c.region, _table.c.instance_id)):
        usage.setdefault(row.region, []).append(f"arn:aws:connect:{row.region}:{account}:instance/{row.instance_id}")
    return list(usage.items())


register(LinkedService(SERVICE_PRINCIPAL, ROLE_NAME, False,
                       "arn:aws:iam::aws:policy/aws-service-role/AmazonConnectCampaignsServiceLinkedRolePolicy",
                       usage=instances_using))


def _of_instance(table: Table, ctx: CallContext, instance_id: str) -> tuple[Any, ...]:
    """The rows of ``table`` (configurations, integrations) that belong to the instance in the caller's region."""
    return (table.c.account_id == ctx.account, table.c.region == ctx.region, table.c.instance_id == instance_id)


def _find(ctx: CallContext, instance_id: str) -> Row[Any] | None:
    return ctx.db.execute(select(_table).where(*_of_instance(_table, ctx, instance_id))).first()


def _require(ctx: CallContext, instance_id: str) -> Row[Any]:
    row = _find(ctx, instance_id)
    if row is None:
        raise AwsError("ResourceNotFoundException",
                       f"Amazon Connect instance {instance_id} is not onboarded to Outbound Campaigns.", 404)
    return row


def _role_arn(ctx: CallContext) -> str:
    return entities.ROLE.arn(ctx.account, f"/aws-service-role/{SERVICE_PRINCIPAL}/", ROLE_NAME)


@outbound.operation("StartInstanceOnboardingJob")
def start_instance_onboarding_job(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Onboarding finishes at once: the role (created if the account has none) and the settings are ready."""
    instance_id = params["connectInstanceId"]
    lock_for_transaction(ctx.db, account_writes_lock(ctx.account))
    if entities.find(ctx.db, entities.ROLE, ctx.account, ROLE_NAME) is None:
        caller = dataclasses.replace(ctx.principal, invoked_by=SERVICE_PRINCIPAL)
        ctx.app.gateway.invoke(caller, "iam", "CreateServiceLinkedRole", {"AWSServiceName": SERVICE_PRINCIPAL},
                               ctx.region, parent=ctx)
    values = {"encryption": params["encryptionConfig"], "job_status": "SUCCEEDED"}
    if _find(ctx, instance_id) is None:
        ctx.db.execute(insert(_table).values(account_id=ctx.account, region=ctx.region, instance_id=instance_id,
                                             created_at=ctx.now(), **values))
    else:
        ctx.db.execute(update(_table).where(*_of_instance(_table, ctx, instance_id)).values(**values))
    return {"connectInstanceOnboardingJobStatus": {"connectInstanceId": instance_id, "status": "SUCCEEDED"}}


@outbound.operation("GetInstanceOnboardingJobStatus")
def get_instance_onboarding_job_status(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _find(ctx, params["connectInstanceId"])
    if row is None or row.job_status is None:
        raise AwsError("ResourceNotFoundException",
                       f"No onboarding job for Amazon Connect instance {params['connectInstanceId']}.", 404)
    return {"connectInstanceOnboardingJobStatus": {"connectInstanceId": row.instance_id, "status": row.job_status}}


@outbound.operation("DeleteInstanceOnboardingJob")
def delete_instance_onboarding_job(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The job's record goes; the instance stays onboarded."""
    row = _require(ctx, params["connectInstanceId"])
    ctx.db.execute(update(_table).where(*_of_instance(_table, ctx, row.instance_id)).values(job_status=None))
    return {}


@outbound.operation("GetConnectInstanceConfig")
def get_connect_instance_config(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require(ctx, params["connectInstanceId"])
    return {"connectInstanceConfig": {"connectInstanceId": row.instance_id, "serviceLinkedRoleArn": _role_arn(ctx),
                                      "encryptionConfig": row.encryption}}


@outbound.operation("DeleteConnectInstanceConfig")
def delete_connect_instance_config(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Offboarding; ``DELETE_ALL`` deletes the instance's campaigns too (``RETAIN_ALL``, the default, keeps them)."""
    row = _require(ctx, params["connectInstanceId"])
    if params.get("campaignDeletionPolicy") == "DELETE_ALL":
        for campaign in ctx.db.execute(select(campaigns).where(campaigns.c.account_id == ctx.account,
                                                               campaigns.c.region == ctx.region)).all():
            if campaign.definition.get("connectInstanceId") == row.instance_id:
                delete_campaign_rows(ctx, campaign)
    for table in (_integrations, _table):
        ctx.db.execute(delete(table).where(*_of_instance(table, ctx, row.instance_id)))
    return {}


@outbound.operation("PutInstanceCommunicationLimits")
def put_instance_communication_limits(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require(ctx, params["connectInstanceId"])
    ctx.db.execute(update(_table).where(*_of_instance(_table, ctx, row.instance_id))
                   .values(communication_limits=params["communicationLimitsConfig"]))
    return {}


@outbound.operation("GetInstanceCommunicationLimits")
def get_instance_communication_limits(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require(ctx, params["connectInstanceId"])
    return {"communicationLimitsConfig": row.communication_limits} if row.communication_limits else {}


_integrations = connect_instance_integrations
_IDENTIFIERS = {"customerProfiles": "domainArn", "qConnect": "knowledgeBaseArn", "lambda": "functionArn"}


def _kind_and_identifier(union: dict[str, Any]) -> tuple[str, str]:
    """The one member an integration union sets, and the ARN that names it."""
    ((kind, config),) = union.items()  # validation let exactly one through
    return kind, config[_IDENTIFIERS[kind]]


@outbound.operation("PutConnectInstanceIntegration")
def put_connect_instance_integration(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """One integration per ARN: putting it again replaces its configuration."""
    row = _require(ctx, params["connectInstanceId"])
    kind, identifier = _kind_and_identifier(params["integrationConfig"])
    if kind == "customerProfiles":
        check_domain_arn(ctx, identifier, "domainArn")
    key = (*_of_instance(_integrations, ctx, row.instance_id), _integrations.c.kind == kind,
           _integrations.c.identifier == identifier)
    ctx.db.execute(delete(_integrations).where(*key))
    ctx.db.execute(insert(_integrations).values(account_id=ctx.account, region=ctx.region,
                                                instance_id=row.instance_id, kind=kind, identifier=identifier,
                                                config=params["integrationConfig"][kind], created_at=ctx.now()))
    return {}


@outbound.operation("ListConnectInstanceIntegrations")
def list_connect_instance_integrations(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require(ctx, params["connectInstanceId"])
    rows = ctx.db.execute(select(_integrations).where(*_of_instance(_integrations, ctx, row.instance_id))
                          .order_by(_integrations.c.created_at, _integrations.c.kind, _integrations.c.identifier))
    return paged(list(rows), params, "integrationSummaryList", lambda item: {item.kind: item.config})


@outbound.operation("DeleteConnectInstanceIntegration")
def delete_connect_instance_integration(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require(ctx, params["connectInstanceId"])
    kind, identifier = _kind_and_identifier(params["integrationIdentifier"])
    gone = ctx.db.execute(delete(_integrations).where(*_of_instance(_integrations, ctx, row.instance_id),
                                                      _integrations.c.kind == kind,
                                                      _integrations.c.identifier == identifier)).rowcount
    if not gone:
        raise AwsError("ResourceNotFoundException", f"Instance {row.instance_id} has no {kind} integration "
                                                    f"{identifier}.", 404)
    return {}


# The onboarding operations, which Outbound Campaigns v1 has too, with the same shapes (campaigns_v1.py)
ONBOARDING = {"StartInstanceOnboardingJob": start_instance_onboarding_job,
              "GetInstanceOnboardingJobStatus": get_instance_onboarding_job_status,
              "DeleteInstanceOnboardingJob": delete_instance_onboarding_job,
              "GetConnectInstanceConfig": get_connect_instance_config,
              "DeleteConnectInstanceConfig": delete_connect_instance_config}
