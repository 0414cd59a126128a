"""CloudWatch alarm mute rules: put, read, listed by alarm and status, tagged, deleted; their schedules checked
and their status worked out from the clock; the alarms they name authorized one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.e2e.cli import AwsCli
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique


def error_of(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def _alarm(cloudwatch, namespace: str) -> str:
    name = unique("alarm")
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName="Orders", Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=10.0,
                                ComparisonOperator="GreaterThanThreshold")
    return name


def _rule(expression: str, duration: str = "PT4H", **schedule) -> dict:
    return {"Schedule": {"Expression": expression, "Duration": duration, **schedule}}


def _at(moment: datetime) -> str:
    return f"at({moment:%Y-%m-%dT%H:%M})"


def test_a_mute_rule_is_put_read_listed_and_deleted(cloudwatch) -> None:
    namespace = unique("Shop")
    first, second = _alarm(cloudwatch, namespace), _alarm(cloudwatch, namespace)
    now = datetime.now(UTC)
    active, later, past = unique("incident"), unique("holidays"), unique("old")
    cloudwatch.put_alarm_mute_rule(Name=active, Description="incident response", Rule=_rule(
        _at(now - timedelta(hours=1))), MuteTargets={"AlarmNames": [first]}, Tags=[{"Key": "team", "Value": "ops"}])
    cloudwatch.put_alarm_mute_rule(Name=later, Rule=_rule(_at(now + timedelta(days=2)), "P2D"),
                                   MuteTargets={"AlarmNames": [first, second]})
    cloudwatch.put_alarm_mute_rule(Name=past, Rule=_rule("cron(* * * * *)", "PT1M"),
                                   MuteTargets={"AlarmNames": [second]}, StartDate=now - timedelta(days=3),
                                   ExpireDate=now - timedelta(days=1))
    got = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=active)
    assert {key: got[key] for key in ("Name", "AlarmMuteRuleArn", "Description", "Rule", "MuteTargets", "Status",
                                      "MuteType")} == {
        "Name": active, "AlarmMuteRuleArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm-mute-rule:{active}",
        "Description": "incident response", "Rule": _rule(_at(now - timedelta(hours=1))),
        "MuteTargets": {"AlarmNames": [first]}, "Status": "ACTIVE", "MuteType": "ONE_TIME"}
    assert abs(got["LastUpdatedTimestamp"] - now) < timedelta(minutes=1)
    assert cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=later)["Status"] == "SCHEDULED"
    old = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=past)
    assert (old["Status"], old["MuteType"]) == ("EXPIRED", "RECURRING")
    assert abs(old["ExpireDate"] - (now - timedelta(days=1))) < timedelta(seconds=1)
    assert cloudwatch.list_tags_for_resource(ResourceARN=got["AlarmMuteRuleArn"])["Tags"] == [
        {"Key": "team", "Value": "ops"}]

    def listed(**filters) -> set[str]:
        return {item["AlarmMuteRuleArn"].rpartition(":")[2] for item in cloudwatch.list_alarm_mute_rules(**filters)[
            "AlarmMuteRuleSummaries"]} & {active, later, past}

    assert listed() == {active, later, past}
    assert listed(AlarmName=first) == {active, later}
    assert listed(AlarmName=second, Statuses=["EXPIRED"]) == {past}
    assert listed(Statuses=["ACTIVE", "SCHEDULED"]) == {active, later}
    page = cloudwatch.list_alarm_mute_rules(AlarmName=first, MaxRecords=1)
    rest = cloudwatch.list_alarm_mute_rules(AlarmName=first, MaxRecords=1, NextToken=page["NextToken"])
    assert len(page["AlarmMuteRuleSummaries"]) == len(rest["AlarmMuteRuleSummaries"]) == 1
    assert "NextToken" not in rest
    # putting it again replaces it: now recurring, every minute for a minute
    cloudwatch.put_alarm_mute_rule(Name=active, Rule=_rule("cron(* * * * *)", "PT1M", Timezone="Asia/Tokyo"),
                                   MuteTargets={"AlarmNames": [second]})
    again = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=active)
    assert (again["Status"], again["MuteType"], again["MuteTargets"]) == ("ACTIVE", "RECURRING",
                                                                          {"AlarmNames": [second]})
    assert "Description" not in again
    cloudwatch.delete_alarm_mute_rule(AlarmMuteRuleName=active)
    assert error_of(cloudwatch.get_alarm_mute_rule, AlarmMuteRuleName=active) == (
        "ResourceNotFoundException", f"Alarm mute rule {active} does not exist.", 404)
    assert error_of(cloudwatch.delete_alarm_mute_rule, AlarmMuteRuleName=active)[::2] == (
        "ResourceNotFoundException", 404)
    assert error_of(cloudwatch.list_alarm_mute_rules, AlarmName=unique("nowhere"))[::2] == (
        "ResourceNotFoundException", 404)


def test_what_is_no_mute_rule_is_refused(cloudwatch) -> None:
    namespace = unique("Shop")
    alarm, name = _alarm(cloudwatch, namespace), unique("bad")
    now = datetime.now(UTC)
    cases = [
        (_rule("cron(0 2 * *)"), {}, "The value cron(0 2 * *) for parameter Rule.Schedule.Expression is invalid: "
                                     "A cron expression has 5 fields (Minutes Hours Day-of-month Month "
                                     "Day-of-week); this one has 4."),
        (_rule("cron(0 2 * * *)", "P20D"), {}, "The value P20D for parameter Rule.Schedule.Duration is invalid: A "
                                               "duration is at least one minute (PT1M) and at most fifteen days "
                                               "(P15D)."),
        (_rule("cron(0 2 * * *)", Timezone="Mars/Olympus"), {}, None),
        (_rule("cron(0 2 * * *)"), {"StartDate": now, "ExpireDate": now - timedelta(days=1)},
         "The StartDate must be before the ExpireDate."),
    ]
    for rule, extra, message in cases:
        code, found, status = error_of(cloudwatch.put_alarm_mute_rule, Name=name, Rule=rule,
                                       MuteTargets={"AlarmNames": [alarm]}, **extra)
        assert (code, status) == ("InvalidParameterValue", 400), rule
        if message:
            assert found == message
    missing = unique("missing")
    assert error_of(cloudwatch.put_alarm_mute_rule, Name=name, Rule=_rule("cron(0 2 * * *)"),
                    MuteTargets={"AlarmNames": [alarm, missing]}) == (
        "InvalidParameterValue", f"The alarms {missing} do not exist: a mute rule targets existing alarms.", 400)
    assert error_of(cloudwatch.get_alarm_mute_rule, AlarmMuteRuleName=name)[0] == "ResourceNotFoundException"


def test_each_targeted_alarm_is_authorized(server, cloudwatch) -> None:
    namespace = unique("Shop")
    mine, theirs = _alarm(cloudwatch, namespace), _alarm(cloudwatch, namespace)
    region_arn = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}"
    user = make_user(server, document(allow("cloudwatch:PutAlarmMuteRule", [
        f"{region_arn}:alarm-mute-rule:*", f"{region_arn}:alarm:{mine}"])))
    client = user.client("cloudwatch")
    client.put_alarm_mute_rule(Name=unique("mine"), Rule=_rule("cron(0 2 * * *)"), MuteTargets={"AlarmNames": [mine]})
    code, message, status = error_of(client.put_alarm_mute_rule, Name=unique("theirs"), Rule=_rule("cron(0 2 * * *)"),
                                     MuteTargets={"AlarmNames": [mine, theirs]})
    assert (code, status) == ("AccessDenied", 403) and f"alarm:{theirs}" in message


def test_the_aws_cli_puts_and_reads_a_mute_rule(server, cloudwatch) -> None:
    """A schedule given as the CLI takes it: JSON text."""
    alarm, name = _alarm(cloudwatch, unique("Shop")), unique("nightly")
    aws = AwsCli(server.endpoint)
    aws("cloudwatch", "put-alarm-mute-rule", "--name", name, "--rule",
        '{"Schedule": {"Expression": "cron(* * * * *)", "Duration": "PT1M", "Timezone": "Europe/Paris"}}',
        "--mute-targets", f"AlarmNames={alarm}")
    got = aws("cloudwatch", "get-alarm-mute-rule", "--alarm-mute-rule-name", name)
    assert (got["Status"], got["MuteType"], got["Rule"]["Schedule"]["Timezone"]) == ("ACTIVE", "RECURRING",
                                                                                    "Europe/Paris")
