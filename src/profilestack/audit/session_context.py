"""``userIdentity.sessionContext`` of a CloudTrail record: for temporary credentials, when they were issued and
whether with MFA; for a role session the role that issued it, for a federated user the user (or root) who
federated it; and the session's source identity."""

from __future__ import annotations

from typing import Any

from profilestack.identity.principal import ASSUMED_ROLE, FEDERATED_USER, Principal


def session_context(principal: Principal | None) -> dict[str, Any] | None:
    """None for long-term credentials (a user's or the root's access key), which have no session."""
    if principal is None:
        return None
    context: dict[str, Any] = {}
    if principal.kind == ASSUMED_ROLE and principal.role_arn:
        context["sessionIssuer"] = {"type": "Role", "principalId": principal.entity_id, "arn": principal.role_arn,
                                    "accountId": principal.account, "userName": principal.role_arn.rsplit("/", 1)[1]}
    elif principal.kind == FEDERATED_USER:
        if principal.session_issuer:
            context["sessionIssuer"] = principal.session_issuer
    elif not principal.session_token:
        return None
    attributes = {"mfaAuthenticated": "true" if principal.mfa_at is not None else "false"}
    if principal.issued_at is not None:
        attributes = {"creationDate": principal.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"), **attributes}
    context["attributes"] = attributes
    if principal.source_identity:
        context["sourceIdentity"] = principal.source_identity
    return context
