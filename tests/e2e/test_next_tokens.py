"""A NextToken no listing gave is refused with the error its service uses for one, by every listing of it."""

from __future__ import annotations

import base64

import pytest
from botocore import xform_name
from botocore.config import Config

from profilestack.gateway.catalog import SERVICES_BY_NAME, service_model
from profilestack.services.registry import all_handlers
from tests.conftest import dedicated_server
from tests.e2e.errors import refused
from tests.e2e.identities import unique

# botocore's name of the service → the error code its listings answer a token they never gave, unless the
# listing's model names another (CloudTrail's ListPublicKeys and ListTags: InvalidTokenException)
INVALID_TOKEN = {"cloudtrail": "InvalidNextTokenException", "cloudwatch": "InvalidNextToken",
                 "customer-profiles": "BadRequestException", "connectcampaignsv2": "ValidationException"}
SERVED_AS = {"connectcampaignsv2": "connectcampaigns"}  # the registry's name, where it differs
FOREIGN_TOKEN = "bm90LWEtdG9rZW4tb2YtdGhpcy1zZXJ2ZXI"  # base64 text, as profilestack's tokens are: no listing's
# JSON nested deeper than Python's reader goes, as a position token's text is JSON (once a 500)
NESTED_TOKEN = base64.urlsafe_b64encode(b"[" * 1200).decode().rstrip("=")


def _listings() -> list[tuple[str, str]]:
    """Every implemented operation that pages with a NextToken and needs nothing else but a domain's name."""
    implemented = all_handlers()
    found = []
    for service in INVALID_TOKEN:
        model = service_model(service)
        for name in model.operation_names:
            shape = model.operation_model(name).input_shape
            if (shape is not None and {"NextToken", "nextToken"} & set(shape.members)
                    and set(shape.required_members) <= {"DomainName"}
                    and (SERVED_AS.get(service, service), name) in implemented):
                found.append((service, name))
    return found


LISTINGS = _listings()


def test_the_listings_cover_every_service() -> None:
    assert {service for service, _ in LISTINGS} == set(INVALID_TOKEN)
    assert ("cloudtrail", "ListTrails") in LISTINGS and ("cloudwatch", "ListMetricDataQueryDefinitions") in LISTINGS


@pytest.mark.parametrize("token", [FOREIGN_TOKEN, NESTED_TOKEN], ids=["foreign", "nested"])
@pytest.mark.parametrize(("service", "operation"), LISTINGS, ids=[f"{s}:{o}" for s, o in LISTINGS])
def test_a_token_no_listing_gave_is_refused_with_the_services_own_error(client, domain, service: str,
                                                                       operation: str, token: str) -> None:
    model = service_model(service).operation_model(operation)
    shape = model.input_shape
    params = {"DomainName": domain} if "DomainName" in shape.members else {}
    member = "nextToken" if "nextToken" in shape.members else "NextToken"
    params[member] = token
    unchecked = Config(parameter_validation=False, retries={"total_max_attempts": 1})  # the nested one is long
    code, _ = refused(getattr(client(service, config=unchecked), xform_name(operation)), **params)
    if len(token) > shape.members[member].metadata.get("max", len(token)):  # over the model's length: invalid input
        assert code == SERVICES_BY_NAME[SERVED_AS.get(service, service)].validation_error
        return
    modelled = [error.name for error in model.error_shapes
                if error.name in ("InvalidNextTokenException", "InvalidTokenException")]
    assert code == (modelled[0] if modelled else INVALID_TOKEN[service])


def test_boto3_takes_back_the_tokens_of_every_page(tmp_path) -> None:
    """botocore checks a token against the model's length before sending it (four characters at least for
    CloudTrail's): the second page's token, an offset of 1, once failed that check in the client. A server of its
    own: a deleted event data store still counts against the account's ten for a week."""
    with dedicated_server(tmp_path) as server:
        trail = server.client("cloudtrail")
        made = {trail.create_event_data_store(Name=unique("paged"))["EventDataStoreArn"] for _ in range(3)}
        listed, token = [], None
        while True:
            page = trail.list_event_data_stores(MaxResults=1, **({"NextToken": token} if token else {}))
            listed += [store["EventDataStoreArn"] for store in page["EventDataStores"]]
            token = page.get("NextToken")
            if token is None:
                break
        assert len(listed) == len(set(listed)) == 3 and set(listed) == made
