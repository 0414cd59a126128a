"""The console's pages: sign-in, the account's domains and service-linked roles, a domain with a profile search,
a customer's profile, IAM users and roles, CloudWatch alarms and recent activity. Each page is rendered from AWS
calls made through the gateway as the signed-in principal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote

from jinja2 import Environment, PackageLoader, select_autoescape

from profilestack.console import ROOT, session
from profilestack.cross_origin import same_origin
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse
from profilestack.iam_policy.document import PolicyKind, parse_policy
from profilestack.identity.principal import Principal
from profilestack.regions import is_region_name
from profilestack.services.profiles.service_role import ROLE_PATH
from profilestack.services.profiles.standard_objects import STANDARD_OBJECTS

if TYPE_CHECKING:
    from profilestack.app import App

USER_AGENT = "profilestack-console"
_DOMAIN_PAGE = re.compile(rf"^{ROOT}/domains/([A-Za-z0-9_-]{{1,64}})\Z")
_PROFILE_PAGE = re.compile(rf"^{ROOT}/domains/([A-Za-z0-9_-]{{1,64}})/profiles/([a-f0-9]{{32}})\Z")
# what the activity page's form narrows the trail by (CloudTrail's LookupAttributes keys)
_LOOKUP_ATTRIBUTES = ("EventName", "Username", "EventSource", "ResourceName", "ResourceType", "AccessKeyId",
                      "ReadOnly")
_OBJECT_TYPES_SHOWN = 20  # a profile page lists the objects of the domain's first twenty object types
# a page holds no script, frames nothing, is framed by nothing and submits only to this server
_HEADERS = [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store"),
            ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"), ("x-content-type-options", "nosniff"),
            ("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                        "frame-ancestors 'none'")]

_templates = Environment(loader=PackageLoader("profilestack.console", "templates"),
                         autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)


@dataclass
class Page:
    """What a page shows: the answers of its calls, and the errors of those that were refused."""

    app: App
    request: HttpRequest
    principal: Principal
    region: str
    query: dict[str, str] = field(default_factory=dict)  # the page's query string
    errors: list[str] = field(default_factory=list)

    def call(self, service: str, operation: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self.app.gateway.invoke(self.principal, service, operation, params or {}, self.region,
                                           source_ip=self.request.source_ip, user_agent=USER_AGENT,
                                           secure=self.request.secure)
        except AwsError as error:
            self.errors.append(f"{operation}: {error.code}: {error.message}")
            return None

    def listing(self, service: str, operation: str, params: dict[str, Any], cursor: str = "next",
                token_in: str = "NextToken", token_out: str = "NextToken") -> tuple[dict[str, Any], str | None]:
        """One page of a listing, from where the query's ``cursor`` says (the token of the page before), and the
        token of the page after it (None on the last)."""
        token = self.query.get(cursor)
        found = self.call(service, operation, {**params, token_in: token} if token else params) or {}
        return found, found.get(token_out)

    def render(self, template: str, status: int = 200, **values: Any) -> HttpResponse:
        return _render(template, status, root=ROOT, region=self.region, principal=self.principal,
                       errors=self.errors, **values)


def handle(app: App, request: HttpRequest) -> HttpResponse:
    path = request.raw_path.rstrip("/") or ROOT
    if request.method == "POST" and not _same_origin(request):
        return _render("message.html", 403, root=ROOT, message="Forms are taken from the console's own pages only.")
    if path == f"{ROOT}/login":
        return _sign_in(app, request) if request.method == "POST" else _render("login.html", root=ROOT)
    if path == f"{ROOT}/logout" and request.method == "POST":
        return _redirect(f"{ROOT}/login", _cookie("", request, max_age=0))
    if request.method != "GET":
        return _render("message.html", 405, root=ROOT, message="The console only shows: use GET.")
    principal = session.signed_in(app.authenticator, _cookie_value(request), app.clock.now())
    if principal is None:
        return _redirect(f"{ROOT}/login")
    query = _fields(request.query_string)
    region = query.get("region", "us-east-1")
    page = Page(app, request, principal, region if is_region_name(region) else "us-east-1", query)
    if path == ROOT:
        return _home(page)
    if path == f"{ROOT}/activity":
        return _activity(page)
    if path == f"{ROOT}/alarms":
        return _alarms(page)
    if path == f"{ROOT}/campaigns":
        return _campaigns(page)
    if path == f"{ROOT}/iam":
        return _identities(page)
    found = _DOMAIN_PAGE.match(path)
    if found:
        return _domain(page, found.group(1))
    found = _PROFILE_PAGE.match(path)
    if found:
        return _profile(page, found.group(1), found.group(2))
    return _render("message.html", 404, root=ROOT, message="There is no such console page.")


def _home(page: Page) -> HttpResponse:
    identity = page.call("sts", "GetCallerIdentity")
    domains, after = page.listing("customer-profiles", "ListDomains", {"MaxResults": 100})
    roles = page.call("iam", "ListRoles", {"PathPrefix": ROLE_PATH})
    return page.render("home.html", identity=identity, domains=domains.get("Items", []), after=after,
                       roles=(roles or {}).get("Roles", []))


def _domain(page: Page, name: str) -> HttpResponse:
    key, value = page.query.get("key", ""), page.query.get("value", "")
    domain = page.call("customer-profiles", "GetDomain", {"DomainName": name})
    if domain is None:
        return page.render("domain.html", 404, name=name, domain=None, object_types=[], triggers=[],
                           recommenders=[], key=key, value=value, profiles=None)
    types = page.call("customer-profiles", "ListProfileObjectTypes", {"DomainName": name})
    triggers = page.call("customer-profiles", "ListEventTriggers", {"DomainName": name, "MaxResults": 100})
    recommenders = page.call("customer-profiles", "ListRecommenders", {"DomainName": name, "MaxResults": 100})
    profiles, after = None, None
    if key and value:
        found, after = page.listing("customer-profiles", "SearchProfiles",
                                    {"DomainName": name, "KeyName": key, "Values": [value], "MaxResults": 20})
        profiles = [dict(item) for item in found.get("Items", [])]
    return page.render("domain.html", name=name, domain=domain, object_types=(types or {}).get("Items", []),
                       triggers=(triggers or {}).get("Items", []),
                       recommenders=(recommenders or {}).get("Recommenders", []), key=key, value=value,
                       profiles=profiles, after=after)


def _profile(page: Page, name: str, profile_id: str) -> HttpResponse:
    """One customer: the profile's fields, its calculated attributes and its objects."""
    found = page.call("customer-profiles", "SearchProfiles",
                      {"DomainName": name, "KeyName": "_profileId", "Values": [profile_id]})
    items = (found or {}).get("Items", [])
    if not items:
        return page.render("profile.html", 404, name=name, profile_id=profile_id, profile=None)
    profile = dict(items[0])
    fields = [(field, _shown(value)) for field, value in profile.items() if field not in ("ProfileId", "FoundByItems")]
    calculated = page.call("customer-profiles", "ListCalculatedAttributesForProfile",
                           {"DomainName": name, "ProfileId": profile_id})
    types = page.call("customer-profiles", "ListProfileObjectTypes",
                      {"DomainName": name, "MaxResults": _OBJECT_TYPES_SHOWN})
    objects: list[Any] = []
    # the objects of its types, then the records of its assets, cases, orders and web analytics events (catalog
    # items are the domain's: no profile holds them)
    for object_type in [*(item["ObjectTypeName"] for item in (types or {}).get("Items", [])),
                        *(name for name, standard in STANDARD_OBJECTS.items() if standard.tie is not None)]:
        listed = page.call("customer-profiles", "ListProfileObjects",
                           {"DomainName": name, "ObjectTypeName": object_type, "ProfileId": profile_id})
        objects += (listed or {}).get("Items", [])
    return page.render("profile.html", name=name, profile_id=profile_id, profile=profile, fields=fields,
                       calculated=(calculated or {}).get("Items", []), objects=objects)


def _shown(value: Any) -> str:
    """A field's value as text: an address or a map as its members, one after the other."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_shown(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value)
    return str(value)


def _activity(page: Page) -> HttpResponse:
    """The region's trail, newest first, narrowed to one attribute's value when the form asks."""
    attribute, value = page.query.get("attribute", ""), page.query.get("value", "")
    params: dict[str, Any] = {"MaxResults": 50}
    if attribute and value:
        params["LookupAttributes"] = [{"AttributeKey": attribute, "AttributeValue": value}]
    found, after = page.listing("cloudtrail", "LookupEvents", params)
    return page.render("activity.html", events=found.get("Events", []), after=after, attribute=attribute,
                       value=value, attributes=_LOOKUP_ATTRIBUTES)


def _campaigns(page: Page) -> HttpResponse:
    """The region's Outbound Campaigns (v2), where event triggers send their profiles."""
    found, after = page.listing("connectcampaignsv2", "ListCampaigns", {"maxResults": 50}, "next", "nextToken",
                                "nextToken")
    return page.render("campaigns.html", campaigns=found.get("campaignSummaryList", []), after=after)


def _alarms(page: Page) -> HttpResponse:
    """The region's CloudWatch alarms, metric and composite, and their states."""
    found, after = page.listing("cloudwatch", "DescribeAlarms",
                                {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "MaxRecords": 100})
    alarms = [{**alarm, "Type": "metric"} for alarm in found.get("MetricAlarms", [])]
    alarms += [{**alarm, "Type": "composite"} for alarm in found.get("CompositeAlarms", [])]
    return page.render("alarms.html", alarms=sorted(alarms, key=lambda alarm: alarm["AlarmName"]), after=after)


def _identities(page: Page) -> HttpResponse:
    """The account's IAM users and roles, by name, a hundred of each at a time."""
    users, users_after = page.listing("iam", "ListUsers", {"MaxItems": 100}, "users_from", "Marker", "Marker")
    roles, roles_after = page.listing("iam", "ListRoles", {"MaxItems": 100}, "roles_from", "Marker", "Marker")
    trusted = [(role, _trusted_by(role["AssumeRolePolicyDocument"])) for role in roles.get("Roles", [])]
    return page.render("iam.html", users=users.get("Users", []), roles=trusted, users_after=users_after,
                       roles_after=roles_after)


def _trusted_by(document: str) -> list[str]:
    """Who a trust policy (URL-encoded, as IAM answers it) lets assume the role: "AWS: arn…", "Service: …"."""
    return [f"{kind}: {name}" for statement in parse_policy(unquote(document), PolicyKind.TRUST).statements
            if statement.effect == "Allow" and not statement.not_principal
            for kind, names in (statement.principals or {}).items() if kind != "*" for name in names]


def _sign_in(app: App, request: HttpRequest) -> HttpResponse:
    form = _fields(request.body.decode("utf-8", "replace"))
    cookie = session.sign_in(app.authenticator, form.get("access_key", "").strip(), form.get("secret_key", ""),
                             form.get("session_token", "").strip() or None, app.clock.now())
    if cookie is None:
        return _render("login.html", 401, root=ROOT, failed=True, access_key=form.get("access_key", ""))
    return _redirect(f"{ROOT}/", _cookie(cookie, request, max_age=int(session.LIFETIME.total_seconds())))


def _fields(text: str) -> dict[str, str]:
    """A query string's or a posted form's fields; a repeated one's last value."""
    return {name: values[-1] for name, values in parse_qs(text).items()}


def _same_origin(request: HttpRequest) -> bool:
    """A form posted from another site (which could sign a browser in as someone else) is refused: browsers say
    where a POST comes from in ``Origin``; a client that sends none is not a browser on another site."""
    origin = request.header("origin")
    return origin is None or same_origin(origin, request.header("host"))


def _render(template: str, status: int = 200, **values: Any) -> HttpResponse:
    values.setdefault("quote", quote)
    return HttpResponse(status, list(_HEADERS), _templates.get_template(template).render(**values).encode())


def _redirect(location: str, cookie: str | None = None) -> HttpResponse:
    headers = [("location", location), ("cache-control", "no-store")]
    if cookie is not None:
        headers.append(("set-cookie", cookie))
    return HttpResponse(303, headers, b"")


def _cookie(value: str, request: HttpRequest, max_age: int) -> str:
    secure = "; Secure" if request.secure else ""
    return f"{session.COOKIE}={value}; Path={ROOT}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def _cookie_value(request: HttpRequest) -> str | None:
    try:
        jar = SimpleCookie(request.header("cookie") or "")
    except CookieError:
        return None
    morsel = jar.get(session.COOKIE)
    return morsel.value if morsel is not None else None
