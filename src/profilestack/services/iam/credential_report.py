"""GenerateCredentialReport and GetCredentialReport: every user's credentials and their use, as IAM's CSV.

Generating takes one pass over the account's users (done at once: the answer is ``COMPLETE``); the report is a
snapshot, readable for four hours, as on AWS. Access keys' last use comes from the audit trail, as in
GetAccessKeyLastUsed.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam import entities
from profilestack.services.iam.access_keys import last_use
from profilestack.services.iam.account_settings import save_settings, settings_of
from profilestack.services.iam.passwords import password_policy
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import (
    iam_access_keys,
    iam_login_profiles,
    iam_mfa_devices,
    iam_user_credentials,
)
from profilestack.services.iam.users import ROOT_CREATED

REPORT_LIFETIME = timedelta(hours=4)
COLUMNS = ("user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
           "password_next_rotation", "mfa_active",
           "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
           "access_key_1_last_used_region", "access_key_1_last_used_service",
           "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
           "access_key_2_last_used_region", "access_key_2_last_used_service",
           "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated")
_NO_CERTIFICATES = ("false", "N/A", "false", "N/A")


def _time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _key_columns(db: Connection, key: Row[Any] | None) -> tuple[str, ...]:
    if key is None:
        return ("false", "N/A", "N/A", "N/A", "N/A")
    last = last_use(db, key.access_key_id)
    used = (_time(last[0]), last[1], last[2]) if last else ("N/A",) * 3
    return ("true" if key.status == "Active" else "false", _time(key.created_at), *used)


def _user_row(db: Connection, user: Row[Any], max_age: int | None) -> list[str]:
    profile = db.execute(select(iam_login_profiles).where(iam_login_profiles.c.user_id == user.id)).first()
    if profile is None:
        password = ("false", "N/A", "N/A", "N/A")
    else:
        changed = profile.changed_at or profile.created_at
        rotation = _time(changed + timedelta(days=max_age)) if max_age else "N/A"
        password = ("true", "no_information", _time(changed), rotation)  # no console: never signed in with it
    mfa = db.execute(select(iam_mfa_devices.c.serial_number).where(iam_mfa_devices.c.user_id == user.id)).first()
    keys = list(db.execute(select(iam_access_keys).where(iam_access_keys.c.user_id == user.id)
                           .order_by(iam_access_keys.c.created_at)))
    keys += [None] * (2 - len(keys))
    return [user.name, user.arn, _time(user.created_at), *password, "true" if mfa else "false",
            *_key_columns(db, keys[0]), *_key_columns(db, keys[1]), *_certificate_columns(db, user.id)]


def _certificate_columns(db: Connection, user_id: str) -> tuple[str, ...]:
    """cert_N_active and cert_N_last_rotated (its upload) of the user's two signing certificates."""
    table = iam_user_credentials
    rows = list(db.execute(select(table.c.status, table.c.created_at).where(
        table.c.user_id == user_id, table.c.kind == "signing").order_by(table.c.created_at, table.c.id)))
    columns: list[str] = []
    for row in rows[:2]:
        columns += ["true" if row.status == "Active" else "false", _time(row.created_at)]
    return (*columns, *_NO_CERTIFICATES[len(columns):])


def _root_row(ctx: CallContext) -> list[str]:
    key = ("true" if ctx.app.settings.has_root_keys(ctx.account) else "false", "N/A", "N/A", "N/A", "N/A")
    return ["<root_account>", f"arn:aws:iam::{ctx.account}:root", _time(ROOT_CREATED), "not_supported",
            "no_information", "not_supported", "not_supported", "false", *key, "false", "N/A", "N/A", "N/A", "N/A",
            *_NO_CERTIFICATES]


@iam.operation("GenerateCredentialReport", writes=True)
def generate_credential_report(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = password_policy(ctx.db, ctx.account) or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(_root_row(ctx))
    for user in entities.listed(ctx.db, entities.USER, ctx.account):
        writer.writerow(_user_row(ctx.db, user, policy.get("MaxPasswordAge")))
    save_settings(ctx.db, ctx.account, credential_report=out.getvalue(), credential_report_at=ctx.now())
    return {"State": "COMPLETE", "Description": "The credential report is ready."}


@iam.operation("GetCredentialReport")
def get_credential_report(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    settings = settings_of(ctx.db, ctx.account)
    if settings is None or settings.credential_report is None:
        raise AwsError("ReportNotPresent", "Received a request for a credential report that does not exist. Use "
                                           "GenerateCredentialReport to generate a report.", 410)
    if ctx.now() - settings.credential_report_at > REPORT_LIFETIME:
        raise AwsError("ReportExpired", "The credential report is more than four hours old. Use "
                                        "GenerateCredentialReport to generate a new one.", 410)
    return {"Content": settings.credential_report.encode(), "ReportFormat": "text/csv",
            "GeneratedTime": settings.credential_report_at}
