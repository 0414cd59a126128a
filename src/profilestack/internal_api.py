"""Endpoints under ``/_profilestack/`` that AWS has no API for: health, the web console, what a campaign received,
the files of Customer Profiles segment snapshots, and the URLs Customer Profiles upload jobs take their files at.

Reading a campaign's outbound requests or a snapshot's file is SigV4-authenticated and authorized like an AWS call
(it needs ``connect-campaigns:DescribeCampaign`` on the campaign, ``profile:GetSegmentSnapshot`` on the segment).
An upload URL is a pre-signed URL, as S3's are: the secret it carries is its credential, valid for an hour, and
its errors are S3's XML.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from profilestack import __version__
from profilestack.console import ROOT as CONSOLE
from profilestack.gateway.authz import AuthorizationRequest
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse
from profilestack.gateway.pipeline import in_json_spelling
from profilestack.services.campaigns.handlers import outbound_requests, stored_campaign
from profilestack.services.iam.outbound_federation import ISSUER_PATH, discovery, federation_of, public_keys
from profilestack.services.profiles.segment_snapshots import CONTENT_TYPES, snapshot_file
from profilestack.services.profiles.upload_jobs import UPLOAD_PATH, UploadRefused, receive_upload

if TYPE_CHECKING:
    from profilestack.app import App

PREFIX = "/_profilestack/"
_OUTBOUND = re.compile(r"^/_profilestack/campaigns/([^/]+)/outbound-requests$")
_SNAPSHOT = re.compile(r"^/_profilestack/segment-snapshots/([^/]+)$")


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps(body).encode())


def json_error(error: AwsError) -> HttpResponse:
    error = in_json_spelling(error)
    return _json(error.status, {"__type": error.code, "message": error.message})


def handle(app: App, request: HttpRequest) -> HttpResponse:
    if request.raw_path.startswith(CONSOLE):
        from profilestack.console import pages  # Jinja2 and the templates load at the first page, not at start

        return pages.handle(app, request)
    if request.raw_path == "/_profilestack/health" and request.method == "GET":
        health = {"version": __version__, "storage": app.database.backend}
        if not app.database.answers():  # serving nothing useful: a load balancer should send calls elsewhere
            return _json(503, {"status": "unavailable", **health, "reason": "The database does not answer."})
        if app.audit.overflowing():
            return _json(503, {"status": "unavailable", **health, "reason": f"{app.audit.waiting()} audit events "
                               "wait for the database to store them; calls are refused until it has."})
        return _json(200, {"status": "ok", **health})
    if request.raw_path == "/_profilestack/metrics" and request.method == "GET":
        content_type, body = app.metrics.exposition()
        return HttpResponse(200, [("content-type", content_type)], body)
    found = _OUTBOUND.match(request.raw_path)
    if found and request.method == "GET":
        try:
            return _json(200, {"outboundRequests": _campaign_requests(app, request, found.group(1))})
        except AwsError as error:
            return json_error(error)
    found = _SNAPSHOT.match(request.raw_path)
    if found and request.method == "GET":
        try:
            return _snapshot(app, request, found.group(1))
        except AwsError as error:
            return json_error(error)
    if request.raw_path.startswith(ISSUER_PATH) and request.method == "GET":
        return _issuer(app, request.raw_path[len(ISSUER_PATH):])
    if request.raw_path.startswith(UPLOAD_PATH):
        return _upload(app, request, request.raw_path[len(UPLOAD_PATH):])
    return _json(404, {"message": f"No such profilestack endpoint: {request.raw_path}"})


def _upload(app: App, request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method != "PUT":
            raise UploadRefused(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        etag = receive_upload(app, token, request.body)
    except UploadRefused as refused:
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{refused.code}</Code>"
                f"<Message>{escape(refused.message)}</Message></Error>")
        return HttpResponse(refused.status, [("content-type", "application/xml")], body.encode())
    return HttpResponse(200, [("etag", etag)], b"")


def _issuer(app: App, rest: str) -> HttpResponse:
    """An account's outbound federation issuer: public, as OpenID Connect discovery is."""
    account, _, document = rest.partition("/")
    with app.database.transaction(write=False) as db:
        row = federation_of(db, account)
    if row is None or document not in (".well-known/openid-configuration", ".well-known/jwks.json"):
        return _json(404, {"message": f"No such issuer document: {rest}"})
    if document.endswith("jwks.json"):
        return _json(200, {"keys": public_keys(row)})
    return _json(200, discovery(app.settings, account))


def _snapshot(app: App, request: HttpRequest, snapshot_id: str) -> HttpResponse:
    principal, _ = app.authenticator.authenticate(request, query_family=False)
    with app.database.transaction(write=False) as db:
        row, segment_arn, content = snapshot_file(db, snapshot_id, principal.account)
    app.authorizer.authorize(AuthorizationRequest(principal, "profile:GetSegmentSnapshot", [segment_arn],
                                                  segment_arn.split(":")[3], {}, request.source_ip, request.secure))
    return HttpResponse(200, [("content-type", CONTENT_TYPES[row.data_format])], content)


def _campaign_requests(app: App, request: HttpRequest, campaign_id: str) -> list[dict[str, Any]]:
    principal, _ = app.authenticator.authenticate(request, query_family=False)
    with app.database.transaction(write=False) as db:
        row = stored_campaign(db, campaign_id, principal.account)
        if row is None:
            raise AwsError("ResourceNotFoundException", f"Campaign {campaign_id} does not exist.", 404)
        app.authorizer.authorize(AuthorizationRequest(principal, "connect-campaigns:DescribeCampaign", [row.arn],
                                                      row.region, {"id": campaign_id}, request.source_ip,
                                                      request.secure))
        return outbound_requests(db, campaign_id)
