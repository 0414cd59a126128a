"""Rule-based matching: ListRuleBasedMatches and GetSimilarProfiles over a domain's profiles as they are now."""

from __future__ import annotations

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import unique

MATCHING = {
    "Enabled": True,
    "MatchingRules": [{"Rule": ["FirstName", "LastName", "PhoneNumber"]}, {"Rule": ["EmailAddress"]},
                      {"Rule": ["Address.City", "Attributes.loyalty"]}],
    "AttributeTypesSelector": {"AttributeMatchingModel": "MANY_TO_MANY",
                               "PhoneNumber": ["PhoneNumber", "MobilePhoneNumber"],
                               "Address": ["Address", "ShippingAddress"]},
}


def _similar(profiles, domain: str, key: str, value: str, **extra) -> dict:
    return profiles.get_similar_profiles(DomainName=domain, MatchType="RULE_BASED_MATCHING", SearchKey=key,
                                         SearchValue=value, **extra)


def test_profiles_are_grouped_by_the_first_rule_they_match(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("matching")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30, RuleBasedMatching=MATCHING)
    ids = {
        "ann": profiles.create_profile(DomainName=domain, FirstName="Ann", LastName="Lee", PhoneNumber="+15550100"),
        "ann_mobile": profiles.create_profile(DomainName=domain, FirstName=" ann", LastName="LEE",
                                              MobilePhoneNumber="+15550100"),
        "lee_mail": profiles.create_profile(DomainName=domain, FirstName="Ann", LastName="Lee",
                                            EmailAddress="lee@example.com"),
        "mail": profiles.create_profile(DomainName=domain, EmailAddress="LEE@example.com"),
        "porto_gold": profiles.create_profile(DomainName=domain, Address={"City": "Porto"},
                                              Attributes={"loyalty": "gold"}),
        "shipped_gold": profiles.create_profile(DomainName=domain, ShippingAddress={"City": "porto"},
                                                Attributes={"loyalty": "Gold"}),
        "alone": profiles.create_profile(DomainName=domain, FirstName="Bob", EmailAddress="bob@example.com"),
    }
    ids = {name: answer["ProfileId"] for name, answer in ids.items()}

    def group(*names: str) -> list[str]:
        return sorted(ids[name] for name in names)

    by_phone = _similar(profiles, domain, "_profileId", ids["ann"])
    assert (by_phone["ProfileIds"], by_phone["RuleLevel"], by_phone["MatchType"]) == (
        group("ann", "ann_mobile"), 1, "RULE_BASED_MATCHING")
    by_mail = _similar(profiles, domain, "_email", "lee@example.com")
    assert (by_mail["ProfileIds"], by_mail["RuleLevel"]) == (group("lee_mail", "mail"), 2)
    by_city = _similar(profiles, domain, "_profileId", ids["shipped_gold"])
    assert (by_city["ProfileIds"], by_city["RuleLevel"]) == (group("porto_gold", "shipped_gold"), 3)
    assert _similar(profiles, domain, "MatchId", by_mail["MatchId"])["ProfileIds"] == by_mail["ProfileIds"]

    matches = profiles.list_rule_based_matches(DomainName=domain)["MatchIds"]
    assert sorted(matches) == sorted([by_phone["MatchId"], by_mail["MatchId"], by_city["MatchId"]])
    first = profiles.list_rule_based_matches(DomainName=domain, MaxResults=2)
    rest = profiles.list_rule_based_matches(DomainName=domain, NextToken=first["NextToken"])
    assert first["MatchIds"] + rest["MatchIds"] == matches
    half = _similar(profiles, domain, "_profileId", ids["ann"], MaxResults=1)
    assert len(half["ProfileIds"]) == 1 and "NextToken" in half
    pages = profiles.get_paginator("get_similar_profiles").paginate(
        DomainName=domain, MatchType="RULE_BASED_MATCHING", SearchKey="_profileId", SearchValue=ids["ann"],
        PaginationConfig={"PageSize": 1})
    assert [profile_id for page in pages for profile_id in page["ProfileIds"]] == group("ann", "ann_mobile")

    assert refused(_similar, profiles=profiles, domain=domain, key="_profileId", value=ids["alone"]) == (
        "ResourceNotFoundException",
        f"No match group holds a profile found by _profileId {ids['alone']} in domain {domain}.")

    # Matches follow the profiles as they are now: a changed phone number leaves the group.
    profiles.update_profile(DomainName=domain, ProfileId=ids["ann_mobile"], MobilePhoneNumber="+15550199")
    assert refused(_similar, profiles=profiles, domain=domain, key="_profileId", value=ids["ann"])[0] == (
        "ResourceNotFoundException")
    assert len(profiles.list_rule_based_matches(DomainName=domain)["MatchIds"]) == 2


def test_one_to_one_matches_a_field_only_with_the_same_field(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("onetoone")
    matching = {**MATCHING, "AttributeTypesSelector": {**MATCHING["AttributeTypesSelector"],
                                                       "AttributeMatchingModel": "ONE_TO_ONE"}}
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30, RuleBasedMatching=matching)
    first = profiles.create_profile(DomainName=domain, FirstName="Ann", LastName="Lee", PhoneNumber="+15550100")
    profiles.create_profile(DomainName=domain, FirstName="Ann", LastName="Lee", MobilePhoneNumber="+15550100")
    assert profiles.list_rule_based_matches(DomainName=domain)["MatchIds"] == []
    profiles.create_profile(DomainName=domain, FirstName="ANN", LastName="lee", PhoneNumber="+15550100")
    assert len(_similar(profiles, domain, "_profileId", first["ProfileId"])["ProfileIds"]) == 2


def test_what_cannot_be_matched_isrefused(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("nomatching")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    message = (f"Rule-based matching is not enabled for domain {domain}: enable it with UpdateDomain's "
               "RuleBasedMatching.")
    assert refused(profiles.list_rule_based_matches, DomainName=domain) == ("BadRequestException", message)
    assert refused(_similar, profiles=profiles, domain=domain, key="_email", value="a@example.com") == (
        "BadRequestException", message)
    profiles.update_domain(DomainName=domain, RuleBasedMatching=MATCHING)
    assert profiles.list_rule_based_matches(DomainName=domain)["MatchIds"] == []
    assert refused(profiles.get_similar_profiles, DomainName=domain, MatchType="ML_BASED_MATCHING",
                    SearchKey="_email", SearchValue="a@example.com") == (
        "BadRequestException", f"Identity resolution is not enabled for domain {domain}: set Matching's Enabled "
        "with UpdateDomain.")
    assert refused(profiles.list_rule_based_matches, DomainName=unique("nodomain"))[0] == (
        "ResourceNotFoundException")


def test_a_listing_pages_through_the_groups_its_first_page_found(server: Server) -> None:
    """Later pages read the listing the first page worked out: a group formed meanwhile waits for the next
    listing, and none is skipped or repeated."""
    profiles = server.client("customer-profiles")
    domain, other = unique("pages"), unique("pagesother")
    for name in (domain, other):
        profiles.create_domain(DomainName=name, DefaultExpirationDays=30, RuleBasedMatching=MATCHING)

    def pair(name: str, email: str) -> None:
        for _ in range(2):
            profiles.create_profile(DomainName=name, EmailAddress=email)

    for index in range(3):
        pair(domain, f"pair{index}@example.com")
    pair(other, "other@example.com")
    first = profiles.list_rule_based_matches(DomainName=domain, MaxResults=1)
    pair(domain, "late@example.com")  # sorts anywhere among the others: its match id is a digest
    listed, token = first["MatchIds"], first["NextToken"]
    while token:
        page = profiles.list_rule_based_matches(DomainName=domain, MaxResults=1, NextToken=token)
        listed, token = listed + page["MatchIds"], page.get("NextToken")
    assert len(listed) == len(set(listed)) == 3
    now = profiles.list_rule_based_matches(DomainName=domain)["MatchIds"]
    assert len(now) == 4 and set(listed) < set(now)

    # a token is honoured only where its listing was made: elsewhere it is an offset into a fresh listing
    assert profiles.list_rule_based_matches(DomainName=domain, NextToken=first["NextToken"])["MatchIds"] == listed[1:]
    assert profiles.list_rule_based_matches(DomainName=other, NextToken=first["NextToken"])["MatchIds"] == []
    assert refused(profiles.list_rule_based_matches, DomainName=domain, NextToken="bm90IGEgdG9rZW4=") == (
        "BadRequestException", "The next token is invalid.")


def test_similar_profiles_page_through_the_group_first_found(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("similarpages")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30, RuleBasedMatching=MATCHING)
    ids = [profiles.create_profile(DomainName=domain, EmailAddress="same@example.com")["ProfileId"]
           for _ in range(3)]
    first = _similar(profiles, domain, "_email", "same@example.com", MaxResults=2)
    profiles.delete_profile(DomainName=domain, ProfileId=sorted(ids)[2])
    rest = _similar(profiles, domain, "_email", "same@example.com", MaxResults=2, NextToken=first["NextToken"])
    assert first["ProfileIds"] + rest["ProfileIds"] == sorted(ids)
    assert rest["MatchId"] == first["MatchId"] and "NextToken" not in rest
    assert _similar(profiles, domain, "_email", "same@example.com")["ProfileIds"] == sorted(ids)[:2]
