"""Outbound identity federation: an account's principals get JWTs naming them, which any OIDC relying party
verifies with the keys the account's issuer (served by profilestack) publishes."""

from __future__ import annotations

import json
import time
import urllib.request

import jwt
import pytest

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import allow, document, make_user


def _fetch(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def issuer(server: Server):
    iam = server.client("iam")
    url = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    yield url
    iam.disable_outbound_web_identity_federation()


def test_a_token_names_its_caller_and_verifies_against_the_issuers_keys(server: Server, issuer: str) -> None:
    iam = server.client("iam")
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    assert refused(iam.enable_outbound_web_identity_federation)[0] == "FeatureEnabled"
    configuration = _fetch(f"{issuer}/.well-known/openid-configuration")
    assert configuration["issuer"] == issuer
    keys = jwt.PyJWKSet.from_dict(_fetch(configuration["jwks_uri"]))

    user = make_user(server, document(allow("sts:GetWebIdentityToken")))
    for algorithm in ("RS256", "ES384"):
        answer = user.client("sts").get_web_identity_token(Audience=["https://crm.example.test"],
                                                           SigningAlgorithm=algorithm, DurationSeconds=120,
                                                           Tags=[{"Key": "team", "Value": "cc"}])
        token = answer["WebIdentityToken"]
        key = next(item for item in keys.keys if item.key_id == jwt.get_unverified_header(token)["kid"])
        claims = jwt.decode(token, key.key, algorithms=[algorithm], audience="https://crm.example.test",
                            issuer=issuer)
        assert claims["sub"] == user.arn and 100 < claims["exp"] - time.time() <= 120
        assert claims["https://sts.amazonaws.com/"]["request_tags"] == {"team": "cc"}
    assert jwt.decode(user.client("sts").get_web_identity_token(  # the default subject mode, asked for by name
        Audience=["x"], SigningAlgorithm="RS256", SubjectMode="AWSIdentity")["WebIdentityToken"],
        options={"verify_signature": False})["sub"] == user.arn
    code, message = refused(user.client("sts").get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256",
                            SubjectMode="OriginIdentity")
    assert code == "ValidationError" and "aws:OriginIdentity/Subject" in message
    sts = user.client("sts")
    assert jwt.decode(sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256", TokenType="AWSIdentity")[
        "WebIdentityToken"], options={"verify_signature": False})["sub"] == user.arn  # the default token type
    code, message = refused(sts.get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256", TokenType="JWT_SVID")
    assert code == "ValidationError" and "workload identity" in message
    code, message = refused(sts.get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256",
                            TokenType="AWSIdentity", SubjectMode="AWSIdentity")
    assert (code, message) == ("ValidationError", "TokenType cannot be combined with SubjectMode or Scope.")
    header, _, signature = token.split(".")
    forged = ".".join([header, jwt.utils.base64url_encode(json.dumps(
        {**claims, "sub": "arn:aws:iam::000000000000:root"}).encode()).decode(), signature])
    with pytest.raises(jwt.InvalidSignatureError):  # the claims are what the account's key signed, nothing else
        jwt.decode(forged, key.key, algorithms=["ES384"], audience="https://crm.example.test")

def test_tokens_need_the_feature_and_the_permission(server: Server) -> None:
    user = make_user(server, document(allow("sts:GetWebIdentityToken")))
    code, _ = refused(user.client("sts").get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256")
    assert code == "OutboundWebIdentityFederationDisabledException"
    assert refused(server.client("iam").get_outbound_web_identity_federation_info)[0] == "FeatureDisabled"
    server.client("iam").enable_outbound_web_identity_federation()
    try:
        stranger = make_user(server)
        assert refused(stranger.client("sts").get_web_identity_token, Audience=["x"],
                       SigningAlgorithm="RS256")[0] == "AccessDenied"
    finally:
        server.client("iam").disable_outbound_web_identity_federation()
    assert refused(server.client("iam").disable_outbound_web_identity_federation)[0] == "FeatureDisabled"
