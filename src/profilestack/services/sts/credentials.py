"""Temporary credentials as credential sources: a role session (AssumeRole), a session token (GetSessionToken), a
federated user (GetFederationToken) or any of them scoped down (GetScopedCredentials), each until it expires."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Row, Table, select

from profilestack.identity.credentials import Credential
from profilestack.identity.principal import ASSUMED_ROLE, FEDERATED_USER, Principal, root_principal
from profilestack.services.iam.credentials import user_principal
from profilestack.services.iam.tables import iam_roles, iam_users
from profilestack.services.iam.tags import tag_map
from profilestack.services.sts.tables import (
    sts_federation_tokens,
    sts_scoped_credentials,
    sts_session_tokens,
    sts_sessions,
)
from profilestack.store.database import Database


def session_arn(account: str, role_name: str, session_name: str) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"


def federated_user_arn(account: str, name: str) -> str:
    return f"arn:aws:sts::{account}:federated-user/{name}"


class _TemporaryCredentials:
    """STS keys (``ASIA…``) stored in ``table`` until they expire; ``_principal`` says who a row stands for."""

    table: Table

    def __init__(self, database: Database) -> None:
        self.database = database

    def lookup(self, access_key: str) -> Credential | None:
        if not access_key.startswith("ASIA"):
            return None
        with self.database.transaction(write=False) as db:
            return self.found(db, access_key)

    def found(self, db: Connection, access_key: str) -> Credential | None:
        row = db.execute(select(self.table).where(self.table.c.access_key_id == access_key)).first()
        principal = None if row is None else self._principal(db, row, access_key)
        if principal is None:
            return None
        return Credential(access_key, row.secret, self._issued(principal, row), row.session_token, row.expires_at)

    def _principal(self, db: Connection, row: Row[Any], access_key: str) -> Principal | None:
        raise NotImplementedError

    def _issued(self, principal: Principal, row: Row[Any]) -> Principal:
        """The principal with when its credentials were issued (``aws:TokenIssueTime``)."""
        return replace(principal, issued_at=row.created_at)


class SessionCredentials(_TemporaryCredentials):
    """AssumeRole's credentials: the role session, tagged with the role's tags and its own."""

    table = sts_sessions

    def _principal(self, db: Connection, row: Row[Any], access_key: str) -> Principal | None:
        role_tags = tag_map(db, "role", row.role_id) if db.execute(
            select(iam_roles.c.id).where(iam_roles.c.id == row.role_id)).first() else {}
        role_name = row.role_arn.rsplit("/", 1)[1]
        return Principal(ASSUMED_ROLE, row.account_id, session_arn(row.account_id, role_name, row.session_name),
                         f"{row.role_id}:{row.session_name}", row.session_name, access_key,
                         invoked_by=row.invoked_by, tags={**role_tags, **row.tags}, entity_id=row.role_id,
                         role_arn=row.role_arn, mfa_at=row.mfa_at, source_identity=row.source_identity)


class SessionTokenCredentials(_TemporaryCredentials):
    """GetSessionToken's credentials: the user who asked for them (or the root), while the user exists."""

    table = sts_session_tokens

    def _principal(self, db: Connection, row: Row[Any], access_key: str) -> Principal | None:
        if row.user_id is None:
            return replace(root_principal(row.account_id, access_key), session_token=True)
        user = db.execute(select(iam_users).where(iam_users.c.id == row.user_id)).first()
        return None if user is None else replace(user_principal(db, user, access_key, session_token=True),
                                                 mfa_at=row.mfa_at)


class FederationCredentials(_TemporaryCredentials):
    """GetFederationToken's credentials: a federated user, tagged with its session tags, while the user who
    federated it exists (always, for the root's)."""

    table = sts_federation_tokens

    def _principal(self, db: Connection, row: Row[Any], access_key: str) -> Principal | None:
        account = row.account_id
        if row.user_id is None:
            issuer = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                      "accountId": account}
        else:
            user = db.execute(select(iam_users.c.arn, iam_users.c.name).where(iam_users.c.id == row.user_id)).first()
            if user is None:
                return None
            issuer = {"type": "IAMUser", "principalId": row.user_id, "arn": user.arn, "accountId": account,
                      "userName": user.name}
        return Principal(FEDERATED_USER, account, federated_user_arn(account, row.federated_name),
                         f"{account}:{row.federated_name}", row.federated_name, access_key,
                         tags=dict(row.tags), entity_id=row.user_id, session_issuer=issuer)


class ScopedCredentials(_TemporaryCredentials):
    """GetScopedCredentials' credentials: whoever the credentials they narrow stand for (issued when those were),
    with their scope-down policies, while those credentials still work and until their own, earlier, expiry."""

    table = sts_scoped_credentials

    def __init__(self, database: Database, narrowed: list[_TemporaryCredentials]) -> None:
        super().__init__(database)
        self.narrowed = narrowed

    def _principal(self, db: Connection, row: Row[Any], access_key: str) -> Principal | None:
        base = next((found for source in self.narrowed
                     if (found := source.found(db, row.base_access_key_id)) is not None), None)
        if base is None:
            return None
        return replace(base.principal, access_key=access_key, scope_policies=tuple(row.scope_policies),
                       scoped_from=row.base_access_key_id)

    def _issued(self, principal: Principal, row: Row[Any]) -> Principal:
        return principal  # issued when the credentials it narrows were: revoking those revokes it
