"""CloudWatch Metrics Insights queries (GetMetricData's and alarms' SELECT expressions): which metrics they match,
how they aggregate, group, order and limit, and what they refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import unique
from tests.e2e.waiting import wait_for

MINUTES = 6  # data points per metric, one a minute


class Shop:
    """Orders per minute: Lisbon 10 and Porto 40 (Store), Braga 5 (Store and Channel web), 1 without dimensions."""

    def __init__(self, server: Server) -> None:
        self.cloudwatch = server.client("cloudwatch")
        self.namespace = unique("Shop")
        now = datetime.now(UTC)
        metrics = [([{"Name": "Store", "Value": "Lisbon"}], 10), ([{"Name": "Store", "Value": "Porto"}], 40),
                   ([{"Name": "Store", "Value": "Braga"}, {"Name": "Channel", "Value": "web"}], 5), ([], 1)]
        for minute in range(MINUTES):
            self.cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=[
                {"MetricName": "Orders", "Dimensions": dimensions, "Value": value,
                 "Timestamp": now - timedelta(minutes=minute, seconds=30)} for dimensions, value in metrics])

    def ask(self, query: str, more: tuple[dict, ...] = ()) -> list[dict]:
        """The results of the query (id q, one-minute periods) and of ``more`` queries beside it."""
        answer = self.cloudwatch.get_metric_data(
            MetricDataQueries=[{"Id": "q", "Expression": query.replace("$NS", f'"{self.namespace}"'),
                                "Period": 60}, *more],
            StartTime=datetime.now(UTC) - timedelta(minutes=30), EndTime=datetime.now(UTC) + timedelta(minutes=1),
            ScanBy="TimestampAscending")
        return answer["MetricDataResults"]

    def totals(self, query: str) -> dict[str, float]:
        """Each returned series' label and the sum of its values."""
        return {result["Label"]: sum(result["Values"]) for result in self.ask(query)}


@pytest.fixture
def shop(server: Server) -> Shop:
    return Shop(server)


def test_from_schema_and_where_choose_the_metrics(shop: Shop) -> None:
    assert shop.totals("SELECT SUM(Orders) FROM $NS") == {"q": 56 * MINUTES}  # every Orders metric, one series
    assert shop.totals("SELECT SUM(Orders) FROM SCHEMA($NS)") == {"q": 1 * MINUTES}  # those without dimensions
    assert shop.totals("SELECT SUM(Orders) FROM SCHEMA($NS, Store)") == {"q": 50 * MINUTES}  # exactly Store
    assert shop.totals("SELECT SUM(Orders) FROM SCHEMA($NS, Channel, Store)") == {"q": 5 * MINUTES}
    assert shop.totals("select sum(Orders) from $NS where Store = 'Porto'") == {"q": 40 * MINUTES}
    # != leaves out Porto, and the metric without a Store as well: a missing label matches neither
    assert shop.totals("SELECT SUM(Orders) FROM $NS WHERE Store != 'Porto'") == {"q": 15 * MINUTES}
    assert shop.totals("SELECT SUM(Orders) FROM $NS WHERE Store != 'Porto' AND Channel = 'web'") == {"q": 5 * MINUTES}
    assert shop.totals("SELECT SUM(Refunds) FROM $NS") == {"q": 0}  # nothing matches: a series without values


def test_functions_groups_order_and_limit(shop: Shop) -> None:
    by_store = shop.ask("SELECT AVG(Orders) FROM $NS GROUP BY Store")
    assert [result["Label"] for result in by_store] == ["Braga", "Lisbon", "Other", "Porto"]  # by label, Other
    assert {result["Label"]: set(result["Values"]) for result in by_store} == {
        "Braga": {5.0}, "Lisbon": {10.0}, "Other": {1.0}, "Porto": {40.0}}
    assert shop.totals("SELECT COUNT(Orders) FROM $NS GROUP BY Channel") == {"Other": 3 * MINUTES,
                                                                            "web": 1 * MINUTES}
    assert {result["Label"]: max(result["Values"]) for result in
            shop.ask("SELECT MAX(Orders) FROM $NS GROUP BY Channel")} == {"Other": 40, "web": 5}
    assert {result["Label"]: min(result["Values"]) for result in
            shop.ask("SELECT MIN(Orders) FROM $NS GROUP BY Channel")} == {"Other": 1, "web": 5}
    top = shop.ask("SELECT SUM(Orders) FROM SCHEMA($NS, Store) GROUP BY Store ORDER BY SUM() DESC LIMIT 2")
    assert [result["Label"] for result in top] == ["Porto", "Lisbon"]
    bottom = shop.ask("SELECT SUM(Orders) FROM $NS GROUP BY Store, Channel ORDER BY MAX() ASC LIMIT 1")
    assert [result["Label"] for result in bottom] == ["Other Other"]  # the metric without dimensions, 1 a minute

    doubled = shop.ask("SELECT SUM(Orders) FROM $NS WHERE Store = 'Lisbon'",
                       more=({"Id": "twice", "Expression": "q * 2"},))
    assert sum(doubled[1]["Values"]) == 2 * sum(doubled[0]["Values"]) == 2 * 10 * MINUTES  # math reads the query


def test_quoted_names_and_refusals(shop: Shop, server: Server) -> None:
    cloudwatch = shop.cloudwatch
    odd = unique("Odd.Space")
    cloudwatch.put_metric_data(Namespace=odd, MetricData=[{"MetricName": "LIMIT", "Value": 7,
                                                           "Dimensions": [{"Name": "it's", "Value": "o'k"}]}])
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "q", "Period": 60, "Expression":
                            f'SELECT SUM("LIMIT") FROM "{odd}" WHERE "it\'s" = \'o\\\'k\''}],
        StartTime=datetime.now(UTC) - timedelta(minutes=5), EndTime=datetime.now(UTC) + timedelta(minutes=1))
    assert sum(answer["MetricDataResults"][0]["Values"]) == 7

    window = {"StartTime": datetime.now(UTC) - timedelta(minutes=5), "EndTime": datetime.now(UTC)}
    for query, message in [
        ("SELECT SUM(Orders) FROM", "The query ends where a namespace is expected"),
        ("SELECT MEDIAN(Orders) FROM Shop", "MEDIAN is not a function"),
        ("SELECT SUM(Orders) FROM Shop WHERE Store = Porto", "Label values are written in single quotes"),
        ("SELECT SUM(LIMIT) FROM Shop", "LIMIT is a keyword"),
        ("SELECT SUM(Orders) FROM Shop LIMIT 501", "LIMIT takes a number from 1 to 500"),
        ("SELECT SUM(Orders) FROM Shop GROUP BY Store extra", "goes on after its end"),
    ]:
        code, said = refused(cloudwatch.get_metric_data, MetricDataQueries=[
            {"Id": "q", "Expression": query, "Period": 60}], **window)
        assert code == "InvalidParameterValue" and message in said, (query, said)
    assert "needs a Period" in refused(cloudwatch.get_metric_data, MetricDataQueries=[
        {"Id": "q", "Expression": "SELECT SUM(Orders) FROM Shop"}], **window)[1]
    assert "one Metrics Insights query at most" in refused(cloudwatch.get_metric_data, MetricDataQueries=[
        {"Id": "a", "Expression": "SELECT SUM(Orders) FROM Shop", "Period": 60},
        {"Id": "b", "Expression": "SELECT AVG(Orders) FROM Shop", "Period": 60}], **window)[1]


def test_an_alarm_watches_a_query_of_one_series(shop: Shop) -> None:
    name = unique("insights")
    query = f'SELECT SUM(Orders) FROM "{shop.namespace}" WHERE Store = \'Porto\''
    shop.cloudwatch.put_metric_alarm(AlarmName=name, EvaluationPeriods=1, Threshold=30,
                                     ComparisonOperator="GreaterThanThreshold",
                                     Metrics=[{"Id": "q", "Expression": query, "Period": 60, "ReturnData": True}])
    alarm = wait_for(lambda: (found := shop.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0])[
        "StateValue"] == "ALARM" and found)  # evaluated once put, in the background
    assert alarm["Metrics"][0]["Expression"] == query  # Porto's 40 a minute
    grouped = f'SELECT SUM(Orders) FROM "{shop.namespace}" GROUP BY Store'
    assert "time series" in refused(shop.cloudwatch.put_metric_alarm, AlarmName=unique("grouped"),
                                    EvaluationPeriods=1, Threshold=30, ComparisonOperator="GreaterThanThreshold",
                                    Metrics=[{"Id": "q", "Expression": grouped, "Period": 60,
                                              "ReturnData": True}])[1]
