"""CloudWatch metrics end to end, in all three protocols clients use."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import allow, document, make_user, unique
from tests.e2e.waiting import wait_for
from tests.e2e.wire import FORM, send, signed_later, signed_request


def minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_put_and_read_statistics(cloudwatch) -> None:
    namespace, now = unique("App"), minute()
    dims = [{"Name": "Service", "Value": "checkout"}]
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Latency", "Dimensions": dims, "Value": 10, "Unit": "Milliseconds", "Timestamp": now},
        {"MetricName": "Latency", "Dimensions": dims, "Values": [20, 30], "Counts": [1, 2], "Unit": "Milliseconds",
         "Timestamp": now},
        {"MetricName": "Latency", "Dimensions": dims, "Value": 100, "Unit": "Milliseconds",
         "Timestamp": now + timedelta(minutes=1)},
    ])
    answer = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", Dimensions=dims, StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5), Period=60, Statistics=["SampleCount", "Sum", "Average", "Minimum",
                                                                    "Maximum"], ExtendedStatistics=["p50", "p99"])
    assert answer["Label"] == "Latency"
    points = sorted(answer["Datapoints"], key=lambda point: point["Timestamp"])
    assert [(p["SampleCount"], p["Sum"], p["Average"], p["Minimum"], p["Maximum"]) for p in points] == [
        (4.0, 90.0, 22.5, 10.0, 30.0), (1.0, 100.0, 100.0, 100.0, 100.0)]
    assert points[0]["ExtendedStatistics"] == {"p50": 20.0, "p99": 30.0}
    assert points[0]["Unit"] == "Milliseconds"
    # a longer period folds both minutes into one data point
    wide = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Latency", Dimensions=dims,
                                            StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5),
                                            Period=600, Statistics=["SampleCount"])["Datapoints"]
    assert [p["SampleCount"] for p in wide] == [5.0]
    # other dimensions are another metric
    assert cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Latency", StartTime=now,
                                            EndTime=now + timedelta(minutes=5), Period=60,
                                            Statistics=["Sum"])["Datapoints"] == []


def test_statistic_sets_and_metric_math(cloudwatch) -> None:
    namespace, now = unique("App"), minute()
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Errors", "Value": 5, "Timestamp": now},
        {"MetricName": "Requests", "StatisticValues": {"SampleCount": 4, "Sum": 200, "Minimum": 10, "Maximum": 90},
         "Timestamp": now},
    ])

    def stat(name: str, query_id: str, returned: bool = True) -> dict:
        return {"Id": query_id, "ReturnData": returned, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": name}, "Period": 60, "Stat": "Sum"}}

    results = cloudwatch.get_metric_data(
        MetricDataQueries=[stat("Errors", "errors", False), stat("Requests", "requests"),
                           {"Id": "rate", "Expression": "errors / requests * 100", "Label": "error rate"},
                           {"Id": "total", "Expression": "SUM(METRICS())"}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5))["MetricDataResults"]
    by_id = {result["Id"]: result for result in results}
    assert set(by_id) == {"requests", "rate", "total"}  # ReturnData=false is computed, not returned
    assert by_id["requests"]["Values"] == [200.0] and by_id["requests"]["Label"] == "Requests"
    assert (by_id["rate"]["Label"], by_id["rate"]["Values"]) == ("error rate", [2.5])
    assert by_id["total"]["Values"] == [205.0]
    assert by_id["rate"]["StatusCode"] == "Complete"
    assert by_id["rate"]["Timestamps"] == [now]


def test_a_start_time_is_rounded_down_to_the_minute_as_cloudwatch_does(cloudwatch) -> None:
    namespace, then = unique("Round"), minute() - timedelta(minutes=10)
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Calls", "Value": 1, "Timestamp": then + timedelta(seconds=10)},
        {"MetricName": "Calls", "Value": 2, "Timestamp": then + timedelta(seconds=50)}])
    start, end = then + timedelta(seconds=30), then + timedelta(minutes=3)  # the first point lies before 30 s
    statistics = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Calls", StartTime=start,
                                                  EndTime=end, Period=60, Statistics=["Sum"])["Datapoints"]
    assert [(point["Timestamp"], point["Sum"]) for point in statistics] == [(then, 3.0)]
    [result] = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "calls", "MetricStat": {
        "Metric": {"Namespace": namespace, "MetricName": "Calls"}, "Period": 60, "Stat": "Sum"}}],
        StartTime=start, EndTime=end)["MetricDataResults"]
    assert (result["Timestamps"], result["Values"]) == ([then], [3.0])


def test_metrics_sent_with_their_entity_are_stored_as_any_other(cloudwatch) -> None:
    namespace, now = unique("Entity"), minute()
    entity = {"KeyAttributes": {"Type": "Service", "Name": "checkout", "Environment": "prod"},
              "Attributes": {"PlatformType": "Generic"}}
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Plain", "Value": 1, "Timestamp": now}],
                               EntityMetricData=[{"Entity": entity, "MetricData": [
                                   {"MetricName": "Calls", "Value": 5, "Timestamp": now},
                                   {"MetricName": "Calls", "Values": [1, 2], "Counts": [1, 3], "Timestamp": now}]}])
    assert sorted(metric["MetricName"] for metric in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]) == [
        "Calls", "Plain"]
    [point] = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Calls", StartTime=now,
                                               EndTime=now + timedelta(minutes=1), Period=60,
                                               Statistics=["Sum", "SampleCount"])["Datapoints"]
    assert (point["Sum"], point["SampleCount"]) == (12.0, 5.0)


@pytest.mark.parametrize(("data", "entities", "message"), [
    ([{"MetricName": "m", "Value": 1}] * 1001, [],
     "A PutMetricData request must not hold more than 1000 metrics (MetricData and EntityMetricData together); this "
     "one holds 1001."),
    ([{"MetricName": "m", "Value": 1}] * 600, [{"Entity": {}, "MetricData": [{"MetricName": "m", "Value": 1}] * 401}],
     "A PutMetricData request must not hold more than 1000 metrics (MetricData and EntityMetricData together); this "
     "one holds 1001."),
    ([], [{"Entity": {}, "MetricData": []}] * 3, "The parameter EntityMetricData must not hold more than 2 entities."),
    ([{"MetricName": "m", "Values": list(range(151))}], [],
     "The parameter MetricData.member.1.Values must not hold more than 150 values."),
    ([{"MetricName": "m", "Value": 1, "StorageResolution": 5}], [],
     "The value 5 for parameter MetricData.member.1.StorageResolution is invalid: it must be 1 or 60."),
    ([{"MetricName": "m", "Value": 1e200}], [], "The value 1e+200 for parameter MetricData.member.1.Value is invalid: "
                                                "it must be a number from -2^360 to 2^360, not too close to 0."),
    ([], [{"Entity": {}, "MetricData": [{"MetricName": "m", "Values": [1, -1e-200]}]}],
     "The value -1e-200 for parameter EntityMetricData.member.1.MetricData.member.1.Values is invalid: it must be a "
     "number from -2^360 to 2^360, not too close to 0."),
    ([{"MetricName": "m", "StatisticValues": {"SampleCount": 1, "Sum": 1e300, "Minimum": 1, "Maximum": 1}}], [],
     "The value 1e+300 for parameter MetricData.member.1.StatisticValues.Sum is invalid: it must be a number from "
     "-2^360 to 2^360, not too close to 0."),
])
def test_put_metric_data_keeps_cloudwatchs_limits(cloudwatch, data: list, entities: list, message: str) -> None:
    namespace = unique("Limits")
    assert error_of(cloudwatch.put_metric_data, Namespace=namespace, MetricData=data, EntityMetricData=entities) == (
        "InvalidParameterValue", message)
    assert cloudwatch.list_metrics(Namespace=namespace)["Metrics"] == []  # nothing of a refused request is kept


def test_list_metrics_filters(cloudwatch) -> None:
    namespace = unique("App")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Hits", "Dimensions": [{"Name": "Page", "Value": "home"}], "Value": 1},
        {"MetricName": "Hits", "Dimensions": [{"Name": "Page", "Value": "cart"}], "Value": 1},
        {"MetricName": "Misses", "Value": 1},
    ])
    every = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    assert len(every) == 3
    assert [m["Dimensions"] for m in cloudwatch.list_metrics(
        Namespace=namespace, MetricName="Hits", Dimensions=[{"Name": "Page", "Value": "cart"}])["Metrics"]] == [
        [{"Name": "Page", "Value": "cart"}]]
    assert len(cloudwatch.list_metrics(Namespace=namespace, Dimensions=[{"Name": "Page"}])["Metrics"]) == 2
    assert len(cloudwatch.list_metrics(Namespace=namespace, RecentlyActive="PT3H")["Metrics"]) == 3
    linked = cloudwatch.list_metrics(Namespace=namespace, IncludeLinkedAccounts=True)
    assert linked["OwningAccounts"] == ["000000000000"] * 3  # no source accounts: every metric is the caller's
    assert "OwningAccounts" not in cloudwatch.list_metrics(Namespace=namespace)
    assert cloudwatch.list_metrics(Namespace=namespace, IncludeLinkedAccounts=True,
                                   OwningAccount="111122223333")["Metrics"] == []


def test_invalid_input(cloudwatch) -> None:
    assert error_of(cloudwatch.put_metric_data, Namespace="AWS/EC2", MetricData=[{"MetricName": "x", "Value": 1}]) \
        == ("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.")
    code, message = error_of(cloudwatch.put_metric_data, Namespace="App", MetricData=[{
        "MetricName": "x", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
    assert code == "InvalidParameterCombination" and "mutually exclusive" in message
    assert error_of(cloudwatch.put_metric_data, Namespace="App", MetricData=[
        {"MetricName": "x", "Values": [1, 2], "Counts": [1]}])[0] == "InvalidParameterValue"
    assert "two weeks in the past" in error_of(cloudwatch.put_metric_data, Namespace="App", MetricData=[
        {"MetricName": "x", "Value": 1, "Timestamp": datetime.now(UTC) - timedelta(days=20)}])[1]
    now = minute()
    assert error_of(cloudwatch.get_metric_statistics, Namespace="App", MetricName="x", StartTime=now,
                    EndTime=now + timedelta(hours=1), Period=61, Statistics=["Sum"]) == (
        "InvalidParameterValue", "The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.")
    assert cloudwatch.get_metric_statistics(Namespace="App", MetricName="x", StartTime=now,  # a high-resolution one
                                            EndTime=now + timedelta(minutes=1), Period=20,
                                            Statistics=["Sum"])["Datapoints"] == []
    assert error_of(cloudwatch.get_metric_statistics, Namespace="App", MetricName="x", StartTime=now,
                    EndTime=now + timedelta(hours=1), Period=60)[0] == "InvalidParameterCombination"
    arabic_99 = "p\u0669\u0669"  # digits, but not the ASCII ones CloudWatch reads
    assert error_of(cloudwatch.get_metric_statistics, Namespace="App", MetricName="x", StartTime=now,
                    EndTime=now + timedelta(hours=1), Period=60, ExtendedStatistics=[arabic_99]) == (
        "InvalidParameterValue", f"The value {arabic_99} for parameter ExtendedStatistics is invalid.")
    assert error_of(cloudwatch.get_metric_statistics, Namespace="App", MetricName="x", StartTime=now,
                    EndTime=now + timedelta(hours=1), Period=60, ExtendedStatistics=["p99\n"]) == (
        "InvalidParameterValue", "The value p99\n for parameter ExtendedStatistics is invalid.")
    assert error_of(cloudwatch.get_metric_data, MetricDataQueries=[{"Id": "e", "Expression": "import os"}],
                    StartTime=now, EndTime=now + timedelta(hours=1))[0] == "InvalidParameterValue"
    assert error_of(cloudwatch.get_metric_data, MetricDataQueries=[{"Id": "m", "MetricStat": {
        "Metric": {"Namespace": "App"}, "Period": 60, "Stat": "Sum"}}], StartTime=now,
        EndTime=now + timedelta(hours=1)) == (  # a Metric's members are optional in the model, not here
        "MissingParameter", "The parameter MetricName of query m's MetricStat.Metric is required.")


def test_the_three_protocols_share_the_data(server) -> None:
    namespace = unique("Proto")
    server.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Cbor", "Value": 1}])
    query = signed_request(f"{server.endpoint}/", "monitoring", "us-east-1", headers=FORM,
                           body=f"Action=PutMetricData&Version=2010-08-01&Namespace={namespace}"
                                "&MetricData.member.1.MetricName=Query&MetricData.member.1.Value=2")
    assert send(query)[0] == 200
    listing = signed_request(f"{server.endpoint}/", "monitoring", "us-east-1",
                             body=json.dumps({"Namespace": namespace}),
                             headers={"Content-Type": "application/x-amz-json-1.0",
                                      "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
                                      "x-amzn-query-mode": "true"})
    status, _, body = send(listing)
    assert status == 200
    assert sorted(m["MetricName"] for m in json.loads(body)["Metrics"]) == ["Cbor", "Query"]
    cbor = signed_request(f"{server.endpoint}/service/GraniteServiceVersion20100801/operation/ListMetrics",
                          "monitoring", "us-east-1", body=cbor2.dumps({"Namespace": namespace}),
                          headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"})
    status, _, body = send(cbor)
    assert status == 200 and len(cbor2.loads(body)["Metrics"]) == 2


def test_namespace_condition_key(server) -> None:
    user = make_user(server, document(allow("cloudwatch:PutMetricData", Condition={
        "StringEquals": {"cloudwatch:namespace": "Team/Allowed"}})))
    client = user.client("cloudwatch")
    client.put_metric_data(Namespace="Team/Allowed", MetricData=[{"MetricName": "ok", "Value": 1}])
    code, message = error_of(client.put_metric_data, Namespace="Team/Other", MetricData=[{"MetricName": "no",
                                                                                          "Value": 1}])
    assert code == "AccessDenied" and "cloudwatch:PutMetricData" in message


def test_data_points_are_kept_fifteen_days(clocked_server) -> None:
    server, offset = clocked_server
    cloudwatch = server.client("cloudwatch")
    namespace, now = unique("Kept"), minute()
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Calls", "Value": 3, "Timestamp": now}])

    def sums(days: float) -> list[float]:
        with signed_later(days):
            return [point["Sum"] for point in cloudwatch.get_metric_statistics(
                Namespace=namespace, MetricName="Calls", StartTime=now - timedelta(hours=1),
                EndTime=now + timedelta(hours=1), Period=3600, Statistics=["Sum"])["Datapoints"]]

    assert sums(0) == [3.0]
    try:
        offset.write_text(str(14 * 86400))
        assert sums(14) == [3.0]
        offset.write_text(str(16 * 86400))
        wait_for(lambda: sums(16) == [])  # the hourly clean-up, due again once the clock has moved
    finally:
        offset.write_text("0")
    assert sums(0) == []
