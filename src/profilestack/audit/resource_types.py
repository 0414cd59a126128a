"""Resource types as CloudTrail names them — ``AWS::IAM::Role``, ``AWS::CustomerProfiles::Domain`` — in an event's
``resources`` and in ``LookupEvents``' ``Resources`` and its ``ResourceType`` filter. The trail stores the IAM
resource type of the action's definition (``role``, ``domains``); this is worked out when it is read."""

from __future__ import annotations

from functools import lru_cache

# The service part, by the ARN's service; each service's own otherwise (PascalCase of its prefix)
_SERVICES = {"iam": "IAM", "sts": "STS", "profile": "CustomerProfiles", "cloudwatch": "CloudWatch",
             "cloudtrail": "CloudTrail", "connect-campaigns": "ConnectCampaigns"}
# Type names that are not the PascalCase of the IAM resource type (acronyms, a word run together)
_TYPES = {"oidc-provider": "OIDCProvider", "saml-provider": "SAMLProvider", "mfa": "MFADevice",
          "sms-mfa": "SMSMFADevice", "eventdatastore": "EventDataStore"}


def cloudtrail_type(kind: str, arn: str) -> str:
    """``AWS::<service>::<type>`` of the resource ``arn``, of IAM resource type ``kind``; one already so named
    stays."""
    if kind.startswith("AWS::"):
        return kind
    parts = arn.split(":", 3)
    return _named(kind, parts[2] if len(parts) > 2 else "")


@lru_cache(maxsize=1024)
def _named(kind: str, prefix: str) -> str:
    service = _SERVICES.get(prefix) or "".join(word.capitalize() for word in prefix.split("-"))
    return f"AWS::{service}::{_TYPES.get(kind) or _pascal_singular(kind)}"


def _pascal_singular(kind: str) -> str:
    """``segment-definitions`` → ``SegmentDefinition``: Customer Profiles names its types in the plural."""
    words = kind.split("-")
    if words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return "".join(word.capitalize() for word in words)
