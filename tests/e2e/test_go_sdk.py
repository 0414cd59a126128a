"""The AWS SDK for Go v2 against a running server: every service, its protocol and its errors, through a third
SDK's own signer, serializers and error readers — the SDK Terraform's AWS provider is built on.

The SDK comes from Debian (``golang-github-aws-aws-sdk-go-v2-dev``, a 2022 release: a client pinned to an older
SDK, whose models lack the newer operations) and is built in GOPATH mode with Debian's Go. Without them the test is
skipped, unless PROFILESTACK_REQUIRE_GO=1 (as CI sets, after installing both) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.identities import ACCOUNT, unique

WALKTHROUGH = Path(__file__).resolve().parent.parent / "go" / "walkthrough.go"
REQUIRE_GO = os.environ.get("PROFILESTACK_REQUIRE_GO") == "1"
GOPATH = os.environ.get("PROFILESTACK_GOPATH", "/usr/share/gocode")  # where Debian's Go libraries are
SDK = Path(GOPATH) / "src" / "github.com" / "aws" / "aws-sdk-go-v2" / "service" / "customerprofiles"


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not SDK.is_dir():
        if REQUIRE_GO:
            pytest.fail(f"Go and the AWS SDK for Go v2 in {GOPATH} are required (PROFILESTACK_REQUIRE_GO=1)")
        pytest.skip("Go or the AWS SDK for Go v2 is missing (Debian's golang-go, golang-github-aws-aws-sdk-go-v2-dev)")
    built = tmp_path_factory.mktemp("go") / "walkthrough"
    environment = {**os.environ, "GO111MODULE": "off", "GOPATH": GOPATH, "GOFLAGS": ""}
    environment.setdefault("GOCACHE", str(built.parent / "cache"))  # where HOME names none
    result = subprocess.run([go, "build", "-o", str(built), str(WALKTHROUGH)], env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return built


def test_the_go_sdk_works_against_every_service(server, walkthrough: Path) -> None:
    suffix = unique("").replace("-", "")[-10:]
    result = subprocess.run([str(walkthrough), server.endpoint, suffix], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/go/go-{suffix}"

    def error(name: str) -> tuple[str, int]:
        return seen[name]["code"], seen[name]["status"]

    # STS and IAM (query protocol): identities, SigV4 failures, authorization, modelled errors, timestamps
    assert seen["identity"] == {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    assert error("badSecret") == ("SignatureDoesNotMatch", 403)
    assert error("unknownKey") == ("InvalidClientTokenId", 403)
    user = seen["user"]
    assert (user["UserName"], user["Path"], user["Arn"]) == (f"go-{suffix}", "/go/", user_arn)
    assert user["Tags"] == [{"Key": "team", "Value": "red"}] and 0 <= user["CreatedSecondsAgo"] < 60
    assert seen["userIdentity"] == user_arn
    assert error("userDenied") == ("AccessDenied", 403) and "iam:ListRoles" in seen["userDenied"]["message"]
    assert error("missingUser") == ("NoSuchEntity", 404)
    assert seen["userPages"] == [[f"a-{suffix}"], [f"b-{suffix}"], [f"c-{suffix}"]]  # Marker, page by page
    assert seen["userDetail"] == {"Path": "/go/", "PolicyName": "assume", "PolicyIsJSON": True, "Tags": 1}
    # the user assumed a role; the session's calls carry its token, and the role's (empty) permissions bind them
    assert seen["roleIdentity"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/go-role-{suffix}/gopher"
    assert 800 < seen["expiresInSeconds"] <= 900
    assert error("roleDenied") == ("AccessDenied", 403)
    assert f"assumed-role/go-role-{suffix}/gopher is not authorized to perform: iam:ListUsers" in (
        seen["roleDenied"]["message"])
    assert seen["presigned"] == {"method": "GET", "status": 200, "Arn": user_arn}

    # Customer Profiles (REST-JSON): the domain's own service-linked role, a label holding an ARN, profiles
    assert seen["createDomain"]["DomainName"] == f"go{suffix}"
    assert seen["createDomain"]["DefaultExpirationDays"] == 30 and 0 <= seen["createDomain"]["CreatedSecondsAgo"] < 60
    assert len(seen["newServiceRoles"]) == 1 and seen["newServiceRoles"][0].startswith("AWSServiceRoleForProfile_")
    assert seen["seedRole"] == {"Path": "/aws-service-role/profile.amazonaws.com/",
                                "trustedBy": "profile.amazonaws.com"}
    assert error("seedTrustChange") == ("UnmodifiableEntity", 400)
    assert seen["domainTags"] == {"team": "red", "stage": "test"}
    assert seen["search"] == [{"ProfileId": seen["createdProfile"], "FirstName": "Ada", "City": "London",
                               "PartyType": "INDIVIDUAL", "Attributes": {"tier": "gold"}}]
    assert (seen["putObject"], seen["objects"]) == ("o-1", 1)
    assert seen["stats"] == {"ProfileCount": 1, "ObjectCount": 1}  # the object found the profile by its phone
    assert error("missingDomain") == ("ResourceNotFoundException", 404)
    assert error("invalidDomainName") == ("BadRequestException", 400)

    # CloudWatch (the query protocol of this SDK release), Outbound Campaigns v1 (a union), CloudTrail (JSON 1.1)
    assert seen["metrics"] == ["Orders Shop=north"]
    assert seen["statistics"] == [8, 2]
    assert seen["metricData"] == {"orders Orders Complete": [8], "doubled twice Complete": [16]}
    assert error("reservedNamespace") == ("InvalidParameterValue", 400)
    assert seen["alarm"]["Threshold"] == 100 and seen["alarm"]["Comparison"] == "GreaterThanThreshold"
    assert 0 <= seen["alarm"]["UpdatedSecondsAgo"] < 60
    assert error("missingAlarm") == ("ResourceNotFound", 404)
    # Contributor Insights on the log group a trail delivers to: the user's refused calls, ranked, one period each
    assert seen["contributors"] == {"ListRoles": 2, "ListUsers": 1}
    assert seen["rule"] == {"State": "ENABLED", "Schema": "CloudWatchLogRule/1"}
    assert seen["campaign"] == {"Name": f"dialer-{suffix}", "sameArn": True, "dialer": "predictive 0.5"}
    assert error("deletedCampaign") == ("ResourceNotFoundException", 404)
    assert {"CreateUser iam.amazonaws.com", "CreateAccessKey iam.amazonaws.com",
            "PutUserPolicy iam.amazonaws.com"} <= set(seen["trail"])
    assert seen["trailPages"] == (len(seen["trail"]) + 1) // 2 > 1  # NextToken, two events a page
