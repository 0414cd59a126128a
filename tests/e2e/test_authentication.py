"""Every request is authenticated: each SigV4 failure gets AWS's error code, in the client's protocol."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.waiting import wait_for
from tests.e2e.wire import FORM, raw, send, signed_later, signed_request

GET_CALLER_IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15"


def _error(call) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_unknown_access_key_is_invalid_client_token_id(client) -> None:
    sts = client("sts", aws_access_key_id="AKIANOTAREALKEY00000", aws_secret_access_key="whatever")
    assert _error(sts.get_caller_identity) == (
        403, "InvalidClientTokenId", "The security token included in the request is invalid.")


def test_unknown_access_key_on_a_json_service_is_unrecognized_client(client) -> None:
    profiles = client("customer-profiles", aws_access_key_id="AKIANOTAREALKEY00000", aws_secret_access_key="x")
    status, code, _ = _error(profiles.list_domains)
    assert (status, code) == (403, "UnrecognizedClientException")


def test_wrong_secret_is_signature_does_not_match(client) -> None:
    sts = client("sts", aws_secret_access_key="not-the-secret")
    status, code, message = _error(sts.get_caller_identity)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


def test_wrong_secret_on_a_rest_service_is_invalid_signature(client) -> None:
    profiles = client("customer-profiles", aws_secret_access_key="not-the-secret")
    status, code, _ = _error(profiles.list_domains)
    assert (status, code) == (403, "InvalidSignatureException")


def test_unsigned_request_is_missing_authentication_token(client) -> None:
    sts = client("sts", config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    assert _error(sts.get_caller_identity) == (403, "MissingAuthenticationToken",
                                               "Request is missing Authentication Token")
    profiles = client("customer-profiles", config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    assert _error(profiles.list_domains)[:2] == (403, "MissingAuthenticationTokenException")


def test_tampered_body_fails_the_signature(server) -> None:
    request = signed_request(f"{server.endpoint}/", "sts", "us-east-1", body=GET_CALLER_IDENTITY, headers=FORM)
    status, _, body = send(request, body=GET_CALLER_IDENTITY.replace("2011-06-15", "2011-06-16").encode())
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body


def test_request_signed_20_minutes_ago_has_an_expired_signature(server) -> None:
    signed_at = datetime.now(UTC) - timedelta(minutes=20)
    request = signed_request(f"{server.endpoint}/", "sts", "us-east-1", body=GET_CALLER_IDENTITY, headers=FORM,
                             at=signed_at.replace(tzinfo=None))
    status, _, body = send(request)
    assert status == 403
    text = body.decode()
    assert "<Code>SignatureDoesNotMatch</Code>" in text
    assert f"Signature expired: {signed_at.strftime('%Y%m%dT%H%M%SZ')} is now earlier than" in text
    assert "- 15 min.)" in text


def test_request_signed_20_minutes_ahead_is_not_yet_current(server) -> None:
    signed_at = datetime.now(UTC) + timedelta(minutes=20)
    request = signed_request(f"{server.endpoint}/domains", "profile", "us-east-1", method="GET",
                             at=signed_at.replace(tzinfo=None))
    status, headers, body = send(request)
    assert status == 403
    assert headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert "Signature not yet current" in json.loads(body)["Message"]


def test_request_within_the_skew_window_is_accepted(server) -> None:
    signed_at = datetime.now(UTC) - timedelta(minutes=10)
    request = signed_request(f"{server.endpoint}/", "sts", "us-east-1", body=GET_CALLER_IDENTITY, headers=FORM,
                             at=signed_at.replace(tzinfo=None))
    status, _, body = send(request)
    assert status == 200, body
    assert b"<Account>000000000000</Account>" in body


def test_unsupported_algorithm_is_rejected(server) -> None:
    request = signed_request(f"{server.endpoint}/", "sts", "us-east-1", body=GET_CALLER_IDENTITY, headers=FORM)
    request.headers.replace_header(
        "Authorization", request.headers["Authorization"].replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"))
    status, _, body = send(request)
    assert status == 400
    assert b"<Code>IncompleteSignature</Code>" in body
    assert b"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'" in body


def test_authorization_header_without_signature_is_incomplete(server) -> None:
    headers = {**FORM, "X-Amz-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
               "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/sts/aws4_request, "
                                "SignedHeaders=host;x-amz-date"}
    status, _, body = raw(f"{server.endpoint}/", body=GET_CALLER_IDENTITY.encode(), headers=headers)
    assert status == 400
    assert b"Authorization header requires 'Signature' parameter." in body


def test_a_signing_key_of_another_service_cannot_sign_its_requests(server) -> None:
    """A signing key is derived for one service too: one of STS's does not sign a CloudTrail call, however the
    call is addressed."""
    body = json.dumps({"MaxResults": 1})
    target = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "CloudTrail_20131101.LookupEvents"}
    assert send(signed_request(f"{server.endpoint}/", "cloudtrail", "us-east-1", body=body, headers=target))[0] == 200
    status, _, answer = send(signed_request(f"{server.endpoint}/", "sts", "us-east-1", body=body, headers=target))
    assert status == 403 and json.loads(answer) == {"__type": "InvalidSignatureException",
                                                    "message": "Credential should be scoped to correct service: "
                                                               "'cloudtrail'."}


@pytest.mark.parametrize("region", ["r" * 33, "US-EAST-1", "eu-west-1-", "eu west 1"])
def test_a_scope_naming_no_region_is_refused_and_the_attempt_recorded(server, region: str) -> None:
    """Any region is served, spelled as regions are (lower-case letters, digits and inner hyphens, at most 32
    characters). Before, a longer one was taken, and on PostgreSQL the call's audit event did not fit its column
    and was dropped (a write nobody could see in the trail), and PutMetricData's data point answered 500."""
    metric = "Action=PutMetricData&Version=2010-08-01&Namespace=Shop&MetricData.member.1.MetricName=Orders" \
             "&MetricData.member.1.Value=1"
    calls = [("sts", "/", "POST", GET_CALLER_IDENTITY, "<Code>SignatureDoesNotMatch</Code>"),
             ("monitoring", "/", "POST", metric, "<Code>SignatureDoesNotMatch</Code>"),
             ("profile", "/domains", "GET", "", "InvalidSignatureException")]  # in x-amzn-ErrorType (REST-JSON)
    for service, path, method, body, code in calls:
        status, headers, answer = send(signed_request(f"{server.endpoint}{path}", service, region, body=body,
                                                      method=method, headers=FORM if body else {}))
        assert status == 403 and code in answer.decode() + str(headers), (service, answer)
        assert f"Credential should be scoped to a valid region, not '{region}'." in answer.decode()

    def attempts() -> list[dict]:
        events = server.client("cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutMetricData"}])["Events"]
        return [record for event in events for record in [json.loads(event["CloudTrailEvent"])]
                if f"not '{region}'" in record.get("errorMessage", "")]

    (attempt,) = wait_for(attempts)  # filed under the key's account, in the region the call could not name
    assert (attempt["errorCode"], attempt["awsRegion"]) == ("SignatureDoesNotMatch", "us-east-1")
    assert "cannot be stored" not in server.logs()


def test_a_signature_that_is_not_hex_is_a_wrong_signature(server) -> None:
    amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for signature in ("\xe9" * 64, "not-hex"):
        headers = {**FORM, "X-Amz-Date": amz_date,
                   "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{amz_date[:8]}/us-east-1/sts/aws4_request, "
                                    f"SignedHeaders=host;x-amz-date, Signature={signature}"}
        status, _, body = raw(f"{server.endpoint}/", body=GET_CALLER_IDENTITY.encode(), headers=headers)
        assert (status, b"<Code>SignatureDoesNotMatch</Code>" in body) == (403, True), body


def test_session_token_on_a_long_term_key_is_invalid(client) -> None:
    sts = client("sts", aws_session_token="forged-token")
    assert _error(sts.get_caller_identity)[:2] == (403, "InvalidClientTokenId")


def _refused(request: urllib.request.Request | str) -> tuple[int, bytes]:
    """The status and body of an answer the request must not succeed with."""
    try:
        urllib.request.urlopen(request)
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    raise AssertionError(f"accepted: {request if isinstance(request, str) else request.full_url}")


def test_presigned_url_is_accepted_and_a_tampered_one_is_not(client) -> None:
    url = client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    with urllib.request.urlopen(url) as response:
        assert b"<Arn>arn:aws:iam::000000000000:root</Arn>" in response.read()
    tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    status, body = _refused(tampered)
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body


def _signed_by_hand(endpoint: str, signed: tuple[str, ...], key_days_ago: int = 0) -> urllib.request.Request:
    """A GetCallerIdentity whose signature covers the headers ``signed`` names and no other, signed now with the
    signing key of ``key_days_ago`` days before (the credential scope's date)."""
    now = datetime.now(UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), (now - timedelta(days=key_days_ago)).strftime("%Y%m%d")
    headers = {"content-type": "application/x-www-form-urlencoded", "host": endpoint.split("//")[1],
               "x-amz-date": amz_date}
    canonical = "\n".join(["POST", "/", "", "".join(f"{name}:{headers[name]}\n" for name in signed), ";".join(signed),
                           hashlib.sha256(GET_CALLER_IDENTITY.encode()).hexdigest()])
    scope = f"{day}/us-east-1/sts/aws4_request"
    key = b"AWS4test"
    for part in (day, "us-east-1", "sts", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(
        canonical.encode()).hexdigest()]).encode(), hashlib.sha256).hexdigest()
    authorization = f"AWS4-HMAC-SHA256 Credential=test/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    return urllib.request.Request(f"{endpoint}/", data=GET_CALLER_IDENTITY.encode(), method="POST", headers={
        "Content-Type": headers["content-type"], "X-Amz-Date": amz_date, "Authorization": authorization})


def test_a_signature_must_cover_the_host(server) -> None:
    """A signature that leaves the Host header out could be replayed against another endpoint: refused as AWS
    refuses it."""
    with urllib.request.urlopen(_signed_by_hand(server.endpoint, ("content-type", "host", "x-amz-date"))) as answer:
        assert answer.status == 200
    status, body = _refused(_signed_by_hand(server.endpoint, ("content-type", "x-amz-date")))
    assert status == 400 and b"<Code>IncompleteSignature</Code>" in body
    assert b"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." in body


def test_a_signing_key_of_another_day_cannot_sign_todays_requests(server) -> None:
    """A signing key is derived for one day (the credential scope's date): one of yesterday's, however well it
    signs, does not sign a request dated today."""
    request = _signed_by_hand(server.endpoint, ("content-type", "host", "x-amz-date"), key_days_ago=1)
    amz_date = request.get_header("X-amz-date")
    yesterday = (datetime.strptime(amz_date[:8], "%Y%m%d") - timedelta(days=1)).strftime("%Y%m%d")
    status, body = _refused(request)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    assert ("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{yesterday}' != '{amz_date[:8]}', from '{amz_date}'.") in body.decode()


@pytest.mark.parametrize("seconds", [0, 604_801, 10**12])
def test_a_presigned_lifetime_beyond_seven_days_or_under_a_second_is_refused(client, seconds: int) -> None:
    """A SigV4 signing key lasts seven days; a lifetime past it (or none) is refused, whoever signed it."""
    url = client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=seconds, HttpMethod="GET")
    status, body = _refused(url)
    assert status == 400
    assert b"<Code>IncompleteSignature</Code>" in body
    assert b"X-Amz-Expires must be from 1 to 604800 seconds (seven days)." in body
    longest = client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=604_800, HttpMethod="GET")
    with urllib.request.urlopen(longest) as response:
        assert response.status == 200


def test_expired_presigned_url_is_request_expired(server) -> None:
    from unittest.mock import patch

    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=f"{server.endpoint}/?{GET_CALLER_IDENTITY}")
    signed_at = (datetime.now(UTC) - timedelta(minutes=5)).replace(tzinfo=None)
    with patch("botocore.auth.get_current_datetime", return_value=signed_at):
        SigV4QueryAuth(Credentials("test", "test"), "sts", "us-east-1", expires=60).add_auth(request)
    status, _, body = send(request)
    assert status == 403
    assert b"<Code>RequestExpired</Code>" in body


def test_a_presigned_url_dated_ahead_is_not_yet_current(client) -> None:
    """A URL presigned for next month's date would otherwise be good from now until a week after it: refused
    until its date, as a header signature is."""
    with signed_later(days=30):
        url = client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=3600, HttpMethod="GET")
    status, body = _refused(url)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    assert b"Signature not yet current: " in body and b"+ 15 min.)" in body


def test_bootstrap_credentials_can_be_disabled(tmp_path) -> None:
    from tests.conftest import Server

    locked = Server(data_dir=tmp_path, extra_env={"PROFILESTACK_BOOTSTRAP_CREDENTIALS": "false"})
    locked.start()
    try:
        status, code, _ = _error(locked.client("sts").get_caller_identity)
        assert (status, code) == (403, "InvalidClientTokenId")
        assert "bootstrap credentials disabled" in locked.logs()
    finally:
        locked.stop()
