"""CloudWatch dashboards end to end: the body kept as sent, checked for structure, listed, deleted, tagged."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique

BODY = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
    "metrics": [["AWS/CustomerProfiles", "OutboundRequestsSent", "DomainName", "shop"]], "region": "us-east-1",
    "stat": "Sum", "period": 300, "title": "Outbound requests"}},
    {"type": "text", "properties": {"markdown": "# Shop"}}]})


def error_of(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_dashboard_is_put_read_listed_replaced_and_deleted(server, cloudwatch) -> None:
    prefix = unique("shop")
    assert cloudwatch.put_dashboard(DashboardName=f"{prefix}-main", DashboardBody=BODY)[
        "DashboardValidationMessages"] == []
    fetched = cloudwatch.get_dashboard(DashboardName=f"{prefix}-main")
    assert (fetched["DashboardName"], fetched["DashboardBody"], fetched["DashboardArn"]) == (
        f"{prefix}-main", BODY, f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{prefix}-main")
    # dashboards belong to the account: another region sees the same one
    elsewhere = server.client("cloudwatch", "eu-west-1")
    assert elsewhere.get_dashboard(DashboardName=f"{prefix}-main")["DashboardBody"] == BODY

    smaller = json.dumps({"widgets": []})
    cloudwatch.put_dashboard(DashboardName=f"{prefix}-main", DashboardBody=smaller)
    cloudwatch.put_dashboard(DashboardName=f"{prefix}-ops", DashboardBody=BODY)
    entries = cloudwatch.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]
    assert [(entry["DashboardName"], entry["Size"]) for entry in entries] == [
        (f"{prefix}-main", len(smaller)), (f"{prefix}-ops", len(BODY))]
    assert entries[0]["DashboardArn"].endswith(f":dashboard/{prefix}-main") and entries[0]["LastModified"]

    missing = unique("missing")
    code, message, status = error_of(cloudwatch.delete_dashboards, DashboardNames=[f"{prefix}-ops", missing])
    assert (code, status) == ("ResourceNotFound", 404) and missing in message
    assert cloudwatch.get_dashboard(DashboardName=f"{prefix}-ops")["DashboardName"] == f"{prefix}-ops"  # kept
    cloudwatch.delete_dashboards(DashboardNames=[f"{prefix}-ops", f"{prefix}-main"])
    assert cloudwatch.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"] == []
    assert error_of(cloudwatch.get_dashboard, DashboardName=f"{prefix}-main") == (
        "ResourceNotFound", f"Dashboard {prefix}-main does not exist", 404)


def test_bodies_that_are_no_dashboard_are_refused(cloudwatch) -> None:
    name = unique("bad")
    cases = [
        ("not json", "The field DashboardBody must be a valid JSON object"),
        ("[1, 2]", "The field DashboardBody must be a valid JSON object"),
        ("{}", None), ('{"widgets": {}}', None), ('{"widgets": [{"properties": 3}, 7]}', None),
    ]
    for body, message in cases:
        code, found, status = error_of(cloudwatch.put_dashboard, DashboardName=name, DashboardBody=body)
        assert (code, status) == ("InvalidParameterInput", 400), body
        if message:
            assert found == message
    _, message, _ = error_of(cloudwatch.put_dashboard, DashboardName=name,
                             DashboardBody='{"widgets": [{"properties": 3}, 7]}')
    assert message.startswith("The dashboard body is invalid, there are 3 validation errors:")
    assert [problem["dataPath"] for problem in json.loads(message.split(":", 1)[1])] == [
        "/widgets/0", "/widgets/0/properties", "/widgets/1"]
    code, message, _ = error_of(cloudwatch.put_dashboard, DashboardName="no spaces please", DashboardBody=BODY)
    assert code == "InvalidParameterInput" and "alphanumerics, dash (-) and underscore (_)" in message
    assert cloudwatch.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"] == []


def test_dashboard_tags_and_access(server, cloudwatch) -> None:
    name = unique("tagged")
    arn = f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}"
    cloudwatch.put_dashboard(DashboardName=name, DashboardBody=BODY, Tags=[{"Key": "team", "Value": "crm"}])
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "crm"}]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "test"}])
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "test"}]

    reader = make_user(server, document(allow("cloudwatch:GetDashboard", arn))).client("cloudwatch")
    assert reader.get_dashboard(DashboardName=name)["DashboardBody"] == BODY
    code, message, status = error_of(reader.put_dashboard, DashboardName=name, DashboardBody=BODY)
    assert (code, status) == ("AccessDenied", 403) and "cloudwatch:PutDashboard" in message

    cloudwatch.delete_dashboards(DashboardNames=[name])
    assert error_of(cloudwatch.list_tags_for_resource, ResourceARN=arn)[::2] == ("ResourceNotFoundException", 404)
