"""The ARNs of CloudTrail Lake's event data stores and channels (``kind`` ``eventdatastore`` or ``channel``), each
named in requests by its ARN or by its ID, a UUID."""

from __future__ import annotations

import re

from profilestack.services.cloudtrail.lake_sql import STORE_ID

STORE, CHANNEL, DASHBOARD = "eventdatastore", "channel", "dashboard"  # the kinds (a dashboard's ID is its name)
_ARN = re.compile(rf"^arn:aws:cloudtrail:([a-z0-9-]+):([0-9]{{12}}):(eventdatastore|channel)/({STORE_ID})\Z")


def lake_arn(kind: str, region: str, account: str, resource_id: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:{kind}/{resource_id}"


def id_of(kind: str, name: str) -> str:
    """The ID a resource of ``kind`` is named by, from its ARN or the ID itself."""
    found = _ARN.match(name)
    return found.group(4) if found and found.group(3) == kind else name


def arn_of(kind: str, name: str, region: str, account: str) -> str | None:
    """The ARN ``name`` (an ARN of ``kind``, or an ID of this account and region) stands for; None when it is
    neither."""
    found = _ARN.match(name)
    if found is not None:
        return name if found.group(3) == kind else None
    return lake_arn(kind, region, account, name) if re.fullmatch(STORE_ID, name) else None
