"""Which keys more than one profile has, in bounded memory (shared_keys.py)."""

from profilestack.services.profiles.shared_keys import _EXACT_UP_TO, hashed, shared_hashes


def test_a_few_keys_are_told_apart_exactly() -> None:
    keys = [("email", "a@x.test"), ("phone", "5550100"), ("email", "a@x.test"), ("name", "a lee")]
    assert shared_hashes(keys) == {hashed(("email", "a@x.test"))}


def test_many_keys_still_show_every_repeated_one() -> None:
    distinct = [("email", f"person{index}@x.test") for index in range(_EXACT_UP_TO * 2)]
    repeated = [("email", "person7@x.test"), ("email", f"person{_EXACT_UP_TO + 7}@x.test"), ("phone", "5550100")]
    shared = shared_hashes([*distinct, *repeated, ("phone", "5550100")])
    assert {hashed(key) for key in repeated} <= shared  # met before the bitmap, and after it
    assert len(shared) < 3 + len(distinct) // 100  # the others only where their hashes collide
