"""CloudWatch metric math through GetMetricData (boto3): operators, functions, arrays, queries that read one another
in any order, and the errors of expressions that cannot be worked out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import unique

# Minutes 0, 1 and 3 of the window hold Orders; 0, 1 and 2 hold Returns
ORDERS = {0: 1.0, 1: 2.0, 3: 4.0}
RETURNS = {0: 10.0, 1: 0.0, 2: 5.0}
WINDOW = 5  # minutes


@pytest.fixture(scope="module")
def shop(server) -> tuple[object, str, datetime]:
    """A namespace with two metrics at known minutes, and the start of the window that holds them."""
    cloudwatch = server.client("cloudwatch")
    namespace = unique("Math")
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        *({"MetricName": "Orders", "Value": value, "Timestamp": start + timedelta(minutes=at)}
          for at, value in ORDERS.items()),
        *({"MetricName": "Returns", "Value": value, "Timestamp": start + timedelta(minutes=at)}
          for at, value in RETURNS.items()),
    ])
    return cloudwatch, namespace, start


def stat(namespace: str, name: str, query_id: str, label: str | None = None) -> dict:
    query = {"Id": query_id, "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": namespace, "MetricName": name}, "Period": 60, "Stat": "Sum"}}
    return {**query, "Label": label} if label else query


def results(shop, *expressions: dict) -> list[dict]:
    cloudwatch, namespace, start = shop
    return cloudwatch.get_metric_data(
        MetricDataQueries=[stat(namespace, "Orders", "orders"), stat(namespace, "Returns", "returns"),
                           *expressions],
        StartTime=start, EndTime=start + timedelta(minutes=WINDOW), ScanBy="TimestampAscending")["MetricDataResults"]


def by_minute(shop, result: dict) -> dict[int, float]:
    start = shop[2]
    return {int((moment - start).total_seconds() // 60): value
            for moment, value in zip(result["Timestamps"], result["Values"], strict=True)}


def values_of(shop, expression: str) -> dict[int, float]:
    [result] = results(shop, {"Id": "e1", "Expression": expression})
    return by_minute(shop, result)


@pytest.mark.parametrize(("expression", "expected"), [
    ("orders + returns", {0: 11.0, 1: 2.0}),  # only the minutes both have
    ("returns / orders", {0: 10.0, 1: 0.0}),
    ("orders / returns", {0: 0.1}),  # a division by zero leaves that minute out
    ("orders ^ 2 - 1", {0: 0.0, 1: 3.0, 3: 15.0}),
    ("-orders", {0: -1.0, 1: -2.0, 3: -4.0}),
    ("orders > 1", {0: 0.0, 1: 1.0, 3: 1.0}),
    ("orders >= 2 AND returns == 0", {0: 0.0, 1: 1.0}),
    ("orders < 2 || returns != 0", {0: 1.0, 1: 0.0}),
    ("NOT returns", {0: 0.0, 1: 1.0, 2: 0.0}),
    ("!returns && 1", {0: 0.0, 1: 1.0, 2: 0.0}),
    ("orders * 100 / SUM(orders)", {0: 100 / 7, 1: 200 / 7, 3: 400 / 7}),  # SUM of one series: a number
    ("SUM(METRICS())", {0: 11.0, 1: 2.0, 2: 5.0, 3: 4.0}),  # SUM of an array: a series
    ("AVG([orders, returns])", {0: 5.5, 1: 1.0, 2: 5.0, 3: 4.0}),
    ("MAX(METRICS()) - MIN(METRICS())", {0: 9.0, 1: 2.0, 2: 0.0, 3: 0.0}),
    ("orders - AVG(orders) + STDDEV(returns) * 0", {0: -4 / 3, 1: -1 / 3, 3: 5 / 3}),
    ("FILL(orders, 0)", {0: 1.0, 1: 2.0, 2: 0.0, 3: 4.0, 4: 0.0}),
    ("FILL(orders, REPEAT)", {0: 1.0, 1: 2.0, 2: 2.0, 3: 4.0, 4: 4.0}),
    ("FILL(orders, LINEAR)", {0: 1.0, 1: 2.0, 2: 3.0, 3: 4.0}),
    ("RATE(orders)", {1: 1 / 60, 3: 2 / 120}),
    ("DIFF(orders)", {1: 1.0, 3: 2.0}),
    ("DIFF_TIME(orders)", {1: 60.0, 3: 120.0}),
    ("RUNNING_SUM(orders)", {0: 1.0, 1: 3.0, 3: 7.0}),
    ("IF(returns > 1, orders, -1)", {0: 1.0, 1: -1.0}),  # minute 2: returns but no orders, left out
    ("IF(returns > 1, 100)", {0: 100.0, 2: 100.0}),  # no third argument: the false minutes are left out
    ("orders * 0 + PERIOD(orders) + DATAPOINT_COUNT(returns)", {0: 63.0, 1: 63.0, 3: 63.0}),
    ("returns + METRIC_COUNT(METRICS())", {0: 12.0, 1: 2.0, 2: 7.0}),
    ("ABS(returns - 5) + CEIL(orders / 3) * 1000 + FLOOR(0.9)", {0: 1005.0, 1: 1005.0}),
    ("SQRT(orders) * LOG10(100) + LOG(1)", {0: 2.0, 1: 2 * 2 ** 0.5, 3: 4.0}),
    ("LOG(returns) * 0", {0: 0.0, 2: 0.0}),  # the logarithm of 0 has no value: minute 1 is left out
    ("FIRST(METRICS()) + LAST([returns, orders]) * 0", {0: 1.0, 1: 2.0, 3: 4.0}),
    ('SUM(METRICS("ret"))', {0: 10.0, 1: 0.0, 2: 5.0}),  # the MetricStat queries whose id holds "ret"
    ("2 ^ 3 ^ 2 + orders * 0", {0: 512.0, 1: 512.0, 3: 512.0}),  # ^ is worked out from the right
])
def test_an_expression_gives_the_values_cloudwatch_gives(shop, expression: str, expected: dict) -> None:
    found = values_of(shop, expression)
    assert found.keys() == expected.keys(), found
    for minute, value in expected.items():
        assert found[minute] == pytest.approx(value), (minute, found)


def test_clock_functions_read_each_data_points_time(shop) -> None:
    start = shop[2]
    moments = {at: start + timedelta(minutes=at) for at in ORDERS}
    assert values_of(shop, "MINUTE(orders)") == {at: float(moment.minute) for at, moment in moments.items()}
    assert values_of(shop, "HOUR(orders)") == {at: float(moment.hour) for at, moment in moments.items()}
    assert values_of(shop, "DAY(orders)") == {at: float(moment.isoweekday()) for at, moment in moments.items()}
    assert values_of(shop, "EPOCH(orders)") == {at: moment.timestamp() for at, moment in moments.items()}


def test_an_array_gives_one_result_per_series_under_the_querys_id(shop) -> None:
    found = results(shop, {"Id": "filled", "Expression": "FILL(METRICS(), 0)", "Label": "Filled"},
                    {"Id": "kept", "Expression": "REMOVE_EMPTY([orders, IF(orders > 100, orders)])"})
    assert [(result["Id"], result["Label"]) for result in found] == [
        ("filled", "Filled Orders"), ("filled", "Filled Returns"), ("kept", "Orders")]
    assert by_minute(shop, found[0]) == {0: 1.0, 1: 2.0, 2: 0.0, 3: 4.0, 4: 0.0}
    assert by_minute(shop, found[1]) == {0: 10.0, 1: 0.0, 2: 5.0, 3: 0.0, 4: 0.0}


def test_sort_orders_an_arrays_series_by_a_function_of_each(shop) -> None:
    found = results(shop, {"Id": "top", "Expression": "SORT(METRICS(), MAX, DESC, 1)"},
                    {"Id": "all", "Expression": "SORT([returns, orders], SUM, ASC)"})
    assert [(result["Id"], result["Label"]) for result in found] == [
        ("top", "Returns"), ("all", "Orders"), ("all", "Returns")]


def test_queries_may_read_expressions_listed_after_them(shop) -> None:
    found = results(shop, {"Id": "doubled", "Expression": "total * 2"},
                    {"Id": "total", "Expression": "orders + returns", "ReturnData": False})
    assert [(result["Id"], by_minute(shop, result)) for result in found] == [("doubled", {0: 22.0, 1: 4.0})]


def test_a_number_has_no_data_points(shop) -> None:
    [result] = results(shop, {"Id": "e1", "Expression": "SUM(orders)", "Label": "total"})
    assert (result["Label"], result["Timestamps"], result["Values"]) == ("total", [], [])


def error_of(shop, *expressions: dict) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        results(shop, *expressions)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize(("expression", "message"), [
    ("orders +", "Error in expression e1: Not valid metric math: The expression ends too soon."),
    ("orders & returns", "Error in expression e1: Not valid metric math: Unexpected '&'."),
    ("nothing * 2", "Error in expression e1: nothing is not the id of a query of the request."),
    ("MEDIAN(orders)", "Error in expression e1: MEDIAN is not a metric math function."),
    ("ABS(orders, 2)", "Error in expression e1: ABS takes 1 argument."),
    ("FILL(orders, SOMETIMES)", "Error in expression e1: FILL's second argument is a number, REPEAT or LINEAR."),
    ("FILL(orders, returns)", "Error in expression e1: FILL's second argument is a number, REPEAT or LINEAR."),
    ("METRICS() + [orders]", "Error in expression e1: Two arrays of time series cannot be combined with an operator."),
    ("[1, 2]", "Error in expression e1: An array holds time series, not numbers."),
    ("SORT(METRICS(), SUM, UP)", "Error in expression e1: SORT takes an array, AVG, MAX, MIN, SUM or STDDEV, ASC or "
                                 "DESC, and optionally a number of series."),
    ("1e999", "Error in expression e1: Not valid metric math: The number 1e999 is too large."),
    ("(" * 40 + "1" + ")" * 40,
     "Error in expression e1: Not valid metric math: The expression nests brackets more than 32 deep."),
])
def test_an_expression_that_cannot_be_worked_out_is_invalid(shop, expression: str, message: str) -> None:
    assert error_of(shop, {"Id": "e1", "Expression": expression}) == ("InvalidParameterValue", message, 400)


def test_fill_lays_out_at_most_what_get_metric_data_returns(shop) -> None:
    cloudwatch, namespace, start = shop
    per_second = {**stat(namespace, "Orders", "orders"), "MetricStat": {
        **stat(namespace, "Orders", "orders")["MetricStat"], "Period": 1}}
    with pytest.raises(ClientError) as raised:  # two days of seconds: 172,800 data points
        cloudwatch.get_metric_data(MetricDataQueries=[per_second, {"Id": "e1", "Expression": "FILL(orders, 0)"}],
                                   StartTime=start - timedelta(days=2), EndTime=start)
    assert raised.value.response["Error"]["Message"] == (
        "Error in expression e1: FILL would give more than 100,800 data points: use a longer period or a shorter "
        "time range.")


def test_two_queries_with_one_id_are_refused(shop) -> None:
    assert error_of(shop, {"Id": "orders", "Expression": "1"}) == (
        "InvalidParameterValue", "The Id orders is given to more than one query: each query's Id must be unique.", 400)


def test_expressions_in_a_circle_are_refused(shop) -> None:
    assert error_of(shop, {"Id": "a", "Expression": "b + 1"}, {"Id": "b", "Expression": "a * orders"}) == (
        "InvalidParameterValue", "The expressions a, b refer to one another in a circle.", 400)


def test_what_profilestack_does_not_work_out_says_so(shop) -> None:
    code, message, status = error_of(shop, {"Id": "e1", "Expression": "SERVICE_QUOTA(orders)"})
    assert (code, status, message) == ("NotImplemented", 501, "profilestack does not support SERVICE_QUOTA in "
                                                              "metric math yet.")


def test_an_alarm_watches_an_expression_of_one_series_only(server, shop) -> None:
    cloudwatch, namespace = server.client("cloudwatch"), shop[1]
    base = {"AlarmName": unique("math"), "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold"}
    metrics = [stat(shop[1], "Orders", "orders"), stat(namespace, "Returns", "returns")]
    with pytest.raises(ClientError) as raised:
        cloudwatch.put_metric_alarm(**base, Metrics=[*metrics, {"Id": "e1", "Expression": "FILL(METRICS(), 0)"}])
    assert (raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]) == (
        "InvalidParameterValue", "The expression e1 gives 2 time series; an alarm watches one.")
    cloudwatch.put_metric_alarm(**base, Metrics=[*metrics, {"Id": "e1", "Expression": "FILL(orders, 0) + 2"}])
    alarm = cloudwatch.describe_alarms(AlarmNames=[base["AlarmName"]])["MetricAlarms"][0]
    assert alarm["Metrics"][-1]["Expression"] == "FILL(orders, 0) + 2"


def test_dynamic_labels_are_worked_out_for_each_series(shop) -> None:
    cloudwatch, namespace, start = shop
    dimensions = [{"Name": "Queue", "Value": "billing"}]
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Waiting", "Dimensions": dimensions, "Value": value, "Timestamp": start + timedelta(minutes=at)}
        for at, value in ((0, 3.0), (1, 9.0), (2, 1.5))])
    waiting = {"Id": "waiting", "Label": "${PROP('Dim.Queue')} ${PROP('MetricName')} (${PROP('Stat')}, "
                                         "${PROP('Period')}s in ${PROP('Region')}): avg ${AVG}, ${DATAPOINT_COUNT} "
                                         "points, max ${MAX} at ${MAX_TIME}, last ${LAST}, ${LABEL}",
               "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "Waiting", "Dimensions": dimensions},
                              "Period": 60, "Stat": "Sum"}}
    found = results(shop, waiting,
                    {"Id": "each", "Expression": "METRICS()", "Label": "${PROP('MetricName')}: ${SUM}"},
                    {"Id": "spread", "Expression": "waiting * 2", "Label": "${LABEL} ${MIN_MAX_RANGE} ${PROP('Nope')}"},
                    {"Id": "nothing", "Expression": "IF(waiting > 100, waiting)", "Label": "${AVG} of nothing"})
    labels = [(result["Id"], result["Label"]) for result in found]
    peak = (start + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = f"billing Waiting (Sum, 60s in us-east-1): avg 4.5, 3 points, max 9 at {peak}, last 1.5, Waiting"
    assert labels == [
        ("waiting", shown),
        ("each", "Orders: 7"), ("each", "Returns: 15"), ("each", "Waiting: 13.5"),  # one label per series
        ("spread", "spread 15 ${PROP('Nope')}"),  # what has no value stays as written
        ("nothing", "${AVG} of nothing"),
    ]


def test_label_times_are_shown_in_the_requested_time_zone(shop) -> None:
    cloudwatch, namespace, start = shop
    query = {**stat(namespace, "Orders", "orders", "peak ${MAX_TIME}"), "ReturnData": True}
    [result] = cloudwatch.get_metric_data(MetricDataQueries=[query], StartTime=start,
                                          EndTime=start + timedelta(minutes=WINDOW),
                                          LabelOptions={"Timezone": "-0130"})["MetricDataResults"]
    peak = (start + timedelta(minutes=3)).astimezone(timezone(-timedelta(hours=1, minutes=30)))
    assert result["Label"] == f"peak {peak.isoformat()}" and peak.isoformat().endswith("-01:30")
    with pytest.raises(ClientError) as raised:
        cloudwatch.get_metric_data(MetricDataQueries=[query], StartTime=start, EndTime=start + timedelta(minutes=1),
                                   LabelOptions={"Timezone": "+1:30"})
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "LabelOptions.Timezone" in raised.value.response["Error"]["Message"]


def test_a_page_holds_max_datapoints_and_the_next_token_goes_on(shop) -> None:
    cloudwatch, namespace, start = shop
    queries = [{**stat(namespace, "Orders", "orders"), "ReturnData": True},
               {**stat(namespace, "Returns", "returns"), "ReturnData": True},
               {"Id": "none", "Expression": "IF(orders > 100, orders)"}]
    asked = {"MetricDataQueries": queries, "StartTime": start, "EndTime": start + timedelta(minutes=WINDOW),
             "ScanBy": "TimestampAscending", "MaxDatapoints": 4}
    first = cloudwatch.get_metric_data(**asked)
    assert [(result["Id"], result["Values"], result["StatusCode"]) for result in first["MetricDataResults"]] == [
        ("orders", [1.0, 2.0, 4.0], "Complete"), ("returns", [10.0], "PartialData"), ("none", [], "Complete")]
    second = cloudwatch.get_metric_data(**asked, NextToken=first["NextToken"])
    assert [(result["Id"], result["Values"], result["StatusCode"]) for result in second["MetricDataResults"]] == [
        ("returns", [0.0, 5.0], "Complete")]
    assert "NextToken" not in second
    pages = list(cloudwatch.get_paginator("get_metric_data").paginate(**asked))
    assert [len(page["MetricDataResults"]) for page in pages] == [3, 1]
    assert "NextToken" not in cloudwatch.get_metric_data(**{**asked, "MaxDatapoints": 6})
    with pytest.raises(ClientError) as raised:
        cloudwatch.get_metric_data(**asked, NextToken="not-a-token")
    assert raised.value.response["Error"]["Code"] == "InvalidNextToken"
