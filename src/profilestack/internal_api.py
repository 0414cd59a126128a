"""Endpoints under ``/_profilestack/`` that AWS has no API for: health, and what a campaign received.

Everything but health is SigV4-authenticated and authorized like an AWS call: reading a
campaign's outbound requests needs ``connect-campaigns:DescribeCampaign`` on the campaign.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from profilestack import __version__
from profilestack.gateway.authz import AuthorizationRequest
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse
from profilestack.services.campaigns.handlers import outbound_requests
from profilestack.services.campaigns.tables import campaigns

if TYPE_CHECKING:
    from profilestack.app import App

PREFIX = "/_profilestack/"
_OUTBOUND = re.compile(r"^/_profilestack/campaigns/([^/]+)/outbound-requests$")


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps(body).encode())


def handle(app: App, request: HttpRequest) -> HttpResponse:
    if request.raw_path == "/_profilestack/health" and request.method == "GET":
        return _json(200, {"status": "ok", "version": __version__, "storage": app.database.backend})
    found = _OUTBOUND.match(request.raw_path)
    if found and request.method == "GET":
        try:
            return _json(200, {"outboundRequests": _campaign_requests(app, request, found.group(1))})
        except AwsError as error:
            return _json(error.status, {"__type": error.code, "message": error.message})
    return _json(404, {"message": f"No such profilestack endpoint: {request.raw_path}"})


def _campaign_requests(app: App, request: HttpRequest, campaign_id: str) -> list[dict[str, Any]]:
    principal, _ = app.authenticator.authenticate(request, query_family=False)
    with app.database.transaction(write=False) as db:
        row = db.execute(select(campaigns).where(campaigns.c.id == campaign_id,
                                                 campaigns.c.account_id == principal.account)).first()
        if row is None:
            raise AwsError("ResourceNotFoundException", f"Campaign {campaign_id} does not exist.", 404)
        app.authorizer.authorize(AuthorizationRequest(principal, "connect-campaigns:DescribeCampaign", [row.arn],
                                                      row.region, {"id": campaign_id}, request.source_ip))
        return outbound_requests(db, campaign_id)
