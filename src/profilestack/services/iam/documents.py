"""Policy documents on IAM's wire: validated on write, returned URL-encoded as IAM does."""

from __future__ import annotations

from urllib.parse import quote

from profilestack.iam_policy.document import MalformedPolicy, PolicyDocument, PolicyKind, parse_policy
from profilestack.services.iam.errors import limit_exceeded, malformed_policy


def validated(text: str, kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyDocument:
    try:
        return parse_policy(text, kind)
    except MalformedPolicy as exc:
        raise malformed_policy(str(exc)) from exc


def policy_size(text: str) -> int:
    """IAM counts policy size without whitespace."""
    return sum(1 for char in text if not char.isspace())


def check_size(text: str, limit: int, message: str) -> None:
    if policy_size(text) > limit:
        raise limit_exceeded(message)


def wire(text: str) -> str:
    return quote(text, safe="")
