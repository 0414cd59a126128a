"""CloudTrail's client errors: every one it models is a 400 with its own code."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.errors import AwsError


def refused(code: str, message: str) -> AwsError:
    return AwsError(code, message, 400)


def invalid_parameter(message: str) -> AwsError:
    return refused("InvalidParameterException", message)


def invalid_token(message: str) -> AwsError:
    return refused("InvalidNextTokenException", message)


def in_no_organization() -> AwsError:
    """What an organization's feature answers: every account here stands alone (there is no AWS Organizations)."""
    return refused("OrganizationsNotInUseException",
                   "This account is not part of an organization: profilestack has no AWS Organizations.")


def check_time_range(params: dict[str, Any], code: str = "InvalidTimeRangeException") -> None:
    """A request's StartTime after its EndTime, refused with the code its operation models."""
    start, end = params.get("StartTime"), params.get("EndTime")
    if start and end and start > end:
        raise refused(code, "StartTime must be before EndTime.")
