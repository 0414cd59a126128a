"""AWS STS: who am I, role sessions (for IAM principals and for the bearers of OpenID Connect tokens), session
tokens and federated users with temporary credentials, whose account a key is, and MFA codes vouching for a call."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.engine import account_of
from profilestack.identity.principal import (
    ASSUMED_ROLE,
    AWS_SERVICE,
    IAM_USER,
    ROOT,
    SAML_USER,
    WEB_IDENTITY_USER,
    Principal,
)
from profilestack.outbox.cleanup import prune_in_task
from profilestack.services.iam.documents import validated
from profilestack.services.iam.mfa import check_code
from profilestack.services.iam.tables import iam_oidc_providers, iam_roles, iam_saml_providers
from profilestack.services.registry import ServiceHandlers
from profilestack.services.sts.credentials import federated_user_arn, session_arn
from profilestack.services.sts.saml_assertions import verified_assertion
from profilestack.services.sts.tables import (
    sts_federation_tokens,
    sts_scoped_credentials,
    sts_session_tokens,
    sts_sessions,
)
from profilestack.services.sts.web_identity import audiences, unverified_claims, verified_claims

if TYPE_CHECKING:
    from profilestack.app import App

sts = ServiceHandlers("sts")

DEFAULT_DURATION = 3600
ROLE_CHAINING_LIMIT = 3600
SESSION_POLICY_LIMIT = 2048
MAX_SESSION_TAGS = 50
SESSION_TOKEN_DURATION = 43200  # GetSessionToken's and GetFederationToken's default
SAML_TAG_PREFIX = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
SAML_SOURCE_IDENTITY = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
SAML_TRANSITIVE_KEYS = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
ROOT_SESSION_TOKEN_LIMIT = 3600


@sts.operation("GetCallerIdentity")
def get_caller_identity(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    return {"UserId": principal.principal_id, "Account": principal.account, "Arn": principal.arn}


def _validation(message: str) -> AwsError:
    return AwsError("ValidationError", message, 400)


def session_policy(text: str | None) -> str | None:
    if text is None:
        return None
    validated(text)
    if len(text) > SESSION_POLICY_LIMIT:
        raise AwsError("PackedPolicyTooLarge", "Packed policy consumes more than 100 percent of the allotted size.",
                       400)
    return text


def temporary_credentials(ctx: CallContext, params: dict[str, Any] | None = None) -> tuple[str, str, str]:
    """A new access key id, secret and session token; the token grown to the request's MinimumSessionTokenSize
    (bytes, at most 4,096: the model's limit) when it asks for more."""
    ids = ctx.app.ids
    token = grown_token(ctx, "IQoJb3JpZ2luX2VjE" + ids.secret(340), (params or {}).get("MinimumSessionTokenSize") or 0)
    return ids.unique_id("ASIA", 20), ids.secret(), token


def grown_token(ctx: CallContext, token: str, size: int) -> str:
    """``token`` padded with random characters to ``size`` when it is shorter."""
    return token + ctx.app.ids.secret(size - len(token)) if size > len(token) else token


def credentials_shape(key: str, secret: str, token: str, expires: datetime) -> dict[str, Any]:
    return {"AccessKeyId": key, "SecretAccessKey": secret, "SessionToken": token, "Expiration": expires}


def _session_tags(params: dict[str, Any]) -> dict[str, str]:
    tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags") or []}
    if len(tags) > MAX_SESSION_TAGS:
        raise _validation(f"Cannot exceed quota for SessionTags: {MAX_SESSION_TAGS}")
    return tags


def _packed_policy_size(policy: str | None, params: dict[str, Any], tags: dict[str, str]) -> dict[str, int]:
    """``PackedPolicySize``: the percent of the allotted size the session policies (inline and by ARN) and tags
    take. As on AWS, an answer carries it only when the session has some."""
    arns = [item["arn"] for item in params.get("PolicyArns") or []]
    if not (policy or arns or tags):
        return {}
    size = len(policy or "") + sum(map(len, arns)) + sum(len(k) + len(v) for k, v in tags.items())
    return {"PackedPolicySize": size * 100 // 2048}


def _long_term_caller(ctx: CallContext, operation: str) -> Principal:
    """The root or an IAM user with its long-term keys: who may ask for session tokens and federation tokens."""
    principal = ctx.principal
    if principal.kind not in (ROOT, IAM_USER) or principal.session_token:
        raise AwsError("AccessDenied", f"Cannot call {operation} with session credentials", 403)
    return principal


def _duration(ctx: CallContext, params: dict[str, Any], max_session_duration: int) -> int:
    duration = params.get("DurationSeconds") or DEFAULT_DURATION
    if ctx.principal.kind == ASSUMED_ROLE and duration > ROLE_CHAINING_LIMIT:
        raise _validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
                          "role chaining.")
    if duration > max_session_duration:
        raise _validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    return duration


@sts.vouches("AssumeRole")
@sts.vouches("GetSessionToken")
def _mfa_code(app: App, principal: Principal, params: dict[str, Any]) -> Principal:
    """A call carrying an MFA code of the caller's device is authorized and handled as authenticated with MFA
    (trust policies asking for ``aws:MultiFactorAuthPresent`` see it); the code is used up."""
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if not serial and not code:
        return principal
    if not (serial and code) or principal.kind != IAM_USER or principal.entity_id is None:
        raise AwsError("AccessDenied", "MultiFactorAuthentication failed: SerialNumber and TokenCode name a virtual "
                                       "MFA device of the calling IAM user and its current code.", 403)
    now = app.clock.now()
    with app.database.transaction() as db:
        check_code(db, principal.account, principal.entity_id, serial, code, now)
    return replace(principal, mfa_at=now)


def _role_session(ctx: CallContext, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """A session of ``RoleArn`` for the caller the trust policy admitted: its credentials and who it is. Session
    tags need ``sts:TagSession`` and a source identity ``sts:SetSourceIdentity`` on the role as well."""
    role = ctx.db.execute(select(iam_roles).where(iam_roles.c.arn == params["RoleArn"])).first()
    if role is None:  # the trust check already refused; this guards a role deleted meanwhile
        raise AwsError("AccessDenied", f"User: {ctx.principal.arn} is not authorized to perform: {action} "
                                       f"on resource: {params['RoleArn']}", 403)
    inherited = _inherited_tags(ctx)
    source_identity = _source_identity(ctx, params)
    for extra, given in (("sts:TagSession", params.get("Tags") or inherited),
                         ("sts:SetSourceIdentity", source_identity)):
        if given:  # as on AWS, the trust policy must allow these too
            ctx.authorize(extra, role.arn, params)
    duration = _duration(ctx, params, role.max_session_duration)
    policy = session_policy(params.get("Policy"))
    requested = _session_tags(params)
    transitive = params.get("TransitiveTagKeys") or []
    if not {key.lower() for key in transitive} <= {key.lower() for key in requested}:
        raise _validation("TransitiveTagKeys must name keys of the session's Tags.")
    overridden = {key.lower() for key in requested} & {key.lower() for key in inherited}
    if overridden:
        raise _validation(f"The session tag {sorted(overridden)[0]} is a transitive tag of the calling session: a "
                          "chained session cannot set it again.")
    tags = {**inherited, **requested}
    now = ctx.now()
    expires = now + timedelta(seconds=duration)
    key, secret, token = temporary_credentials(ctx, params)
    session_name = params["RoleSessionName"]
    ctx.db.execute(insert(sts_sessions).values(
        access_key_id=key, account_id=role.account_id, secret=secret, session_token=token, role_id=role.id,
        role_arn=role.arn, session_name=session_name, session_policy=policy,
        policy_arns=[item["arn"] for item in params.get("PolicyArns") or []], tags=tags,
        transitive_tag_keys=[*inherited, *transitive] or None,
        source_identity=source_identity, created_at=now, expires_at=expires,
        mfa_at=ctx.principal.mfa_at if params.get("SerialNumber") else None,
        invoked_by=ctx.principal.arn if ctx.principal.kind == AWS_SERVICE else None))
    ctx.db.execute(update(iam_roles).where(iam_roles.c.id == role.id)
                   .values(last_used_at=now, last_used_region=ctx.region))
    result: dict[str, Any] = {
        "Credentials": credentials_shape(key, secret, token, expires),
        "AssumedRoleUser": {"AssumedRoleId": f"{role.id}:{session_name}",
                            "Arn": session_arn(role.account_id, role.name, session_name)},
        **_packed_policy_size(policy, params, tags),
    }
    if source_identity:
        result["SourceIdentity"] = source_identity
    return result


def _source_identity(ctx: CallContext, params: dict[str, Any]) -> str | None:
    """The new session's source identity: the one asked for, or the calling session's — which, once set, goes on
    through every role it chains to and cannot be changed."""
    asked, carried = params.get("SourceIdentity"), ctx.principal.source_identity
    if carried and asked and asked != carried:
        raise _validation(f"The source identity of a chained role session cannot be changed: the calling session's "
                          f"is {carried}.")
    return carried or asked


def _inherited_tags(ctx: CallContext) -> dict[str, str]:
    """The transitive tags of the role session that calls (role chaining): they go on to the session it assumes."""
    if ctx.principal.kind != ASSUMED_ROLE or not ctx.principal.access_key:
        return {}
    row = ctx.db.execute(select(sts_sessions.c.tags, sts_sessions.c.transitive_tag_keys).where(
        sts_sessions.c.access_key_id == ctx.principal.access_key)).first()
    if row is None or not row.transitive_tag_keys:
        return {}
    return {key: value for key, value in row.tags.items() if key in row.transitive_tag_keys}


@sts.operation("AssumeRole")
def assume_role(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.principal.is_root:
        raise AwsError("AccessDenied", "Roles may not be assumed by root accounts.", 403)
    return _role_session(ctx, "sts:AssumeRole", params)


@sts.vouches("AssumeRoleWithWebIdentity")
def _web_identity(app: App, principal: Principal, params: dict[str, Any]) -> Principal:
    """The bearer of the token, once the token is checked (web_identity.py): its issuer an OIDC provider of the
    role's account, its audience one of the provider's client ids. It is authorized by the role's trust policy
    alone, which names the provider as ``Federated`` and may test the token's claims: every claim whose value is text
    (or a list of text) is a condition key ``<provider url>:<claim>`` (``…:sub``, ``…:aud``, GitHub's
    ``…:repository``…)."""
    account = account_of(params["RoleArn"])
    claims = unverified_claims(params["WebIdentityToken"])
    url = claims["iss"].removeprefix("https://").rstrip("/")
    with app.database.transaction(write=False) as db:
        provider = db.execute(select(iam_oidc_providers).where(
            iam_oidc_providers.c.arn == f"arn:aws:iam::{account}:oidc-provider/{url}")).first()
    if provider is None:
        raise AwsError("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {claims['iss']}")
    audience = next((aud for aud in audiences(claims) if aud in provider.client_ids), None)
    if audience is None:
        raise AwsError("InvalidIdentityToken", "Incorrect token audience")
    claims = verified_claims(params["WebIdentityToken"], claims["iss"], provider.thumbprints, app.clock.now())
    subject = str(claims.get("sub", ""))
    keys = {f"{url}:{claim}": [value] if isinstance(value, str) else value for claim, value in claims.items()
            if isinstance(value, str) or (isinstance(value, list) and all(isinstance(item, str) for item in value))}
    keys[f"{url}:aud"] = [audience]  # the client id the provider knows, of the token's audiences
    tag_claim = claims.get("https://aws.amazon.com/tags")
    _carried_by_token(params, _token_tags(tag_claim), claims.get("https://aws.amazon.com/source_identity"),
                      tag_claim.get("transitive_tag_keys") if isinstance(tag_claim, dict) else None)
    return Principal(WEB_IDENTITY_USER, account, provider.arn, f"{url}:{audience}:{subject}", subject,
                     identity_provider=provider.arn, provider_claims=keys)


def _token_tags(claim: Any) -> dict[str, str]:
    """The session tags a web identity token carries (``principal_tags``: key → [value])."""
    tags = claim.get("principal_tags") if isinstance(claim, dict) else None
    if not isinstance(tags, dict):
        return {}
    return {str(key): str(value[0] if isinstance(value, list) and value else value) for key, value in tags.items()}


def _carried_by_token(params: dict[str, Any], tags: dict[str, str], source_identity: Any,
                      transitive: Any = None) -> None:
    """Session tags (and which are transitive) and a source identity that come with a token or an assertion
    become the call's, as if asked."""
    if tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
        params["TransitiveTagKeys"] = [key for key in transitive or [] if isinstance(key, str) and key in tags]
    if isinstance(source_identity, str) and source_identity:
        params["SourceIdentity"] = source_identity


@sts.operation("AssumeRoleWithWebIdentity", writes=True)
def assume_role_with_web_identity(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A role session for the bearer of an OIDC token (checked and authorized before: ``_web_identity``)."""
    result = _role_session(ctx, "sts:AssumeRoleWithWebIdentity", params)
    url = ctx.principal.arn.split(":oidc-provider/", 1)[1]
    return {**result, "SubjectFromWebIdentityToken": ctx.principal.name,
            "Audience": ctx.principal.provider_claims[f"{url}:aud"][0],
            "Provider": ctx.principal.provider_claims[f"{url}:iss"][0]}


@sts.vouches("AssumeRoleWithSAML")
def _saml_identity(app: App, principal: Principal, params: dict[str, Any]) -> Principal:
    """The bearer of the assertion, once it is checked (saml_assertions.py) against the SAML provider
    ``PrincipalArn`` names, and its ``Role`` attribute offers the role with that provider. It is authorized by the
    role's trust policy alone (``Federated``: the provider; ``saml:aud``, ``saml:iss``, ``saml:sub``,
    ``saml:sub_type``, ``saml:namequalifier``). The assertion's ``RoleSessionName`` and ``SessionDuration`` become
    the call's."""
    provider_arn, role_arn = params["PrincipalArn"], params["RoleArn"]
    account = account_of(role_arn)
    with app.database.transaction(write=False) as db:
        provider = db.execute(select(iam_saml_providers).where(iam_saml_providers.c.arn == provider_arn)).first()
    if provider is None or provider.account_id != account:
        raise AwsError("InvalidIdentityToken", f"SAML provider {provider_arn} does not exist in the role's account.",
                       400)
    assertion = verified_assertion(params["SAMLAssertion"], provider.metadata_document, app.clock.now())
    if (role_arn, provider_arn) not in assertion.roles:
        raise AwsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
    if not assertion.session_name or not re.fullmatch(r"[\w+=,.@-]{2,64}", assertion.session_name, re.ASCII):
        raise AwsError("InvalidIdentityToken", "The assertion's RoleSessionName attribute is missing or not 2 to 64 "
                                               "of the characters [\\w+=,.@-].", 400)
    params["RoleSessionName"] = assertion.session_name
    _carried_by_token(params, {name.removeprefix(SAML_TAG_PREFIX): values[0]
                               for name, values in assertion.attributes.items()
                               if name.startswith(SAML_TAG_PREFIX) and values},
                      (assertion.attributes.get(SAML_SOURCE_IDENTITY) or [None])[0],
                      assertion.attributes.get(SAML_TRANSITIVE_KEYS))
    if assertion.session_duration is not None:
        params["DurationSeconds"] = min(params.get("DurationSeconds") or assertion.session_duration,
                                        assertion.session_duration)
    qualifier = base64.b64encode(hashlib.sha1(f"{assertion.issuer}{account}/{provider.name}".encode(),
                                              usedforsecurity=False).digest()).decode()
    keys = {"saml:aud": [assertion.recipient or assertion.audience], "saml:iss": [assertion.issuer],
            "saml:sub": [assertion.subject], "saml:sub_type": [assertion.subject_type],
            "saml:namequalifier": [qualifier], "saml:doc": [f"{account}/{provider.name}"]}
    return Principal(SAML_USER, account, provider_arn, f"{qualifier}:{assertion.subject}", assertion.subject,
                     identity_provider=provider_arn, provider_claims=keys)


@sts.operation("AssumeRoleWithSAML", writes=True)
def assume_role_with_saml(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A role session for the bearer of a SAML assertion (checked and authorized before: ``_saml_identity``)."""
    result = _role_session(ctx, "sts:AssumeRoleWithSAML", params)
    claims = ctx.principal.provider_claims
    return {**result, "Subject": claims["saml:sub"][0], "SubjectType": claims["saml:sub_type"][0],
            "Issuer": claims["saml:iss"][0], "Audience": claims["saml:aud"][0],
            "NameQualifier": claims["saml:namequalifier"][0]}


@sts.operation("GetSessionToken", writes=True)
def get_session_token(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Temporary credentials with the calling user's (or root's) permissions. Needs no permission, as in AWS. The
    credentials call IAM only when a code of the user's MFA device came with the request, and of STS only
    AssumeRole and GetCallerIdentity (gateway/authz.py)."""
    principal = _long_term_caller(ctx, "GetSessionToken")
    mfa_at = principal.mfa_at if params.get("SerialNumber") else None  # checked by _mfa_code
    duration = params.get("DurationSeconds") or SESSION_TOKEN_DURATION
    if principal.is_root:  # the account's root gets an hour at most, whatever it asks for
        duration = min(duration, ROOT_SESSION_TOKEN_LIMIT)
    now = ctx.now()
    expires = now + timedelta(seconds=duration)
    key, secret, token = temporary_credentials(ctx, params)
    ctx.db.execute(insert(sts_session_tokens).values(
        access_key_id=key, account_id=principal.account, secret=secret, session_token=token,
        user_id=None if principal.is_root else principal.entity_id, mfa_at=mfa_at, created_at=now, expires_at=expires))
    return {"Credentials": credentials_shape(key, secret, token, expires)}


@sts.operation("GetFederationToken", writes=True)
def get_federation_token(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Temporary credentials of a federated user: the caller's permissions narrowed by the session policies given
    (none given, none granted); they call neither IAM nor STS beyond GetCallerIdentity (gateway/authz.py)."""
    principal = _long_term_caller(ctx, "GetFederationToken")
    policy = session_policy(params.get("Policy"))
    tags = _session_tags(params)
    duration = params.get("DurationSeconds") or SESSION_TOKEN_DURATION
    if principal.is_root:
        duration = min(duration, ROOT_SESSION_TOKEN_LIMIT)
    now = ctx.now()
    expires = now + timedelta(seconds=duration)
    key, secret, token = temporary_credentials(ctx, params)
    name = params["Name"]
    ctx.db.execute(insert(sts_federation_tokens).values(
        access_key_id=key, account_id=principal.account, secret=secret, session_token=token,
        user_id=None if principal.is_root else principal.entity_id, federated_name=name, session_policy=policy,
        policy_arns=[item["arn"] for item in params.get("PolicyArns") or []], tags=tags, created_at=now,
        expires_at=expires))
    return {"Credentials": credentials_shape(key, secret, token, expires),
            "FederatedUser": {"FederatedUserId": f"{principal.account}:{name}",
                              "Arn": federated_user_arn(principal.account, name)},
            **_packed_policy_size(policy, params, tags)}


@sts.operation("GetAccessKeyInfo")
def get_access_key_info(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The account of any key this server issued (long-term or temporary, expired or not). AWS reads the account
    out of the key id itself; these key ids carry none, so a key this server never issued is refused."""
    credential = ctx.app.credentials.lookup(params["AccessKeyId"])
    if credential is None:
        raise _validation(f"The access key ID {params['AccessKeyId']} was not issued by this server.")
    return {"Account": credential.principal.account}


@sts.operation("DecodeAuthorizationMessage")
def decode_authorization_message(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """No service here answers a refusal with an encoded authorization message (their AccessDenied messages say it
    all, as IAM's and STS's do on AWS), so no message decodes: each is refused as one this server never issued —
    after the caller was authorized for sts:DecodeAuthorizationMessage, as on AWS."""
    raise AwsError("InvalidAuthorizationMessageException",
                   "The encoded authorization message is not valid: no service of this server issues encoded "
                   "messages.", 400)


EXPIRED_CLEANUP_TASK = "sts.expired_credentials"
KEEP_EXPIRED = timedelta(days=1)


@sts.task(EXPIRED_CLEANUP_TASK, every=3600.0)
def drop_expired_credentials(app: App, payload: dict[str, Any]) -> None:
    """Expired temporary credentials answer ExpiredToken for a day, then their rows go (they would pile up forever:
    one per AssumeRole). Their keys are random, not in time order: found through the expiry index."""
    cutoff = app.clock.now() - KEEP_EXPIRED
    for table in (sts_sessions, sts_session_tokens, sts_federation_tokens, sts_scoped_credentials):
        prune_in_task(app.database, table, table.c.expires_at < cutoff, in_key_order=False)
