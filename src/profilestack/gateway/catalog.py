"""The services profilestack speaks, and their botocore models, loaded lazily.

Everything the gateway knows about a service's wire format comes from botocore's
service models; this module only says which services we serve and how the few
things the models do not say (signing-name sharing, validation error code, IAM
prefix) map onto them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from botocore.loaders import Loader
from botocore.model import ServiceModel


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # botocore service name
    signing_name: str  # SigV4 credential-scope service
    iam_prefix: str  # action prefix in IAM policies
    event_source: str  # CloudTrail eventSource
    validation_error: str  # the error code a constraint failure answers with
    validation_status: int = 400
    global_region: str | None = None  # IAM is global: signed for us-east-1
    path_prefix: str | None = None  # rest services sharing a signing name
    regions: tuple[str, ...] | None = None  # where the service exists; None: every region
    title: str = ""  # the service's name in messages
    # the parameter naming the account that owns what a call acts on, when it is not the caller's
    owner_parameter: str | None = None


# The regions of the Customer Profiles service-linked role page (and of botocore's endpoints for both services).
CONNECT_REGIONS = ("us-east-1", "us-west-2", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
                   "ca-central-1", "eu-central-1", "eu-west-2", "af-south-1")


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("sts", "sts", "sts", "sts.amazonaws.com", "ValidationError"),
    ServiceSpec("iam", "iam", "iam", "iam.amazonaws.com", "ValidationError", global_region="us-east-1"),
    ServiceSpec("cloudwatch", "monitoring", "cloudwatch", "monitoring.amazonaws.com", "InvalidParameterValue"),
    ServiceSpec("cloudtrail", "cloudtrail", "cloudtrail", "cloudtrail.amazonaws.com", "InvalidParameterException",
                owner_parameter="EventDataStoreOwnerAccountId"),  # another account's store, queried
    ServiceSpec("cloudtrail-data", "cloudtrail-data", "cloudtrail-data", "cloudtrail-data.amazonaws.com",
                "ValidationException", title="AWS CloudTrail Data Service"),
    ServiceSpec("customer-profiles", "profile", "profile", "profile.amazonaws.com", "BadRequestException",
                regions=CONNECT_REGIONS, title="Amazon Connect Customer Profiles"),
    ServiceSpec(
        "connectcampaignsv2",
        "connect-campaigns",
        "connect-campaigns",
        "connect-campaigns.amazonaws.com",
        "ValidationException",
        path_prefix="/v2/",
        regions=CONNECT_REGIONS,
        title="Amazon Connect Outbound Campaigns",
    ),
    ServiceSpec(
        "connectcampaigns",
        "connect-campaigns",
        "connect-campaigns",
        "connect-campaigns.amazonaws.com",
        "ValidationException",
        regions=CONNECT_REGIONS,
        title="Amazon Connect Outbound Campaigns",
    ),
)

SERVICES_BY_NAME = {spec.name: spec for spec in SERVICES}

_loader = Loader()


@cache
def service_model(name: str) -> ServiceModel:
    """The botocore model of one service, parsed once per process."""
    data = _loader.load_service_model(name, "service-2")
    return ServiceModel(data, service_name=name)


@cache
def _botocore_services() -> frozenset[str]:
    return frozenset(_loader.list_available_services("service-2"))


def other_service_protocol(name: str) -> str | None:
    """The wire protocol of a service botocore knows by ``name`` (its model's metadata), for answering a call
    meant for a service profilestack does not serve; None for a name botocore does not know."""
    return _protocol_of(name) if name in _botocore_services() else None  # cached for botocore's names only


@cache
def _protocol_of(name: str) -> str:
    metadata = _loader.load_service_model(name, "service-2")["metadata"]
    return (metadata.get("protocols") or [metadata["protocol"]])[0]
