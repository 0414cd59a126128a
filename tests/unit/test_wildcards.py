"""IAM's wildcards: ``*`` any run of characters, ``?`` one, within an ARN's part for its first five parts."""

from __future__ import annotations

import fnmatch
import random

from profilestack.iam_policy.wildcards import arn_match, wildcard_match


def _reference(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _arn_reference(pattern: str, arn: str) -> bool:
    patterns, parts = pattern.split(":", 5), arn.split(":", 5)
    if len(patterns) != 6:
        return _reference(pattern, arn)
    return len(parts) == 6 and all(_reference(p, part) for p, part in zip(patterns, parts, strict=True))


def test_wildcards_match_what_a_plain_glob_matches() -> None:
    rng = random.Random(39)
    for _ in range(5000):
        pattern = "".join(rng.choice("ab*?[") for _ in range(rng.randrange(9)))
        value = "".join(rng.choice("ab:[") for _ in range(rng.randrange(10)))
        assert wildcard_match(pattern, value) == _reference(pattern, value), (pattern, value)


def test_arn_wildcards_stay_within_the_first_five_parts() -> None:
    rng = random.Random(39)
    for _ in range(5000):
        pattern = ":".join("".join(rng.choice("ab*?") for _ in range(rng.randrange(4))) for _ in range(6))
        arn = ":".join("".join(rng.choice("ab") for _ in range(rng.randrange(4))) for _ in range(rng.choice((5, 6, 7))))
        assert arn_match(pattern, arn) == _arn_reference(pattern, arn), (pattern, arn)
    assert not arn_match("arn:aws:s3:*:::x", "arn:aws:s3:a:b:::x")  # a * of the region part takes no colon
    assert arn_match("arn:aws:s3:::a*", "arn:aws:s3:::a:b:c")  # the resource part's takes any


def test_many_wildcards_against_a_long_value_are_decided_at_once() -> None:
    """Each * between two pieces is fixed at its piece's first place: before, a regex backtracked through every
    way of placing them, and ``*a*a*a*a*a*a*a*a*b`` against 60 a's took 22 seconds (ten *s: hours), with a policy
    any caller may write — a session policy, a simulated one."""
    stars = "*a" * 40
    assert not wildcard_match(stars + "b", "a" * 2000)
    assert wildcard_match(stars + "b", "a" * 2000 + "b")
    assert not arn_match(f"arn:aws:s3:::{stars}b", "arn:aws:s3:::" + "a" * 2000)
    assert arn_match(f"arn:aws:s3:::{stars}", "arn:aws:s3:::" + "a" * 2000)
