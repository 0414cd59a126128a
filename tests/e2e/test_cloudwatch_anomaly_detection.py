"""CloudWatch anomaly detection: models (PutAnomalyDetector, DescribeAnomalyDetectors, DeleteAnomalyDetector) and
alarms that compare a metric with its ANOMALY_DETECTION_BAND (ThresholdMetricId)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import unique
from tests.e2e.waiting import wait_for


def error_of(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def _single(namespace: str, stat: str = "Average", **extra) -> dict:
    return {"Namespace": namespace, "MetricName": "Orders", "Dimensions": [{"Name": "Store", "Value": "paris"}],
            "Stat": stat, **extra}


def _history(cloudwatch, namespace: str, values: list[float]) -> None:
    """One value an hour, the last an hour ago."""
    now = datetime.now(UTC)
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Orders", "Dimensions": [{"Name": "Store", "Value": "paris"}], "Value": value,
         "Timestamp": now - timedelta(hours=len(values) - index)} for index, value in enumerate(values)])


def _detectors(cloudwatch, **filters) -> list[dict]:
    return cloudwatch.describe_anomaly_detectors(**filters)["AnomalyDetectors"]


def test_a_model_is_put_described_updated_and_deleted(cloudwatch) -> None:
    namespace = unique("Shop")
    made = cloudwatch.put_anomaly_detector(SingleMetricAnomalyDetector=_single(namespace))["AnomalyDetectorId"]
    (found,) = _detectors(cloudwatch, Namespace=namespace)
    assert found["AnomalyDetectorId"] == made and found["StateValue"] == "TRAINED_INSUFFICIENT_DATA"
    assert found["SingleMetricAnomalyDetector"] == _single(namespace)
    assert (found["Namespace"], found["MetricName"], found["Stat"]) == (namespace, "Orders", "Average")
    # the older form names the same model: its configuration is replaced, its id kept
    excluded = [{"StartTime": datetime(2026, 1, 1, tzinfo=UTC), "EndTime": datetime(2026, 1, 2, tzinfo=UTC)}]
    again = cloudwatch.put_anomaly_detector(**_single(namespace), Configuration={
        "ExcludedTimeRanges": excluded, "MetricTimezone": "Europe/Paris"})["AnomalyDetectorId"]
    assert again == made
    (found,) = _detectors(cloudwatch, Namespace=namespace)
    assert found["Configuration"] == {"ExcludedTimeRanges": excluded, "MetricTimezone": "Europe/Paris"}
    _history(cloudwatch, namespace, [10, 11, 9])
    assert _detectors(cloudwatch, Namespace=namespace)[0]["StateValue"] == "TRAINED"
    # filters: by dimensions (a subset of the model's), by ids; metric math models only when asked for
    cloudwatch.put_anomaly_detector(SingleMetricAnomalyDetector=_single(namespace, "Sum"))
    math = cloudwatch.put_anomaly_detector(MetricMathAnomalyDetector={"MetricDataQueries": [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "Orders"}, "Period": 300,
                                    "Stat": "Sum"}, "ReturnData": False},
        {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]})["AnomalyDetectorId"]
    assert len(_detectors(cloudwatch, Namespace=namespace, Dimensions=[{"Name": "Store", "Value": "paris"}])) == 2
    assert _detectors(cloudwatch, Namespace=namespace, Dimensions=[{"Name": "Store", "Value": "lyon"}]) == []
    assert [item["AnomalyDetectorId"] for item in _detectors(cloudwatch, AnomalyDetectorIds=[math])] == [math]
    assert math not in {item["AnomalyDetectorId"] for item in _detectors(cloudwatch)}
    assert math in {item["AnomalyDetectorId"] for item in _detectors(cloudwatch, AnomalyDetectorTypes=["METRIC_MATH"])}
    cloudwatch.delete_anomaly_detector(AnomalyDetectorId=math)
    cloudwatch.delete_anomaly_detector(SingleMetricAnomalyDetector=_single(namespace, "Sum"))
    cloudwatch.delete_anomaly_detector(**_single(namespace))
    assert _detectors(cloudwatch, Namespace=namespace) == []
    assert error_of(cloudwatch.delete_anomaly_detector, AnomalyDetectorId=made) == (
        "ResourceNotFoundException", "This anomaly detection model does not exist.", 404)
    for incomplete in ({"MetricMathAnomalyDetector": {"MetricDataQueries": []}},
                       {"SingleMetricAnomalyDetector": {"Namespace": namespace}}):
        assert error_of(cloudwatch.delete_anomaly_detector, **incomplete)[::2] == ("ResourceNotFoundException", 404)


def test_what_is_no_model_is_refused(cloudwatch) -> None:
    namespace = unique("Shop")
    cases = [
        ({}, "InvalidParameterCombination"),
        ({**_single(namespace), "SingleMetricAnomalyDetector": _single(namespace)}, "InvalidParameterCombination"),
        ({"SingleMetricAnomalyDetector": _single(namespace, "Median")}, "InvalidParameterValue"),
        ({"SingleMetricAnomalyDetector": {"Namespace": namespace, "MetricName": "Orders"}}, "MissingParameter"),
        ({"SingleMetricAnomalyDetector": _single(namespace), "Configuration": {"ExcludedTimeRanges": [
            {"StartTime": datetime(2026, 1, 2, tzinfo=UTC), "EndTime": datetime(2026, 1, 1, tzinfo=UTC)}]}},
         "InvalidParameterValue"),
        ({"SingleMetricAnomalyDetector": _single(namespace), "Configuration": {"MetricTimezone": "Mars/Olympus"}},
         "InvalidParameterValue"),
        ({"MetricMathAnomalyDetector": {"MetricDataQueries": [{"Id": "e1", "Expression": "1"},
                                                              {"Id": "e2", "Expression": "2"}]}},
         "InvalidParameterValue"),
    ]
    for params, code in cases:
        assert error_of(cloudwatch.put_anomaly_detector, **params)[::2] == (code, 400), params
    assert _detectors(cloudwatch, Namespace=namespace) == []


def _band_alarm(name: str, namespace: str, operator: str, **extra) -> dict:
    return {"AlarmName": name, "EvaluationPeriods": 1, "ComparisonOperator": operator, "ThresholdMetricId": "ad1",
            "TreatMissingData": "notBreaching", "Metrics": [
                {"Id": "m1", "ReturnData": True, "MetricStat": {"Metric": {
                    "Namespace": namespace, "MetricName": "Orders",
                    "Dimensions": [{"Name": "Store", "Value": "paris"}]}, "Period": 60, "Stat": "Average"}},
                {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "expected", "ReturnData": True}],
            **extra}


def _alarm(cloudwatch, name: str) -> dict:
    (found,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found


def test_an_anomaly_alarm_compares_the_metric_with_its_band(cloudwatch) -> None:
    namespace = unique("Shop")
    _history(cloudwatch, namespace, [9, 11] * 15)  # mean 10, standard deviation 1: the band is 8 to 12
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Orders", "Dimensions": [{"Name": "Store", "Value": "paris"}], "Value": 100}])
    high, low, outside = unique("high"), unique("low"), unique("outside")
    cloudwatch.put_metric_alarm(**_band_alarm(high, namespace, "GreaterThanUpperThreshold"))
    cloudwatch.put_metric_alarm(**_band_alarm(low, namespace, "LessThanLowerThreshold"))
    cloudwatch.put_metric_alarm(**_band_alarm(outside, namespace, "LessThanLowerOrGreaterThanUpperThreshold"))
    fired = wait_for(lambda: (found := _alarm(cloudwatch, high))["StateValue"] == "ALARM" and found)
    assert fired["StateReason"].startswith("Thresholds Crossed: 1 out of the last 1 datapoint [100.0 (")
    assert fired["StateReason"].endswith(")] was greater than the upper edge of the band [8 to 12] (minimum 1 "
                                         "datapoint for OK -> ALARM transition).")
    data = json.loads(fired["StateReasonData"])
    assert (data["recentDatapoints"], data["recentLowerThresholds"], data["recentUpperThresholds"]) == (
        [100.0], [8.0], [12.0])
    assert "threshold" not in data and "Threshold" not in fired and fired["ThresholdMetricId"] == "ad1"
    assert wait_for(lambda: _alarm(cloudwatch, low)["StateValue"] == "OK")
    assert _alarm(cloudwatch, low)["StateReason"].endswith(
        ")] was not less than the lower edge of the band [8 to 12] (minimum 1 datapoint for ALARM -> OK transition).")
    assert wait_for(lambda: _alarm(cloudwatch, outside)["StateValue"] == "ALARM")
    # the alarm made the model of its metric
    (model,) = _detectors(cloudwatch, Namespace=namespace)
    assert model["SingleMetricAnomalyDetector"]["Stat"] == "Average" and model["StateValue"] == "TRAINED"


def test_a_value_without_a_band_counts_as_missing(cloudwatch) -> None:
    namespace = unique("Shop")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Orders", "Dimensions": [{"Name": "Store", "Value": "paris"}], "Value": 1}])
    name = unique("new")  # no history to make a band of: the period's value is as good as missing, here breaching
    cloudwatch.put_metric_alarm(**_band_alarm(name, namespace, "GreaterThanUpperThreshold",
                                              TreatMissingData="breaching"))
    found = wait_for(lambda: (alarm := _alarm(cloudwatch, name))["StateValue"] == "ALARM" and alarm)
    assert json.loads(found["StateReasonData"])["recentDatapoints"] == []


def test_bad_anomaly_alarms(cloudwatch) -> None:
    namespace, name = unique("Shop"), unique("bad")
    base = _band_alarm(name, namespace, "GreaterThanUpperThreshold")
    metric, band = base["Metrics"]
    cases = [
        ({**base, "Threshold": 5.0}, ("InvalidParameterCombination",
                                      "Threshold and ThresholdMetricId cannot both be given.")),
        ({**base, "ComparisonOperator": "GreaterThanThreshold"},
         ("InvalidParameterValue", "An alarm with ThresholdMetricId takes LessThanLowerOrGreaterThanUpperThreshold, "
                                   "LessThanLowerThreshold, GreaterThanUpperThreshold, not GreaterThanThreshold.")),
        ({**base, "Metrics": [metric, {**band, "Expression": "m1 * 2"}]},
         ("InvalidParameterValue", "The expression of ThresholdMetricId ad1 must be ANOMALY_DETECTION_BAND(id) or "
                                   "ANOMALY_DETECTION_BAND(id, standard deviations), id naming another query of "
                                   "Metrics.")),
        ({**base, "ThresholdMetricId": "m1"},
         ("InvalidParameterValue", "ThresholdMetricId m1 must be the Id of an ANOMALY_DETECTION_BAND expression of "
                                   "Metrics.")),
        ({**base, "Metrics": [{**metric, "ReturnData": False}, band]},
         ("InvalidParameterValue", "In an anomaly detection alarm, the ANOMALY_DETECTION_BAND expression and its "
                                   "metric return data (ReturnData true) and no other query does.")),
    ]
    for params, (code, message) in cases:
        assert error_of(cloudwatch.put_metric_alarm, **params) == (code, message, 400), params
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    assert _detectors(cloudwatch, Namespace=namespace) == []  # nothing was made for a refused alarm
