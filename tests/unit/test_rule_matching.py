"""Rule-based matching's pure rules: keys per rule, attribute types, levels and groups."""

from __future__ import annotations

from profilestack.services.profiles.rule_matching import match_groups, match_id, rule_keys

MANY = {"AttributeMatchingModel": "MANY_TO_MANY", "PhoneNumber": ["PhoneNumber", "MobilePhoneNumber"],
        "Address": ["Address", "ShippingAddress"]}


def test_a_rule_needs_every_attribute_and_compares_them_trimmed_and_case_folded() -> None:
    fields = {"FirstName": "  Ann  Marie ", "LastName": "LEE", "Attributes": {"tier": "Gold"}}
    assert rule_keys(fields, ["FirstName", "LastName"], {}) == {(("FirstName", "ann marie"), ("LastName", "lee"))}
    assert rule_keys(fields, ["FirstName", "EmailAddress"], {}) == set()  # no email address: no key
    assert rule_keys(fields, ["Attributes.tier"], {}) == {(("Attributes.tier", "gold"),)}
    assert rule_keys({"FirstName": ""}, ["FirstName"], {}) == set()


def test_attribute_types_take_the_selected_fields() -> None:
    fields = {"PhoneNumber": "+1555", "MobilePhoneNumber": "+1666", "HomePhoneNumber": "+1777",
              "ShippingAddress": {"City": "Porto"}}
    assert rule_keys(fields, ["PhoneNumber"], MANY) == {("+1555",), ("+1666",)}  # home phone not selected
    assert rule_keys(fields, ["PhoneNumber"], {**MANY, "AttributeMatchingModel": "ONE_TO_ONE"}) == {
        (("PhoneNumber", "+1555"),), (("MobilePhoneNumber", "+1666"),)}
    assert rule_keys(fields, ["PhoneNumber"], {}) == {(("PhoneNumber", "+1555"),)}  # the field of the type's name
    assert rule_keys(fields, ["Address.City"], MANY) == {("porto",)}
    assert rule_keys(fields, ["Address"], MANY) == set()  # an address type names a part


def test_a_profile_joins_one_group_at_the_first_rule_that_links_it() -> None:
    profiles = [("a", {"EmailAddress": "x@y.io", "FirstName": "Ann"}),
                ("b", {"EmailAddress": "X@y.io", "FirstName": "Ann"}),
                ("c", {"FirstName": "ann"}),
                ("d", {"FirstName": "Bob"})]
    matching = {"MatchingRules": [{"Rule": ["EmailAddress"]}, {"Rule": ["FirstName"]}]}
    assert match_groups(lambda: profiles, matching) == [(match_id(["a", "b"]), 1, ["a", "b"])]  # c alone at level 2
    profiles.append(("e", {"FirstName": "ANN "}))
    assert sorted(match_groups(lambda: profiles, matching)) == sorted([(match_id(["a", "b"]), 1, ["a", "b"]),
                                                               (match_id(["c", "e"]), 2, ["c", "e"])])
    assert match_groups(lambda: profiles, {**matching, "MaxAllowedRuleLevelForMatching": 1}) == [
        (match_id(["a", "b"]), 1, ["a", "b"])]


def test_profiles_linked_through_each_other_form_one_group_with_a_stable_id() -> None:
    profiles = [("a", {"PhoneNumber": "+1", "EmailAddress": "a@x.io"}),
                ("b", {"PhoneNumber": "+1", "EmailAddress": "b@x.io"}),
                ("c", {"EmailAddress": "b@x.io"})]
    matching = {"MatchingRules": [{"Rule": ["PhoneNumber"]}, {"Rule": ["EmailAddress"]}]}
    assert match_groups(lambda: profiles, matching) == [(match_id(["a", "b"]), 1, ["a", "b"])]  # b taken at level 1
    one_rule = {"MatchingRules": [{"Rule": ["EmailAddress"]}], "AttributeTypesSelector": {
        "AttributeMatchingModel": "MANY_TO_MANY", "EmailAddress": ["EmailAddress", "PersonalEmailAddress"]}}
    linked = [("a", {"EmailAddress": "a@x.io", "PersonalEmailAddress": "p@x.io"}),
              ("b", {"EmailAddress": "p@x.io"}), ("c", {"PersonalEmailAddress": "a@x.io"})]
    assert match_groups(lambda: linked, one_rule) == [(match_id(["c", "b", "a"]), 1, ["a", "b", "c"])]
    assert match_id(["b", "a"]) == match_id(["a", "b"]) and len(match_id(["a"])) == 32
