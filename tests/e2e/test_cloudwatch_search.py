"""SEARCH in GetMetricData's metric math: one series per stored metric a search finds, as the statistic and period
asked, alone or inside other functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.identities import unique

MINUTES = 5


@pytest.fixture
def shop(server: Server) -> tuple[object, str]:
    """Placed orders: Lisbon 10 and Porto 40 a minute; cancelled: Porto 2 a minute (dimension Store)."""
    cloudwatch, namespace = server.client("cloudwatch"), unique("Search")
    now = datetime.now(UTC)
    for minute in range(MINUTES):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": name, "Dimensions": [{"Name": "Store", "Value": store}], "Value": value,
             "Timestamp": now - timedelta(minutes=minute, seconds=30)}
            for name, store, value in (("OrdersPlaced", "Lisbon", 10), ("OrdersPlaced", "Porto", 40),
                                       ("OrdersCancelled", "Porto", 2))])
    return cloudwatch, namespace


def _totals(shop: tuple[object, str], expression: str, **query: object) -> dict[str, float]:
    cloudwatch, namespace = shop
    answer = cloudwatch.get_metric_data(  # type: ignore[attr-defined]
        MetricDataQueries=[{"Id": "e", "Expression": expression.replace("$NS", namespace), **query}],
        StartTime=datetime.now(UTC) - timedelta(minutes=15), EndTime=datetime.now(UTC) + timedelta(minutes=1))
    return {result["Label"]: sum(result["Values"]) for result in answer["MetricDataResults"]}


def test_a_search_finds_a_series_per_metric(shop: tuple[object, str]) -> None:
    placed = "SEARCH('{$NS,Store} MetricName=\"OrdersPlaced\"', 'Sum', 60)"
    assert _totals(shop, placed) == {"Lisbon OrdersPlaced": 10 * MINUTES, "Porto OrdersPlaced": 40 * MINUTES}
    assert _totals(shop, "SEARCH('{$NS,Store} orders', 'SampleCount', 300)") == {
        "Lisbon OrdersPlaced": MINUTES, "Porto OrdersPlaced": MINUTES, "Porto OrdersCancelled": MINUTES}
    assert _totals(shop, "SEARCH('{$NS,Store} Porto NOT Cancelled', 'Average', 60)") == {
        "Porto OrdersPlaced": 40 * MINUTES}
    assert _totals(shop, "SEARCH('{$NS} orders', 'Sum', 60)") == {}  # the schema's exact dimensions: none
    assert _totals(shop, "SUM(SEARCH('{$NS,Store} placed', 'Sum', 60))") == {"e": 50 * MINUTES}
    assert _totals(shop, "SEARCH('{$NS,Store} placed', 'Maximum', 60)", Label="most") == {
        "most Lisbon OrdersPlaced": 10 * MINUTES, "most Porto OrdersPlaced": 40 * MINUTES}


@pytest.mark.parametrize(("expression", "message"), [
    ("SEARCH('{$NS,Store} placed', 'Sum')", "SEARCH takes a search in quotes, a statistic in quotes and a period"),
    ("SEARCH('{$NS,Store} (placed', 'Sum', 60)", "SEARCH: A ( of the search term is not closed."),
    ("SEARCH('placed', 'Median', 60)", "SEARCH: Median is not a statistic."),
    ("SEARCH('placed', 'Sum', 61)", "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60."),
])
def test_a_search_that_cannot_be_read_is_refused(shop: tuple[object, str], expression: str, message: str) -> None:
    with pytest.raises(ClientError) as raised:
        _totals(shop, expression)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert message in raised.value.response["Error"]["Message"]
