"""CloudWatch Contributor Insights end to end: rules put, described, enabled and disabled, tagged and deleted, their
syntax checked; reports on the log group a CloudTrail trail delivers to, from the calls the audit trail recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, unique
from tests.e2e.waiting import wait_for

REGION = "eu-west-1"  # away from the regions other tests fill with trails (five at most in each)
SCHEMA = {"Name": "CloudWatchLogRule", "Version": 1}


def _rule(log_groups: list[str], keys: list[str], filters: list[dict] | None = None, value_of: str | None = None
          ) -> str:
    contribution: dict = {"Keys": keys, "Filters": filters or []}
    if value_of:
        contribution["ValueOf"] = value_of
    return json.dumps({"Schema": SCHEMA, "LogGroupNames": log_groups, "LogFormat": "JSON",
                       "Contribution": contribution, "AggregateOn": "Sum" if value_of else "Count"})


def _error(call, **params) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call(**params)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


@pytest.fixture
def insights(server):
    return server.client("cloudwatch", REGION)


def test_a_rule_is_put_described_switched_tagged_and_deleted(insights) -> None:
    name = unique("top-callers")
    definition = _rule(["CloudTrail/audit*"], ["$.userIdentity.arn"])
    insights.put_insight_rule(RuleName=name, RuleDefinition=definition, Tags=[{"Key": "team", "Value": "cc"}])
    arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:insight-rule/{name}"

    def described() -> dict:
        rules, token = [], None
        while True:
            page = insights.describe_insight_rules(MaxResults=1, **({"NextToken": token} if token else {}))
            rules += page["InsightRules"]
            if not (token := page.get("NextToken")):
                return {rule["Name"]: rule for rule in rules}[name]

    assert described() == {"Name": name, "State": "ENABLED", "Schema": "CloudWatchLogRule/1",
                           "Definition": definition, "ManagedRule": False, "ApplyOnTransformedLogs": False}
    assert insights.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "cc"}]
    assert insights.disable_insight_rules(RuleNames=[name])["Failures"] == []
    assert described()["State"] == "DISABLED"
    missing = unique("none")
    assert insights.enable_insight_rules(RuleNames=[name, missing])["Failures"] == [
        {"FailureResource": missing, "ExceptionType": "ResourceNotFoundException", "FailureCode": "404",
         "FailureDescription": f"Contributor Insights rule {missing} does not exist."}]
    assert described()["State"] == "ENABLED"
    # put again: redefined, in the state it names
    other = _rule(["CloudTrail/other"], ["$.eventName"])
    insights.put_insight_rule(RuleName=name, RuleDefinition=other, RuleState="DISABLED", ApplyOnTransformedLogs=True)
    assert (described()["Definition"], described()["State"], described()["ApplyOnTransformedLogs"]) == (
        other, "DISABLED", True)
    assert insights.delete_insight_rules(RuleNames=[name])["Failures"] == []
    assert name not in {rule["Name"] for rule in insights.describe_insight_rules()["InsightRules"]}
    assert _error(insights.get_insight_rule_report, RuleName=name, StartTime=datetime.now(UTC) - timedelta(hours=1),
                  EndTime=datetime.now(UTC), Period=60)[:2] == ("ResourceNotFoundException", 404)
    assert _error(insights.list_tags_for_resource, ResourceARN=arn)[:2] == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(("definition", "said"), [
    ("{not json", "The rule definition is not valid JSON"),
    ("[" * 8000, "The rule definition is not valid JSON"),  # nested past the reader's depth: a 500 once
    (json.dumps({"Schema": {"Name": "CloudWatchLogRule", "Version": 2}}), 'Schema must be {"Name"'),
    (json.dumps({"Schema": SCHEMA, "LogGroupNames": ["a"], "LogGroupARNs": ["arn:aws:logs:*"]}),
     "LogGroupNames or in LogGroupARNs, one of the two"),
    (json.dumps({"Schema": SCHEMA, "LogGroupNames": ["a"], "LogFormat": "XML"}), "LogFormat must be JSON or CLF"),
    (_rule(["a"], ["$.a", "$.b", "$.c", "$.d", "$.e"]), "Contribution.Keys must be a list of 1 to 4"),
    (_rule(["a"], ["ip"]), "ip is not a JSON property"),
    (_rule(["a"], ["$.ip"], [{"Match": "$.method", "Like": ["GET"]}]), "A filter holds Match and one of In, "),
    (_rule(["a"], ["$.ip"], [{"Match": "$.status", "GreaterThan": "400"}]), "GreaterThan takes a number"),
    (_rule(["a"], ["$.ip"], [{"Match": "$.m", "In": [str(number) for number in range(11)]}]),
     "In must be a list of 1 to 10"),
    (json.dumps({"Schema": SCHEMA, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.ip"]},
                 "AggregateOn": "Sum"}), "it is given when AggregateOn is Sum, and only then"),
    (json.dumps({"Schema": SCHEMA, "LogGroupNames": ["a"], "LogFormat": "JSON", "Fields": {"4": "Ip"},
                 "Contribution": {"Keys": ["$.ip"]}, "AggregateOn": "Count"}), "Fields names the positions of CLF"),
])
def test_a_rule_off_the_syntax_is_refused_saying_where(insights, definition: str, said: str) -> None:
    code, status, message = _error(insights.put_insight_rule, RuleName=unique("bad"), RuleDefinition=definition)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert said in message


def test_a_clf_rule_with_named_positions_is_taken(insights) -> None:
    name = unique("clf")
    insights.put_insight_rule(RuleName=name, RuleDefinition=json.dumps({
        "Schema": SCHEMA, "LogGroupNames": ["web-access"], "LogFormat": "CLF", "Fields": {"4": "IpAddress",
                                                                                           "7": "StatusCode"},
        "Contribution": {"Keys": ["IpAddress"], "Filters": [{"Match": "StatusCode", "EqualTo": 200}]},
        "AggregateOn": "Count"}))
    insights.delete_insight_rules(RuleNames=[name])


def test_reports_count_the_calls_a_trail_delivers_to_the_rules_log_group(server, insights) -> None:
    """A multi-Region trail delivers to CloudTrail/<name>; rules on that log group rank a user's calls by name,
    sum a request parameter, and count only while they are enabled. A rule on another log group sees nothing."""
    iam, trails = server.client("iam"), server.client("cloudtrail", REGION)
    group = f"CloudTrail/{unique('audit')}"
    role = iam.create_role(RoleName=unique("trail-logs"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]
    trail = unique("trail")
    trails.create_trail(Name=trail, S3BucketName="audit-logs", IsMultiRegionTrail=True,
                        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*",
                        CloudWatchLogsRoleArn=role["Arn"])
    try:
        trails.start_logging(Name=trail)
        user = unique("caller")
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetUser"],
                                                    "Resource": "*"}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        as_user = server.client("iam", aws_access_key_id=key["AccessKeyId"],
                                aws_secret_access_key=key["SecretAccessKey"])
        mine = [{"Match": "$.userIdentity.userName", "In": [user]}]
        names = {kind: unique(kind) for kind in ("calls", "errors", "items", "elsewhere")}
        insights.put_insight_rule(RuleName=names["calls"], RuleDefinition=_rule([f"{group[:-3]}*"], ["$.eventName"],
                                                                                mine))
        insights.put_insight_rule(RuleName=names["errors"], RuleDefinition=_rule([group], ["$.errorCode"], mine))
        insights.put_insight_rule(RuleName=names["items"], RuleDefinition=_rule(
            [group], ["$.eventName"], [*mine, {"Match": "$.requestParameters.maxItems", "IsPresent": True}],
            value_of="$.requestParameters.maxItems"))
        insights.put_insight_rule(RuleName=names["elsewhere"], RuleDefinition=_rule(["Other/logs"], ["$.eventName"]))
        for _ in range(3):
            as_user.list_users(MaxItems=5)
        for _ in range(2):
            as_user.get_user(UserName=user)
        with pytest.raises(ClientError):
            as_user.list_roles()
        start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
        window = {"StartTime": start, "EndTime": start + timedelta(hours=1), "Period": 3600}

        def report(kind: str, **extra) -> dict:
            answer = insights.get_insight_rule_report(RuleName=names[kind], **window, **extra)
            answer.pop("ResponseMetadata")
            return answer

        calls = wait_for(lambda: (found := report("calls", Metrics=["UniqueContributors", "SampleCount", "Sum",
                                                                    "MaxContributorValue", "Average"]))[
            "AggregateValue"] == 6 and found)
        assert (calls["KeyLabels"], calls["AggregationStatistic"], calls["ApproximateUniqueCount"]) == (
            ["$.eventName"], "Count", 3)
        assert [(item["Keys"], item["ApproximateAggregateValue"]) for item in calls["Contributors"]] == [
            (["ListUsers"], 3.0), (["GetUser"], 2.0), (["ListRoles"], 1.0)]  # the most first
        assert calls["Contributors"][0]["Datapoints"] == [{"Timestamp": start, "ApproximateValue": 3.0}]
        assert calls["MetricDatapoints"] == [{"Timestamp": start, "UniqueContributors": 3.0, "SampleCount": 6.0,
                                              "Sum": 6.0, "MaxContributorValue": 3.0, "Average": 2.0}]
        assert [item["Keys"] for item in report("calls", MaxContributorCount=1)["Contributors"]] == [["ListUsers"]]
        errors = report("errors")
        assert [(item["Keys"], item["ApproximateAggregateValue"]) for item in errors["Contributors"]] == [
            (["AccessDenied"], 1.0)]  # the calls that succeeded have no errorCode: no contributor
        items = report("items")
        assert (items["AggregationStatistic"], items["AggregateValue"]) == ("Sum", 15.0)  # three pages of 5
        assert report("elsewhere")["Contributors"] == []

        # disabled, a rule counts nothing more; enabled again, it counts what comes after
        insights.disable_insight_rules(RuleNames=[names["calls"]])
        as_user.list_users(MaxItems=5)
        insights.enable_insight_rules(RuleNames=[names["calls"]])
        as_user.get_user(UserName=user)
        wait_for(lambda: report("calls")["AggregateValue"] == 7)
        assert {tuple(item["Keys"]): item["ApproximateAggregateValue"] for item in report("calls")[
            "Contributors"]} == {("ListUsers",): 3.0, ("GetUser",): 3.0, ("ListRoles",): 1.0}
        # nor does a trail deliver while it is stopped; started again, it delivers once more
        trails.stop_logging(Name=trail)
        as_user.get_user(UserName=user)
        trails.start_logging(Name=trail)
        as_user.list_users(MaxItems=5)
        wait_for(lambda: report("calls")["AggregateValue"] == 8)
        assert {tuple(item["Keys"]): item["ApproximateAggregateValue"] for item in report("calls")[
            "Contributors"]} == {("ListUsers",): 4.0, ("GetUser",): 3.0, ("ListRoles",): 1.0}
        assert _error(insights.get_insight_rule_report, RuleName=names["calls"], StartTime=start,
                      EndTime=start + timedelta(days=2), Period=60)[2].startswith("A report holds at most 1440")
        assert _error(insights.get_insight_rule_report, RuleName=names["calls"], **window,
                      Metrics=["Median"])[:2] == ("InvalidParameterValue", 400)
        insights.delete_insight_rules(RuleNames=list(names.values()))
    finally:
        trails.delete_trail(Name=trail)


def test_reports_are_authorized_per_rule(server, insights) -> None:
    allowed, other = unique("allowed"), unique("other")
    for name in (allowed, other):
        insights.put_insight_rule(RuleName=name, RuleDefinition=_rule(["logs"], ["$.ip"]))
    iam = server.client("iam")
    user = unique("reader")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="one", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudwatch:GetInsightRuleReport",
                                                "Resource": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:insight-rule/"
                                                            f"{allowed}"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    reader = server.client("cloudwatch", REGION, aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])
    window = {"StartTime": datetime.now(UTC) - timedelta(hours=1), "EndTime": datetime.now(UTC), "Period": 300}
    assert reader.get_insight_rule_report(RuleName=allowed, **window)["Contributors"] == []
    code, status, message = _error(reader.get_insight_rule_report, RuleName=other, **window)
    assert (code, status) == ("AccessDenied", 403) and f"insight-rule/{other}" in message
    insights.delete_insight_rules(RuleNames=[allowed, other])


def test_no_resource_here_has_managed_rules(insights) -> None:
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    assert insights.list_managed_insight_rules(ResourceARN=table)["ManagedRules"] == []
    assert insights.put_managed_insight_rules(ManagedRules=[{"TemplateName": "DynamoDBContributorInsights",
                                                             "ResourceARN": table}])["Failures"] == [
        {"FailureResource": table, "ExceptionType": "InvalidParameterValueException", "FailureCode": "400",
         "FailureDescription": f"No managed rule template DynamoDBContributorInsights exists for {table}."}]


def test_which_log_groups_a_user_may_put_rules_on_is_a_condition(server, insights) -> None:
    """cloudwatch:requestInsightRuleLogGroups holds the log groups a rule names: a policy keeps a user's rules off
    the audit trail's log group."""
    iam = server.client("iam")
    user = unique("analyst")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="app-logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "cloudwatch:PutInsightRule", "Resource": "*",
            "Condition": {"ForAllValues:StringLike": {"cloudwatch:requestInsightRuleLogGroups": ["app-*"]}}}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    analyst = server.client("cloudwatch", REGION, aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"])
    allowed = unique("app")
    analyst.put_insight_rule(RuleName=allowed, RuleDefinition=_rule(["app-web", "app-api*"], ["$.ip"]))
    code, status, message = _error(analyst.put_insight_rule, RuleName=unique("audit"),
                                   RuleDefinition=_rule(["app-web", "CloudTrail/audit"], ["$.userIdentity.arn"]))
    assert (code, status) == ("AccessDenied", 403) and "cloudwatch:PutInsightRule" in message
    insights.delete_insight_rules(RuleNames=[allowed])
