"""Virtual MFA devices: a TOTP seed (RFC 6238, what authenticator apps use) shared with the user's app, enabled
for a user with two consecutive codes, then asked for by GetSessionToken to prove the user holds it."""

from __future__ import annotations

import hmac
import io
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

import pyotp
from sqlalchemy import Connection, Row, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.errors import already_exists, delete_conflict, invalid_input, no_such_entity, quota
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_mfa_devices, iam_users
from profilestack.services.iam.tags import add_tags, drop_tags, tags_of
from profilestack.services.iam.users import target_user, user_shape

DEVICES_PER_USER = 8
MAX_SERIAL_LENGTH = 256
STEP_SECONDS = 30
_ENABLE_WINDOW = 10  # steps back (five minutes) in which the two codes of EnableMFADevice may have been shown
TAG_KIND = "mfa"


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _code_at(seed: str, step: int) -> str:
    return pyotp.TOTP(seed).at(step * STEP_SECONDS)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def consecutive_codes_step(seed: str, first: str, second: str, now: datetime, last_step: int | None) -> int | None:
    """The step of ``second`` when the two codes are consecutive codes of the last few minutes not used before."""
    current = _step(now)
    for step in range(current - _ENABLE_WINDOW, current + 2):
        if (last_step is None or step > last_step) and _same(_code_at(seed, step - 1), first) \
                and _same(_code_at(seed, step), second):
            return step
    return None


def code_step(seed: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step of a current code (the one before and after allowed for clock drift), unless already used."""
    current = _step(now)
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and _same(_code_at(seed, step), code):
            return step
    return None


def invalid_code(serial: str) -> AwsError:
    return AwsError("InvalidAuthenticationCode", f"Authentication code for device {serial} is not valid.", 403)


def find_device(db: Connection, account: str, serial: str) -> Row[Any] | None:
    return db.execute(select(iam_mfa_devices).where(iam_mfa_devices.c.serial_number == serial,
                                                    iam_mfa_devices.c.account_id == account)).first()


def require_device(ctx: CallContext, serial: str) -> Row[Any]:
    device = find_device(ctx.db, ctx.account, serial)
    if device is None:
        raise no_such_entity(f"VirtualMFADevice with serial number {serial} doesn't exist.")
    return device


def _require_enabled(ctx: CallContext, user: Row[Any], serial: str) -> Row[Any]:
    device = find_device(ctx.db, ctx.account, serial)
    if device is None or device.user_id != user.id:
        raise no_such_entity(f"MFA Device with serial number {serial} does not exist for user {user.name}.")
    return device


def check_code(db: Connection, account: str, user_id: str, serial: str, code: str, now: datetime) -> None:
    """A code of the user's device (an STS call's TokenCode): used up, or refused."""
    device = find_device(db, account, serial)
    step = None if device is None or device.user_id != user_id else code_step(device.seed, code, now,
                                                                              device.last_step)
    if step is None:
        raise AwsError("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", 403)
    db.execute(update(iam_mfa_devices).where(iam_mfa_devices.c.serial_number == serial).values(last_step=step))


def _qr_code(uri: str) -> bytes:
    import segno  # only when a device is created: importing it costs a server's start ~35 ms

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=4)
    return out.getvalue()


@iam.operation("CreateVirtualMFADevice")
def create_virtual_mfa_device(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["VirtualMFADeviceName"], params.get("Path") or "/"
    serial = f"arn:aws:iam::{ctx.account}:mfa{path}{name}"
    if len(serial) > MAX_SERIAL_LENGTH:  # the longest serial number the other MFA operations take
        raise invalid_input(f"The serial number {serial} would be longer than {MAX_SERIAL_LENGTH} characters; "
                            "use a shorter path or name.")
    if find_device(ctx.db, ctx.account, serial) is not None:
        raise already_exists("MFADevice entity at the same path and name already exists.")
    seed, device_id = pyotp.random_base32(), ctx.app.ids.unique_id("MFA", 20)
    ctx.db.execute(insert(iam_mfa_devices).values(serial_number=serial, id=device_id, account_id=ctx.account,
                                                  seed=seed, created_at=ctx.now()))
    if params.get("Tags"):
        add_tags(ctx.db, TAG_KIND, device_id, "MFADevice", params["Tags"])
    uri = pyotp.TOTP(seed).provisioning_uri(name=f"{name}@{ctx.account}")
    device = {"SerialNumber": serial, "Base32StringSeed": seed.encode(), "QRCodePNG": _qr_code(uri)}
    tags = tags_of(ctx.db, TAG_KIND, device_id)
    return {"VirtualMFADevice": {**device, "Tags": tags} if tags else device}


@iam.operation("EnableMFADevice")
def enable_mfa_device(ctx: CallContext, params: dict[str, Any]) -> None:
    user = target_user(ctx, params)
    device = require_device(ctx, params["SerialNumber"])
    if device.user_id is not None:
        raise already_exists("MFA Device is already in use.")
    enabled = ctx.db.execute(select(func.count()).select_from(iam_mfa_devices)
                             .where(iam_mfa_devices.c.user_id == user.id)).scalar_one()
    if enabled >= DEVICES_PER_USER:
        raise quota("MFADevicesPerUser", DEVICES_PER_USER)
    step = consecutive_codes_step(device.seed, params["AuthenticationCode1"], params["AuthenticationCode2"],
                                  ctx.now(), device.last_step)
    if step is None:
        raise invalid_code(device.serial_number)
    ctx.db.execute(update(iam_mfa_devices).where(iam_mfa_devices.c.serial_number == device.serial_number)
                   .values(user_id=user.id, enabled_at=ctx.now(), last_step=step))


@iam.operation("ResyncMFADevice")
def resync_mfa_device(ctx: CallContext, params: dict[str, Any]) -> None:
    user = target_user(ctx, params)
    device = _require_enabled(ctx, user, params["SerialNumber"])
    step = consecutive_codes_step(device.seed, params["AuthenticationCode1"], params["AuthenticationCode2"],
                                  ctx.now(), device.last_step)
    if step is None:
        raise invalid_code(device.serial_number)
    ctx.db.execute(update(iam_mfa_devices).where(iam_mfa_devices.c.serial_number == device.serial_number)
                   .values(last_step=step))


@iam.operation("DeactivateMFADevice")
def deactivate_mfa_device(ctx: CallContext, params: dict[str, Any]) -> None:
    """The device goes back to the unassigned virtual devices; its seed stays the same."""
    user = target_user(ctx, params)
    device = _require_enabled(ctx, user, params["SerialNumber"])
    ctx.db.execute(update(iam_mfa_devices).where(iam_mfa_devices.c.serial_number == device.serial_number)
                   .values(user_id=None, enabled_at=None))


@iam.operation("DeleteVirtualMFADevice")
def delete_virtual_mfa_device(ctx: CallContext, params: dict[str, Any]) -> None:
    device = require_device(ctx, params["SerialNumber"])
    if device.user_id is not None:
        raise delete_conflict("MFA device is in use; deactivate it first.")
    drop_tags(ctx.db, TAG_KIND, device.id)
    ctx.db.execute(delete(iam_mfa_devices).where(iam_mfa_devices.c.serial_number == device.serial_number))


@iam.operation("ListMFADevices")
def list_mfa_devices(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    rows = ctx.db.execute(select(iam_mfa_devices).where(iam_mfa_devices.c.user_id == user.id))
    return page([{"UserName": user.name, "SerialNumber": row.serial_number, "EnableDate": row.enabled_at}
                 for row in rows], params, "MFADevices", place=itemgetter("SerialNumber"))


@iam.operation("ListVirtualMFADevices")
def list_virtual_mfa_devices(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    status = params.get("AssignmentStatus") or "Any"
    rows = [row for row in ctx.db.execute(select(iam_mfa_devices).where(iam_mfa_devices.c.account_id == ctx.account))
            if status == "Any" or (status == "Assigned") == (row.user_id is not None)]
    return page(rows, params, "VirtualMFADevices", lambda chunk: [_virtual_device(ctx, row) for row in chunk],
                place=attrgetter("serial_number"))


def _virtual_device(ctx: CallContext, row: Row[Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"SerialNumber": row.serial_number}
    if row.user_id is not None:
        user = ctx.db.execute(select(iam_users).where(iam_users.c.id == row.user_id)).first()
        item.update(User=user_shape(ctx.db, user, detailed=False), EnableDate=row.enabled_at)
    tags = tags_of(ctx.db, TAG_KIND, row.id)
    if tags:
        item["Tags"] = tags
    return item


@iam.operation("GetMFADevice")
def get_mfa_device(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    device = _require_enabled(ctx, user, params["SerialNumber"])
    return {"UserName": user.name, "SerialNumber": device.serial_number, "EnableDate": device.enabled_at}
