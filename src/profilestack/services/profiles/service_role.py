"""The seed's rules in one place: each domain's dedicated service-linked role, from creation to self-deletion.

- CreateDomain makes the *caller* create ``AWSServiceRoleForProfile_<id>`` (``iam:CreateServiceLinkedRole``,
  so ``iam:AWSServiceName`` conditions apply) inside the CreateDomain transaction.
- Whatever the service does for a domain it does as that role's session: it assumes the role as
  ``profile.amazonaws.com`` (the trust policy admits nobody else) and calls through the gateway, so the
  role's policy authorizes every call and the audit trail shows the session, invoked by the service.
- DeleteDomain leaves the role to the outbox: the role's session deletes the role with ``iam:DeleteRole``,
  retried until it succeeds.
- IAM's deletion tasks ask ``domains_using`` whether a role is still in use, across every region.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.identity.principal import ASSUMED_ROLE, Principal
from profilestack.identity.principal import service_principal as aws_service
from profilestack.outbox.worker import RetryLater
from profilestack.services.iam import entities
from profilestack.services.iam.linked_services import LinkedService, register
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domains

if TYPE_CHECKING:
    from profilestack.app import App

SERVICE_PRINCIPAL = "profile.amazonaws.com"
ROLE_PREFIX = "AWSServiceRoleForProfile"
POLICY_ARN = "arn:aws:iam::aws:policy/aws-service-role/CustomerProfilesServiceLinkedRolePolicy"
ROLE_PATH = f"/aws-service-role/{SERVICE_PRINCIPAL}/"
SESSION_NAME = "CustomerProfiles"
DELETE_ROLE_TASK = "profile.delete_domain_role"
RETRY_SECONDS = 30.0


def domains_using(db: Connection, account: str, role_name: str) -> list[tuple[str, list[str]]]:
    """IAM's question before deleting a role: which domains, in which regions, still use it."""
    rows = db.execute(select(profile_domains.c.region, profile_domains.c.arn).where(
        profile_domains.c.account_id == account, profile_domains.c.role_name == role_name)
        .order_by(profile_domains.c.region, profile_domains.c.name))
    usage: dict[str, list[str]] = {}
    for row in rows:
        usage.setdefault(row.region, []).append(row.arn)
    return list(usage.items())


register(LinkedService(SERVICE_PRINCIPAL, ROLE_PREFIX, True, POLICY_ARN, usage=domains_using))


def role_arn(account: str, role_name: str) -> str:
    return entities.ROLE.arn(account, ROLE_PATH, role_name)


def service_principal(account: str, source_arn: str | None = None) -> Principal:
    """Customer Profiles itself, acting for ``account`` (and, when given, for that resource of it: a domain)."""
    return aws_service(SERVICE_PRINCIPAL, account, source_arn)


def _create_role(app: App, principal: Principal, domain: str, region: str, parent: CallContext | None = None) -> str:
    """``iam:CreateServiceLinkedRole`` for a domain's dedicated role, made by ``principal``; the role's name."""
    answer = app.gateway.invoke(principal, "iam", "CreateServiceLinkedRole", {
        "AWSServiceName": SERVICE_PRINCIPAL, "CustomSuffix": app.ids.hex32()[:16],
        "Description": f"Allows Amazon Connect Customer Profiles to act for the domain {domain}",
    }, region, parent=parent)
    return answer["Role"]["RoleName"]


def create_domain_role(ctx: CallContext, domain: str) -> str:
    """The caller, through the service, creates the domain's dedicated role — or the whole CreateDomain fails."""
    caller = dataclasses.replace(ctx.principal, invoked_by=SERVICE_PRINCIPAL)
    return _create_role(ctx.app, caller, domain, ctx.region, parent=ctx)


def session(app: App, account: str, role_name: str, region: str, parent: CallContext | None = None) -> Principal:
    """The service, as the domain role's assumed-role session (obtained through STS like anyone's)."""
    return assume_as_service(app, account, role_arn(account, role_name), region, parent)


def assume_as_service(app: App, account: str, arn: str, region: str, parent: CallContext | None = None,
                      source_arn: str | None = None) -> Principal:
    """The service, as a session of the role ``arn`` (its domain's, or one a request names): AccessDenied
    (``AwsError``) unless the role's trust policy admits ``profile.amazonaws.com`` — acting for ``account`` and
    ``source_arn``, which the trust policy sees as ``aws:SourceAccount`` and ``aws:SourceArn``."""
    answer = app.gateway.invoke(service_principal(account, source_arn), "sts", "AssumeRole",
                                {"RoleArn": arn, "RoleSessionName": SESSION_NAME}, region, parent)
    user = answer["AssumedRoleUser"]
    role_id = user["AssumedRoleId"].split(":", 1)[0]
    return Principal(ASSUMED_ROLE, account, user["Arn"], user["AssumedRoleId"], SESSION_NAME,
                     answer["Credentials"]["AccessKeyId"], invoked_by=SERVICE_PRINCIPAL, entity_id=role_id,
                     role_arn=arn, issued_at=app.clock.now())


_SESSIONS: dict[tuple[str, str], tuple[datetime, Principal]] = {}
_SESSION_MARGIN = timedelta(minutes=5)


def cached_session(app: App, account: str, role_name: str | None, region: str) -> Principal:
    """A session reused until shortly before it expires (one AssumeRole per role per hour, not per event)."""
    if not role_name:
        raise AwsError("AccessDenied", "The domain has no service-linked role.", 403)
    now = app.clock.now()
    cached = _SESSIONS.get((account, role_name))
    if cached is not None and cached[0] - _SESSION_MARGIN > now:
        return cached[1]
    principal = session(app, account, role_name, region)
    _SESSIONS[(account, role_name)] = (now + timedelta(hours=1), principal)
    return principal


class Gone(Exception):
    """What a background task works on — a domain, or something of it — is no more: the task stops."""


def acting_for_domain(app: App, domain_id: int, operation: str) -> tuple[Row[Any], CallContext]:
    """The domain, and a unit of work as its service-linked role; Gone when the domain is. AccessDenied
    (``AwsError``) when the domain has no role to act through."""
    with app.database.transaction(write=False) as db:
        domain = db.execute(select(profile_domains).where(profile_domains.c.id == domain_id)).first()
    if domain is None:
        raise Gone
    acting = cached_session(app, domain.account_id, domain.role_name, domain.region)
    return domain, app.gateway.unit_of_work(acting, domain.region, app.ids.request_id(), operation)


def schedule_role_deletion(ctx: CallContext, role_name: str | None) -> None:
    if role_name:
        ctx.enqueue(DELETE_ROLE_TASK, {"account": ctx.account, "region": ctx.region, "role_name": role_name})


def _role_exists(app: App, account: str, role_name: str) -> bool:
    with app.database.transaction(write=False) as db:
        return entities.find(db, entities.ROLE, account, role_name) is not None


@profiles.task(DELETE_ROLE_TASK)
def delete_domain_role(app: App, payload: dict[str, Any]) -> None:
    """After DeleteDomain: the role deletes itself, as its own session, with ``iam:DeleteRole``."""
    account, region, role_name = payload["account"], payload["region"], payload["role_name"]
    if not _role_exists(app, account, role_name):
        return
    try:
        principal = session(app, account, role_name, region)
        app.gateway.invoke(principal, "iam", "DeleteRole", {"RoleName": role_name}, region)
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return
        raise RetryLater(RETRY_SECONDS, f"{err.code}: {err.message}") from err


def domains_without_role(app: App) -> list[Any]:
    with app.database.transaction(write=False) as db:
        domains = list(db.execute(select(profile_domains)))
        return [domain for domain in domains if not domain.role_name
                or entities.find(db, entities.ROLE, domain.account_id, domain.role_name) is None]


def roles_without_domain(app: App) -> list[Any]:
    with app.database.transaction(write=False) as db:
        roles = db.execute(select(entities.ROLE.table).where(
            entities.ROLE.table.c.service_principal == SERVICE_PRINCIPAL))
        return [role for role in roles if not domains_using(db, role.account_id, role.name)]


def give_roles_to_domains(app: App) -> list[str]:
    """Domains without a role (restored from an older version, imported) get one: the role "appears", as the
    seed says, created by the service itself and recorded in the audit trail."""
    created = []
    for domain in domains_without_role(app):
        name = _create_role(app, service_principal(domain.account_id), domain.name, domain.region)
        with app.database.transaction() as db:
            db.execute(update(profile_domains).where(profile_domains.c.id == domain.id).values(role_name=name))
        created.append(f"{domain.arn}: created {name}")
    return created
