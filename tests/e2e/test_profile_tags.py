"""TagResource, UntagResource and ListTagsForResource on a domain and on each kind of resource it holds."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.identities import ACCOUNT, unique


def test_every_resource_of_a_domain_takes_tags(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("tags")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    domain_arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}"
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="Order", Description="orders",
                                     Fields={"id": {"Source": "_source.id"}, "total": {"Source": "_source.total"}},
                                     Keys={"orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    profiles.create_event_trigger(
        DomainName=domain, EventTriggerName="big", ObjectTypeName="Order",
        EventTriggerConditions=[{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
            {"Source": "_source.total", "ComparisonOperator": "GREATER_THAN", "Values": ["100"]}]}]}])
    campaign = server.client("connectcampaignsv2").create_campaign(
        name=unique("campaign"), connectInstanceId="instance-1",
        source={"eventTrigger": {"customerProfilesDomainArn": domain_arn}})
    profiles.put_integration(DomainName=domain, Uri=campaign["arn"], EventTriggerNames=["big"])
    profiles.create_calculated_attribute_definition(
        DomainName=domain, CalculatedAttributeName="spend", Statistic="SUM",
        AttributeDetails={"Attributes": [{"Name": "total"}], "Expression": "{Order.total}"})

    held = [f"{domain_arn}/object-types/Order", f"{domain_arn}/event-triggers/big",
            f"{domain_arn}/integrations/{campaign['arn']}", f"{domain_arn}/calculated-attributes/spend"]
    for arn in [domain_arn, *held]:
        profiles.tag_resource(resourceArn=arn, tags={"team": "crm", "tier": arn.rsplit("/", 1)[-1][:50]})
        profiles.untag_resource(resourceArn=arn, tagKeys=["tier"])
        assert profiles.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "crm"}, arn
    assert profiles.get_profile_object_type(DomainName=domain, ObjectTypeName="Order")["Tags"] == {"team": "crm"}
    assert profiles.get_event_trigger(DomainName=domain, EventTriggerName="big")["Tags"] == {"team": "crm"}
    assert profiles.get_integration(DomainName=domain, Uri=campaign["arn"])["Tags"] == {"team": "crm"}
    assert profiles.get_calculated_attribute_definition(DomainName=domain,
                                                        CalculatedAttributeName="spend")["Tags"] == {"team": "crm"}

    profiles.delete_calculated_attribute_definition(DomainName=domain, CalculatedAttributeName="spend")
    profiles.create_calculated_attribute_definition(
        DomainName=domain, CalculatedAttributeName="spend", Statistic="COUNT",
        AttributeDetails={"Attributes": [{"Name": "total"}], "Expression": "{Order.total}"})
    assert profiles.list_tags_for_resource(resourceArn=held[-1])["tags"] == {}  # deleted with its definition


@pytest.mark.parametrize("suffix", ["/object-types/Refund", "/event-triggers/none", "/calculated-attributes/none",
                                    "/segments/x", "/object-types", "x"])
def test_tagging_what_does_not_exist_is_refused(server: Server, suffix: str) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("tags")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}{suffix}"
    for call in (lambda: profiles.tag_resource(resourceArn=arn, tags={"a": "b"}),
                 lambda: profiles.list_tags_for_resource(resourceArn=arn)):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    missing = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{unique('gone')}"
    with pytest.raises(ClientError) as caught:
        profiles.untag_resource(resourceArn=missing, tagKeys=["a"])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_resource_with_a_long_name_takes_tags(server: Server) -> None:
    """An object type named with the 255 characters the model allows has an ARN past 256 characters."""
    profiles = server.client("customer-profiles")
    domain = unique("tags")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    name = "t" * 255
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName=name, Description="long", Tags={"a": "b"},
                                     Fields={"id": {"Source": "_source.id"}},
                                     Keys={"uid": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/object-types/{name}"
    assert len(arn) > 256
    assert profiles.get_profile_object_type(DomainName=domain, ObjectTypeName=name)["Tags"] == {"a": "b"}
    with pytest.raises(ClientError) as caught:  # TagResource itself takes ARNs of 256 characters at most
        profiles.tag_resource(resourceArn=arn, tags={"c": "d"})
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    profiles.delete_profile_object_type(DomainName=domain, ObjectTypeName=name)
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName=name, Description="again",
                                     Fields={"id": {"Source": "_source.id"}},
                                     Keys={"uid": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    assert "Tags" not in profiles.get_profile_object_type(DomainName=domain, ObjectTypeName=name)  # they went
