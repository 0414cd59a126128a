"""The users and roles a role's trust policy names, held by their unique ids.

As on AWS, a trust policy naming a user or role stands for that very entity: saved, each such principal is
remembered with the entity's unique id (and must exist, for the accounts this server holds). A renamed user is
still the one trusted, under its new ARN. If the entity is deleted — even if another is then created under the
same name — the policy shows, and is evaluated with, the old unique id in place of the ARN: it trusts nobody there
until the policy is saved again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from profilestack.iam_policy.document import UNIQUE_ID, PolicyDocument
from profilestack.services.iam import entities
from profilestack.services.iam.errors import malformed_policy

_NAMED_ENTITY = re.compile(r"arn:aws:iam::([0-9]{12}):(user|role)/.+")


def _aws_principals(document: PolicyDocument) -> list[str]:
    return [name for statement in document.statements for name in (statement.principals or {}).get("AWS", ())]


def principal_ids(db: Connection, held: set[str], document: PolicyDocument) -> dict[str, str]:
    """{ARN as written: unique id} of the users and roles the policy names in the accounts this server holds;
    MalformedPolicyDocument for one that does not exist, or for a unique id written in the policy."""
    found: dict[str, str] = {}
    for name in _aws_principals(document):
        if UNIQUE_ID.fullmatch(name):
            raise malformed_policy(f'Invalid principal in policy: "AWS":"{name}"')
        named = _NAMED_ENTITY.fullmatch(name)
        if named is None or named.group(1) not in held:
            continue
        table = entities.KIND_NAMED[named.group(2)].table
        entity_id = db.execute(select(table.c.id).where(table.c.account_id == named.group(1),
                                                        func.lower(table.c.arn) == name.lower())).scalar()
        if entity_id is None:
            raise malformed_policy(f'Invalid principal in policy: "AWS":"{name}"')
        found[name] = entity_id
    return found


def current_arns(db: Connection, saved: Iterable[dict[str, str] | None]) -> dict[str, str]:
    """{unique id: current ARN} of the users and roles that still exist among trust policies' saved principals
    (``saved``: their ``trust_principals``), in one query per kind however many policies there are."""
    ids = {entity_id for principals in saved if principals for entity_id in principals.values()}
    current: dict[str, str] = {}
    for kind in (entities.USER, entities.ROLE):  # each id says its kind: AIDA… a user's, AROA… a role's
        wanted = [entity_id for entity_id in ids if entity_id.startswith(kind.id_prefix)]
        if wanted:
            current.update(db.execute(select(kind.table.c.id, kind.table.c.arn)
                                      .where(kind.table.c.id.in_(wanted))).all())
    return current


def effective_trust(db: Connection, text: str, principals: dict[str, str] | None,
                    current: dict[str, str] | None = None) -> str:
    """The trust policy as it stands now: each named user or role shows as the entity it was saved with — under
    its current ARN (a user may have been renamed), or as its unique id once it no longer exists. ``current``:
    ``current_arns`` already read for many policies at once."""
    if not principals:
        return text
    if current is None:
        current = current_arns(db, [principals])
    changed = {arn: current.get(entity_id, entity_id) for arn, entity_id in principals.items()}
    changed = {arn: now for arn, now in changed.items() if now != arn}
    if not changed:
        return text
    document = json.loads(text)
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    for statement in statements:
        for key in ("Principal", "NotPrincipal"):
            aws = statement[key].get("AWS") if isinstance(statement.get(key), dict) else None
            if isinstance(aws, str):
                statement[key]["AWS"] = changed.get(aws, aws)
            elif isinstance(aws, list):
                statement[key]["AWS"] = [changed.get(name, name) for name in aws]
    return json.dumps(document)
