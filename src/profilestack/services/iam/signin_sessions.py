"""MaxSigninSessionDuration: how long an AWS Sign-In session of a role, or of a user with a password, may last.
Kept and shown as IAM shows it; nothing here signs in through AWS Sign-In to be held to it (profilestack's console
signs in with access keys)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from profilestack.services.iam.errors import invalid_input


def signin_duration_change(params: dict[str, Any]) -> dict[str, int | None]:
    """The column an update sets: the duration given, None when ResetMaxSigninSessionDuration clears it, nothing
    when neither is asked."""
    given, reset = params.get("MaxSigninSessionDuration"), params.get("ResetMaxSigninSessionDuration")
    if given is not None and reset:
        raise invalid_input("You cannot specify MaxSigninSessionDuration and set ResetMaxSigninSessionDuration to "
                            "true in the same request.")
    if given is not None:
        return {"max_signin_session_duration": given}
    return {"max_signin_session_duration": None} if reset else {}


def show_signin_duration(shape: dict[str, Any], row: Row[Any]) -> dict[str, Any]:
    """The shape with MaxSigninSessionDuration when one is set (left out when unset, as IAM does)."""
    if row.max_signin_session_duration is not None:
        shape["MaxSigninSessionDuration"] = row.max_signin_session_duration
    return shape
