"""Recommenders: trained in the background on the domain's web analytics events (``_webAnalytics``) and item
catalog (``_catalogItem``), asked for a customer's items by GetProfileRecommendations and SearchRecommendations,
through filters, promotions and diversity caps; their schemas, versions, stops and starts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from tests.e2e.cli import AwsCli
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.standard_types import put_standard_type
from tests.e2e.waiting import wait_for

# customer → the (event type, item) of their interactions, in time order
INTERACTIONS = {
    "ann@example.com": [("view", "A"), ("purchase", "B")],
    "bob@example.com": [("purchase", "A"), ("purchase", "B"), ("purchase", "C")],
    "cat@example.com": [("purchase", "A"), ("view", "C")],
    "dan@example.com": [("purchase", "D")],
}
CATALOG = {"A": ("Kettle", "kitchen", "30", "red"), "B": ("Toaster", "kitchen", "45", "red"),
           "C": ("Rake", "garden", "20", "green"), "D": ("Blender", "kitchen", "80", "black"),
           "E": ("Hose", "garden", "25", "green")}
_event_ids = count()


def _define_types(profiles, domain: str) -> None:
    """Shop events (found or created by the customer's email) filling the standard web analytics event, and
    products filling the catalog."""
    put_standard_type(profiles, domain, "ShopEvent", "clicks and purchases", "_webAnalytics", {
        "id": "EventId", "type": "EventType", "at": "EventTimestamp", "value": "EventValue", "item": "Item.Id",
        "page": "Page.Title"})
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Product", Description="the shop's products",
        Fields={"id": {"Source": "_source.id", "Target": "_catalogItem.Id"},
                "name": {"Source": "_source.name", "Target": "_catalogItem.Name"},
                "category": {"Source": "_source.category", "Target": "_catalogItem.Category"},
                "price": {"Source": "_source.price", "Target": "_catalogItem.Price"},
                "colour": {"Source": "_source.colour", "Target": "_catalogItem.Attributes.colour"}},
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})


def _event(profiles, domain: str, email: str, event_type: str, item: str, value: str = "1") -> None:
    """An event a second after the one before."""
    number = next(_event_ids)
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="ShopEvent", Object=json.dumps(
        {"id": f"e{number}", "type": event_type, "at": str(1_700_000_000_000 + number * 1000), "value": value,
         "item": item, "page": "shop", "email": email}))


@pytest.fixture
def shop(profiles, domain) -> str:
    """A domain holding the catalog and the interactions above."""
    _define_types(profiles, domain)
    for item, (name, category, price, colour) in CATALOG.items():
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Product", Object=json.dumps(
            {"id": item, "name": name, "category": category, "price": price, "colour": colour}))
    for email, done in INTERACTIONS.items():
        for event_type, item in done:
            _event(profiles, domain, email, event_type, item)
    return domain


def _profile_of(profiles, domain: str, email: str) -> str:
    return profiles.search_profiles(DomainName=domain, KeyName="_email", Values=[email])["Items"][0]["ProfileId"]


def _trained(profiles, domain: str, name: str, recipe: str, **extra) -> dict:
    profiles.create_recommender(DomainName=domain, RecommenderName=name, RecommenderRecipeName=recipe, **extra)
    return wait_for(lambda: (found := profiles.get_recommender(DomainName=domain, RecommenderName=name))[
        "Status"] not in ("PENDING", "IN_PROGRESS") and found)


def _ids(answer: dict) -> list[str]:
    return [item["CatalogItem"]["Id"] for item in answer["Recommendations"]]


def _recommended(profiles, domain: str, email: str, name: str, **extra) -> list[str]:
    return _ids(profiles.get_profile_recommendations(DomainName=domain, ProfileId=_profile_of(profiles, domain, email),
                                                      RecommenderName=name, **extra))


def test_web_analytics_events_stay_on_the_profile_and_catalog_items_with_the_domain(profiles, shop) -> None:
    ann = _profile_of(profiles, shop, "ann@example.com")
    events = [json.loads(item["Object"]) for item in profiles.list_profile_objects(
        DomainName=shop, ProfileId=ann, ObjectTypeName="_webAnalytics")["Items"]]
    assert sorted((event["EventType"], event["Item"]["Id"], event["Page"]["Title"], event["ProfileId"])
                  for event in events) == [("purchase", "B", "shop", ann), ("view", "A", "shop", ann)]
    # a catalog item reaches no profile: it is the domain's, and no customer lists it
    assert profiles.list_profile_objects(DomainName=shop, ProfileId=ann, ObjectTypeName="_catalogItem")["Items"] == []
    assert profiles.get_domain(DomainName=shop)["Stats"]["ProfileCount"] == 4
    assert refused(profiles.put_profile_object_type, DomainName=shop, ObjectTypeName="Bad", Description="x",
                   Fields={"id": {"Source": "_source.id", "Target": "_webAnalytics.Device.Type"}},
                   Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})[0] == "BadRequestException"


def test_the_recipes_are_listed(profiles) -> None:
    recipes = profiles.list_recommender_recipes()["RecommenderRecipes"]
    assert [recipe["name"] for recipe in recipes] == [
        "recommended-for-you", "similar-items", "frequently-paired-items", "popular-items", "trending-now",
        "personalized-ranking"]
    assert all(recipe["description"] for recipe in recipes)


def test_a_recommender_trains_a_version_and_answers_with_it(profiles, shop) -> None:
    created = profiles.create_recommender(DomainName=shop, RecommenderName="popular",
                                          RecommenderRecipeName="popular-items", Description="best sellers",
                                          Tags={"team": "web"})
    assert created["RecommenderArn"].endswith(f":domains/{shop}/recommenders/popular")
    found = wait_for(lambda: (answer := profiles.get_recommender(DomainName=shop, RecommenderName="popular"))[
        "Status"] == "ACTIVE" and answer)
    assert re.fullmatch(r"popular/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", found["ActiveRecommenderVersionName"])
    assert (found["RecommenderRecipeName"], found["Description"], found["Tags"]) == (
        "popular-items", "best sellers", {"team": "web"})
    assert "LatestRecommenderUpdate" not in found
    (metrics,) = found["TrainingMetrics"]
    assert metrics["RecommenderVersionName"] == found["ActiveRecommenderVersionName"]
    assert {"hit", "recall", "coverage", "precision_at_5"} <= metrics["Metrics"].keys()
    assert all(0 <= value <= 1 for value in metrics["Metrics"].values())
    # A: 3 interactions, B and C: 2 (B before C by name), D: 1; each score the item's share
    answer = profiles.get_profile_recommendations(DomainName=shop, ProfileId=_profile_of(profiles, shop,
                                                                                         "dan@example.com"),
                                                  RecommenderName="popular")
    assert _ids(answer) == ["A", "B", "C", "D"]
    assert [item["Score"] for item in answer["Recommendations"]] == [0.375, 0.25, 0.25, 0.125]
    assert answer["Recommendations"][0]["CatalogItem"] == {"Id": "A"}  # no columns asked for: the id alone
    assert _recommended(profiles, shop, "dan@example.com", "popular", MaxResults=2) == ["A", "B"]
    listed = profiles.list_recommenders(DomainName=shop)["Recommenders"]
    assert [(item["RecommenderName"], item["RecipeName"], item["Status"]) for item in listed] == [
        ("popular", "popular-items", "ACTIVE")]
    assert profiles.list_tags_for_resource(resourceArn=created["RecommenderArn"])["tags"] == {"team": "web"}


def test_personal_recipes_use_what_the_customer_and_the_others_did(profiles, shop) -> None:
    _trained(profiles, shop, "foryou", "recommended-for-you")
    # ann did A and B; those who did them also did C: she is not offered what she did already
    assert _recommended(profiles, shop, "ann@example.com", "foryou") == ["C"]
    # dan's D was nobody else's: he gets the popular items
    assert _recommended(profiles, shop, "dan@example.com", "foryou") == ["A", "B", "C"]
    _trained(profiles, shop, "paired", "frequently-paired-items")
    assert _recommended(profiles, shop, "cat@example.com", "paired") == ["A", "B"]  # C's buyers also did A and B
    _trained(profiles, shop, "alike", "similar-items")
    # ann did B (kitchen) last: the other kitchen items, by how much of Category and Type they share
    assert set(_recommended(profiles, shop, "ann@example.com", "alike")) == {"A", "D"}
    ranking = _trained(profiles, shop, "ranking", "personalized-ranking")
    assert ranking["Status"] == "ACTIVE"
    ann = _profile_of(profiles, shop, "ann@example.com")
    ranked = _ids(profiles.get_profile_recommendations(DomainName=shop, ProfileId=ann, RecommenderName="ranking",
                                                       CandidateIds=["E", "C", "D"]))
    assert ranked[0] == "C" and set(ranked) == {"C", "D", "E"}
    assert refused(profiles.get_profile_recommendations, DomainName=shop, ProfileId=ann,
                   RecommenderName="ranking") == (
        "BadRequestException", "Recommender ranking uses the personalized-ranking recipe: give the CandidateIds "
                               "to rank.")
    # CandidateIds narrow the other recipes too
    assert _recommended(profiles, shop, "dan@example.com", "foryou", CandidateIds=["C", "B"]) == ["B", "C"]


def test_metadata_columns_describe_the_items(profiles, shop) -> None:
    _trained(profiles, shop, "popular", "popular-items")
    answer = profiles.get_profile_recommendations(
        DomainName=shop, ProfileId=_profile_of(profiles, shop, "dan@example.com"), RecommenderName="popular",
        MaxResults=1, MetadataConfig={"MetadataColumns": ["Name", "Category", "Price", "Attributes.colour"]})
    assert answer["Recommendations"][0]["CatalogItem"] == {
        "Id": "A", "Name": "Kettle", "Category": "kitchen", "Price": "30", "Attributes": {"colour": "red"}}
    assert refused(profiles.get_profile_recommendations, DomainName=shop,
                   ProfileId=_profile_of(profiles, shop, "dan@example.com"), RecommenderName="popular",
                   MetadataConfig={"MetadataColumns": ["Colour"]}) == (
        "BadRequestException", "Colour is not a column of _catalogItem.")


def test_an_items_times_read_as_epoch_seconds_milliseconds_or_iso_8601(profiles, shop) -> None:
    """The catalog's CreatedAt and UpdatedAt come back as times whichever way the source wrote them."""
    fields = profiles.get_profile_object_type(DomainName=shop, ObjectTypeName="Product")["Fields"]
    profiles.put_profile_object_type(
        DomainName=shop, ObjectTypeName="Product", Description="the shop's products, dated",
        Fields={**fields, "created": {"Source": "_source.created", "Target": "_catalogItem.CreatedAt"},
                "updated": {"Source": "_source.updated", "Target": "_catalogItem.UpdatedAt"}},
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    _trained(profiles, shop, "popular", "popular-items")
    dan = _profile_of(profiles, shop, "dan@example.com")
    november = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    for created, updated, updated_at in (("1700000000000", "2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5,
                                                                                         tzinfo=UTC)),
                                         ("1700000000", "1700000060", november + timedelta(minutes=1))):
        profiles.put_profile_object(DomainName=shop, ObjectTypeName="Product", Object=json.dumps(
            {"id": "A", "name": "Kettle", "category": "kitchen", "price": "30", "colour": "red",
             "created": created, "updated": updated}))
        item = profiles.get_profile_recommendations(
            DomainName=shop, ProfileId=dan, RecommenderName="popular", MaxResults=1,
            MetadataConfig={"MetadataColumns": ["CreatedAt", "UpdatedAt"]})["Recommendations"][0]["CatalogItem"]
        assert (item["CreatedAt"], item["UpdatedAt"]) == (november, updated_at)  # milliseconds, then seconds


def test_search_recommendations_finds_the_customer_by_a_search_key(profiles, shop) -> None:
    _trained(profiles, shop, "foryou", "recommended-for-you")
    answer = profiles.search_recommendations(DomainName=shop, KeyName="_email", KeyValues=["ann@example.com"],
                                             Recommender={"Name": "foryou"},
                                             Metadata={"Columns": ["Name"]})
    assert answer["ProfileId"] == _profile_of(profiles, shop, "ann@example.com")
    assert [item["CatalogItem"] for item in answer["Recommendations"]] == [{"Id": "C", "Name": "Rake"}]
    assert refused(profiles.search_recommendations, DomainName=shop, KeyName="_email",
                   KeyValues=["nobody@example.com"], Recommender={"Name": "foryou"})[0] == "ResourceNotFoundException"
    profiles.create_profile(DomainName=shop, FirstName="Twin", EmailAddress="ann@example.com")
    code, message = refused(profiles.search_recommendations, DomainName=shop, KeyName="_email",
                            KeyValues=["ann@example.com"], Recommender={"Name": "foryou"})
    assert (code, message) == ("BadRequestException", "2 profiles have those _email values: the search key must "
                                                      "find one. SearchProfiles shows them.")


def test_filters_promotions_and_diversity_shape_the_answer(profiles, shop) -> None:
    _trained(profiles, shop, "popular", "popular-items", RecommenderConfig={"DiversityConfig": {
        "DiversityColumns": [{"Name": "Category", "CapType": "VALUE", "Target": "$per_category"}]}})
    profiles.create_recommender_filter(DomainName=shop, RecommenderFilterName="no-category",
                                       RecommenderFilterExpression="EXCLUDE ItemID WHERE Items.CATEGORY IN ($CAT)",
                                       Description="leave a category out")
    profiles.create_recommender_filter(
        DomainName=shop, RecommenderFilterName="not-bought",
        RecommenderFilterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')
    profiles.create_recommender_filter(DomainName=shop, RecommenderFilterName="cheap",
                                       RecommenderFilterExpression="INCLUDE ItemID WHERE Items.PRICE < 40")
    dan = "dan@example.com"
    assert _recommended(profiles, shop, dan, "popular", RecommenderFilters=[
        {"Name": "no-category", "Values": {"CAT": "kitchen"}}]) == ["C"]
    # a filter whose $parameter has no value is left out, as Personalize does
    assert _recommended(profiles, shop, dan, "popular", RecommenderFilters=[{"Name": "no-category"}]) == [
        "A", "B", "C", "D"]
    assert _recommended(profiles, shop, "bob@example.com", "popular",
                        RecommenderFilters=[{"Name": "not-bought"}]) == ["D"]
    assert _recommended(profiles, shop, dan, "popular", RecommenderFilters=[{"Name": "cheap"}]) == ["A", "C"]
    # half of two items promoted: the best cheap item first, then the best of the others
    promoted = _recommended(profiles, shop, dan, "popular", MaxResults=2, RecommenderPromotionalFilters=[
        {"Name": "cheap", "PromotionName": "sale", "PercentPromotedItems": 50}])
    assert promoted == ["A", "B"]
    # at most one item per category
    assert _recommended(profiles, shop, dan, "popular",
                        DiversityConfig={"Enabled": True, "Values": {"per_category": 1}}) == ["A", "C"]
    assert refused(profiles.get_profile_recommendations, DomainName=shop,
                   ProfileId=_profile_of(profiles, shop, dan), RecommenderName="popular",
                   DiversityConfig={"Enabled": True}) == (
        "BadRequestException", "Diversity column Category caps by $per_category: give its value in Values.")
    got = profiles.get_recommender_filter(DomainName=shop, RecommenderFilterName="no-category")
    assert (got["Status"], got["Description"], got["RecommenderFilterExpression"], got["Tags"]) == (
        "ACTIVE", "leave a category out", "EXCLUDE ItemID WHERE Items.CATEGORY IN ($CAT)", {})  # Tags required
    assert [item["RecommenderFilterName"] for item in profiles.list_recommender_filters(
        DomainName=shop)["RecommenderFilters"]] == ["cheap", "no-category", "not-bought"]
    code, message = refused(profiles.create_recommender_filter, DomainName=shop, RecommenderFilterName="bad",
                            RecommenderFilterExpression="EXCLUDE ItemID WHERE Things.X IN (1)")
    assert (code, message) == ("BadRequestException", "Invalid RecommenderFilterExpression: Unknown dataset Things: "
                                                      "filters read Items (the item catalog) or Interactions.")
    assert refused(profiles.get_profile_recommendations, DomainName=shop,
                   ProfileId=_profile_of(profiles, shop, dan), RecommenderName="popular",
                   RecommenderFilters=[{"Values": {"CAT": "kitchen"}}]) == (
        "BadRequestException", "A recommender filter or promotion needs the Name of a recommender filter.")
    profiles.delete_recommender_filter(DomainName=shop, RecommenderFilterName="cheap")
    assert refused(profiles.get_profile_recommendations, DomainName=shop,
                   ProfileId=_profile_of(profiles, shop, dan), RecommenderName="popular",
                   RecommenderFilters=[{"Name": "cheap"}])[0] == "ResourceNotFoundException"


def test_event_weights_and_thresholds_decide_what_counts(profiles, shop) -> None:
    # purchases alone, worth more than 0.5 each: views do not count and D's cheap purchase neither
    _event(profiles, shop, "dan@example.com", "purchase", "E", value="0.1")
    config = {"EventsConfig": {"EventParametersList": [{"EventType": "purchase", "EventWeight": 1.0,
                                                        "EventValueThreshold": 0.5}]}}
    _trained(profiles, shop, "bought", "popular-items", RecommenderConfig=config)
    assert _recommended(profiles, shop, "dan@example.com", "bought") == ["A", "B", "C", "D"]
    config["EventsConfig"]["EventParametersList"][0]["EventType"] = "refund"
    failed = _trained(profiles, shop, "refunds", "popular-items", RecommenderConfig=config)
    assert failed["Status"] == "FAILED" and "nothing to train on" in failed["FailureReason"]
    assert refused(profiles.get_profile_recommendations, DomainName=shop,
                   ProfileId=_profile_of(profiles, shop, "dan@example.com"), RecommenderName="refunds") == (
        "BadRequestException", "Recommender refunds is FAILED: recommendations come from an ACTIVE recommender.")


def test_a_recommender_is_stopped_started_retrained_and_rolled_back(profiles, shop) -> None:
    first = _trained(profiles, shop, "popular", "popular-items")["ActiveRecommenderVersionName"]
    profiles.stop_recommender(DomainName=shop, RecommenderName="popular")
    assert profiles.get_recommender(DomainName=shop, RecommenderName="popular")["Status"] == "INACTIVE"
    assert refused(profiles.get_profile_recommendations, DomainName=shop,
                   ProfileId=_profile_of(profiles, shop, "dan@example.com"), RecommenderName="popular")[1] == (
        "Recommender popular is INACTIVE: recommendations come from an ACTIVE recommender.")
    assert refused(profiles.stop_recommender, DomainName=shop, RecommenderName="popular") == (
        "BadRequestException", "Recommender popular is INACTIVE: only an ACTIVE recommender can be stopped.")
    profiles.start_recommender(DomainName=shop, RecommenderName="popular")
    # purchases only: the update trains a new version, the recommender answering with the old one meanwhile
    profiles.update_recommender(DomainName=shop, RecommenderName="popular", Description="purchases", RecommenderConfig={
        "EventsConfig": {"EventParametersList": [{"EventType": "purchase"}]}, "TrainingFrequency": 0})
    updated = wait_for(lambda: (found := profiles.get_recommender(DomainName=shop, RecommenderName="popular"))[
        "LatestRecommenderUpdate"]["Status"] == "ACTIVE" and found)
    second = updated["ActiveRecommenderVersionName"]
    assert second != first and updated["LatestRecommenderUpdate"]["RecommenderVersionName"] == second
    assert (updated["Description"], updated["RecommenderConfig"]["TrainingFrequency"]) == ("purchases", 0)
    assert len(profiles.get_recommender(DomainName=shop, RecommenderName="popular",
                                        TrainingMetricsCount=5)["TrainingMetrics"]) == 2
    # A, B bought twice, C once (cat only viewed it), D once
    answer = profiles.get_profile_recommendations(
        DomainName=shop, ProfileId=_profile_of(profiles, shop, "dan@example.com"), RecommenderName="popular")
    assert [item["Score"] for item in answer["Recommendations"]] == [round(2 / 6, 6), round(2 / 6, 6),
                                                                     round(1 / 6, 6), round(1 / 6, 6)]
    profiles.update_recommender(DomainName=shop, RecommenderName="popular", RecommenderVersionName=first)
    rolled_back = profiles.get_recommender(DomainName=shop, RecommenderName="popular")
    assert rolled_back["ActiveRecommenderVersionName"] == first and "EventsConfig" not in rolled_back.get(
        "RecommenderConfig", {})
    assert refused(profiles.update_recommender, DomainName=shop, RecommenderName="popular",
                   RecommenderVersionName="popular/2001-01-01T00-00-00Z") == (
        "BadRequestException", "popular/2001-01-01T00-00-00Z is not a trained version of recommender popular.")
    profiles.delete_recommender(DomainName=shop, RecommenderName="popular")
    assert refused(profiles.get_recommender, DomainName=shop, RecommenderName="popular") == (
        "ResourceNotFoundException", f"Recommender popular does not exist in domain {shop}.")


def test_schemas_name_the_columns_recommenders_read(profiles, shop) -> None:
    created = profiles.create_recommender_schema(
        DomainName=shop, RecommenderSchemaName="colours",
        Fields={"_catalogItem": [{"TargetFieldName": "Attributes.colour", "FeatureType": "CATEGORICAL"}],
                "_webAnalytics": [{"TargetFieldName": "EventValue", "ContentType": "NUMBER"}]})
    assert created["RecommenderSchemaArn"].endswith("/recommender-schemas/colours") and created["Status"] == "ACTIVE"
    assert profiles.get_recommender_schema(DomainName=shop, RecommenderSchemaName="colours")["Fields"][
        "_catalogItem"] == [{"TargetFieldName": "Attributes.colour", "FeatureType": "CATEGORICAL"}]
    assert [item["RecommenderSchemaName"] for item in profiles.list_recommender_schemas(DomainName=shop)[
        "RecommenderSchemas"]] == ["colours"]
    profiles.tag_resource(resourceArn=created["RecommenderSchemaArn"], tags={"use": "similar"})
    assert profiles.list_tags_for_resource(resourceArn=created["RecommenderSchemaArn"])["tags"] == {"use": "similar"}
    # similar by colour alone: B (red) is most alike A (red), not the kitchen's D (black)
    _trained(profiles, shop, "alike", "similar-items", RecommenderSchemaName="colours")
    assert _recommended(profiles, shop, "cat@example.com", "alike") == ["E"]  # C (green) was cat's last
    assert _recommended(profiles, shop, "dan@example.com", "alike") == ["A", "B", "C"]  # D's black: no match
    assert refused(profiles.create_recommender_schema, DomainName=shop, RecommenderSchemaName="bad",
                   Fields={"_catalogItem": [{"TargetFieldName": "Colour"}]}) == (
        "BadRequestException", "Colour is not a column of _catalogItem.")
    assert refused(profiles.create_recommender_schema, DomainName=shop, RecommenderSchemaName="bad",
                   Fields={"_order": [{"TargetFieldName": "OrderId"}]}) == (
        "BadRequestException", "_order is not a dataset recommenders read: use _webAnalytics or _catalogItem.")
    assert refused(profiles.delete_recommender_schema, DomainName=shop, RecommenderSchemaName="colours") == (
        "BadRequestException", "Recommender schema colours is used by recommender alike: delete it first.")
    cases = [({"IncludedColumns": {"_catalogItem": ["Price"]}, "ExcludedColumns": {"_catalogItem": ["Name"]}},
              "IncludedColumns and ExcludedColumns cannot both be given."),
             ({"ExcludedColumns": {"_catalogItem": ["Id"]}},
              "Id of _catalogItem is always trained on: it cannot be excluded."),
             ({"IncludedColumns": {"_catalogItem": ["Price"]}},
              "IncludedColumns names Price, which is not a column of _catalogItem in the recommender's schema.")]
    for config, message in cases:
        assert refused(profiles.create_recommender, DomainName=shop, RecommenderName="bad",
                       RecommenderRecipeName="similar-items", RecommenderSchemaName="colours",
                       RecommenderConfig=config) == ("BadRequestException", message)
    profiles.delete_recommender(DomainName=shop, RecommenderName="alike")
    profiles.delete_recommender_schema(DomainName=shop, RecommenderSchemaName="colours")
    assert refused(profiles.get_recommender_schema, DomainName=shop, RecommenderSchemaName="colours")[0] == (
        "ResourceNotFoundException")


def test_recommendations_are_authorized_per_recommender(server, profiles, shop) -> None:
    _trained(profiles, shop, "popular", "popular-items")
    _trained(profiles, shop, "foryou", "recommended-for-you")
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{shop}/recommenders/popular"
    user = make_user(server, document(allow(["profile:GetProfileRecommendations",
                                             "profile:SearchRecommendations"], arn)))
    dan = _profile_of(profiles, shop, "dan@example.com")
    theirs = user.client("customer-profiles")
    assert _ids(theirs.get_profile_recommendations(DomainName=shop, ProfileId=dan, RecommenderName="popular")) == [
        "A", "B", "C", "D"]
    code, message = refused(theirs.get_profile_recommendations, DomainName=shop, ProfileId=dan,
                            RecommenderName="foryou")
    assert code == "AccessDeniedException" and f"{shop}/recommenders/foryou" in message
    by_email = {"DomainName": shop, "KeyName": "_email", "KeyValues": ["dan@example.com"]}
    assert _ids(theirs.search_recommendations(Recommender={"Name": "popular"}, **by_email))[:1] == ["A"]
    code, message = refused(theirs.search_recommendations, Recommender={"Name": "foryou"}, **by_email)
    assert code == "AccessDeniedException" and f"{shop}/recommenders/foryou" in message


def test_a_recommender_retrains_every_training_frequency_days(clocked_server) -> None:
    server, offset = clocked_server
    profiles = server.client("customer-profiles")
    domain = unique("retrain")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    _define_types(profiles, domain)
    _event(profiles, domain, "ann@example.com", "purchase", "A")
    daily = _trained(profiles, domain, "daily", "popular-items", RecommenderConfig={"TrainingFrequency": 1})
    never = _trained(profiles, domain, "never", "popular-items", RecommenderConfig={"TrainingFrequency": 0})
    for _ in range(2):
        _event(profiles, domain, "bob@example.com", "purchase", "B")

    def versions(name: str) -> int:
        return server.read("SELECT count(*) FROM profile_recommender_versions WHERE recommender = :name AND "
                           "status = 'ACTIVE'", name=name)[0]

    try:
        offset.write_text(str(86_400 + 120))  # requests cannot be signed meanwhile: the database is read instead
        wait_for(lambda: versions("daily") == 2)
    finally:
        offset.write_text("0")
    retrained = profiles.get_recommender(DomainName=domain, RecommenderName="daily")
    assert retrained["ActiveRecommenderVersionName"] != daily["ActiveRecommenderVersionName"]
    assert retrained["LatestRecommenderUpdate"]["Status"] == "ACTIVE"
    assert _recommended(profiles, domain, "ann@example.com", "daily") == ["B", "A"]
    assert versions("never") == 1
    assert profiles.get_recommender(DomainName=domain, RecommenderName="never")[
        "ActiveRecommenderVersionName"] == never["ActiveRecommenderVersionName"]
    assert _recommended(profiles, domain, "ann@example.com", "never") == ["A"]


def test_the_aws_cli_trains_and_asks_a_recommender(server, profiles, shop) -> None:
    aws = AwsCli(server.endpoint)
    arn = aws("customer-profiles", "create-recommender", "--domain-name", shop, "--recommender-name", "cli",
              "--recommender-recipe-name", "popular-items")["RecommenderArn"]
    assert arn.endswith(f"/{shop}/recommenders/cli")
    wait_for(lambda: aws("customer-profiles", "get-recommender", "--domain-name", shop, "--recommender-name",
                         "cli")["Status"] == "ACTIVE")
    answer = aws("customer-profiles", "get-profile-recommendations", "--domain-name", shop, "--profile-id",
                 _profile_of(profiles, shop, "dan@example.com"), "--recommender-name", "cli", "--max-results", "2",
                 "--metadata-config", "MetadataColumns=Name")
    assert [item["CatalogItem"] for item in answer["Recommendations"]] == [{"Id": "A", "Name": "Kettle"},
                                                                          {"Id": "B", "Name": "Toaster"}]
    assert len(aws("customer-profiles", "list-recommender-recipes")["RecommenderRecipes"]) == 6
