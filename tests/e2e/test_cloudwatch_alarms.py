"""CloudWatch metric alarms end to end: definitions, evaluation by the outbox, history, state, tags, access."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.waiting import wait_for
from tests.e2e.wire import FORM, send, signed_request

TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:on-call"


def error_of(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def alarm_params(name: str, namespace: str, **extra) -> dict:
    return {"AlarmName": name, "Namespace": namespace, "MetricName": "Orders", "Statistic": "Sum", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 10.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            **extra}


def alarm(cloudwatch, name: str) -> dict:
    (found,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found


def state_becomes(cloudwatch, name: str, state: str) -> dict:
    wait_for(lambda: alarm(cloudwatch, name)["StateValue"] == state, interval=0.1)
    return alarm(cloudwatch, name)


def test_an_alarm_fires_when_its_metric_breaches_and_records_why(cloudwatch) -> None:
    namespace, name = unique("Shop"), unique("orders-high")
    dims = [{"Name": "Store", "Value": "paris"}]
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Dimensions": dims,
                                                                 "Value": 15}])
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, Dimensions=dims, AlarmDescription="too many",
                                               AlarmActions=[TOPIC], TreatMissingData="notBreaching"))
    fired = state_becomes(cloudwatch, name, "ALARM")
    assert fired["StateReason"].startswith(
        "Threshold Crossed: 1 out of the last 1 datapoint [15.0 (") and fired["StateReason"].endswith(
        ")] was greater than or equal to the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).")
    reason = json.loads(fired["StateReasonData"])
    assert (reason["statistic"], reason["period"], reason["recentDatapoints"], reason["threshold"]) == (
        "Sum", 60, [15.0], 10.0)
    assert {key: fired[key] for key in ("AlarmArn", "AlarmDescription", "Namespace", "MetricName", "Dimensions",
                                        "Statistic", "Period", "EvaluationPeriods", "Threshold", "ComparisonOperator",
                                        "TreatMissingData", "AlarmActions", "OKActions", "ActionsEnabled")} == {
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{name}", "AlarmDescription": "too many",
        "Namespace": namespace, "MetricName": "Orders", "Dimensions": dims, "Statistic": "Sum", "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 10.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching", "AlarmActions": [TOPIC], "OKActions": [], "ActionsEnabled": True}
    assert fired["StateTransitionedTimestamp"] >= fired["AlarmConfigurationUpdatedTimestamp"]

    items = cloudwatch.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    assert [(item["HistoryItemType"], item["HistorySummary"]) for item in items] == [
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
        ("ConfigurationUpdate", f'Alarm "{name}" created')]
    change = json.loads(items[0]["HistoryData"])
    assert (change["oldState"]["stateValue"], change["newState"]["stateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert change["newState"]["stateReason"] == fired["StateReason"]
    assert json.loads(items[1]["HistoryData"])["createdAlarm"]["Threshold"] == 10.0

    # raising the threshold above the data: the next evaluation (at once on a put) says OK
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, Dimensions=dims, Threshold=20.0))
    ok = state_becomes(cloudwatch, name, "OK")
    assert "was not greater than or equal to the threshold (20.0)" in ok["StateReason"]
    assert "AlarmDescription" not in ok and ok["AlarmActions"] == []  # a put replaces the whole definition
    ascending = cloudwatch.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert [item["HistorySummary"] for item in ascending] == [
        f'Alarm "{name}" created', "Alarm updated from INSUFFICIENT_DATA to ALARM", f'Alarm "{name}" updated',
        "Alarm updated from ALARM to OK"]


def test_too_few_breaching_datapoints_are_ok(cloudwatch) -> None:
    namespace, name = unique("Few"), unique("few")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Value": 50}])
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, EvaluationPeriods=2))  # both must breach
    assert state_becomes(cloudwatch, name, "OK")["StateReason"].endswith(
        ")] was greater than or equal to the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition).")


def test_missing_data_is_treated_as_the_alarm_says(cloudwatch) -> None:
    namespace = unique("Quiet")
    names = {treat: unique(f"quiet-{treat.lower()}") for treat in ("breaching", "notBreaching", "missing")}
    for treat, name in names.items():
        cloudwatch.put_metric_alarm(**alarm_params(name, namespace, EvaluationPeriods=3, TreatMissingData=treat))
    assert "Insufficient" not in state_becomes(cloudwatch, names["breaching"], "ALARM")["StateReason"]
    state_becomes(cloudwatch, names["notBreaching"], "OK")
    quiet = alarm(cloudwatch, names["missing"])  # evaluated too (each put queued an evaluation), nothing to judge
    assert (quiet["StateValue"], quiet["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")


def test_metric_math_alarms_and_m_out_of_n(cloudwatch) -> None:
    namespace, name = unique("Math"), unique("doubled-low")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Value": 4}])
    metrics = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "Orders"}, "Period": 60,
                                           "Stat": "Sum"}, "ReturnData": False},
               {"Id": "e1", "Expression": "m1 * 2", "Label": "doubled", "ReturnData": True}]
    cloudwatch.put_metric_alarm(AlarmName=name, Metrics=metrics, EvaluationPeriods=3, DatapointsToAlarm=1,
                                Threshold=10, ComparisonOperator="LessThanThreshold")
    fired = state_becomes(cloudwatch, name, "ALARM")
    assert "[8.0 (" in fired["StateReason"] and "minimum 1 datapoint for" in fired["StateReason"]
    assert fired["Metrics"] == metrics and "MetricName" not in fired
    assert json.loads(fired["StateReasonData"])["statistic"] == "m1 * 2"


def test_set_alarm_state_holds_until_the_next_evaluation(clocked_server) -> None:
    server, offset = clocked_server
    cloudwatch = server.client("cloudwatch")
    namespace, name = unique("Held"), unique("held")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Value": 50}])
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, EvaluationPeriods=2, DatapointsToAlarm=1))
    state_becomes(cloudwatch, name, "ALARM")
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="testing the pager",
                               StateReasonData=json.dumps({"by": "test"}))
    held = alarm(cloudwatch, name)
    assert (held["StateValue"], held["StateReason"], held["StateReasonData"]) == (
        "OK", "testing the pager", '{"by": "test"}')
    try:
        offset.write_text("61")  # the minute's evaluation of every alarm comes round (signatures stay in time)
        state_becomes(cloudwatch, name, "ALARM")
    finally:
        offset.write_text("0")
    summaries = [item["HistorySummary"] for item in cloudwatch.describe_alarm_history(
        AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]]
    assert summaries == ["Alarm updated from OK to ALARM", "Alarm updated from ALARM to OK",
                         "Alarm updated from INSUFFICIENT_DATA to ALARM"]


def test_describe_filters_pages_and_alarms_for_a_metric(cloudwatch) -> None:
    namespace, prefix = unique("Find"), unique("find")
    dims = [{"Name": "Store", "Value": "lyon"}]
    cloudwatch.put_metric_alarm(**alarm_params(f"{prefix}-a", namespace, AlarmActions=[TOPIC]))
    cloudwatch.put_metric_alarm(**alarm_params(f"{prefix}-b", namespace, Dimensions=dims, Period=300))
    cloudwatch.put_metric_alarm(**alarm_params(f"{prefix}-c", namespace, MetricName="Refunds",
                                               TreatMissingData="breaching"))
    state_becomes(cloudwatch, f"{prefix}-c", "ALARM")

    def names(**filters) -> list[str]:
        return [item["AlarmName"] for item in cloudwatch.describe_alarms(**filters)["MetricAlarms"]]

    assert names(AlarmNamePrefix=prefix) == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert names(AlarmNamePrefix=prefix, StateValue="ALARM") == [f"{prefix}-c"]
    assert f"{prefix}-a" in names(ActionPrefix="arn:aws:sns:") and f"{prefix}-b" not in names(ActionPrefix="arn:")
    first = cloudwatch.describe_alarms(AlarmNamePrefix=prefix, MaxRecords=2)
    rest = cloudwatch.describe_alarms(AlarmNamePrefix=prefix, MaxRecords=2, NextToken=first["NextToken"])
    assert [a["AlarmName"] for a in first["MetricAlarms"] + rest["MetricAlarms"]] == names(AlarmNamePrefix=prefix)
    assert "NextToken" not in rest
    composite = cloudwatch.describe_alarms(AlarmNamePrefix=prefix, AlarmTypes=["CompositeAlarm"])
    assert (composite["MetricAlarms"], composite["CompositeAlarms"]) == ([], [])

    def for_metric(**filters) -> list[str]:
        return [item["AlarmName"] for item in cloudwatch.describe_alarms_for_metric(
            Namespace=namespace, MetricName="Orders", **filters)["MetricAlarms"]]

    assert for_metric() == [f"{prefix}-a", f"{prefix}-b"]
    assert for_metric(Dimensions=dims) == [f"{prefix}-b"]
    assert for_metric(Period=60) == [f"{prefix}-a"]
    assert for_metric(Statistic="Average") == []


def test_deleting_the_alarms_each_page_shows_leaves_none_behind(cloudwatch) -> None:
    """The token names the last alarm a page answered: deleting a page's alarms moves none of the rest out of reach
    (a token counting alarms skipped as many as were deleted)."""
    namespace, prefix = unique("Sweep"), unique("sweep")
    names = [f"{prefix}-{index}" for index in range(5)]
    for name in names:
        cloudwatch.put_metric_alarm(**alarm_params(name, namespace))
    deleted = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix,
                                                                      PaginationConfig={"PageSize": 2}):
        page_names = [item["AlarmName"] for item in page["MetricAlarms"]]
        cloudwatch.delete_alarms(AlarmNames=page_names)
        deleted += page_names
    assert deleted == names
    assert cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"] == []


def test_actions_tags_deletion_and_history_of_deleted_alarms(cloudwatch) -> None:
    namespace, name = unique("Tags"), unique("tagged")
    arn = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{name}"
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, Tags=[{"Key": "team", "Value": "crm"}]))
    cloudwatch.disable_alarm_actions(AlarmNames=[name, unique("no-such-alarm")])
    assert alarm(cloudwatch, name)["ActionsEnabled"] is False
    cloudwatch.enable_alarm_actions(AlarmNames=[name])
    assert alarm(cloudwatch, name)["ActionsEnabled"] is True

    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "crm"}]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "test"}])
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "test"}]

    missing = unique("missing")
    code, message, status = error_of(cloudwatch.delete_alarms, AlarmNames=[name, missing])
    assert (code, status) == ("ResourceNotFound", 404) and missing in message
    assert alarm(cloudwatch, name)["AlarmName"] == name  # all or nothing
    cloudwatch.delete_alarms(AlarmNames=[name])
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    assert error_of(cloudwatch.list_tags_for_resource, ResourceARN=arn)[::2] == ("ResourceNotFoundException", 404)
    history = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="ConfigurationUpdate")
    assert [item["HistorySummary"] for item in history["AlarmHistoryItems"]] == [
        f'Alarm "{name}" deleted', f'Alarm "{name}" created']
    assert cloudwatch.describe_alarm_history(AlarmName=name, AlarmContributorId="contributor-1")[
        "AlarmHistoryItems"] == []  # no alarm here has contributors
    assert error_of(cloudwatch.describe_alarm_contributors, AlarmName=name) == (
        "ResourceNotFoundException", f"Alarm {name} does not exist.", 404)
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace))  # a new alarm of the name starts untagged
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    assert cloudwatch.describe_alarm_contributors(AlarmName=name)["AlarmContributors"] == []


def test_bad_definitions_and_unknown_alarms(cloudwatch) -> None:
    namespace, name = unique("Bad"), unique("bad")
    base = alarm_params(name, namespace)
    cases = [
        ({key: value for key, value in base.items() if key != "Namespace"},
         ("MissingParameter", "The parameter Namespace is required.")),
        ({key: value for key, value in base.items() if key != "Threshold"},
         ("MissingParameter", "The parameter Threshold is required.")),
        ({**base, "ExtendedStatistic": "p99"},
         ("InvalidParameterCombination", "Exactly one of Statistic and ExtendedStatistic must be specified.")),
        ({**base, "Period": 45}, ("InvalidParameterValue", "The parameter Period must be 10, 20, 30 or a multiple "
                                                           "of 60.")),
        ({**base, "Period": 5}, ("InvalidParameterValue", "The parameter Period must be 10, 20, 30 or a multiple "
                                                          "of 60.")),  # fine for GetMetricData, not for an alarm
        ({**base, "Period": 60, "EvaluationPeriods": 1441},
         ("InvalidParameterValue", "With a Period under one hour, Period times EvaluationPeriods must not exceed one "
                                   "day (86,400 seconds).")),
        ({**base, "DatapointsToAlarm": 2},
         ("InvalidParameterValue", "DatapointsToAlarm must be less than or equal to EvaluationPeriods.")),
        ({**base, "Period": 86400, "EvaluationPeriods": 8},
         ("InvalidParameterValue", "Period times EvaluationPeriods must not exceed 7 days (604,800 seconds).")),
        ({**base, "TreatMissingData": "sometimes"}, ("InvalidParameterValue", None)),
        ({**base, "AlarmActions": ["page-me"]}, ("InvalidParameterValue", "Invalid arn syntax: page-me")),
        ({"AlarmName": name, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "LessThanThreshold",
          "Metrics": [{"Id": "a", "Expression": "1", "ReturnData": True},
                      {"Id": "b", "Expression": "2", "ReturnData": True}]},
         ("InvalidParameterValue", "Exactly one element of the Metrics list must return data (ReturnData true).")),
        ({**base, "Metrics": [{"Id": "a", "Expression": "1"}]},
         ("InvalidParameterCombination", "Exactly one of MetricName and Metrics must be specified.")),
    ]
    for params, (code, message) in cases:
        found_code, found_message, status = error_of(cloudwatch.put_metric_alarm, **params)
        assert (found_code, status) == (code, 400), params
        if message:
            assert found_message == message
    assert error_of(cloudwatch.put_metric_alarm, **{
        **base, "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}) == (
        "InvalidParameterValue", "The ComparisonOperator LessThanLowerOrGreaterThanUpperThreshold compares with an "
                                 "anomaly detection band: it needs a ThresholdMetricId.", 400)
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []  # nothing was stored

    assert error_of(cloudwatch.set_alarm_state, AlarmName=name, StateValue="OK", StateReason="x") == (
        "ResourceNotFound", f"Alarm {name} not found", 404)
    cloudwatch.put_metric_alarm(**base)
    assert error_of(cloudwatch.set_alarm_state, AlarmName=name, StateValue="OK", StateReason="x",
                    StateReasonData="{not json")[::2] == ("InvalidFormat", 400)
    assert error_of(cloudwatch.describe_alarms, AlarmNames=[name], AlarmNamePrefix="x")[0] == (
        "InvalidParameterCombination")
    assert error_of(cloudwatch.describe_alarms, NextToken="garbage")[0] == "InvalidNextToken"


def test_access_is_per_alarm_and_the_query_protocol_reads_alarms(server) -> None:
    namespace, mine = unique("Own"), unique("team-a")
    user = make_user(server, document(allow(["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"],
                                            f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:team-a*")))
    client = user.client("cloudwatch")
    client.put_metric_alarm(**alarm_params(mine, namespace))
    code, message, status = error_of(client.put_metric_alarm, **alarm_params(unique("team-b"), namespace))
    assert (code, status) == ("AccessDenied", 403) and "cloudwatch:PutMetricAlarm" in message

    query = signed_request(f"{server.endpoint}/", "monitoring", "us-east-1", headers=FORM,
                           body=f"Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1={mine}")
    status, _, body = send(query)
    assert status == 200, body
    namespace_uri = {"cw": "http://monitoring.amazonaws.com/doc/2010-08-01/"}
    root = ElementTree.fromstring(body)
    assert [element.text for element in root.iterfind(".//cw:MetricAlarms/cw:member/cw:AlarmName",
                                                      namespace_uri)] == [mine]
    assert root.find(".//cw:MetricAlarms/cw:member/cw:Threshold", namespace_uri).text == "10.0"


def test_a_composite_alarm_follows_its_rule_over_its_children(cloudwatch) -> None:
    namespace, prefix = unique("Comp"), unique("comp")
    high, quiet, parent = f"{prefix}-high", f"{prefix}-quiet", f"{prefix}-parent"
    cloudwatch.put_metric_alarm(**alarm_params(high, namespace, TreatMissingData="notBreaching"))
    cloudwatch.put_metric_alarm(**alarm_params(quiet, namespace, TreatMissingData="notBreaching"))
    state_becomes(cloudwatch, high, "OK")
    state_becomes(cloudwatch, quiet, "OK")
    rule = f'ALARM("{high}") AND NOT ALARM(arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{quiet})'
    propagation = {"AlarmTagsPropagation": {"Enabled": True, "ExcludedTagKeys": ["cost-center"]}}
    cloudwatch.put_composite_alarm(AlarmName=parent, AlarmRule=rule, AlarmActions=[TOPIC],
                                   Tags=[{"Key": "team", "Value": "crm"}], ActionConfiguration=propagation)

    def composite() -> dict:
        (found,) = cloudwatch.describe_alarms(AlarmNames=[parent], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        return found

    wait_for(lambda: composite()["StateValue"] == "OK", interval=0.1)
    assert (composite()["AlarmRule"], composite()["AlarmActions"]) == (rule, [TOPIC])
    assert composite()["ActionConfiguration"] == propagation  # kept for the notifications it would shape
    assert composite()["StateReason"] == f"The alarm rule is FALSE: {high} is OK, {quiet} is OK."

    cloudwatch.set_alarm_state(AlarmName=high, StateValue="ALARM", StateReason="test")  # the parent follows at once
    assert (composite()["StateValue"], composite()["StateReason"]) == (
        "ALARM", f"The alarm rule is TRUE: {high} is ALARM, {quiet} is OK.")
    cloudwatch.set_alarm_state(AlarmName=quiet, StateValue="ALARM", StateReason="test")
    assert composite()["StateValue"] == "OK"
    history = cloudwatch.describe_alarm_history(AlarmName=parent, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [(item["AlarmType"], item["HistorySummary"]) for item in history] == [
        ("CompositeAlarm", "Alarm updated from ALARM to OK"), ("CompositeAlarm", "Alarm updated from OK to ALARM"),
        ("CompositeAlarm", "Alarm updated from INSUFFICIENT_DATA to OK")]
    assert cloudwatch.describe_alarm_history(AlarmName=parent, AlarmTypes=["MetricAlarm"])["AlarmHistoryItems"] == []

    def names(**filters) -> list[str]:
        found = cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"], **filters)
        return [item["AlarmName"] for item in found["MetricAlarms"] + found["CompositeAlarms"]]

    assert names(ChildrenOfAlarmName=parent) == [high, quiet]
    assert names(ParentsOfAlarmName=quiet) == [parent]
    assert names(ParentsOfAlarmName=parent) == []
    assert [item["AlarmName"] for item in cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]] == [
        high, quiet]  # without AlarmTypes: metric alarms only
    assert cloudwatch.list_tags_for_resource(
        ResourceARN=f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{parent}")["Tags"] == [
        {"Key": "team", "Value": "crm"}]


def test_an_alarm_a_composite_alarm_depends_on_is_deleted_with_it_or_not_at_all(cloudwatch) -> None:
    """AWS refuses to delete an alarm while a composite alarm's rule names it, and takes one composite alarm a call:
    a cycle of composite alarms is undone by changing a rule."""
    namespace = unique("CompDel")
    child, first, second = unique("child"), unique("comp-a"), unique("comp-b")
    cloudwatch.put_metric_alarm(**alarm_params(child, namespace))
    cloudwatch.put_composite_alarm(AlarmName=first, AlarmRule=f"ALARM({child})")
    cloudwatch.put_composite_alarm(AlarmName=second, AlarmRule=f"ALARM({child}) OR ALARM({first})")
    cloudwatch.put_composite_alarm(AlarmName=first, AlarmRule=f"ALARM({child}) AND OK({second})")  # a cycle

    def names() -> list[str]:
        found = cloudwatch.describe_alarms(AlarmNames=[child, first, second],
                                           AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        return sorted(item["AlarmName"] for item in found["MetricAlarms"] + found["CompositeAlarms"])

    def depending(name: str) -> tuple[str, str, int]:
        return "ValidationError", f"Cannot delete {name} as there are composite alarm(s) depending on it.", 400

    assert error_of(cloudwatch.delete_alarms, AlarmNames=[child]) == depending(child)
    assert error_of(cloudwatch.delete_alarms, AlarmNames=[first, child]) == depending(child)  # second names it too
    assert error_of(cloudwatch.delete_alarms, AlarmNames=[second]) == depending(second)
    code, message, status = error_of(cloudwatch.delete_alarms, AlarmNames=[child, first, second])
    assert (code, status) == ("ValidationError", 400) and "at most one composite alarm" in message
    assert names() == sorted([child, first, second])  # nothing deleted
    cloudwatch.put_composite_alarm(AlarmName=first, AlarmRule="FALSE")  # the cycle broken
    cloudwatch.delete_alarms(AlarmNames=[second])
    cloudwatch.delete_alarms(AlarmNames=[first, child])  # its dependant goes with it
    assert names() == []


def test_bad_composite_rules(cloudwatch) -> None:
    namespace, name = unique("CompBad"), unique("comp-bad")
    child = unique("child")
    cloudwatch.put_metric_alarm(**alarm_params(child, namespace))
    cases = [
        (f"ALARM({child}) AND", "Error in alarm rule: the rule ends too early."),
        (f"MAYBE({child})", "Error in alarm rule: cannot read the rule at character 1."),
        (f"ALARM({child}) OK({child})", f"Error in alarm rule: unexpected OK({child})."),
        ("ALARM(nobody-here)", "Error in alarm rule: alarm nobody-here does not exist."),
        (f"ALARM({name})", "Error in alarm rule: a composite alarm cannot name itself."),
        (f"ALARM(arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{child})",
         f"Error in alarm rule: arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{child} is not an alarm of this "
         "account and region."),
    ]
    for rule, message in cases:
        assert error_of(cloudwatch.put_composite_alarm, AlarmName=name, AlarmRule=rule) == (
            "InvalidParameterValue", message, 400), rule
    code, message, _ = error_of(cloudwatch.put_composite_alarm, AlarmName=child, AlarmRule="TRUE")
    assert code == "InvalidParameterValue" and "is not a CompositeAlarm" in message  # a metric alarm stays one
    periods = {"ActionsSuppressorWaitPeriod": 60, "ActionsSuppressorExtensionPeriod": 60}
    for params, (code, message) in (
            ({"ActionsSuppressor": child}, ("InvalidParameterCombination", "ActionsSuppressorWaitPeriod and "
             "ActionsSuppressorExtensionPeriod are required when ActionsSuppressor is specified.")),
            (periods, ("InvalidParameterCombination", "ActionsSuppressorWaitPeriod and "
             "ActionsSuppressorExtensionPeriod are only taken with an ActionsSuppressor.")),
            ({"ActionsSuppressor": f"{child}-missing", **periods},
             ("InvalidParameterValue", f"ActionsSuppressor alarm {child}-missing does not exist.")),
            ({"ActionsSuppressor": name, **periods},
             ("InvalidParameterValue", "A composite alarm cannot be its own ActionsSuppressor.")),
            ({"ActionsSuppressor": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{child}", **periods},
             ("InvalidParameterValue", f"ActionsSuppressor arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{child} is "
                                       "not an alarm of this account and region.")),
            ({"ActionsSuppressor": child, **periods, "ActionsSuppressorWaitPeriod": -1},
             ("InvalidParameterValue", "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are "
                                       "seconds: 0 or more."))):
        assert error_of(cloudwatch.put_composite_alarm, AlarmName=name, AlarmRule="TRUE", **params) == (
            code, message, 400), params
    assert cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


def test_a_suppressor_holds_back_a_composite_alarms_actions(clocked_server) -> None:
    """While the composite alarm is in ALARM: suppressed for WaitPeriod seconds waiting for the suppressor, while
    the suppressor is in ALARM, and for ExtensionPeriod seconds after it left ALARM. Composite alarms with the
    rules TRUE and FALSE stand in for alarms whose state the test sets."""
    server, offset = clocked_server
    cloudwatch, prefix = server.client("cloudwatch"), unique("suppressed")
    firing, suppressor, parent = f"{prefix}-firing", f"{prefix}-maintenance", f"{prefix}-parent"
    cloudwatch.put_composite_alarm(AlarmName=firing, AlarmRule="TRUE")
    cloudwatch.put_composite_alarm(AlarmName=suppressor, AlarmRule="FALSE")
    cloudwatch.put_composite_alarm(AlarmName=parent, AlarmRule=f"ALARM({firing})", AlarmActions=[TOPIC],
                                   ActionsSuppressor=suppressor, ActionsSuppressorWaitPeriod=120,
                                   ActionsSuppressorExtensionPeriod=180)

    def parent_alarm() -> dict:
        (found,) = cloudwatch.describe_alarms(AlarmNames=[parent], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        return found

    shown = wait_for(lambda: (found := parent_alarm())["StateValue"] == "ALARM" and found, interval=0.1)
    assert (shown["ActionsSuppressor"], shown["ActionsSuppressorWaitPeriod"],
            shown["ActionsSuppressorExtensionPeriod"]) == (suppressor, 120, 180)
    assert (shown["ActionsSuppressedBy"], shown["ActionsSuppressedReason"]) == (
        "WaitPeriod", "Actions suppressed by WaitPeriod")
    def becomes(state: str, name: str) -> None:  # a put composite alarm is evaluated a moment later
        wait_for(lambda: cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])[
            "CompositeAlarms"][0]["StateValue"] == state, interval=0.1)

    try:
        offset.write_text("121")  # the wait is over and the suppressor never went into ALARM
        assert "ActionsSuppressedBy" not in parent_alarm()
        cloudwatch.put_composite_alarm(AlarmName=suppressor, AlarmRule="TRUE")
        becomes("ALARM", suppressor)
        assert parent_alarm()["ActionsSuppressedBy"] == "Alarm"
        cloudwatch.put_composite_alarm(AlarmName=suppressor, AlarmRule="FALSE")
        becomes("OK", suppressor)
        assert parent_alarm()["ActionsSuppressedBy"] == "ExtensionPeriod"
        offset.write_text("302")
        assert "ActionsSuppressedBy" not in parent_alarm()
        cloudwatch.put_composite_alarm(AlarmName=firing, AlarmRule="FALSE")  # not in ALARM: nothing to hold back
        becomes("OK", parent)
        cloudwatch.put_composite_alarm(AlarmName=suppressor, AlarmRule="TRUE")
        becomes("ALARM", suppressor)
        assert "ActionsSuppressedBy" not in parent_alarm()
    finally:
        offset.write_text("0")


def test_a_wall_clock_window_evaluates_complete_periods_only(clocked_server) -> None:
    server, offset = clocked_server
    cloudwatch = server.client("cloudwatch")
    namespace, sliding, wall_clock = unique("Clock"), unique("sliding"), unique("wall-clock")
    put_at = datetime.now(UTC)
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Value": 50,
                                                                 "Timestamp": put_at}])
    quiet = {"TreatMissingData": "notBreaching"}
    cloudwatch.put_metric_alarm(**alarm_params(sliding, namespace, **quiet))
    wall_clock_alarm = alarm_params(
        wall_clock, namespace, **quiet, EvaluationWindow={"WallClockWindow": {"Timezone": "UTC+05:30"}},
        ActionConfiguration={"AlarmTagsPropagation": {"Enabled": True, "IncludedTagKeys": ["team"]}})
    cloudwatch.put_metric_alarm(**wall_clock_alarm)
    state_becomes(cloudwatch, sliding, "ALARM")  # the current minute counts in a sliding window
    state_becomes(cloudwatch, wall_clock, "OK")  # the last complete minute had no orders
    described = alarm(cloudwatch, wall_clock)
    assert described["EvaluationWindow"] == {"WallClockWindow": {"Timezone": "UTC+05:30"}}
    assert described["ActionConfiguration"] == {"AlarmTagsPropagation": {"Enabled": True, "IncludedTagKeys": ["team"]}}
    try:
        offset.write_text(str(80 - put_at.second))  # 20 s into the next minute: the one with the orders is complete
        cloudwatch.put_metric_alarm(**wall_clock_alarm)  # evaluated when put (the minute's round may be further off)
        fired = state_becomes(cloudwatch, wall_clock, "ALARM")
    finally:
        offset.write_text("0")
    minute_with_orders = put_at.replace(second=0, microsecond=0)
    assert json.loads(fired["StateReasonData"])["startDate"] == minute_with_orders.isoformat(timespec="milliseconds")


def test_a_wall_clock_window_needs_a_calendar_period_and_a_time_zone(cloudwatch) -> None:
    namespace, name = unique("Clock"), unique("clock")
    cases = [
        ({"Period": 120, "EvaluationWindow": {"WallClockWindow": {}}},
         "A wall clock window needs a Period of 60, 300, 3600, 86400 or 604800 seconds."),
        ({"EvaluationWindow": {"WallClockWindow": {"Timezone": "Mars/Olympus"}}},
         "The value Mars/Olympus for parameter EvaluationWindow.WallClockWindow.Timezone is invalid: it is neither an "
         "IANA time zone name nor an offset such as +05:30."),
        ({"EvaluationWindow": {"WallClockWindow": {"Timezone": "+05:33"}}},
         "The value +05:33 for parameter EvaluationWindow.WallClockWindow.Timezone is invalid: an offset is at most 14 "
         "hours, in whole multiples of 5 minutes."),
    ]
    for extra, message in cases:
        assert error_of(cloudwatch.put_metric_alarm, **alarm_params(name, namespace, **extra))[:2] == (
            "InvalidParameterValue", message)
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, Period=86400, EvaluationPeriods=7,
                                               EvaluationWindow={"WallClockWindow": {"Timezone": "America/New_York"}}))
    assert alarm(cloudwatch, name)["EvaluationWindow"] == {"WallClockWindow": {"Timezone": "America/New_York"}}


def test_a_percentile_alarm_may_ignore_too_few_samples(cloudwatch) -> None:
    namespace, ignoring, evaluating = unique("Pct"), unique("ignoring"), unique("evaluating")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Values": [100],
                                                                 "Counts": [5]}])

    def p90(name: str, **extra) -> dict:
        return {**{key: value for key, value in alarm_params(name, namespace).items() if key != "Statistic"},
                "ExtendedStatistic": "p90", **extra}

    cloudwatch.put_metric_alarm(**p90(ignoring, EvaluateLowSampleCountPercentile="ignore"))
    cloudwatch.put_metric_alarm(**p90(evaluating))  # evaluated after the one put before it
    state_becomes(cloudwatch, evaluating, "ALARM")
    assert alarm(cloudwatch, ignoring)["StateValue"] == "INSUFFICIENT_DATA"  # p90 needs 100 samples, 5 came
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Values": [100],
                                                                 "Counts": [95]}])
    cloudwatch.put_metric_alarm(**p90(ignoring, EvaluateLowSampleCountPercentile="ignore"))
    state_becomes(cloudwatch, ignoring, "ALARM")


def test_a_warm_up_period_holds_the_alarm_in_insufficient_data(server) -> None:
    cloudwatch = server.client("cloudwatch")
    namespace, name = unique("WarmUp"), unique("warming")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Orders", "Value": 15}])
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace))
    state_becomes(cloudwatch, name, "ALARM")

    def warm_up_until() -> list:
        return server.read("SELECT warm_up_until FROM cloudwatch_alarms WHERE name = :name", name=name)

    # an update starts a warm-up: waiting for its end, the alarm is INSUFFICIENT_DATA whatever its data says
    waiting = {"WarmUpPeriodDurationInMinutes": 10, "OnlyStartEvaluatingAfterWarmUpPeriodEnds": True}
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, WarmUpConfiguration=waiting))
    held = state_becomes(cloudwatch, name, "INSUFFICIENT_DATA")
    assert held["StateReason"].startswith("Warming up: the alarm is in its warm-up period until ")
    assert held["WarmUpConfiguration"] == waiting
    # without waiting for its end, a warm-up ends as soon as data fills the evaluated periods
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, WarmUpConfiguration={
        "WarmUpPeriodDurationInMinutes": 10}))
    state_becomes(cloudwatch, name, "ALARM")
    wait_for(lambda: warm_up_until() == [None])
    # once it is over, a new value alone does not start another; any other change does
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, WarmUpConfiguration=waiting))
    assert warm_up_until() == [None]
    cloudwatch.put_metric_alarm(**alarm_params(name, namespace, Threshold=12.0, WarmUpConfiguration=waiting))
    assert warm_up_until() != [None]
    state_becomes(cloudwatch, name, "INSUFFICIENT_DATA")
