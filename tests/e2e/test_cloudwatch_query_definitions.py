"""CloudWatch metric data query definitions: saved, updated by id, listed, tagged and deleted; paths unique."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, unique


def error_of(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_definition_is_saved_updated_listed_and_deleted(cloudwatch) -> None:
    path = f"team/{unique('orders')}/per store"
    saved = cloudwatch.put_metric_data_query_definition(
        Path=path, Expression="SUM(METRICS())", Type="METRIC_MATH", Tags=[{"Key": "team", "Value": "crm"}])
    definition_id = saved["Id"]
    assert saved["Arn"] == f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:metric-query-definition/{definition_id}"
    assert (saved["Path"], saved["Expression"], saved["Type"]) == (path, "SUM(METRICS())", "METRIC_MATH")
    assert abs(saved["CreatedAt"] - datetime.now(UTC)) < timedelta(minutes=1)
    # its expression is kept as given, not run: CloudWatch does not validate it either
    updated = cloudwatch.put_metric_data_query_definition(Id=definition_id, Path=f"{path} (new)",
                                                          Expression="sum(rate(orders[5m]))", Type="PROMQL")
    assert (updated["Id"], updated["CreatedAt"], updated["Type"]) == (definition_id, saved["CreatedAt"], "PROMQL")
    assert updated["UpdatedAt"] >= saved["UpdatedAt"]
    got = cloudwatch.get_metric_data_query_definition(Id=definition_id)
    assert (got["Path"], got["Expression"]) == (f"{path} (new)", "sum(rate(orders[5m]))")
    assert cloudwatch.list_tags_for_resource(ResourceARN=saved["Arn"])["Tags"] == [{"Key": "team", "Value": "crm"}]

    others = [cloudwatch.put_metric_data_query_definition(Path=f"{path}/{number}", Expression="m1", Type="SQL")[
        "Id"] for number in range(3)]
    listed, token = [], None
    while True:
        page = cloudwatch.list_metric_data_query_definitions(MaxResults=2, **({"NextToken": token} if token else {}))
        listed += page["Items"]
        token = page.get("NextToken")
        if not token:
            break
    mine = {item["Id"]: item for item in listed if item["Id"] in {definition_id, *others}}
    assert set(mine) == {definition_id, *others}
    assert mine[definition_id] == {"Id": definition_id, "Path": f"{path} (new)", "Type": "PROMQL",
                                   "UpdatedAt": updated["UpdatedAt"]}  # summaries leave the expression out

    cloudwatch.delete_metric_data_query_definition(Id=definition_id)
    cloudwatch.delete_metric_data_query_definition(Id=definition_id)  # idempotent, as documented
    assert error_of(cloudwatch.get_metric_data_query_definition, Id=definition_id) == (
        "ResourceNotFoundException", 404)
    assert error_of(cloudwatch.list_tags_for_resource, ResourceARN=saved["Arn"]) == ("ResourceNotFoundException", 404)


def test_paths_are_unique_and_updates_need_an_existing_id(cloudwatch) -> None:
    path = unique("taken")
    first = cloudwatch.put_metric_data_query_definition(Path=path, Expression="m1", Type="METRIC_MATH")["Id"]
    assert error_of(cloudwatch.put_metric_data_query_definition, Path=path, Expression="m2", Type="METRIC_MATH") == (
        "ConflictException", 409)
    other = cloudwatch.put_metric_data_query_definition(Path=unique("free"), Expression="m2", Type="SQL")["Id"]
    assert error_of(cloudwatch.put_metric_data_query_definition, Id=other, Path=path, Expression="m2",
                    Type="SQL") == ("ConflictException", 409)
    # a definition keeps its own path when updated
    cloudwatch.put_metric_data_query_definition(Id=first, Path=path, Expression="m3", Type="METRIC_MATH")
    assert error_of(cloudwatch.put_metric_data_query_definition, Id="missing-definition", Path=unique("new"),
                    Expression="m1", Type="SQL") == ("ResourceNotFoundException", 404)


def test_a_region_holds_at_most_a_thousand(server) -> None:
    cloudwatch = server.client("cloudwatch", "ap-southeast-2")  # a region of its own: the limit is per region
    for number in range(1000):
        cloudwatch.put_metric_data_query_definition(Path=f"limit/{number}", Expression="m1", Type="SQL")
    assert error_of(cloudwatch.put_metric_data_query_definition, Path="limit/1000", Expression="m1", Type="SQL") == (
        "LimitExceededException", 400)
    server.client("cloudwatch", "ap-southeast-1").put_metric_data_query_definition(
        Path="limit/1000", Expression="m1", Type="SQL")  # another region is not full
