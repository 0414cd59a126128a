"""CloudWatch metric streams: kept as declared, started and stopped, listed, tagged and deleted; their role needs
iam:PassRole. Nothing is delivered (there is no Kinesis Data Firehose)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.test_cloudwatch_dashboards import error_of
from tests.e2e.test_pass_role import _pass, _role

STREAMS = "streams.metrics.cloudwatch.amazonaws.com"
FIREHOSE = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/metrics"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/metric-stream"


def _stream(name: str, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "FirehoseArn": FIREHOSE, "RoleArn": ROLE, "OutputFormat": "json", **extra}


def test_a_stream_from_creation_to_deletion(cloudwatch) -> None:
    name = unique("metrics")
    arn = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:metric-stream/{name}"
    include = [{"Namespace": "AWS/CustomerProfiles", "MetricNames": ["OutboundRequestsSent"]}, {"Namespace": "App"}]
    statistics = [{"IncludeMetrics": [{"Namespace": "App", "MetricName": "Latency"}],
                   "AdditionalStatistics": ["p99", "tm90", "TM(10%:90%)", "IQM"]}]
    assert cloudwatch.put_metric_stream(**_stream(name, IncludeFilters=include, StatisticsConfigurations=statistics,
                                                  Tags=[{"Key": "team", "Value": "crm"}]))["Arn"] == arn
    got = cloudwatch.get_metric_stream(Name=name)
    assert (got["Arn"], got["Name"], got["FirehoseArn"], got["RoleArn"], got["OutputFormat"], got["State"]) == (
        arn, name, FIREHOSE, ROLE, "json", "running")
    assert (got["IncludeFilters"], got["StatisticsConfigurations"]) == (include, statistics)
    assert "ExcludeFilters" not in got and got["CreationDate"] == got["LastUpdateDate"]
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "crm"}]

    # replaced in place: the state and creation date stay, tags given now are ignored (TagResource changes them)
    cloudwatch.stop_metric_streams(Names=[name])
    cloudwatch.put_metric_stream(**_stream(name, ExcludeFilters=[{"Namespace": "AWS/Usage"}],
                                           OutputFormat="opentelemetry1.0", Tags=[{"Key": "team", "Value": "ops"}]))
    replaced = cloudwatch.get_metric_stream(Name=name)
    assert (replaced["State"], replaced["OutputFormat"], replaced["ExcludeFilters"]) == (
        "stopped", "opentelemetry1.0", [{"Namespace": "AWS/Usage"}])
    assert "IncludeFilters" not in replaced and "StatisticsConfigurations" not in replaced
    assert replaced["CreationDate"] == got["CreationDate"] and replaced["LastUpdateDate"] >= got["LastUpdateDate"]
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "crm"}]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "ci"}])
    assert len(cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 2

    cloudwatch.start_metric_streams(Names=[name])
    assert cloudwatch.get_metric_stream(Name=name)["State"] == "running"
    cloudwatch.delete_metric_stream(Name=name)
    assert error_of(cloudwatch.get_metric_stream, Name=name) == (
        "ResourceNotFoundException", f"Metric stream {name} does not exist.", 404)
    assert error_of(cloudwatch.list_tags_for_resource, ResourceARN=arn)[0] == "ResourceNotFoundException"
    cloudwatch.delete_metric_stream(Name=name)  # deleting what is not there succeeds


def test_streams_are_listed_a_page_at_a_time_in_their_region(server: Server, cloudwatch) -> None:
    prefix = unique("paged")
    names = [f"{prefix}-{index}" for index in range(5)]
    for name in names:
        cloudwatch.put_metric_stream(**_stream(name))
    elsewhere = server.client("cloudwatch", region="eu-west-2")
    elsewhere.put_metric_stream(**_stream(f"{prefix}-eu", FirehoseArn=FIREHOSE.replace("us-east-1", "eu-west-2")))
    seen, token = [], None
    while True:
        page = cloudwatch.list_metric_streams(MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["Entries"]) <= 2
        seen += [entry for entry in page["Entries"] if entry["Name"].startswith(prefix)]
        token = page.get("NextToken")
        if not token:
            break
    assert [entry["Name"] for entry in seen] == names
    assert {(entry["State"], entry["OutputFormat"], entry["FirehoseArn"]) for entry in seen} == {
        ("running", "json", FIREHOSE)}
    assert [entry["Name"] for entry in elsewhere.list_metric_streams()["Entries"] if
            entry["Name"].startswith(prefix)] == [f"{prefix}-eu"]
    assert error_of(cloudwatch.list_metric_streams, NextToken="garbage")[0] == "InvalidNextToken"


def test_what_a_stream_refuses(cloudwatch) -> None:
    name = unique("bad")
    cases = [
        (_stream("has space"), "InvalidParameterValue", "Name"),
        (_stream(name, IncludeFilters=[{"Namespace": "A"}], ExcludeFilters=[{"Namespace": "B"}]),
         "InvalidParameterCombination", "IncludeFilters and ExcludeFilters"),
        (_stream(name, FirehoseArn="arn:aws:kinesis:us-east-1:000000000000:stream/x"), "InvalidParameterValue",
         "FirehoseArn"),
        (_stream(name, FirehoseArn=FIREHOSE.replace(ACCOUNT, "111122223333")), "InvalidParameterValue",
         "FirehoseArn"),
        (_stream(name, RoleArn="arn:aws:iam::111122223333:role/theirs"), "InvalidParameterValue", "RoleArn"),
        (_stream(name, OutputFormat="opentelemetry0.7", StatisticsConfigurations=[{
            "IncludeMetrics": [{"Namespace": "App", "MetricName": "Latency"}], "AdditionalStatistics": ["tm90"]}]),
         "InvalidParameterValue", "tm90"),
        (_stream(name, StatisticsConfigurations=[{
            "IncludeMetrics": [{"Namespace": "App", "MetricName": "Latency"}], "AdditionalStatistics": ["median"]}]),
         "InvalidParameterValue", "median"),
    ]
    for params, code, mentioned in cases:
        found, message, status = error_of(cloudwatch.put_metric_stream, **params)
        assert (found, status) == (code, 400) and mentioned in message, (params, message)
    assert error_of(cloudwatch.get_metric_stream, Name=name)[0] == "ResourceNotFoundException"  # none was made
    assert error_of(cloudwatch.put_metric_stream, Name=name, FirehoseArn=FIREHOSE, RoleArn=ROLE,
                    OutputFormat="csv")[0] == "InvalidParameterValue"  # not one of the model's formats

    # starting or stopping names no stream: nothing changes
    cloudwatch.put_metric_stream(**_stream(name))
    code, message, _ = error_of(cloudwatch.stop_metric_streams, Names=[name, f"{name}-missing"])
    assert (code, message) == ("InvalidParameterValue", f"Metric stream {name}-missing does not exist.")
    assert cloudwatch.get_metric_stream(Name=name)["State"] == "running"


def test_the_streams_role_needs_leave_to_pass_it_to_cloudwatch(server: Server) -> None:
    role, name = _role(server, STREAMS), unique("passed")
    arn = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:metric-stream/{name}"

    def put(*statements: dict[str, Any]) -> str | None:
        """The error code the put meets with these statements besides cloudwatch:*, or None when it is made."""
        cloudwatch = make_user(server, document(allow("cloudwatch:*"), *statements)).client("cloudwatch")
        try:
            cloudwatch.put_metric_stream(**_stream(name, RoleArn=role))
        except ClientError as err:
            return err.response["Error"]["Code"]
        return None

    assert put() == "AccessDenied"
    assert put(_pass(role, "profile.amazonaws.com")) == "AccessDenied"
    assert put(_pass(role, STREAMS, ArnLike={"iam:AssociatedResourceArn": f"{arn}-other"})) == "AccessDenied"
    assert refused(server.client("cloudwatch").get_metric_stream, Name=name)[0] == "ResourceNotFoundException"
    assert put(_pass(role, STREAMS, ArnLike={"iam:AssociatedResourceArn": arn})) is None
    assert server.client("cloudwatch").get_metric_stream(Name=name)["RoleArn"] == role
    # the stream is the resource its operations are authorized on
    denied = make_user(server, document(allow("cloudwatch:GetMetricStream", f"{arn}-other"))).client("cloudwatch")
    assert refused(denied.get_metric_stream, Name=name)[0] == "AccessDenied"
