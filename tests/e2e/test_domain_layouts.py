"""Customer Profiles domain layouts: their lifecycle, versions, the one default, tags, access and the audit trail."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique

LAYOUT = json.dumps({"sections": [{"title": "Contact", "fields": ["FirstName", "PhoneNumber"]}]})


@pytest.fixture
def domain(server: Server) -> str:
    name = unique("layouts")
    server.client("customer-profiles").create_domain(DomainName=name, DefaultExpirationDays=30)
    return name


def _create(profiles, domain: str, name: str, **extra) -> dict:
    params = {"DomainName": domain, "LayoutDefinitionName": name, "Description": f"{name} layout",
              "DisplayName": f"Layout {name}", "LayoutType": "PROFILE_EXPLORER", "Layout": LAYOUT, **extra}
    return profiles.create_domain_layout(**params)


def test_a_layout_is_created_read_updated_listed_and_deleted(server: Server, domain: str) -> None:
    profiles = server.client("customer-profiles")
    created = _create(profiles, domain, "agents", Tags={"team": "crm"})
    assert (created["LayoutDefinitionName"], created["Version"], created["IsDefault"], created["Layout"],
            created["Tags"]) == ("agents", "1", False, LAYOUT, {"team": "crm"})
    fetched = profiles.get_domain_layout(DomainName=domain, LayoutDefinitionName="agents")
    assert {key: fetched[key] for key in ("Description", "DisplayName", "LayoutType", "Layout", "Version")} == {
        "Description": "agents layout", "DisplayName": "Layout agents", "LayoutType": "PROFILE_EXPLORER",
        "Layout": LAYOUT, "Version": "1"}
    assert fetched["CreatedAt"] == created["CreatedAt"]

    updated = profiles.update_domain_layout(DomainName=domain, LayoutDefinitionName="agents",
                                            DisplayName="Agents view")
    assert (updated["DisplayName"], updated["Description"], updated["Layout"], updated["Version"]) == (
        "Agents view", "agents layout", LAYOUT, "2")
    assert updated["LastUpdatedAt"] >= created["CreatedAt"]
    assert profiles.get_domain_layout(DomainName=domain, LayoutDefinitionName="agents")["Version"] == "2"

    _create(profiles, domain, "billing")
    first = profiles.list_domain_layouts(DomainName=domain, MaxResults=1)
    assert [item["LayoutDefinitionName"] for item in first["Items"]] == ["agents"]
    assert "Layout" not in first["Items"][0] and first["Items"][0]["Tags"] == {"team": "crm"}
    _create(profiles, domain, "accounts")  # made between the pages, before the next page's place: not in it
    rest = profiles.list_domain_layouts(DomainName=domain, NextToken=first["NextToken"])
    assert [item["LayoutDefinitionName"] for item in rest["Items"]] == ["billing"] and "NextToken" not in rest
    profiles.delete_domain_layout(DomainName=domain, LayoutDefinitionName="accounts")

    assert profiles.delete_domain_layout(DomainName=domain, LayoutDefinitionName="agents")["Message"] == (
        "Layout agents was deleted.")
    assert refused(profiles.get_domain_layout, DomainName=domain, LayoutDefinitionName="agents") == (
        "ResourceNotFoundException", f"Layout agents does not exist in domain {domain}.")
    assert [item["LayoutDefinitionName"] for item in profiles.list_domain_layouts(DomainName=domain)["Items"]] == [
        "billing"]


def test_only_one_layout_is_the_default(server: Server, domain: str) -> None:
    profiles = server.client("customer-profiles")
    _create(profiles, domain, "first", IsDefault=True)
    _create(profiles, domain, "second", IsDefault=True)

    def defaults() -> list[str]:
        return [item["LayoutDefinitionName"] for item in profiles.list_domain_layouts(DomainName=domain)["Items"]
                if item["IsDefault"]]

    assert defaults() == ["second"]
    assert profiles.update_domain_layout(DomainName=domain, LayoutDefinitionName="first", IsDefault=True)[
        "IsDefault"] is True
    assert defaults() == ["first"]
    assert profiles.get_domain_layout(DomainName=domain, LayoutDefinitionName="second")["Version"] == "1"


def test_bad_requests_and_missing_things(server: Server, domain: str) -> None:
    profiles = server.client("customer-profiles")
    _create(profiles, domain, "agents")
    assert refused(_create, profiles=profiles, domain=domain, name="agents") == (
        "BadRequestException", f"Layout agents already exists in domain {domain}.")
    code, message = refused(_create, profiles=profiles, domain=domain, name="other", LayoutType="GRID")
    assert code == "BadRequestException" and "Value 'GRID' at 'layoutType'" in message
    code, message = refused(_create, profiles=profiles, domain=domain, name="bad name!")
    assert code == "BadRequestException" and "'layoutDefinitionName'" in message
    assert refused(profiles.update_domain_layout, DomainName=domain, LayoutDefinitionName="nope",
                    DisplayName="x")[0] == "ResourceNotFoundException"
    assert refused(profiles.list_domain_layouts, DomainName=unique("nodomain")) [0] == "ResourceNotFoundException"


def test_layouts_take_tags_and_go_with_their_domain(server: Server, domain: str) -> None:
    profiles = server.client("customer-profiles")
    _create(profiles, domain, "agents")
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/layouts/agents"
    profiles.tag_resource(resourceArn=arn, tags={"env": "test"})
    assert profiles.get_domain_layout(DomainName=domain, LayoutDefinitionName="agents")["Tags"] == {"env": "test"}
    profiles.delete_domain(DomainName=domain)
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    assert profiles.list_domain_layouts(DomainName=domain)["Items"] == []
    assert refused(profiles.list_tags_for_resource, resourceArn=arn)[0] == "ResourceNotFoundException"


def test_access_is_per_layout_and_the_layout_stays_out_of_the_audit_trail(server: Server, domain: str) -> None:
    profiles = server.client("customer-profiles")
    for name in ("open", "closed"):
        _create(profiles, domain, name)
    layouts = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/layouts"
    user = make_user(server, document(allow("profile:GetDomainLayout", f"{layouts}/open")))
    client = user.client("customer-profiles")
    assert client.get_domain_layout(DomainName=domain, LayoutDefinitionName="open")["Layout"] == LAYOUT
    code, message = refused(client.get_domain_layout, DomainName=domain, LayoutDefinitionName="closed")
    assert code == "AccessDeniedException" and f"{layouts}/closed" in message

    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateDomainLayout"}])["Events"]
    recorded = [json.loads(event["CloudTrailEvent"])["requestParameters"] for event in events]
    mine = [parameters for parameters in recorded if parameters["domainName"] == domain]
    assert len(mine) == 2 and all(parameters["layout"] == "HIDDEN_DUE_TO_SECURITY_REASONS" for parameters in mine)
