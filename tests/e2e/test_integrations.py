"""Integrations that bring data into a domain (an Amazon Connect instance, an AppIntegrations event integration),
and the AppFlow integrations and workflows profilestack refuses, through boto3."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, trust, unique

INSTANCE = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/6f1c2a52-0f4e-4d39-9a8c-1b2c3d4e5f60"
EVENTS = f"arn:aws:app-integrations:us-east-1:{ACCOUNT}:event-integration/shop-events"
FLOW = {"FlowName": "salesforce-accounts", "KmsArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab",
        "SourceFlowConfig": {"ConnectorType": "Salesforce", "ConnectorProfileName": "my-salesforce",
                             "SourceConnectorProperties": {"Salesforce": {"Object": "Account"}}},
        "Tasks": [{"SourceFields": ["Id"], "TaskType": "Filter", "ConnectorOperator": {"Salesforce": "PROJECTION"}}],
        "TriggerConfig": {"TriggerType": "OnDemand"}}
APPFLOW = "profilestack does not run Amazon AppFlow"


@pytest.fixture
def typed(profiles, domain: str) -> str:
    """The domain, with the contact records' type (from AWS's CTR template) and a customers type."""
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="CTR", TemplateId="CTR-NoInferred",
                                     Description="contact records")
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="ShopCustomer", Description="shop customers",
        Fields={"id": {"Source": "_source.id", "Target": "_profile.AccountNumber"}},
        Keys={"_account": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]})
    return domain


def test_a_connect_instance_integration_is_kept_listed_and_deleted(server: Server, profiles, typed: str) -> None:
    put = profiles.put_integration(DomainName=typed, Uri=INSTANCE, ObjectTypeName="CTR", Tags={"team": "voice"})
    assert (put["DomainName"], put["Uri"], put["ObjectTypeName"], put["Tags"]) == (typed, INSTANCE, "CTR",
                                                                                  {"team": "voice"})
    assert "EventTriggerNames" not in put and put["CreatedAt"] <= put["LastUpdatedAt"]
    got = profiles.get_integration(DomainName=typed, Uri=INSTANCE)
    assert (got["ObjectTypeName"], got["Tags"]) == ("CTR", {"team": "voice"})
    assert [item["Uri"] for item in profiles.list_integrations(DomainName=typed)["Items"]] == [INSTANCE]
    assert [item["DomainName"] for item in profiles.list_account_integrations(Uri=INSTANCE)["Items"]] == [typed]

    again = profiles.put_integration(DomainName=typed, Uri=INSTANCE, ObjectTypeName="ShopCustomer")
    assert again["ObjectTypeName"] == "ShopCustomer" and again["CreatedAt"] == put["CreatedAt"]
    assert profiles.get_integration(DomainName=typed, Uri=INSTANCE)["ObjectTypeName"] == "ShopCustomer"

    profiles.delete_integration(DomainName=typed, Uri=INSTANCE)
    assert refused(profiles.get_integration, DomainName=typed, Uri=INSTANCE)[0] == "ResourceNotFoundException"
    assert profiles.list_account_integrations(Uri=INSTANCE)["Items"] == []


def test_a_connect_instance_needs_no_type_and_may_name_a_template(profiles, domain: str) -> None:
    """As the API-driven Connect set-up does it: the domain and the instance's ARN; a type named may be a template
    the domain has no object type of yet (its objects would take the template's mapping)."""
    bare = profiles.put_integration(DomainName=domain, Uri=INSTANCE)
    assert bare["Uri"] == INSTANCE and "ObjectTypeName" not in bare
    assert profiles.put_integration(DomainName=domain, Uri=INSTANCE, ObjectTypeName="CTR")["ObjectTypeName"] == "CTR"
    mapped = {"ShopifyCreateCustomers": "Shopify-Customer"}
    assert profiles.put_integration(DomainName=domain, Uri=EVENTS, ObjectTypeNames=mapped)["ObjectTypeNames"] == (
        mapped)


def test_an_event_integration_maps_the_documented_event_types(profiles, typed: str) -> None:
    mapped = {"ShopifyCreateCustomers": "ShopCustomer", "ShopifyUpdateCustomers": "ShopCustomer"}
    put = profiles.put_integration(DomainName=typed, Uri=EVENTS, ObjectTypeNames=mapped)
    assert put["ObjectTypeNames"] == mapped and "ObjectTypeName" not in put
    assert profiles.get_integration(DomainName=typed, Uri=EVENTS)["ObjectTypeNames"] == mapped

    code, message = refused(profiles.put_integration, DomainName=typed, Uri=EVENTS,
                            ObjectTypeNames={"ShopifyCreateCustomers": "ShopCustomer", "ShopifyDeleteCart": "CTR"})
    assert code == "BadRequestException"
    assert message.startswith("ObjectTypeNames has unknown event types ShopifyDeleteCart; the event types are "
                              "SegmentIdentify, ShopifyCreateCustomers")
    assert profiles.get_integration(DomainName=typed, Uri=EVENTS)["ObjectTypeNames"] == mapped  # unchanged


def test_a_source_integration_needs_existing_types_and_no_triggers(profiles, typed: str) -> None:
    def refusal(**params) -> tuple[str, str]:
        return refused(profiles.put_integration, DomainName=typed, **params)

    assert refusal(Uri=EVENTS) == (
        "BadRequestException", "An integration with an Amazon AppIntegrations event integration needs "
        "ObjectTypeNames: the object type each of its event types is ingested as.")
    assert refusal(Uri=INSTANCE, ObjectTypeName="Orders") == (
        "BadRequestException", f"Object type Orders does not exist in domain {typed}.")
    assert refusal(Uri=EVENTS, ObjectTypeNames={"SegmentIdentify": "Visitors"})[1] == (
        f"Object type Visitors does not exist in domain {typed}.")
    assert refusal(Uri=INSTANCE, ObjectTypeName="CTR", EventTriggerNames=["any"]) == (
        "BadRequestException", f"EventTriggerNames wire event triggers to a campaign; {INSTANCE} is an Amazon "
        "Connect instance.")
    for elsewhere in (INSTANCE.replace(ACCOUNT, "111122223333"), INSTANCE.replace("us-east-1", "eu-west-1"),
                      "arn:aws:sqs:us-east-1:000000000000:queue", f"{INSTANCE}/extra"):
        code, message = refusal(Uri=elsewhere, ObjectTypeName="CTR")
        assert (code, message.startswith(f"Uri {elsewhere} is not supported")) == ("BadRequestException", True)
    assert profiles.list_integrations(DomainName=typed)["Items"] == []  # nothing refused was written


def test_appflow_integrations_and_workflows_are_refused_with_the_reason(server: Server, profiles, typed: str) -> None:
    assert refused(profiles.put_integration, DomainName=typed, FlowDefinition=FLOW, ObjectTypeName="CTR") == (
        "BadRequestException", "profilestack does not run Amazon AppFlow: a FlowDefinition's source (Salesforce, "
        "Marketo, ServiceNow, Zendesk or S3) cannot be read here. Put objects with PutProfileObject, or load them "
        "with `profilestack load`.")
    assert APPFLOW in refused(profiles.put_integration, DomainName=typed, Uri=INSTANCE, ObjectTypeName="CTR",
                              FlowDefinition=FLOW)[1]
    assert profiles.list_integrations(DomainName=typed)["Items"] == []

    role = server.client("iam").create_role(RoleName=unique("flow"), AssumeRolePolicyDocument=trust(
        {"Service": "profile.amazonaws.com"}))["Role"]["Arn"]
    workflow = {"DomainName": typed, "WorkflowType": "APPFLOW_INTEGRATION", "ObjectTypeName": "CTR",
                "IntegrationConfig": {"AppflowIntegration": {"FlowDefinition": FLOW}}, "RoleArn": role}
    code, message = refused(profiles.create_integration_workflow, **workflow)
    assert (code, message.startswith(APPFLOW)) == ("BadRequestException", True)
    assert refused(profiles.create_integration_workflow, **{**workflow, "ObjectTypeName": "Orders"})[1] == (
        f"Object type Orders does not exist in domain {typed}.")
    assert refused(profiles.create_integration_workflow, **{**workflow, "DomainName": unique("none")})[0] == (
        "ResourceNotFoundException")
    without_pass = make_user(server, document(allow("profile:*"))).client("customer-profiles")
    code, message = refused(without_pass.create_integration_workflow, **workflow)
    assert (code, f"iam:PassRole on resource: {role}" in message) == ("AccessDeniedException", True)


def test_a_domain_has_no_workflows_to_read(profiles, typed: str) -> None:
    assert profiles.list_workflows(DomainName=typed)["Items"] == []
    listed = profiles.list_workflows(DomainName=typed, WorkflowType="APPFLOW_INTEGRATION", Status="COMPLETE",
                                     MaxResults=10)
    assert listed["Items"] == [] and "NextToken" not in listed
    code, message = refused(profiles.list_workflows, DomainName=typed, QueryStartDate=datetime(2026, 2, 1, tzinfo=UTC),
                            QueryEndDate=datetime(2026, 1, 1, tzinfo=UTC))
    assert (code, message) == ("BadRequestException", "QueryStartDate must not be after QueryEndDate.")
    workflow_id = "0123456789abcdef0123456789abcdef"
    for read in (profiles.get_workflow, profiles.get_workflow_steps, profiles.delete_workflow):
        assert refused(read, DomainName=typed, WorkflowId=workflow_id) == (
            "ResourceNotFoundException", f"Workflow {workflow_id} does not exist in domain {typed}.")
    assert refused(profiles.list_workflows, DomainName=unique("none"))[0] == "ResourceNotFoundException"
