"""CloudTrail's names of resource types, worked out from the IAM resource type and the ARN's service."""

from __future__ import annotations

import pytest

from profilestack.audit.resource_types import cloudtrail_type


@pytest.mark.parametrize(("kind", "arn", "named"), [
    ("role", "arn:aws:iam::111122223333:role/service-role/r", "AWS::IAM::Role"),
    ("user", "arn:aws:iam::111122223333:user/alice", "AWS::IAM::User"),
    ("oidc-provider", "arn:aws:iam::111122223333:oidc-provider/token.example.com", "AWS::IAM::OIDCProvider"),
    ("saml-provider", "arn:aws:iam::111122223333:saml-provider/idp", "AWS::IAM::SAMLProvider"),
    ("mfa", "arn:aws:iam::111122223333:mfa/alice", "AWS::IAM::MFADevice"),
    ("domains", "arn:aws:profile:us-east-1:111122223333:domains/shop", "AWS::CustomerProfiles::Domain"),
    ("segment-definitions", "arn:aws:profile:us-east-1:111122223333:domains/shop/segment-definitions/vip",
     "AWS::CustomerProfiles::SegmentDefinition"),
    ("alarm", "arn:aws:cloudwatch:us-east-1:111122223333:alarm:high", "AWS::CloudWatch::Alarm"),
    ("eventdatastore", "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/x", "AWS::CloudTrail::EventDataStore"),
    ("campaign", "arn:aws:connect-campaigns:us-east-1:111122223333:campaign/c", "AWS::ConnectCampaigns::Campaign"),
    ("thing", "arn:aws:made-up:us-east-1:111122223333:thing/t", "AWS::MadeUp::Thing"),  # a service not listed
    ("AWS::IAM::Role", "arn:aws:iam::111122223333:role/r", "AWS::IAM::Role"),  # already CloudTrail's name
])
def test_cloudtrail_names_a_resource_type_as_aws_service_type(kind: str, arn: str, named: str) -> None:
    assert cloudtrail_type(kind, arn) == named
