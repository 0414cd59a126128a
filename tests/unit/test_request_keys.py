"""The global condition keys the gateway sets from how a call arrived: aws:SecureTransport and aws:SourceIp."""

from __future__ import annotations

import pytest

from profilestack.gateway.authz import AuthorizationRequest, base_context
from profilestack.identity.principal import AWS_SERVICE, IAM_USER, Principal

USER = Principal(IAM_USER, "111122223333", "arn:aws:iam::111122223333:user/alice", "AIDAEXAMPLE", "alice")
SERVICE = Principal(AWS_SERVICE, "111122223333", "profile.amazonaws.com", "profile.amazonaws.com",
                    invoked_by="profile.amazonaws.com")


@pytest.mark.parametrize(("principal", "secure", "expected"), [
    (USER, True, "true"),  # over HTTPS, or a trusted proxy's X-Forwarded-Proto: https
    (USER, False, "false"),  # over plain HTTP
    (USER, None, "false"),  # in process for someone, with nothing said: not assumed secure
    (SERVICE, None, "true"),  # a service's own call: AWS's services call each other over TLS
    (SERVICE, False, "false"),  # what the call says wins
], ids=["user-tls", "user-plain", "user-unsaid", "service-own", "service-said-plain"])
def test_secure_transport(principal: Principal, secure: bool | None, expected: str) -> None:
    keys = base_context(AuthorizationRequest(principal, "iam:GetUser", [], "us-east-1", {}, "10.0.0.1", secure))
    assert keys["aws:securetransport"] == [expected]
    assert keys["aws:sourceip"] == ["10.0.0.1"]
