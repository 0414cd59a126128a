"""Customer Profiles calculated attributes: definitions, and their values for profiles, through boto3."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.wire import signed_later

ORDER_FIELDS = {
    "id": {"Source": "_source.id"},
    "email": {"Source": "_source.email", "Target": "_profile.EmailAddress", "ContentType": "EMAIL_ADDRESS"},
    "amount": {"Source": "_source.amount", "ContentType": "NUMBER"},
    "price": {"Source": "_source.price", "ContentType": "NUMBER"},
    "quantity": {"Source": "_source.quantity", "ContentType": "NUMBER"},
    "status": {"Source": "_source.status"},
    "channel": {"Source": "_source.channel"},
}
ORDER_KEYS = {"orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]}


class Shop:
    """A domain with an Order object type; orders create their customers' profiles."""

    def __init__(self, server: Server) -> None:
        self.profiles = server.client("customer-profiles")
        self.domain = unique("calc")
        self.profiles.create_domain(DomainName=self.domain, DefaultExpirationDays=365)
        self.profiles.put_profile_object_type(DomainName=self.domain, ObjectTypeName="Order", Description="orders",
                                              AllowProfileCreation=True, Fields=ORDER_FIELDS, Keys=ORDER_KEYS)
        self.orders = 0

    def order(self, email: str, **fields: object) -> None:
        self.orders += 1
        self.profiles.put_profile_object(DomainName=self.domain, ObjectTypeName="Order", Object=json.dumps(
            {"id": f"o-{self.orders}", "email": email, **fields}))

    def profile_of(self, email: str) -> str:
        found = self.profiles.search_profiles(DomainName=self.domain, KeyName="_email", Values=[email])["Items"]
        assert len(found) == 1
        return found[0]["ProfileId"]

    def define(self, name: str, expression: str = "{Order.amount}", statistic: str = "SUM",
               attributes: tuple[str, ...] = ("amount",), **extra: object) -> dict:
        return self.profiles.create_calculated_attribute_definition(
            DomainName=self.domain, CalculatedAttributeName=name, Statistic=statistic,
            AttributeDetails={"Attributes": [{"Name": field} for field in attributes], "Expression": expression},
            **{"UseHistoricalData": True, **extra})

    def value(self, name: str, email: str) -> dict:
        answer = self.profiles.get_calculated_attribute_for_profile(
            DomainName=self.domain, CalculatedAttributeName=name, ProfileId=self.profile_of(email))
        answer.pop("ResponseMetadata")
        return answer


@pytest.fixture
def shop(server: Server) -> Shop:
    return Shop(server)


def _refused(call, code: str = "BadRequestException") -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == code
    return caught.value.response["Error"]["Message"]


def test_a_definition_is_created_read_listed_updated_and_deleted(shop: Shop) -> None:
    created = shop.define("lifetime_value", DisplayName="Lifetime value", Description="what they spent",
                          Conditions={"Range": {"Value": 365, "Unit": "DAYS"}}, Tags={"team": "crm"})
    assert created["CalculatedAttributeName"] == "lifetime_value"
    assert created["Statistic"] == "SUM" and created["Status"] == "COMPLETED"
    assert created["AttributeDetails"] == {"Attributes": [{"Name": "amount"}], "Expression": "{Order.amount}"}
    assert created["Conditions"] == {"Range": {"Value": 365, "Unit": "DAYS"}}
    assert created["Tags"] == {"team": "crm"} and created["UseHistoricalData"] is True
    read = shop.profiles.get_calculated_attribute_definition(DomainName=shop.domain,
                                                             CalculatedAttributeName="lifetime_value")
    assert read["Description"] == "what they spent" and read["CreatedAt"] == created["CreatedAt"]

    shop.define("order_count", statistic="COUNT")
    first = shop.profiles.list_calculated_attribute_definitions(DomainName=shop.domain, MaxResults=1)
    assert [item["CalculatedAttributeName"] for item in first["Items"]] == ["lifetime_value"]
    assert first["Items"][0]["Tags"] == {"team": "crm"} and first["Items"][0]["DisplayName"] == "Lifetime value"
    second = shop.profiles.list_calculated_attribute_definitions(DomainName=shop.domain, NextToken=first["NextToken"])
    assert [item["CalculatedAttributeName"] for item in second["Items"]] == ["order_count"]
    assert "NextToken" not in second

    updated = shop.profiles.update_calculated_attribute_definition(
        DomainName=shop.domain, CalculatedAttributeName="lifetime_value", DisplayName="Spend",
        Conditions={"ObjectCount": 5})
    assert updated["DisplayName"] == "Spend" and updated["Conditions"] == {"ObjectCount": 5}
    assert updated["Description"] == "what they spent" and updated["Statistic"] == "SUM"

    shop.profiles.delete_calculated_attribute_definition(DomainName=shop.domain,
                                                         CalculatedAttributeName="lifetime_value")
    _refused(lambda: shop.profiles.get_calculated_attribute_definition(
        DomainName=shop.domain, CalculatedAttributeName="lifetime_value"), "ResourceNotFoundException")
    names = [item["CalculatedAttributeName"] for item in
             shop.profiles.list_calculated_attribute_definitions(DomainName=shop.domain)["Items"]]
    assert names == ["order_count"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"expression": "{Refund.amount}"}, "Object type Refund does not exist"),
    ({"expression": "{Order.discount}", "attributes": ("discount",)}, "has no field discount"),
    ({"expression": "{Order.price} * {Order.quantity}", "attributes": ("price",)}, "does not list"),
    ({"expression": "{Order.amount} +"}, "ends too early"),
    ({"expression": "({Order.amount}"}, "unclosed parenthesis"),
    ({"expression": "{Order.amount} % 2"}, "not a valid expression"),
    ({"expression": "{amount}"}, "not a reference"),
    ({"statistic": "RECENT_OCCURRENCES"}, "not supported"),
    ({"Conditions": {"Range": {"ValueRange": {"Start": 5, "End": 30}, "Unit": "DAYS"}}}, "must not be smaller"),
    ({"Conditions": {"Range": {"Unit": "DAYS"}}}, "needs a Value or a ValueRange"),
    ({"Conditions": {"Range": {"Value": 3, "TimestampSource": "{Refund.at}"}}}, "must reference the object type"),
    ({"Conditions": {"Range": {"Value": 3, "TimestampFormat": "RFC822"}}}, "TimestampFormat must be one of"),
    ({"Filter": {"Include": "ALL", "Groups": [{"Type": "ALL", "Dimensions": [{"Attributes": {
        "colour": {"DimensionType": "INCLUSIVE", "Values": ["red"]}}}]}]}}, "has no field colour"),
])
def test_a_definition_that_cannot_be_calculated_is_refused(shop: Shop, changes: dict, message: str) -> None:
    assert message in _refused(lambda: shop.define("refused", **changes))
    _refused(lambda: shop.profiles.get_calculated_attribute_definition(
        DomainName=shop.domain, CalculatedAttributeName="refused"), "ResourceNotFoundException")


def test_names_are_unique_within_a_domain_and_need_a_domain(shop: Shop, server: Server) -> None:
    shop.define("spend")
    assert "already exists" in _refused(lambda: shop.define("spend", statistic="COUNT"))
    other = Shop(server)
    other.define("spend", statistic="COUNT")  # another domain's namespace
    missing = shop.profiles.create_calculated_attribute_definition
    _refused(lambda: missing(DomainName=unique("nodomain"), CalculatedAttributeName="x", Statistic="SUM",
                             AttributeDetails={"Attributes": [{"Name": "amount"}], "Expression": "{Order.amount}"}),
             "ResourceNotFoundException")


def test_each_statistic_over_a_customers_orders(shop: Shop) -> None:
    for amount, channel in ((10, "voice"), (20, "chat"), (20, "chat"), (50, "task")):
        shop.order("ana@example.com", amount=amount, channel=channel, price=amount / 10, quantity=3)
    shop.order("bo@example.com", amount=7, channel="task")
    expected = {"SUM": "100", "AVERAGE": "25", "MINIMUM": "10", "MAXIMUM": "50", "COUNT": "4",
                "FIRST_OCCURRENCE": "10", "LAST_OCCURRENCE": "50"}
    for statistic, value in expected.items():
        shop.define(statistic.lower(), statistic=statistic)
        answer = shop.value(statistic.lower(), "ana@example.com")
        assert answer["Value"] == value, statistic
        assert answer["IsDataPartial"] == "false" and answer["CalculatedAttributeName"] == statistic.lower()
    shop.define("top_channel", expression="{Order.channel}", attributes=("channel",), statistic="MAX_OCCURRENCE",
                DisplayName="Most frequent channel")
    assert shop.value("top_channel", "ana@example.com")["Value"] == "chat"
    assert shop.value("top_channel", "ana@example.com")["DisplayName"] == "Most frequent channel"
    assert shop.value("top_channel", "bo@example.com")["Value"] == "task"
    shop.define("revenue", expression="{Order.price} * {Order.quantity}", attributes=("price", "quantity"))
    assert shop.value("revenue", "ana@example.com")["Value"] == "30"  # (1 + 2 + 2 + 5) * 3
    shop.define("average_half", expression="({Order.amount} - 2) / 2", statistic="AVERAGE")
    assert shop.value("average_half", "ana@example.com")["Value"] == "11.5"  # (4 + 9 + 9 + 24) / 4
    shop.define("last_two", Conditions={"ObjectCount": 2})
    assert shop.value("last_two", "ana@example.com")["Value"] == "70"
    shop.define("big_spender", Conditions={"Threshold": {"Value": "60", "Operator": "GREATER_THAN"}})
    assert shop.value("big_spender", "ana@example.com")["Value"] == "true"
    assert shop.value("big_spender", "bo@example.com")["Value"] == "false"
    assert shop.value("sum", "bo@example.com")["Value"] == "7"
    stamped = shop.value("sum", "ana@example.com")["LastObjectTimestamp"]
    assert abs(stamped - datetime.now(UTC)) < timedelta(minutes=5)
    shop.order("ana@example.com", amount=0, channel="task")  # chat and task twice each: the last seen wins
    assert shop.value("top_channel", "ana@example.com")["Value"] == "task"


def test_values_count_only_the_objects_the_definition_keeps(shop: Shop) -> None:
    now = datetime.now(UTC)
    for days_ago, amount, status in ((40, 1, "paid"), (10, 10, "paid"), (2, 100, "refunded")):
        shop.order("cy@example.com", amount=amount, status=status,
                   placedAt=(now - timedelta(days=days_ago)).isoformat(timespec="seconds"))
    shop.order("cy@example.com", amount=1000, status="paid", placedAt="not a date")
    placed = {"TimestampSource": "{Order.placedAt}", "TimestampFormat": "ISO_8601", "Unit": "DAYS"}
    shop.define("last_30_days", Conditions={"Range": {"Value": 30, **placed}})
    assert shop.value("last_30_days", "cy@example.com")["Value"] == "110"
    shop.define("five_to_fifteen", Conditions={"Range": {"ValueRange": {"Start": 15, "End": 5}, **placed}})
    answer = shop.value("five_to_fifteen", "cy@example.com")
    assert answer["Value"] == "10"
    assert abs(answer["LastObjectTimestamp"] - (now - timedelta(days=10))) < timedelta(seconds=2)
    shop.define("paid", Filter={"Include": "ALL", "Groups": [{"Type": "ANY", "Dimensions": [
        {"Attributes": {"status": {"DimensionType": "INCLUSIVE", "Values": ["paid"]}}}]}]})
    assert shop.value("paid", "cy@example.com")["Value"] == "1011"
    shop.define("not_paid", Filter={"Include": "NONE", "Groups": [{"Type": "ALL", "Dimensions": [
        {"Attributes": {"status": {"DimensionType": "BEGINS_WITH", "Values": ["pa"]}}}]}]})
    assert shop.value("not_paid", "cy@example.com")["Value"] == "100"

    shop.define("new_only", UseHistoricalData=False)
    assert "Value" not in shop.value("new_only", "cy@example.com")  # every order came before it
    shop.order("cy@example.com", amount=5)
    assert shop.value("new_only", "cy@example.com")["Value"] == "5"


def test_values_for_many_profiles_and_every_attribute_of_one(shop: Shop) -> None:
    now = datetime.now(UTC)
    shop.order("di@example.com", amount=3, placedAt=(now - timedelta(days=50)).isoformat())
    shop.order("di@example.com", amount=4, placedAt=(now - timedelta(days=1)).isoformat())
    shop.order("ed@example.com", amount=8, placedAt=(now - timedelta(days=2)).isoformat())
    idle = shop.profiles.create_profile(DomainName=shop.domain, FirstName="Fay")["ProfileId"]
    shop.define("recent", Conditions={"Range": {"Value": 30, "Unit": "DAYS", "TimestampSource": "{Order.placedAt}"}})
    shop.define("orders", statistic="COUNT")
    di, ed, unknown = shop.profile_of("di@example.com"), shop.profile_of("ed@example.com"), "f" * 32
    answer = shop.profiles.batch_get_calculated_attribute_for_profile(
        DomainName=shop.domain, CalculatedAttributeName="recent", ProfileIds=[di, unknown, ed, idle])
    values = {item["ProfileId"]: item.get("Value") for item in answer["CalculatedAttributeValues"]}
    assert values == {di: "4", ed: "8", idle: None}
    assert [(error["ProfileId"], error["Code"]) for error in answer["Errors"]] == [
        (unknown, "ResourceNotFoundException")]
    wider = shop.profiles.batch_get_calculated_attribute_for_profile(
        DomainName=shop.domain, CalculatedAttributeName="recent", ProfileIds=[di],
        ConditionOverrides={"Range": {"Start": 60, "Unit": "DAYS"}})
    assert wider["CalculatedAttributeValues"][0]["Value"] == "7"
    assert wider["ConditionOverrides"] == {"Range": {"Start": 60, "Unit": "DAYS"}}
    assert "must not be smaller" in _refused(lambda: shop.profiles.batch_get_calculated_attribute_for_profile(
        DomainName=shop.domain, CalculatedAttributeName="recent", ProfileIds=[di],
        ConditionOverrides={"Range": {"Start": 1, "End": 9, "Unit": "DAYS"}}))

    listed = shop.profiles.list_calculated_attributes_for_profile(DomainName=shop.domain, ProfileId=idle)["Items"]
    assert [(item["CalculatedAttributeName"], item.get("Value")) for item in listed] == [("orders", "0"),
                                                                                          ("recent", None)]
    page = shop.profiles.list_calculated_attributes_for_profile(DomainName=shop.domain, ProfileId=di, MaxResults=1)
    assert [item["Value"] for item in page["Items"]] == ["2"] and "NextToken" in page
    _refused(lambda: shop.profiles.get_calculated_attribute_for_profile(
        DomainName=shop.domain, CalculatedAttributeName="orders", ProfileId=unknown), "ResourceNotFoundException")
    _refused(lambda: shop.profiles.get_calculated_attribute_for_profile(
        DomainName=shop.domain, CalculatedAttributeName="nothing", ProfileId=di), "ResourceNotFoundException")


def test_deleting_the_domain_deletes_its_definitions(shop: Shop) -> None:
    shop.define("spend", Tags={"k": "v"})
    shop.profiles.delete_domain(DomainName=shop.domain)
    shop.profiles.create_domain(DomainName=shop.domain, DefaultExpirationDays=365)
    assert shop.profiles.list_calculated_attribute_definitions(DomainName=shop.domain)["Items"] == []
    shop.profiles.put_profile_object_type(DomainName=shop.domain, ObjectTypeName="Order", Description="orders",
                                          Fields=ORDER_FIELDS, Keys=ORDER_KEYS)
    assert "Tags" not in shop.define("spend")  # the old definition's tags went with it


def test_without_a_timestamp_source_the_range_counts_from_ingestion(clocked_server) -> None:
    server, offset = clocked_server
    shop = Shop(server)
    shop.order("gil@example.com", amount=1)
    shop.define("month", Conditions={"Range": {"Value": 30, "Unit": "DAYS"}})
    try:
        offset.write_text(str(31 * 86400))
        with signed_later(31):
            shop.order("gil@example.com", amount=2)
            assert shop.value("month", "gil@example.com")["Value"] == "2"
            shop.define("ever")
            assert shop.value("ever", "gil@example.com")["Value"] == "3"
    finally:
        offset.write_text("0")


def test_permissions_name_each_calculated_attribute(shop: Shop, server: Server) -> None:
    shop.order("hal@example.com", amount=12)
    shop.define("spend")
    shop.define("secret_score", statistic="COUNT")
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{shop.domain}/calculated-attributes"
    reader = make_user(server, document(allow(["profile:GetCalculatedAttributeForProfile",
                                               "profile:SearchProfiles"], [f"{arn}/spend",
                                                                           arn.rsplit("/", 1)[0]])))
    profiles = reader.client("customer-profiles")
    profile_id = shop.profile_of("hal@example.com")
    answer = profiles.get_calculated_attribute_for_profile(DomainName=shop.domain, CalculatedAttributeName="spend",
                                                           ProfileId=profile_id)
    assert answer["Value"] == "12"
    for call in (lambda: profiles.get_calculated_attribute_for_profile(
            DomainName=shop.domain, CalculatedAttributeName="secret_score", ProfileId=profile_id),
                 lambda: profiles.delete_calculated_attribute_definition(DomainName=shop.domain,
                                                                         CalculatedAttributeName="spend")):
        message = _refused(call, "AccessDeniedException")
        assert reader.arn in message
    assert shop.value("spend", "hal@example.com")["Value"] == "12"  # still defined
