"""Long-term access keys of IAM users (``AKIA…``), at most two per user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, desc, func, insert, select, update

from profilestack.audit.table import audit_events
from profilestack.gateway.context import CallContext
from profilestack.services.iam.entities import USER
from profilestack.services.iam.errors import no_such_entity, quota
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_access_keys
from profilestack.services.iam.users import target_user

KEYS_PER_USER = 2


def _key(ctx: CallContext, user: Row[Any], key_id: str) -> Row[Any]:
    row = ctx.db.execute(select(iam_access_keys).where(iam_access_keys.c.access_key_id == key_id,
                                                       iam_access_keys.c.user_id == user.id)).first()
    if row is None:
        raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
    return row


@iam.operation("CreateAccessKey")
def create_access_key(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    count = ctx.db.execute(select(func.count()).select_from(iam_access_keys)
                           .where(iam_access_keys.c.user_id == user.id)).scalar() or 0
    if count >= KEYS_PER_USER:
        raise quota("AccessKeysPerUser", KEYS_PER_USER)
    key_id, secret, now = ctx.app.ids.unique_id("AKIA", 20), ctx.app.ids.secret(), ctx.now()
    ctx.db.execute(insert(iam_access_keys).values(access_key_id=key_id, account_id=ctx.account, user_id=user.id,
                                                  secret=secret, status="Active", created_at=now))
    return {"AccessKey": {"UserName": user.name, "AccessKeyId": key_id, "Status": "Active",
                          "SecretAccessKey": secret, "CreateDate": now}}


@iam.operation("ListAccessKeys")
def list_access_keys(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    rows = ctx.db.execute(select(iam_access_keys).where(iam_access_keys.c.user_id == user.id)
                          .order_by(iam_access_keys.c.created_at))
    keys = [{"UserName": user.name, "AccessKeyId": row.access_key_id, "Status": row.status,
             "CreateDate": row.created_at} for row in rows]
    return page(keys, params, "AccessKeyMetadata")


@iam.operation("UpdateAccessKey")
def update_access_key(ctx: CallContext, params: dict[str, Any]) -> None:
    key = _key(ctx, target_user(ctx, params), params["AccessKeyId"])
    ctx.db.execute(update(iam_access_keys).where(iam_access_keys.c.access_key_id == key.access_key_id)
                   .values(status=params["Status"]))


@iam.operation("DeleteAccessKey")
def delete_access_key(ctx: CallContext, params: dict[str, Any]) -> None:
    key = _key(ctx, target_user(ctx, params), params["AccessKeyId"])
    ctx.db.execute(delete(iam_access_keys).where(iam_access_keys.c.access_key_id == key.access_key_id))


def last_use(db: Connection, access_key_id: str) -> tuple[datetime, str, str] | None:
    """When, in which region and with which service the key was last used: the audit trail's newest call signed
    with it (None when none is kept)."""
    last = db.execute(select(audit_events.c.event_time, audit_events.c.event_source, audit_events.c.region)
                      .where(audit_events.c.access_key_id == access_key_id)
                      .order_by(desc(audit_events.c.seq)).limit(1)).first()
    return (last.event_time, last.region, last.event_source.split(".")[0]) if last else None


@iam.operation("GetAccessKeyLastUsed")
def get_access_key_last_used(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Last use comes from the audit trail, which records the key of every authenticated call."""
    row = ctx.db.execute(select(iam_access_keys).where(iam_access_keys.c.access_key_id == params["AccessKeyId"],
                                                       iam_access_keys.c.account_id == ctx.account)).first()
    if row is None:
        raise no_such_entity(f"The Access Key with id {params['AccessKeyId']} cannot be found.")
    user = ctx.db.execute(select(USER.table.c.name).where(USER.table.c.id == row.user_id)).scalar()
    last = last_use(ctx.db, row.access_key_id)
    used = ({"LastUsedDate": last[0], "ServiceName": last[2], "Region": last[1]} if last
            else {"ServiceName": "N/A", "Region": "N/A"})
    return {"UserName": user, "AccessKeyLastUsed": used}


