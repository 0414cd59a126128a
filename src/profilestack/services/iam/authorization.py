"""What the authorizer needs from IAM's state: a principal's policies, trust policies, tags, ARN names.

Answers are cached per principal and dropped on any IAM write in this process (``invalidate``)
or after ``ttl`` seconds, so other processes sharing the database see changes within a second
(IAM itself is eventually consistent).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Table, select

from profilestack.iam_policy.document import PolicyDocument, PolicyKind, parse_policy
from profilestack.iam_policy.engine import Policy, PolicySet
from profilestack.identity.principal import ASSUMED_ROLE, FEDERATED_USER, IAM_USER, Principal
from profilestack.read_cache import ReadCache
from profilestack.services.iam import entities, managed
from profilestack.services.iam.attachments import attached_arns
from profilestack.services.iam.inline import inline_policies
from profilestack.services.iam.linked_services import linked_service
from profilestack.services.iam.passwords import self_service_statements
from profilestack.services.iam.tables import iam_policies, iam_roles, iam_users
from profilestack.services.iam.tags import tag_map
from profilestack.services.iam.trust_principals import effective_trust
from profilestack.services.sts.tables import sts_federation_tokens, sts_sessions
from profilestack.store.database import Database

_TRUSTS_NOBODY = PolicyDocument("2012-10-17", (), "")


def managed_policy(db: Connection, account: str, arn: str | None) -> Policy | None:
    """A managed policy, as the policy engine reads it."""
    policy = managed.load(db, account, arn) if arn else None
    if policy is None:
        return None
    return Policy(policy.arn, "aws-managed" if policy.aws_managed else "user-managed", parse_policy(policy.document))


def entity_policies(db: Connection, account: str, kind: entities.EntityKind, entity_id: str) -> list[Policy]:
    """The inline and attached policies of one user, group or role."""
    found = [Policy(name, kind.kind, parse_policy(text))
             for name, text in inline_policies(db, kind.kind, entity_id).items()]
    for arn in attached_arns(db, kind.kind, entity_id):
        policy = managed_policy(db, account, arn)
        if policy is not None:
            found.append(policy)
    return found


# Which held policies a policy set keeps: (policy, the kind of entity holding it, that entity's name) → kept?
PolicyFilter = Callable[[Policy, str, str], bool]


def _every(policy: Policy, holder_kind: str, holder_name: str) -> bool:
    return True


def held_policies(db: Connection, account: str, kind: entities.EntityKind, row: Any,
                  keep: PolicyFilter = _every) -> list[Policy]:
    """A user's (its groups' too), group's or role's inline and attached policies that ``keep`` keeps (the policy
    simulator's exclusions; enforcement keeps them all)."""
    holders = [(kind, row), *((entities.GROUP, group) for group in entities.groups_of(db, row.id)
                              if kind is entities.USER)]
    return [policy for holder_kind, holder in holders
            for policy in entity_policies(db, account, holder_kind, holder.id)
            if keep(policy, holder_kind.kind, holder.name)]


def user_policy_set(db: Connection, account: str, user_id: str, keep: PolicyFilter = _every) -> PolicySet:
    row = db.execute(select(iam_users).where(iam_users.c.id == user_id)).first()
    if row is None:
        return PolicySet([])
    identity = held_policies(db, account, entities.USER, row, keep)
    granted = self_service_statements(db, account, row.arn)
    if granted:
        document = json.dumps({"Version": "2012-10-17", "Statement": granted})
        identity.append(Policy("AccountPasswordPolicy", "user", parse_policy(document)))
    return PolicySet(identity, managed_policy(db, account, row.boundary_arn))


def role_policy_set(db: Connection, account: str, role_id: str, session_policies: list[Policy] | None,
                    keep: PolicyFilter = _every) -> PolicySet:
    row = db.execute(select(iam_roles).where(iam_roles.c.id == role_id)).first()
    if row is None:
        return PolicySet([])
    return PolicySet(held_policies(db, account, entities.ROLE, row, keep),
                     managed_policy(db, account, row.boundary_arn), session_policies)


def session_policies(db: Connection, account: str, access_key: str | None,
                     table: Table = sts_sessions) -> list[Policy] | None:
    """The session policies passed to AssumeRole (or GetFederationToken: ``table``), or None when none were."""
    row = db.execute(select(table.c.session_policy, table.c.policy_arns)
                     .where(table.c.access_key_id == access_key)).first() if access_key else None
    if row is None or (not row.session_policy and not row.policy_arns):
        return None
    found = [Policy("SessionPolicy", "none", parse_policy(row.session_policy))] if row.session_policy else []
    for arn in row.policy_arns:
        policy = managed_policy(db, account, arn)
        if policy is not None:
            found.append(policy)
    return found


TagReader = Callable[[Connection, str], dict[str, str] | None]
PolicyReader = Callable[[Connection, str], str | None]  # a resource's own policy document, by its ARN


def _held_policy(text: str | None) -> Policy | None:
    """A policy a service keeps on one resource, applied to that resource whatever its statements' Resource says
    (CloudTrail's own examples give a store's policy the Resource ``dashboard/*``)."""
    if text is None:
        return None
    document = parse_policy(text, PolicyKind.HELD)
    statements = tuple(replace(statement, resources=("*",), not_resource=False) for statement in document.statements)
    return Policy("ResourcePolicy", "resource", replace(document, statements=statements))


def iam_resource_tags(db: Connection, arn: str) -> dict[str, str] | None:
    tables = {":user/": ("user", iam_users), ":role/": ("role", iam_roles), ":policy/": ("policy", iam_policies)}
    for marker, (kind, table) in tables.items():
        if marker in arn:
            entity_id = db.execute(select(table.c.id).where(table.c.arn == arn)).scalar()
            return tag_map(db, kind, entity_id) if entity_id else None
    return None


_SESSIONS = (ASSUMED_ROLE, FEDERATED_USER)  # principals whose policies depend on their credentials
_ROOT_IDENTITY = Policy("RootIdentity", "none", parse_policy(json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})))


class IamPolicyStore:
    def __init__(self, database: Database, tag_readers: dict[str, TagReader],
                 policy_readers: dict[str, PolicyReader] | None = None, ttl: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.database = database
        self.tag_readers = tag_readers  # ARN service segment → reader of a resource's tags
        self.policy_readers = policy_readers or {}  # ARN service segment → reader of a resource's own policy
        self.ttl = ttl
        self.monotonic = monotonic
        self._policies: dict[tuple[str, str | None], tuple[float, PolicySet]] = {}
        self._resource_policies: dict[str, tuple[float, Policy | None]] = {}

    def invalidate(self) -> None:
        self._policies = {}
        self._resource_policies = {}

    def policies_for(self, principal: Principal) -> PolicySet:
        by_key = principal.kind in _SESSIONS or principal.scope_policies
        key = (principal.arn, principal.access_key if by_key else None)
        now = self.monotonic()
        cached = self._policies.get(key)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        with self.database.transaction(write=False) as db:
            policies = self.load(db, principal)
        if len(self._policies) > 10_000:
            self._policies = {}
        self._policies[key] = (now, policies)
        return policies

    @staticmethod
    def load(db: Connection, principal: Principal) -> PolicySet:
        policies = IamPolicyStore._unscoped(db, principal)
        if not principal.scope_policies:
            return policies
        scopes = tuple(Policy(f"ScopeDownPolicy{number}", "none", parse_policy(text))
                       for number, text in enumerate(principal.scope_policies, 1))
        return PolicySet(policies.identity, policies.boundary, policies.session, scopes)

    @staticmethod
    def _unscoped(db: Connection, principal: Principal) -> PolicySet:
        """The principal's policies before any scope-down policies (those of the credentials they narrow)."""
        access_key = principal.scoped_from or principal.access_key
        if principal.kind == IAM_USER and principal.entity_id:
            return user_policy_set(db, principal.account, principal.entity_id)
        if principal.kind == ASSUMED_ROLE and principal.entity_id:
            sessions = session_policies(db, principal.account, access_key)
            return role_policy_set(db, principal.account, principal.entity_id, sessions)
        if principal.kind == FEDERATED_USER:  # without session policies a federated user may do nothing
            sessions = session_policies(db, principal.account, access_key, sts_federation_tokens) or []
            if principal.entity_id is None:  # federated by the root: everything the session policies allow
                return PolicySet([_ROOT_IDENTITY], None, sessions)
            user = user_policy_set(db, principal.account, principal.entity_id)
            return PolicySet(user.identity, user.boundary, sessions)
        return PolicySet([])

    def resource_policy(self, action: str, arn: str) -> Policy | None:
        """A role's trust policy is the resource-based policy of ``sts:AssumeRole`` (and its web identity and SAML
        forms) on it, and of what a session may be given with it: ``sts:TagSession``, ``sts:SetSourceIdentity``.
        Other services' resources answer with the policy they hold, if any (``policy_readers``)."""
        lowered = action.lower()
        if ":role/" in arn and (lowered.startswith("sts:assumerole") or lowered in _SESSION_EXTRAS):
            return self._cached_policy(arn, lambda db: self._trust_policy(db, arn))
        parts = arn.split(":", 5)
        reader = self.policy_readers.get(parts[2]) if len(parts) == 6 else None
        if reader is None:
            return None
        return self._cached_policy(arn, lambda db: _held_policy(reader(db, arn)))

    def _cached_policy(self, arn: str, load: Callable[[Connection], Policy | None]) -> Policy | None:
        now = self.monotonic()
        cached = self._resource_policies.get(arn)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        with self.database.transaction(write=False) as db:
            policy = load(db)
        if len(self._resource_policies) > 10_000:
            self._resource_policies = {}
        self._resource_policies[arn] = (now, policy)
        return policy

    @staticmethod
    def _trust_policy(db: Connection, arn: str) -> Policy:
        role = db.execute(select(iam_roles.c.trust_policy, iam_roles.c.trust_principals)
                          .where(iam_roles.c.arn == arn)).first()
        text = effective_trust(db, role.trust_policy, role.trust_principals) if role else None
        # a role that does not exist trusts nobody
        return Policy("TrustPolicy", "trust", parse_policy(text, PolicyKind.TRUST) if text else _TRUSTS_NOBODY)

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        """``aws:ResourceTag/…``: the stored tags of the resource, asked of the service that owns the ARN."""
        parts = arn.split(":", 5)
        reader = self.tag_readers.get(parts[2]) if len(parts) == 6 else None
        if reader is None:
            return None
        with self.database.transaction(write=False) as db:
            return reader(db, arn)


_SESSION_EXTRAS = frozenset({"sts:tagsession", "sts:setsourceidentity"})
_NAMED_WITH_PATH = {"usernamewithpath": entities.USER, "groupnamewithpath": entities.GROUP,
                    "rolenamewithpath": entities.ROLE, "instanceprofilenamewithpath": entities.INSTANCE_PROFILE}


def names_with_path(database: Database, reads: ReadCache, caller: Principal, params: dict[str, Any]
                    ) -> Callable[[str], str | None]:
    """Fills ``${RoleNameWithPath}``-style ARN variables: the stored path, or the ``Path`` being created. A call
    without a ``UserName`` acts on the calling user (GetUser, CreateAccessKey, ChangePassword, …)."""
    account = caller.account
    if "UserName" not in params and caller.kind == IAM_USER and caller.name:
        params = {**params, "UserName": caller.name}

    def resolve(variable: str) -> str | None:
        lowered = variable.lower()
        if lowered == "rolenamewithpath" and "AWSServiceName" in params:  # CreateServiceLinkedRole
            service = linked_service(params["AWSServiceName"])
            prefix = service.role_name(params.get("CustomSuffix")) if service else ""
            return f"aws-service-role/{params['AWSServiceName']}/{prefix}"
        if lowered == "rolenamewithpath" and "DeletionTaskId" in params:  # task/aws-service-role/<svc>/<role>/<id>
            parts = str(params["DeletionTaskId"]).split("/")
            return "/".join(parts[1:4]) if len(parts) == 5 else None
        if lowered == "samlprovidername" and "Name" in params:  # CreateSAMLProvider names the provider to be
            return str(params["Name"])
        if lowered == "oidcprovidername" and "Url" in params:  # CreateOpenIDConnectProvider: the URL, less https://
            return str(params["Url"]).removeprefix("https://").rstrip("/")
        if lowered == "policynamewithpath" and "PolicyName" in params:
            return f"{params.get('Path') or '/'}{params['PolicyName']}"[1:]
        kind = _NAMED_WITH_PATH.get(lowered)
        name = params.get(kind.name_param) if kind else None
        if kind is None or not isinstance(name, str):
            return None
        stored = reads.get(("path", kind.kind, account, name.lower()), lambda: _stored_name(kind, name))
        return stored or f"{params.get('Path') or '/'}{name}"[1:]

    def _stored_name(kind: entities.EntityKind, name: str) -> str | None:
        with database.transaction(write=False) as db:
            row = entities.find(db, kind, account, name)
        return f"{row.path}{row.name}"[1:] if row is not None else None

    return resolve
