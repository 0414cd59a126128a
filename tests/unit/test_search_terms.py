"""SEARCH's metric schema and search term (search_terms.py), on the search expression syntax's own examples."""

from __future__ import annotations

import pytest

from profilestack.services.cloudwatch.search_terms import Metric, SearchError, parse

CUSTOM = Metric("MyNamespace", "CustomCount1", {})
INSTANCE = Metric("AWS/EC2", "CPUUtilization", {"InstanceId": "i-1234567890123456"})


@pytest.mark.parametrize(("term", "found"), [
    ("count", True), ("Count", True), ("COUNT", True), ("couNT", False),  # one token: any case; couNT is cou, NT
    ("CustomCount", True), ("Count1", True), ("customcount", False), ("count1", False),  # tokens in a row: cased
    ("customcount1", True),  # the whole name, in any case
    ('"CustomCount1"', True), ('"customcount1"', False), ('"Custom"', False),  # exact
])
def test_partial_and_exact_matches(term: str, found: bool) -> None:
    assert parse(term).matches(CUSTOM) is found


@pytest.mark.parametrize("term", ["network/errors", "network+errors", "network-errors", "Network_Errors"])
def test_other_characters_cut_tokens_in_any_case(term: str) -> None:
    assert parse(term).matches(Metric("N", "Network-Errors-2", {}))
    assert parse(term).matches(Metric("N", "NetworkErrors2", {}))


def test_schemas_properties_and_operators() -> None:
    assert parse('{AWS/EC2,InstanceId} MetricName="CPUUtilization"').matches(INSTANCE)
    assert not parse('{AWS/EC2} MetricName="CPUUtilization"').matches(INSTANCE)  # the exact set of dimensions
    assert not parse('{AWS/EC2,InstanceId} MetricName="CPUUtilization" NOT i-1234567890123456').matches(INSTANCE)
    assert parse("NOT Namespace=AWS").matches(CUSTOM) and not parse("NOT Namespace=AWS").matches(INSTANCE)
    assert parse("InstanceId=i AND cpu").matches(INSTANCE)  # a dimension's value, partly
    ebs = Metric("AWS/EBS", "VolumeReadOps", {"VolumeId": "vol-1"})
    assert parse("(EC2 OR EBS) AND MetricName=ReadOps").matches(ebs) and parse("(EC2 OR EBS) ReadOps").matches(ebs)
    assert not parse("(EC2 OR EBS) AND ReadOps AND ProjectA").matches(ebs)
    special = Metric("My Namespace", "Custom:Name[Special_Characters", {"Dimension@Name": "x"})
    assert parse(' {"My Namespace", "Dimension@Name"}, "Custom:Name[Special_Characters" ').matches(special)
    assert parse(r'"Europe\\France Traffic\(Network\)"').matches(Metric("N", "Europe\\France Traffic(Network)", {}))


@pytest.mark.parametrize(("text", "message"), [
    ("", "needs a metric schema, a search term, or both"),
    ("{AWS/EC2 cpu", "is not closed"),
    ("{ , InstanceId}", "names a namespace first"),
    ("(cpu OR disk", "is not closed"),
    ("cpu)", "goes on after its end"),
    ("cpu AND", "is expected where the search has its end"),
    ('"cpu', "cannot be read"),
    ("---", "holds no letters or digits"),
    ("x" * 1025, "1024 characters at most"),
])
def test_what_the_syntax_does_not_allow_is_refused(text: str, message: str) -> None:
    with pytest.raises(SearchError, match=message):
        parse(text)
