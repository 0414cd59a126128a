"""The AWS SDK for JavaScript v3 against a running server: every service, its protocol and its errors, from Node.js
and from web pages in a real browser (Chromium, headless).

``make test`` installs the SDK into tests/js/node_modules with npm (versions pinned by its package-lock.json).
Without Node.js the tests are skipped, unless PROFILESTACK_REQUIRE_NODE=1 (as CI sets) makes that a failure;
without Chromium the browser's test is, unless PROFILESTACK_REQUIRE_BROWSER=1 (CI installs Debian's chromium).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from tests.e2e.identities import ACCOUNT, unique

SDK_TESTS = Path(__file__).resolve().parent.parent / "js"
REQUIRE_NODE = os.environ.get("PROFILESTACK_REQUIRE_NODE") == "1"
REQUIRE_BROWSER = os.environ.get("PROFILESTACK_REQUIRE_BROWSER") == "1"


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (SDK_TESTS / "node_modules" / "@aws-sdk").is_dir():
        if REQUIRE_NODE:
            pytest.fail("Node.js and the SDK in tests/js/node_modules are required (PROFILESTACK_REQUIRE_NODE=1)")
        pytest.skip("Node.js or tests/js/node_modules is missing (make test installs the SDK when npm exists)")
    return node


def _run(*arguments: str) -> dict:
    result = subprocess.run([_node(), *arguments], cwd=SDK_TESTS, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _walk_through(endpoint: str, suffix: str) -> dict:
    return _run("walkthrough.mjs", endpoint, suffix)


def test_the_javascript_sdk_works_against_every_service(server) -> None:
    suffix = unique("").replace("-", "")[-10:]
    seen = _walk_through(server.endpoint, suffix)
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/js/js-{suffix}"

    # STS and IAM (query protocol): identities, SigV4 failures, authorization, modelled errors
    assert seen["identity"] == {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    assert (seen["badSecret"]["name"], seen["badSecret"]["status"]) == ("SignatureDoesNotMatch", 403)
    assert (seen["unknownKey"]["name"], seen["unknownKey"]["status"]) == ("InvalidClientTokenId", 403)
    assert seen["user"] == {"UserName": f"js-{suffix}", "Path": "/js/", "Arn": user_arn,
                            "Tags": [{"Key": "team", "Value": "red"}], "CreateDateIsDate": True}
    assert seen["userIdentity"] == user_arn
    assert seen["userDenied"]["name"] == "AccessDenied" and seen["userDenied"]["status"] == 403
    assert "iam:ListRoles" in seen["userDenied"]["message"]
    assert (seen["missingUser"]["name"], seen["missingUser"]["status"]) == ("NoSuchEntityException", 404)
    assert seen["sessionIdentity"] == user_arn  # GetSessionToken's credentials are the user's

    # Customer Profiles (REST-JSON): the domain's own service-linked role, profiles, objects, errors
    assert seen["createDomain"] == f"js{suffix}"
    assert any(name.startswith("AWSServiceRoleForProfile_") for name in seen["serviceRoles"])
    assert seen["seedRole"] == {"Path": "/aws-service-role/profile.amazonaws.com/",
                                "trustedBy": "profile.amazonaws.com"}
    assert seen["seedDescription"] == f"for js{suffix}"
    assert seen["seedTrustChange"]["name"] == "UnmodifiableEntityException"
    deletion = seen["seedDeletion"]
    assert (deletion["Status"], deletion["Region"]) == ("FAILED", "us-east-1")
    assert deletion["Resources"] == [deletion["domainArn"]]
    assert seen["search"] == [{"ProfileId": seen["createdProfile"], "FirstName": "Ada",
                               "Address": {"City": "London", "Country": "UK"}, "Attributes": {"tier": "gold"},
                               "FoundByItems": [{"KeyName": "_phone", "Values": ["+15550100"]}]}]
    assert seen["batch"] == {"ids": [seen["createdProfile"]], "errors": ["ResourceNotFoundException"]}
    assert seen["putObject"] == "o-1"
    assert seen["calculated"] == {"Value": "1", "IsDataPartial": "false", "LastObjectTimestampIsDate": True}
    assert seen["membership"] == [[seen["createdProfile"], "PRESENT", "Ada"]]  # a union member, serialized by JS
    assert (seen["missingDomain"]["name"], seen["missingDomain"]["status"]) == ("ResourceNotFoundException", 404)
    assert (seen["invalidDomainName"]["name"], seen["invalidDomainName"]["status"]) == ("BadRequestException", 400)

    # CloudWatch (the protocol this SDK picks), Outbound Campaigns v2, CloudTrail (JSON 1.1, short target)
    assert seen["metrics"] == [{"MetricName": "Orders", "Dimensions": [{"Name": "Shop", "Value": "north"}]}]
    assert seen["statistics"] == [{"Sum": 8, "SampleCount": 2}]
    assert seen["compressedPut"] == {"encodings": ["gzip"], "metrics": 300}
    assert seen["reservedNamespace"]["name"] == "InvalidParameterValueException"
    assert seen["reservedNamespace"]["status"] == 400
    assert seen["alarm"] == {"Threshold": 100, "Dimensions": [{"Name": "Shop", "Value": "north"}],
                             "StateReason": "from JavaScript", "UpdatedIsDate": True}
    assert (seen["missingAlarm"]["name"], seen["missingAlarm"]["status"]) == ("ResourceNotFound", 404)
    assert seen["dashboard"] == f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/shop-{suffix}"
    assert seen["campaign"] == {"name": f"winback-{suffix}", "arn": True, "listed": True}
    assert (seen["deletedCampaign"]["name"], seen["deletedCampaign"]["status"]) == ("ResourceNotFoundException", 404)
    assert {"EventName": "CreateUser", "source": "iam.amazonaws.com"} in seen["trail"]
    assert {"EventName": "CreateAccessKey", "source": "iam.amazonaws.com"} in seen["trail"]


def test_the_javascript_sdk_v2_works_too(server) -> None:
    """Version 2 (out of support, still in many contact-center applications) has serializers of its own."""
    suffix = unique("").replace("-", "")[-10:]
    seen = _run("walkthrough_v2.cjs", server.endpoint, suffix)
    assert seen["identity"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert (seen["badSecret"]["code"], seen["badSecret"]["status"]) == ("SignatureDoesNotMatch", 403)
    assert seen["user"] == {"UserName": f"v2-{suffix}", "Tags": [{"Key": "team", "Value": "red"}],
                            "CreateDateIsDate": True}
    assert (seen["missingUser"]["code"], seen["missingUser"]["status"]) == ("NoSuchEntity", 404)
    assert seen["domain"] == f"v2{suffix}"
    assert seen["search"] == [{"ProfileId": seen["profileId"], "FirstName": "Ada", "PhoneNumber": "+15550100",
                               "Attributes": {"tier": "gold"},
                               "FoundByItems": [{"KeyName": "_phone", "Values": ["+15550100"]}]}]
    assert (seen["missingDomain"]["code"], seen["missingDomain"]["status"]) == ("ResourceNotFoundException", 404)
    assert any(name.startswith("AWSServiceRoleForProfile_") for name in seen["serviceRoles"])
    assert seen["metrics"] == [{"Namespace": f"V2/{suffix}", "MetricName": "Clicks",
                                "Dimensions": [{"Name": "Page", "Value": "home"}]}]
    assert seen["sums"] == [2]
    assert "CreateUser" in seen["trail"]


def test_the_javascript_sdk_works_in_web_pages_that_may_call_and_not_in_others(shared_servers) -> None:
    """A page on the developer's machine (another origin than the server's) calls through the browser's CORS
    checks and reads answers and errors; a page of a foreign origin is stopped at the preflight, and the presigned
    call it loads as an image is refused."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if REQUIRE_BROWSER:
            pytest.fail("Chromium is required (PROFILESTACK_REQUIRE_BROWSER=1)")
        pytest.skip("Chromium is missing (Debian's package chromium)")
    server = shared_servers("sqlite")  # the browser's checks come before storage: one backend is enough
    suffix = unique("").replace("-", "")[-10:]
    iam = server.client("iam")

    def presigned_user(name: str) -> str:  # a call any page can make a browser send, as an image
        return iam.generate_presigned_url("create_user", Params={"UserName": name}, ExpiresIn=300,
                                          HttpMethod="GET")

    def presigned_as(name: str, user: str) -> str:  # signed for the server reached by another name
        signer = boto3.client("iam", endpoint_url=f"http://{name}:{server.port}", region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        return signer.generate_presigned_url("create_user", Params={"UserName": user}, ExpiresIn=300,
                                             HttpMethod="GET")

    pages = _run("in_browser.mjs", chromium, server.endpoint, suffix,
                 f"localhost|{presigned_user(f'img{suffix}0')}", f"foreign.test|{presigned_user(f'img{suffix}1')}",
                 f"visit|{presigned_as('rebound.test', f'rebound{suffix}')}",
                 f"visit|{presigned_as('localhost', f'visited{suffix}')}")

    local = pages["localhost"]
    assert local["identity"] == {"ok": f"arn:aws:iam::{ACCOUNT}:root"}
    assert local["createDomain"] == {"ok": f"page{suffix}0"}
    assert local["search"] == {"ok": [local["profileId"]]}
    for name, code in (("missingDomain", "ResourceNotFoundException"), ("missingUser", "NoSuchEntityException")):
        error = local[name]["error"]
        assert (error["name"], error["status"]) == (code, 404)
        assert error["requestId"]  # read from a header the page may only read when told it may
    assert local["metrics"] == {"ok": ["Clicks"]}  # CloudWatch in the protocol this SDK picks

    foreign = pages["foreign.test"]
    assert foreign["identity"]["error"]["name"] == "TypeError"  # the browser's "Failed to fetch"
    assert foreign["createDomain"]["error"]["name"] == "TypeError" and "search" not in foreign
    assert any("blocked by CORS policy" in line for line in foreign["consoleErrors"])
    profiles = server.client("customer-profiles")
    assert profiles.get_domain(DomainName=f"page{suffix}0")["DomainName"] == f"page{suffix}0"
    with pytest.raises(profiles.exceptions.ResourceNotFoundException):
        profiles.get_domain(DomainName=f"page{suffix}1")
    # The image's GET carries no Origin: Chromium's Sec-Fetch-Site and Referer tell whose page sent it.
    assert iam.get_user(UserName=f"img{suffix}0")["User"]["UserName"] == f"img{suffix}0"
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=f"img{suffix}1")
    # DNS rebinding: a site's name pointed at this machine (Chromium maps every name to 127.0.0.1) reaches the
    # server, which answers only to this machine's names; the same call by one of them is served.
    assert pages["visit rebound.test"] == {"status": 403}
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=f"rebound{suffix}")
    assert pages["visit localhost"] == {"status": 200}
    assert iam.get_user(UserName=f"visited{suffix}")["User"]["UserName"] == f"visited{suffix}"
