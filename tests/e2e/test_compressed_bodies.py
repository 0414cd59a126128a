"""Request bodies sent gzip-compressed (Content-Encoding: gzip), as boto3, the AWS CLI and the JavaScript SDK send
PutMetricData's bodies over 10 KiB. The signature covers the compressed bytes; the server reads what they hold."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

import cbor2
import pytest

from tests.e2e.cli import AwsCli
from tests.e2e.identities import unique
from tests.e2e.test_cloudwatch import minute
from tests.e2e.wire import FORM, send, signed_request

DATA_POINTS = 300  # about 30 KiB of JSON: over botocore's 10 KiB threshold for compressing


def hosts_data(now: datetime) -> list[dict]:
    return [{"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": f"host-{i:04}"}], "Value": float(i),
             "Unit": "Milliseconds", "Timestamp": now} for i in range(DATA_POINTS)]


def total(cloudwatch, namespace: str, now: datetime, host: str) -> list[float]:
    return [point["Sum"] for point in cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", Dimensions=[{"Name": "Host", "Value": host}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5), Period=600,
        Statistics=["Sum"])["Datapoints"]]


def metric_count(cloudwatch, namespace: str) -> int:
    return sum(len(page["Metrics"]) for page in cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace))


def test_boto3_compresses_a_large_put_metric_data_and_every_point_is_kept(server) -> None:
    cloudwatch = server.client("cloudwatch")
    sent: list[str | None] = []
    cloudwatch.meta.events.register(
        "before-send.cloudwatch.PutMetricData", lambda request, **_: sent.append(request.headers.get(
            "Content-Encoding")))
    namespace, now = unique("Gzip"), minute()
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=hosts_data(now))
    assert sent == [b"gzip"]  # boto3 did compress it (prepared headers are bytes)
    assert metric_count(cloudwatch, namespace) == DATA_POINTS
    assert total(cloudwatch, namespace, now, "host-0299") == [299.0]


def test_the_aws_cli_sends_a_compressed_put_metric_data(server, tmp_path) -> None:
    namespace, now = unique("CliGzip"), minute()
    data = [{**point, "Timestamp": now.isoformat()} for point in hosts_data(now)]
    (tmp_path / "data.json").write_text(json.dumps(data))
    AwsCli(server.endpoint)("cloudwatch", "put-metric-data", "--namespace", namespace,
                            "--metric-data", f"file://{tmp_path / 'data.json'}")
    cloudwatch = server.client("cloudwatch")
    assert metric_count(cloudwatch, namespace) == DATA_POINTS
    assert total(cloudwatch, namespace, now, "host-0007") == [7.0]


def query_body(namespace: str) -> str:
    fields = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": namespace}
    for i in range(1, 4):
        fields |= {f"MetricData.member.{i}.MetricName": "Calls", f"MetricData.member.{i}.Value": str(i)}
    return urlencode(fields)


def test_a_compressed_query_request_is_routed_by_the_action_it_holds(server) -> None:
    namespace = unique("QueryGzip")
    request = signed_request(f"{server.endpoint}/", "monitoring", "us-east-1",
                             body=gzip.compress(query_body(namespace).encode()),
                             headers={**FORM, "Content-Encoding": "gzip"})
    status, _, body = send(request)
    assert status == 200, body
    sums = server.client("cloudwatch").get_metric_statistics(
        Namespace=namespace, MetricName="Calls", StartTime=minute() - timedelta(minutes=5),
        EndTime=minute() + timedelta(minutes=5), Period=600, Statistics=["Sum"])["Datapoints"]
    assert [point["Sum"] for point in sums] == [6.0]


def test_a_compressed_cbor_request(server) -> None:
    namespace = unique("CborGzip")
    body = cbor2.dumps({"Namespace": namespace, "MetricData": [{"MetricName": "Calls", "Value": 4.0}]})
    request = signed_request(
        f"{server.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricData", "monitoring",
        "us-east-1", body=gzip.compress(body),
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Content-Encoding": "gzip"})
    status, _, answer = send(request)
    assert status == 200, answer
    assert [m["MetricName"] for m in server.client("cloudwatch").list_metrics(Namespace=namespace)["Metrics"]] \
        == ["Calls"]


def json_put(server, body: bytes, encoding: str = "gzip") -> tuple[int, dict[str, str], bytes]:
    return send(signed_request(
        f"{server.endpoint}/", "monitoring", "us-east-1", body=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "Content-Encoding": encoding,
                 "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData", "x-amzn-query-mode": "true"}))


def json_body(namespace: str) -> bytes:
    return json.dumps({"Namespace": namespace, "MetricData": [{"MetricName": "Calls", "Value": 1}]}).encode()


@pytest.mark.parametrize(("body", "message"), [
    (b"not gzip at all", "The request body is not valid gzip data."),
    (gzip.compress(b'{"Namespace": "x"}')[:-12], "The request body ends in the middle of its gzip data."),
], ids=["not-gzip", "truncated"])
def test_a_body_that_does_not_inflate_is_the_services_validation_error(server, body: bytes, message: str) -> None:
    status, headers, answer = json_put(server, body)
    assert status == 400
    assert headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"
    assert json.loads(answer)["message"] == message


def test_a_signature_over_the_inflated_body_does_not_match(server) -> None:
    namespace = unique("Resigned")
    inflated = json_body(namespace)
    request = signed_request(
        f"{server.endpoint}/", "monitoring", "us-east-1", body=inflated,
        headers={"Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
                 "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData", "x-amzn-query-mode": "true"})
    status, headers, _ = send(request, body=gzip.compress(inflated))
    assert (status, headers["x-amzn-query-error"]) == (403, "SignatureDoesNotMatch;Sender")
    assert server.client("cloudwatch").list_metrics(Namespace=namespace)["Metrics"] == []


def test_gzip_twice_and_other_codings(server) -> None:
    namespace = unique("Twice")
    status, _, answer = json_put(server, gzip.compress(gzip.compress(json_body(namespace))), "gzip, gzip")
    assert status == 200, answer
    # A coding other than gzip is not undone: the body is read as it came, as SDKs labelling plain JSON expect.
    status, _, answer = json_put(server, json_body(namespace + "Plain"), "amz-1.0")
    assert status == 200, answer
    cloudwatch = server.client("cloudwatch")
    for kept in (namespace, namespace + "Plain"):
        assert [m["Namespace"] for m in cloudwatch.list_metrics(Namespace=kept)["Metrics"]] == [kept]
