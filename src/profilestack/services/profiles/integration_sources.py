"""What a Customer Profiles integration's ``Uri`` names: an Outbound Campaigns campaign that event triggers send to,
or a source that brings objects of a domain's types in (an Amazon Connect instance, an Amazon AppIntegrations
event integration). Amazon AppFlow flows, the third kind AWS offers, cannot run here: ``appflow_refusal`` says so
for every operation that would make one."""

from __future__ import annotations

import enum
import re

from profilestack.gateway.errors import AwsError
from profilestack.services.profiles.errors import bad_request


class Kind(enum.Enum):
    CAMPAIGN = "an Amazon Connect Outbound Campaigns campaign"
    CONNECT_INSTANCE = "an Amazon Connect instance"
    EVENT_INTEGRATION = "an Amazon AppIntegrations event integration"


_PATTERNS = {
    Kind.CAMPAIGN: "arn:aws:connect-campaigns:{region}:{account}:campaign/[^/]+",
    Kind.CONNECT_INSTANCE: "arn:aws:connect:{region}:{account}:instance/[a-zA-Z0-9-]+",
    Kind.EVENT_INTEGRATION: "arn:aws:app-integrations:{region}:{account}:event-integration/[.\\-_A-Za-z0-9]+",
}
_FORMS = ("arn:aws:connect-campaigns:<region>:<account>:campaign/<id>", "arn:aws:connect:<region>:<account>:"
          "instance/<id>", "arn:aws:app-integrations:<region>:<account>:event-integration/<name>")

# the external applications' event types ObjectTypeNames may map (PutIntegration's documentation)
EVENT_TYPES = ("SegmentIdentify", "ShopifyCreateCustomers", "ShopifyUpdateCustomers", "ShopifyCreateDraftOrders",
               "ShopifyUpdateDraftOrders", "ShopifyCreateOrders", "ShopifyUpdatedOrders")


def kind_of(uri: str, region: str, account: str) -> Kind:
    """The kind of integration ``uri`` names, or BadRequest when it names nothing profilestack integrates with
    (another account's or region's resource among them)."""
    for kind, pattern in _PATTERNS.items():
        if re.fullmatch(pattern.format(region=re.escape(region), account=re.escape(account)), uri):
            return kind
    raise bad_request(f"Uri {uri} is not supported: an integration's Uri is the ARN of a campaign, an Amazon Connect "
                      f"instance or an event integration of this account and region ({', '.join(_FORMS)}).")


def unknown_event_types(object_type_names: dict[str, str]) -> list[str]:
    return sorted(set(object_type_names) - set(EVENT_TYPES))


def appflow_refusal() -> AwsError:
    return bad_request("profilestack does not run Amazon AppFlow: a FlowDefinition's source (Salesforce, Marketo, "
                       "ServiceNow, Zendesk or S3) cannot be read here. Put objects with PutProfileObject, or load "
                       "them with `profilestack load`.")
