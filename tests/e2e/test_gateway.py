"""The gateway end to end: health, STS through boto3 and the AWS CLI, routing and validation errors."""

from __future__ import annotations

import json
import signal

import cbor2
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from profilestack import __version__
from tests.conftest import Server, require_postgres
from tests.e2e.cli import AwsCli, profilestack
from tests.e2e.identities import unique
from tests.e2e.waiting import wait_for
from tests.e2e.wire import FORM, raw, send, signed_request
from tests.postgres import POSTGRES_ADMIN_URL, PostgresDatabase


def test_health_reports_status_version_and_storage(server) -> None:
    status, headers, body = raw(f"{server.endpoint}/_profilestack/health", method="GET")
    assert status == 200
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert document["status"] == "ok"
    assert document["version"] == "0.1.0"
    assert document["storage"] == server.backend


def test_the_banner_says_where_it_listens_once_the_address_is_taken(server, tmp_path) -> None:
    banner = server.logs()
    assert f"profilestack {__version__} listening on {server.endpoint}" in banner
    assert f"storage: {server.backend} (" in banner
    assert "default credentials: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test (root of account 000000000000)" \
        in banner
    second = profilestack("serve", "--port", str(server.port), "--data-dir", str(tmp_path), timeout=60)
    assert second.returncode == 3, second.stderr  # uvicorn's failure to start
    assert "Address already in use" in second.stderr and "listening on" not in second.stdout


def test_sigusr1_writes_every_threads_stack_to_the_log_and_the_server_serves_on(server) -> None:
    logged = len(server.logs())

    def dumped() -> str | None:  # once the outbox worker's and the audit writer's threads are in it
        text = server.logs()[logged:]
        return text if "outbox/worker.py" in text and "audit/log.py" in text else None

    server.process.send_signal(signal.SIGUSR1)
    assert "(most recent call first)" in wait_for(dumped)
    assert server.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_get_caller_identity_is_the_root_of_the_default_account(client) -> None:
    identity = client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["UserId"] == "000000000000"
    assert identity["ResponseMetadata"]["RequestId"]


def test_get_caller_identity_through_the_aws_cli(server) -> None:
    aws = AwsCli(server.endpoint, region="eu-west-2")
    assert aws("sts", "get-caller-identity")["Arn"] == "arn:aws:iam::000000000000:root"


def test_unimplemented_operations_answer_not_implemented_in_each_protocol(server) -> None:
    # boto3 speaks CloudWatch's CBOR; the query and JSON forms are sent raw, signed for "monitoring".
    with pytest.raises(ClientError) as caught:
        server.client("cloudwatch").get_o_tel_enrichment()
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501

    query = signed_request(f"{server.endpoint}/", "monitoring", "us-east-1",
                           body="Action=GetOTelEnrichment&Version=2010-08-01", headers=FORM)
    status, _, body = send(query)
    assert status == 501 and b"<Code>NotImplemented</Code>" in body

    cbor = signed_request(f"{server.endpoint}/service/GraniteServiceVersion20100801/operation/GetOTelEnrichment",
                          "monitoring", "us-east-1", body=cbor2.dumps({}),
                          headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"})
    status, headers, body = send(cbor)
    assert status == 501
    assert headers["x-amzn-query-error"] == "NotImplemented;Receiver"
    assert cbor2.loads(body)["__type"].endswith("#NotImplemented")


def test_unknown_query_action_is_invalid_action(server) -> None:
    request = signed_request(f"{server.endpoint}/", "sts", "us-east-1",
                             body="Action=FlyToTheMoon&Version=2011-06-15", headers=FORM)
    status, _, body = send(request)
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in body
    assert b"Could not find operation FlyToTheMoon for version 2011-06-15" in body


def _cloudtrail_json(server, operation: str, body: bytes) -> tuple[int, dict]:
    """A raw, signed CloudTrail JSON 1.1 request: the status and the decoded error body."""
    request = signed_request(f"{server.endpoint}/", "cloudtrail", "us-east-1", body=body, headers={
        "X-Amz-Target": f"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.{operation}",
        "Content-Type": "application/x-amz-json-1.1"})
    status, _, payload = send(request)
    return status, json.loads(payload)


def test_unknown_json_target_is_unknown_operation(server) -> None:
    status, body = _cloudtrail_json(server, "Nope", b"{}")
    assert status == 400
    assert body["__type"] == "UnknownOperationException"


def test_unknown_rest_path_is_unknown_operation(server) -> None:
    request = signed_request(f"{server.endpoint}/no/such/thing", "profile", "us-east-1", method="GET")
    status, headers, _ = send(request)
    assert status == 404
    assert headers["x-amzn-errortype"] == "UnknownOperationException"


SERVED = "cloudtrail, cloudtrail-data, connect-campaigns, iam, monitoring, profile, sts"


@pytest.mark.parametrize(("service", "call", "code", "status"), [
    ("s3", lambda s3: s3.list_buckets(), "InvalidAction", 404),  # rest-xml: read as XML
    ("sns", lambda sns: sns.list_topics(), "InvalidAction", 400),  # query
    ("dynamodb", lambda dynamodb: dynamodb.list_tables(), "UnknownOperationException", 400),  # JSON
    ("connect", lambda connect: connect.list_instances(), "UnknownOperationException", 404),  # rest-json
])
def test_a_call_to_a_service_not_served_here_says_so_in_that_services_protocol(server, service, call, code,
                                                                                status) -> None:
    """A client whose AWS_ENDPOINT_URL sends every service here learns which of its calls went astray."""
    with pytest.raises(ClientError) as caught:
        call(server.client(service))
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert error["Error"]["Message"] == (f"This server does not serve {service}, the service the request is "
                                         f"signed for; it serves {SERVED}.")


def test_a_service_botocore_does_not_know_is_named_as_signed(server) -> None:
    request = signed_request(f"{server.endpoint}/things", "no-such-service", "us-east-1", method="GET")
    status, headers, body = send(request)
    assert (status, headers["x-amzn-errortype"]) == (404, "UnknownOperationException")
    assert json.loads(body)["Message"].startswith("This server does not serve no-such-service, ")


def test_constraint_violations_answer_the_services_validation_error(client) -> None:
    profiles = client("customer-profiles")
    with pytest.raises(ClientError) as caught:
        profiles.get_domain(DomainName="not a valid name!")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "BadRequestException"
    assert error["Error"]["Message"] == (
        "1 validation error detected: Value 'not a valid name!' at 'domainName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]+$"
    )


@pytest.mark.parametrize(("value", "accepted"), [("ok_name-1", True), ("rôle", False), ("a\u0663", False)])
def test_pattern_classes_mean_what_they_mean_to_aws(client, value: str, accepted: bool) -> None:
    """\\w in a model's pattern is an ASCII letter, digit or underscore, as in the services' Java and Smithy's
    ECMAScript patterns, not Python's Unicode ones: "rôle" is no IAM name. \\p{L} is any letter: "équipe" is a
    tag key, "team$" is not."""
    iam = client("iam", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    name = f"{value}{unique('')}"
    if accepted:
        iam.create_user(UserName=name)
        iam.tag_user(UserName=name, Tags=[{"Key": "équipe", "Value": "ventes"}, {"Key": "名前 1", "Value": "x"}])
        with pytest.raises(ClientError) as refused:
            iam.tag_user(UserName=name, Tags=[{"Key": "team$", "Value": "x"}])
        assert refused.value.response["Error"]["Message"] == (
            "1 validation error detected: Value 'team$' at 'tags.1.member.key' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+")
        assert {tag["Key"] for tag in iam.list_user_tags(UserName=name)["Tags"]} == {"équipe", "名前 1"}
        return
    with pytest.raises(ClientError) as refused:
        iam.create_user(UserName=name)
    assert (refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]) == (
        "ValidationError", f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")


def test_an_anchored_pattern_ends_at_the_end_of_the_value(client) -> None:
    """A model pattern's ``$`` is the end of the value, as in Java and ECMAScript: Python's also matches before a
    final newline, and a domain named "shop\\n" was created."""
    profiles = client("customer-profiles", config=Config(parameter_validation=False,
                                                          retries={"total_max_attempts": 1}))
    name = unique("trailing")
    with pytest.raises(ClientError) as refused:
        profiles.create_domain(DomainName=f"{name}\n", DefaultExpirationDays=5)
    assert (refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]) == (
        "BadRequestException", f"1 validation error detected: Value '{name}\n' at 'domainName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]+$")
    assert name not in {domain["DomainName"].strip() for domain in profiles.list_domains()["Items"]}


def test_query_validation_error_lists_every_violation(server) -> None:
    body = "Action=AssumeRole&Version=2011-06-15&RoleArn=short&RoleSessionName=bad%20name&DurationSeconds=10"
    status, _, payload = send(signed_request(f"{server.endpoint}/", "sts", "us-east-1", body=body, headers=FORM))
    assert status == 400
    text = payload.decode()
    assert "<Code>ValidationError</Code>" in text
    assert "3 validation errors detected" in text
    assert "Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than " \
           "or equal to 900" in text


def test_malformed_json_body_is_a_client_error_not_a_500(server) -> None:
    status, body = _cloudtrail_json(server, "LookupEvents", b"{not json")
    assert status == 400
    assert body["__type"] == "InvalidParameterException"


@pytest.mark.parametrize("body", [b'{"StartTime": ' + b"[" * 5000, b'{"StartTime": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                  b'{"NextToken": "\\ud800"}'], ids=["deep-unclosed", "deep-closed", "lone-surrogate"])
def test_json_bodies_no_reader_can_take_are_client_errors(server, body: bytes) -> None:
    """Nesting too deep for the JSON readers (orjson stops at 1,024 levels, the standard library at its recursion
    limit) and an escape of half a surrogate pair (a string UTF-8 cannot carry) are malformed bodies."""
    status, answer = _cloudtrail_json(server, "LookupEvents", body)
    assert (status, answer["__type"]) == (400, "InvalidParameterException")
    for path in ("/domains/some-domain/profiles", "/domains/some-domain/batch-get-profiles"):
        status, _, payload = send(signed_request(f"{server.endpoint}{path}", "profile", "us-east-1", body=body,
                                                 headers={"Content-Type": "application/json"}))
        assert (status, json.loads(payload)) == (400, {"Message": "The request body is not valid JSON"})


@pytest.mark.parametrize("seconds", [253402300800, 1e20, -1e20], ids=["year-10000", "far-ahead", "far-before"])
def test_epoch_seconds_no_date_can_hold_are_client_errors(server, seconds: float) -> None:
    """boto3 will not send a number of seconds past year 9999, but a body written by hand may, in every protocol
    that takes timestamps as numbers."""
    message = f"Invalid timestamp value: {seconds!r}"
    status, answer = _cloudtrail_json(server, "LookupEvents", json.dumps({"StartTime": seconds}).encode())
    assert (status, answer) == (400, {"__type": "InvalidParameterException", "message": message})
    status, _, payload = send(signed_request(f"{server.endpoint}/domains/some-domain/workflows", "profile",
                                             "us-east-1", body=json.dumps({"QueryStartDate": seconds}),
                                             headers={"Content-Type": "application/json"}))
    assert (status, json.loads(payload)) == (400, {"Message": message})
    cbor = signed_request(f"{server.endpoint}/service/GraniteServiceVersion20100801/operation/GetMetricStatistics",
                          "monitoring", "us-east-1",
                          body=cbor2.dumps({"Namespace": "N", "MetricName": "M", "StartTime": seconds, "EndTime": 5,
                                            "Period": 60, "Statistics": ["Sum"]}),
                          headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"})
    status, _, payload = send(cbor)
    assert status == 400
    assert cbor2.loads(payload) == {"__type": "GraniteServiceVersion20100801#InvalidParameterValueException",
                                    "message": message}


def test_numbers_their_type_cannot_hold_are_client_errors(server) -> None:
    """An integer past its Smithy type's range (a 32-bit MaxResults of 10^30), or a number past the largest double
    (a CBOR bignum, a long JSON literal) is malformed in every protocol. Before, the double was a 500, and the
    integer was taken, or refused with the float it became (1000000000000000019884624838656)."""
    huge, big = 10 ** 400, 10 ** 30
    status, answer = _cloudtrail_json(server, "LookupEvents", b'{"MaxResults": %d}' % big)
    assert (status, answer) == (400, {"__type": "InvalidParameterException",
                                      "message": "Number out of range for integer, a 32-bit integer."})
    status, _, payload = send(signed_request(f"{server.endpoint}/domains/some-domain", "profile", "us-east-1",
                                             body=b'{"DefaultExpirationDays": %d}' % big,
                                             headers={"Content-Type": "application/json"}))
    assert (status, json.loads(payload)) == (400, {"Message": "Number out of range for integer, a 32-bit integer."})
    query = (f"Action=GetMetricData&Version=2010-08-01&MetricDataQueries.member.1.Id=a&MetricDataQueries.member.1."
             f"Expression=1&StartTime=2026-12-07T00:00:00Z&EndTime=2026-12-07T01:00:00Z&MaxDatapoints={big}")
    status, _, payload = send(signed_request(f"{server.endpoint}/", "monitoring", "us-east-1", body=query,
                                             headers=FORM))
    assert status == 400 and b"<Code>InvalidParameterValue</Code>" in payload
    assert b"Number out of range for integer, a 32-bit integer." in payload
    put = {"Namespace": "N", "MetricData": [{"MetricName": "M", "Value": huge}]}
    cbor = signed_request(f"{server.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricData",
                          "monitoring", "us-east-1", body=cbor2.dumps(put),
                          headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"})
    status, _, payload = send(cbor)
    assert (status, cbor2.loads(payload)) == (400, {
        "__type": "GraniteServiceVersion20100801#InvalidParameterValueException",
        "message": "Number out of range: it is larger than a double can hold."})
    status, _, payload = send(signed_request(
        f"{server.endpoint}/", "monitoring", "us-east-1", body=json.dumps(put),
        headers={"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-mode": "true",
                 "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"}))
    assert (status, json.loads(payload)["__type"]) == (400, "InvalidParameterValueException")


def test_a_query_list_that_skips_a_position_loses_none_of_its_values(server, client) -> None:
    """botocore numbers list members from 1 without gaps; a request written by hand may skip one. Before, the list
    ended at the gap: DeleteAlarms with members 2 and 10 deleted nothing and answered 200."""
    cloudwatch = client("cloudwatch")
    names = [unique("gap") for _ in range(2)]
    for name in names:
        cloudwatch.put_metric_alarm(AlarmName=name, MetricName="M", Namespace="Gaps", Statistic="Sum", Period=60,
                                    EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")

    def query(action: str, **members: str) -> tuple[int, bytes]:
        body = "&".join([f"Action={action}", "Version=2010-08-01", *(f"AlarmNames.member.{position.lstrip('_')}="
                                                                      f"{name}" for position, name in members.items())])
        status, _, payload = send(signed_request(f"{server.endpoint}/", "monitoring", "us-east-1", body=body,
                                                 headers=FORM))
        return status, payload

    status, payload = query("DescribeAlarms", _1=names[0], _3=names[1], _0="position-zero-is-none")
    assert status == 200 and all(f"<AlarmName>{name}</AlarmName>".encode() in payload for name in names)
    assert query("DeleteAlarms", _10=names[1], _2=names[0])[0] == 200
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []


def test_characters_xml_cannot_carry_are_replaced_in_query_answers(client) -> None:
    """A NUL or another control character sent in a name comes back in the validation message as U+FFFD: the XML
    answer stays readable (botocore would fail to parse it otherwise)."""
    with pytest.raises(ClientError) as caught:
        client("iam").create_user(UserName="a\x00b\x1fc")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "Value 'a\ufffdb\ufffdc' at 'userName' failed to satisfy constraint" in error["Message"]


def test_every_response_carries_a_request_id(server) -> None:
    ok = server.client("sts").get_caller_identity()
    assert ok["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == ok["ResponseMetadata"]["RequestId"]
    _, headers, body = send(signed_request(f"{server.endpoint}/", "sts", "us-east-1",
                                                body="Action=Nope&Version=2011-06-15", headers=FORM))
    assert headers["x-amzn-requestid"].encode() in body


def test_health_is_503_while_the_database_does_not_answer(tmp_path) -> None:
    require_postgres(": the test needs PostgreSQL, whose connections a test can refuse")
    import psycopg

    database = PostgresDatabase()

    def allow_connections(allowed: bool) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database.name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                              [database.name])

    def health() -> tuple[int, dict]:
        status, _, body = raw(f"{server.endpoint}/_profilestack/health", method="GET")
        return status, json.loads(body)

    server = Server(data_dir=tmp_path, db_url=database.url, backend="postgresql")
    server.start()
    try:
        assert health() == (200, {"status": "ok", "version": __version__, "storage": "postgresql"})
        allow_connections(False)
        assert health() == (503, {"status": "unavailable", "version": __version__, "storage": "postgresql",
                                  "reason": "The database does not answer."})
        allow_connections(True)
        assert wait_for(lambda: health()[0] == 200)
    finally:
        server.stop()
        database.drop()
