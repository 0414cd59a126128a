"""Identity resolution's matching rules, on profiles' fields alone."""

from __future__ import annotations

import pytest

from profilestack.services.profiles.identity_matching import MAX_CANDIDATES, confidence, find_matches, identity


def test_the_documented_variations_are_one_customer() -> None:
    john = identity("a", {"FirstName": "John", "LastName": "Doe", "EmailAddress": "JOHN_DOE@ANYCOMPANY.COM"})
    jhn = identity("b", {"FirstName": "Jhn", "LastName": "Doe", "PersonalEmailAddress": "johndoe@anycompany.com"})
    assert john.emails == jhn.emails == {"johndoe@anycompany.com"}
    assert confidence(john, jhn) == pytest.approx(0.5 + 0.5 * 14 / 15)  # names 93% alike
    office = identity("c", {"PhoneNumber": "555-010-0000"})
    mobile = identity("d", {"MobilePhoneNumber": "+1-555-010-0000"})
    assert confidence(office, mobile) == 0.8  # a shared number, no names to compare


def test_a_shared_contact_with_an_unlike_name_or_a_like_name_with_unlike_contacts_is_no_match() -> None:
    shared_phone = {"PhoneNumber": "+15550100"}
    assert confidence(identity("a", {"FirstName": "Ann", "LastName": "Lee", **shared_phone}),
                      identity("b", {"FirstName": "Bob", "LastName": "Ray", **shared_phone})) is None
    assert confidence(identity("a", {"FirstName": "Ann", "LastName": "Lee", "EmailAddress": "ann@a.test"}),
                      identity("b", {"FirstName": "Ann", "LastName": "Lee", "EmailAddress": "ann@b.test"})) is None
    alone = confidence(identity("a", {"FirstName": "Ann", "LastName": "Lee"}),
                       identity("b", {"FirstName": "ann", "LastName": "LEE", "EmailAddress": "ann@a.test"}))
    assert alone == pytest.approx(0.6)  # a name alone, nothing contradicting it: a weak match


def test_groups_take_the_confidence_of_their_weakest_link_and_crowded_keys_are_passed_over() -> None:
    profiles = [("p1", {"FirstName": "Ann", "LastName": "Lee", "EmailAddress": "ann@x.test"}),
                ("p2", {"FirstName": "Ann", "LastName": "Lee", "EmailAddress": "ann@x.test", "PhoneNumber": "5550101"}),
                ("p3", {"PhoneNumber": "555-0101"}),
                ("p4", {"FirstName": "Zed", "LastName": "Ox"})]
    (match,) = find_matches(lambda: profiles)
    assert (match.profile_ids, match.confidence) == (["p1", "p2", "p3"], 0.8)
    switchboard = [(f"s{index}", {"PhoneNumber": "+1 555 0100 999"}) for index in range(MAX_CANDIDATES + 1)]
    assert find_matches(lambda: switchboard) == []
    assert len(find_matches(lambda: switchboard[:2])) == 1


def test_the_profiles_are_read_three_times_and_only_those_sharing_a_key_are_compared() -> None:
    distinct = [(f"d{index}", {"FirstName": f"Name{index}", "LastName": f"Family{index}",
                               "EmailAddress": f"person{index}@d.test", "PhoneNumber": f"+1 555 {index:07d}"})
                for index in range(5_000)]
    twins = [("t1", {"FirstName": "Bo", "LastName": "Day", "EmailAddress": "bo.day@t.test"}),
             ("t2", {"FirstName": "Bo", "LastName": "Day", "EmailAddress": "BODAY@t.test"})]
    readings = []

    def read() -> list:
        readings.append(1)
        return [*distinct[:2_500], *twins, *distinct[2_500:]]

    (match,) = find_matches(read)
    assert match.profile_ids == ["t1", "t2"] and len(readings) == 3
