"""Integration workflows: AWS's asynchronous import of a Salesforce, ServiceNow or Marketo object's history through
an Amazon AppFlow flow. profilestack runs no AppFlow, so no workflow can start: ``CreateIntegrationWorkflow``
checks what it is given as AWS does, then refuses, and the reads answer for a domain that has no workflows."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.iam.pass_role import require_pass_role
from profilestack.services.next_token import page_result
from profilestack.services.profiles.domains import domain_arn, require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.integration_sources import appflow_refusal
from profilestack.services.profiles.object_types import referenced_type
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.service_role import SERVICE_PRINCIPAL


@profiles.operation("CreateIntegrationWorkflow")
def create_integration_workflow(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    referenced_type(ctx.db, domain, params["ObjectTypeName"])
    if not params["IntegrationConfig"].get("AppflowIntegration"):
        raise bad_request("IntegrationConfig needs an AppflowIntegration for an APPFLOW_INTEGRATION workflow.")
    require_pass_role(ctx, params["RoleArn"], SERVICE_PRINCIPAL, domain_arn(ctx, domain.name))
    raise appflow_refusal()


def _no_workflow(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    raise not_found(f"Workflow {params['WorkflowId']} does not exist in domain {domain.name}.")


for _reading_one in ("GetWorkflow", "GetWorkflowSteps", "DeleteWorkflow"):
    profiles.operation(_reading_one)(_no_workflow)


@profiles.operation("ListWorkflows")
def list_workflows(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    require_domain(ctx, params["DomainName"])
    start, end = params.get("QueryStartDate"), params.get("QueryEndDate")
    if start and end and start > end:
        raise bad_request("QueryStartDate must not be after QueryEndDate.")
    return page_result([], params)
