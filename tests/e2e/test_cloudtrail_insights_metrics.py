"""CloudTrail ListInsightsMetricData: the call and error rates of an event, counted from the audit trail once a
trail has Insights on management events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import unique

REGION = "sa-east-1"  # a region no other test calls CloudWatch in: the counts here are this test's alone
SOURCE = "monitoring.amazonaws.com"


def _alarm(cloudwatch, name: str) -> None:
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace="Shop", MetricName="Orders", Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")


@pytest.fixture
def calls(server: Server):
    """Three alarms put, two alarm listings (reads) and two state changes of an alarm that does not exist."""
    cloudwatch = server.client("cloudwatch", REGION)
    for _ in range(3):
        _alarm(cloudwatch, unique("orders"))
    for _ in range(2):
        cloudwatch.describe_alarms()
        assert refused(cloudwatch.set_alarm_state, AlarmName=unique("nope"), StateValue="ALARM",
                       StateReason="test")[0] == "ResourceNotFound"
    return server.client("cloudtrail", REGION)


def test_rates_are_counted_once_insights_are_on(calls, server: Server) -> None:
    trails = calls
    ask = {"EventSource": SOURCE, "EventName": "PutMetricAlarm", "InsightType": "ApiCallRateInsight", "Period": 60}
    before = trails.list_insights_metric_data(**ask)
    assert (before["Timestamps"], before["Values"]) == ([], [])  # no trail has Insights: nothing is measured

    name = unique("insights")
    trails.create_trail(Name=name, S3BucketName="audit-logs")
    trails.put_insight_selectors(TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight",
                                                                   "EventCategories": ["Data"]}])
    assert trails.list_insights_metric_data(**ask)["Values"] == []  # Insights on data events only
    trails.put_insight_selectors(TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])

    puts = trails.list_insights_metric_data(**ask)
    assert sum(puts["Values"]) == 3 and all(value > 0 for value in puts["Values"])  # NonZeroData by default
    assert (puts["EventSource"], puts["EventName"], puts["InsightType"]) == (SOURCE, "PutMetricAlarm",
                                                                            "ApiCallRateInsight")
    assert all(moment.second == 0 and moment.tzinfo is not None for moment in puts["Timestamps"])
    assert trails.list_insights_metric_data(**{**ask, "Period": 3600})["Values"] == [3.0]
    reads = trails.list_insights_metric_data(**{**ask, "EventName": "DescribeAlarms"})
    assert reads["Values"] == []  # the call rate is of write calls
    errors = {**ask, "EventName": "SetAlarmState", "InsightType": "ApiErrorRateInsight"}
    assert trails.list_insights_metric_data(**errors, ErrorCode="ResourceNotFound")["Values"] == []  # not on
    trails.put_insight_selectors(TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"},
                                                                   {"InsightType": "ApiErrorRateInsight"}])
    failed = trails.list_insights_metric_data(**errors, ErrorCode="ResourceNotFound")
    assert sum(failed["Values"]) == 2 and failed["ErrorCode"] == "ResourceNotFound"
    assert trails.list_insights_metric_data(**errors, ErrorCode="AccessDenied")["Values"] == []
    elsewhere, other = server.client("cloudtrail", "ap-southeast-1"), unique("insights")
    elsewhere.create_trail(Name=other, S3BucketName="audit-logs")
    elsewhere.put_insight_selectors(TrailName=other, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
    assert elsewhere.list_insights_metric_data(**ask)["Values"] == []  # another region's calls are its own
    elsewhere.delete_trail(Name=other)
    trails.delete_trail(Name=name)


def test_zeros_fill_every_period_and_pages_follow_on(calls) -> None:
    trails = calls
    name = unique("insights")
    trails.create_trail(Name=name, S3BucketName="audit-logs")
    trails.put_insight_selectors(TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
    end = datetime.now(UTC) + timedelta(minutes=1)
    ask = {"EventSource": SOURCE, "EventName": "PutMetricAlarm", "InsightType": "ApiCallRateInsight", "Period": 60,
           "StartTime": end - timedelta(minutes=10), "EndTime": end, "DataType": "FillWithZeros"}
    filled = trails.list_insights_metric_data(**ask)
    moments = filled["Timestamps"]
    assert 10 <= len(moments) <= 11 and len(filled["Values"]) == len(moments)
    assert all(later - earlier == timedelta(minutes=1) for earlier, later in pairwise(moments))
    assert moments[-1] <= datetime.now(UTC)  # the end is the present at the latest: no zeros for the future
    assert sum(filled["Values"]) >= 3 and 0.0 in filled["Values"]

    # pages of a window that ends in the past: one reaching the present gains a minute when a minute passes
    settled = {**ask, "EndTime": moments[-1]}
    whole = trails.list_insights_metric_data(**settled)
    assert len(whole["Timestamps"]) >= 9
    first = trails.list_insights_metric_data(**settled, MaxResults=4)
    assert first["Timestamps"] == whole["Timestamps"][:4] and first["NextToken"]
    rest = trails.list_insights_metric_data(**settled, NextToken=first["NextToken"])
    assert rest["Timestamps"] == whole["Timestamps"][4:] and "NextToken" not in rest
    assert rest["Values"] == whole["Values"][4:]
    trails.delete_trail(Name=name)


def test_a_named_trail_has_data_event_insights_and_bad_requests_are_refused(calls) -> None:
    trails = calls
    name = unique("insights")
    arn = trails.create_trail(Name=name, S3BucketName="audit-logs")["TrailARN"]
    ask = {"EventSource": SOURCE, "EventName": "PutMetricAlarm", "InsightType": "ApiCallRateInsight"}
    named = trails.list_insights_metric_data(**ask, TrailName=name, DataType="FillWithZeros", Period=3600,
                                             StartTime=datetime.now(UTC) - timedelta(hours=2))
    assert named["TrailARN"] == arn and set(named["Values"]) == {0.0}  # no data events are recorded
    assert refused(trails.list_insights_metric_data, **ask, TrailName=unique("none"))[0] == "TrailNotFoundException"
    for extra, message in [
        ({"InsightType": "ApiErrorRateInsight"}, "ErrorCode is required"),
        ({"ErrorCode": "AccessDenied"}, "only be given when InsightType is ApiErrorRateInsight"),
        ({"Period": 120}, "Period 120 is not valid"),
        ({"StartTime": datetime.now(UTC), "EndTime": datetime.now(UTC) - timedelta(hours=1)}, "StartTime must be"),
        ({"NextToken": "not-a-token"}, "next token is invalid"),
    ]:
        code, said = refused(trails.list_insights_metric_data, **{**ask, **extra})
        assert code == "InvalidParameterException" and message in said, extra
    trails.delete_trail(Name=name)
