"""Domain object types: kept for a domain whose data store is enabled, read, listed, tagged and deleted."""

from __future__ import annotations

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, unique

FIELDS = {"orderId": {"Source": "_source.id", "Target": "_order.OrderId", "ContentType": "STRING"},
          "total": {"Source": "_source.total", "Target": "_order.Total", "ContentType": "NUMBER",
                    "FeatureType": "TEXTUAL"}}


def test_domain_object_types_need_a_data_store_and_keep_their_fields(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("datastore")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    assert refused(profiles.put_domain_object_type, DomainName=domain, ObjectTypeName="Order", Fields=FIELDS) == (
        "BadRequestException", f"Domain {domain} has no data store: enable its DataStore with UpdateDomain before "
                               "putting domain object types.")
    profiles.update_domain(DomainName=domain, DataStore={"Enabled": True})

    created = profiles.put_domain_object_type(DomainName=domain, ObjectTypeName="Order", Fields=FIELDS,
                                              Description="orders", Tags={"team": "crm"})
    assert (created["ObjectTypeName"], created["Fields"], created["Tags"]) == ("Order", FIELDS, {"team": "crm"})
    replaced = profiles.put_domain_object_type(DomainName=domain, ObjectTypeName="Order",
                                               Fields={"orderId": FIELDS["orderId"]}, Description="orders v2")
    assert replaced["CreatedAt"] == created["CreatedAt"] and replaced["LastUpdatedAt"] >= created["LastUpdatedAt"]
    fetched = profiles.get_domain_object_type(DomainName=domain, ObjectTypeName="Order")
    assert (fetched["Fields"], fetched["Description"]) == ({"orderId": FIELDS["orderId"]}, "orders v2")

    profiles.put_domain_object_type(DomainName=domain, ObjectTypeName="Refund", Fields=FIELDS)
    listed = profiles.list_domain_object_types(DomainName=domain)["Items"]
    assert [item["ObjectTypeName"] for item in listed] == ["Order", "Refund"] and "Fields" not in listed[0]
    first = profiles.list_domain_object_types(DomainName=domain, MaxResults=1)
    assert [item["ObjectTypeName"] for item in first["Items"]] == ["Order"] and first["NextToken"]

    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/domain-object-types/Refund"
    profiles.tag_resource(resourceArn=arn, tags={"env": "test"})
    assert profiles.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test"}
    profiles.delete_domain_object_type(DomainName=domain, ObjectTypeName="Refund")
    assert refused(profiles.get_domain_object_type, DomainName=domain, ObjectTypeName="Refund") == (
        "ResourceNotFoundException", f"Domain object type Refund does not exist in domain {domain}.")
    assert refused(profiles.list_tags_for_resource, resourceArn=arn)[0] == "ResourceNotFoundException"
    code, message = refused(profiles.put_domain_object_type, DomainName=domain, ObjectTypeName="Bad",
                             Fields={"x": {"Source": "_source.x", "Target": "_order.X", "ContentType": "DATE"}})
    assert code == "BadRequestException" and "contentType" in message

    profiles.delete_domain(DomainName=domain)
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30, DataStore={"Enabled": True})
    assert profiles.list_domain_object_types(DomainName=domain)["Items"] == []
