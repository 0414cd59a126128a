"""The web console: signed in with an access key, it shows what those credentials may read — each page made of
AWS calls authorized by IAM and recorded in the audit trail — and nothing once the key stops working."""

from __future__ import annotations

import base64
import html
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from tests.conftest import OTHER_ROOT_KEY, OTHER_ROOT_SECRET, Server
from tests.e2e.identities import ACCOUNT, allow, assume, document, make_user, trust, unique
from tests.e2e.test_segments import Customers
from tests.e2e.waiting import wait_for
from tests.e2e.wire import NoRedirects

CONSOLE = "/_profilestack/console"


@dataclass
class Browser:
    """Just enough of a browser: one cookie, redirects shown rather than followed."""

    server: Server
    cookie: str | None = None
    last_headers: dict[str, str] = field(default_factory=dict)

    def request(self, path: str, form: dict[str, str] | None = None, origin: str | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(f"{self.server.endpoint}{CONSOLE}{path}", data=data)
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        if origin is not None:
            request.add_header("Origin", origin)
        opener = urllib.request.build_opener(NoRedirects)
        try:
            response = opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        self.last_headers = {name.lower(): value for name, value in response.headers.items()}
        set_cookie = self.last_headers.get("set-cookie")
        if set_cookie:
            self.cookie = None if "Max-Age=0" in set_cookie else set_cookie.split(";", 1)[0]
        return response.status, response.read().decode()

    def sign_in(self, key: str, secret: str, token: str = "") -> int:
        return self.request("/login", {"access_key": key, "secret_key": secret, "session_token": token})[0]


REGION = "eu-central-1"  # few other tests make domains there: the home page lists a region's first hundred


def test_the_console_shows_the_accounts_domains_profiles_and_activity(server: Server) -> None:
    profiles, domain = server.client("customer-profiles", REGION), unique("console")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    profiles.create_profile(DomainName=domain, FirstName="<script>alert(1)</script>", LastName="O'Brien",
                            EmailAddress="ana@example.com")
    browser = Browser(server)
    status, _ = browser.request("/")
    assert (status, browser.last_headers["location"]) == (303, f"{CONSOLE}/login")
    assert browser.sign_in("test", "not-the-secret") == 401
    assert browser.sign_in("AKIADOESNOTEXIST", "test") == 401 and browser.cookie is None

    assert browser.sign_in("test", "test") == 303
    cookie = browser.last_headers["set-cookie"]
    assert all(part in cookie for part in ("HttpOnly", "SameSite=Strict", f"Path={CONSOLE}", "Max-Age=3600"))
    status, home = browser.request(f"/?region={REGION}")
    assert status == 200 and f"arn:aws:iam::{ACCOUNT}:root" in home and f"/domains/{domain}?region={REGION}" in home
    assert f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/profile.amazonaws.com/AWSServiceRoleForProfile_" in home
    assert "default-src 'none'" in browser.last_headers["content-security-policy"]
    assert browser.last_headers["x-frame-options"] == "DENY"

    status, page = browser.request(f"/domains/{domain}?region={REGION}&key=_email&value=ana%40example.com")
    assert status == 200 and "ana@example.com" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page  # escaped
    assert "O&#39;Brien" in page
    status, page = browser.request(f"/domains/{domain}?region={REGION}&key=_email&value=nobody%40example.com")
    assert "No profile has _email = nobody@example.com." in page
    assert browser.request(f"/domains/{domain}-missing?region={REGION}")[0] == 404

    status, activity = wait_for(lambda: (answer := browser.request(f"/activity?region={REGION}"))
                                and "CreateDomain" in answer[1] and answer)
    assert status == 200 and "SearchProfiles" in activity

    assert browser.request("/", {"anything": "x"})[0] == 405  # the console only reads
    assert browser.request("/logout", {})[0] == 303 and browser.cookie is None
    assert browser.request("/")[0] == 303


def test_the_console_shows_only_what_iam_allows_and_the_trail_records_it(server: Server) -> None:
    domain = unique("console")
    server.client("customer-profiles", REGION).create_domain(DomainName=domain, DefaultExpirationDays=30)
    viewer = make_user(server, document(allow("profile:ListDomains")))
    browser = Browser(server)
    assert browser.sign_in(viewer.key, viewer.secret) == 303
    status, home = browser.request(f"/?region={REGION}")
    assert status == 200 and domain in home and viewer.arn in home
    assert f"ListRoles: AccessDenied: User: {viewer.arn} is not authorized to perform: iam:ListRoles" in home
    status, page = browser.request(f"/domains/{domain}?region={REGION}")
    assert status == 404 and "GetDomain: AccessDeniedException" in page

    def refused_list_roles() -> list[dict]:
        events = server.client("cloudtrail").lookup_events(LookupAttributes=[
            {"AttributeKey": "Username", "AttributeValue": viewer.name}], MaxResults=50)["Events"]
        return [record for event in events if (record := json.loads(event["CloudTrailEvent"]))["eventName"]
                == "ListRoles"]

    [record] = wait_for(refused_list_roles)
    assert (record["errorCode"], record["userAgent"], record["sourceIPAddress"]) == (
        "AccessDenied", "profilestack-console", "127.0.0.1")


def test_the_console_serves_any_region_spelled_as_one_and_us_east_1_for_the_rest(server: Server) -> None:
    """The console takes the regions SigV4 takes (one endpoint serves them all). Before, its own pattern let a
    name of any length through, whose calls' audit events did not fit their column on PostgreSQL and were
    dropped, and refused made-up regions the API serves ("local")."""
    browser = Browser(server)
    assert browser.sign_in("test", "test") == 303
    too_long = "aa-" + "b" * 40 + "-1"
    status, home = browser.request(f"/?region={too_long}")
    assert status == 200 and too_long not in home and "?region=us-east-1" in home
    status, home = browser.request("/?region=local")
    assert status == 200 and "?region=local" in home and "?region=us-east-1" not in home
    assert "cannot be stored" not in server.logs()


def test_a_console_session_ends_with_its_credentials(server: Server) -> None:
    iam = server.client("iam")
    user = make_user(server, document(allow("profile:ListDomains"), allow("sts:AssumeRole")))
    browser = Browser(server)
    assert browser.sign_in(user.key, user.secret) == 303
    assert browser.request("/")[0] == 200
    assert user.secret not in base64.urlsafe_b64decode(browser.cookie.split("=", 1)[1]).decode()
    tampered = Browser(server, browser.cookie[:-4] + "AAA=")
    assert tampered.request("/")[0] == 303
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key, Status="Inactive")
    wait_for(lambda: browser.request("/")[0] == 303)  # the key no longer works, nor does its session

    # temporary credentials sign in with their session token, and only with it
    role = iam.create_role(RoleName=unique("console"), AssumeRolePolicyDocument=trust({"AWS": user.arn}))
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key, Status="Active")
    session = wait_for(lambda: _assumed(user, role["Role"]["Arn"]))
    assert Browser(server).sign_in(session.key, session.secret) == 401
    assert Browser(server).sign_in(session.key, session.secret, "wrong-token") == 401
    signed_in = Browser(server)
    assert signed_in.sign_in(session.key, session.secret, session.token or "") == 303
    status, home = signed_in.request("/")
    assert status == 200 and session.arn in home


def test_a_cookie_not_of_the_consoles_making_is_sent_to_sign_in(server: Server) -> None:
    """Fields of the wrong type, a MAC that is not hex, for a key that exists, or no list at all: the sign-in page,
    never a 500."""
    expires = int(time.time()) + 600
    for fields in (["test", "", expires, "é" * 64], ["test", 7, expires, "00"], ["test", "", expires, ["00"]],
                   [["test"], "", expires, "00"], ["test", "", "soon", "00"], "not a list"):
        cookie = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()
        status, _ = Browser(server, f"profilestack-console={cookie}").request("/")
        assert status == 303, fields
    nested = base64.urlsafe_b64encode(b"[" * 1500 + b"]" * 1500).decode()  # deeper than Python's reader goes
    assert Browser(server, f"profilestack-console={nested}").request("/")[0] == 303  # once a 500


def _assumed(user, role_arn: str):  # type: ignore[no-untyped-def]
    try:
        return assume(user, role_arn)
    except ClientError:  # the key was just made active again: a moment before it is seen
        return None


def test_a_profiles_page_shows_its_fields_calculated_attributes_and_objects(server: Server) -> None:
    customers = Customers(server)  # Ana, with two orders (80 and 70) and the calculated attribute "spend"
    domain, profile_id = customers.domain, customers.ids["ana"]
    customers.profiles.update_profile(DomainName=domain, ProfileId=profile_id, Attributes={"note": "<b>vip</b>"})
    customers.profiles.put_profile_object_type(  # a ticket of hers, kept as a standard case
        DomainName=domain, ObjectTypeName="Ticket", Description="tickets",
        Fields={"id": {"Source": "_source.id", "Target": "_case.CaseId"}, "email": {"Source": "_source.email"}},
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
    customers.profiles.put_profile_object(DomainName=domain, ObjectTypeName="Ticket",
                                          Object=json.dumps({"id": "T-7", "email": "ana@example.com"}))
    browser = Browser(server)
    browser.sign_in("test", "test")
    status, results = browser.request(f"/domains/{domain}?key=_email&value=ana%40example.com")
    assert f"/domains/{domain}/profiles/{profile_id}?region=us-east-1" in results

    status, page = wait_for(lambda: (answer := browser.request(f"/domains/{domain}/profiles/{profile_id}"))
                            and "<td>spend</td><td>150" in answer[1] and answer)
    assert status == 200 and "<th>FirstName</th><td>Ana</td>" in page
    assert "City: Lisbon, Country: PT" in page and "note: &lt;b&gt;vip&lt;/b&gt;" in page
    assert page.count("<td>Order</td>") == 2 and "&#34;total&#34;: 80" in page
    assert "<td>_case</td><td><code>T-7</code></td>" in page
    assert browser.request(f"/domains/{domain}/profiles/{'0' * 32}")[0] == 404


def test_forms_from_another_site_are_refused(server: Server) -> None:
    """Login CSRF: another site's page posting the sign-in form would sign the browser in as its author."""
    browser = Browser(server)
    form = {"access_key": "test", "secret_key": "test", "session_token": ""}
    assert browser.request("/login", form, origin="https://evil.example")[0] == 403 and browser.cookie is None
    assert browser.request("/login", form, origin="null")[0] == 403
    assert browser.request("/login", form, origin=server.endpoint)[0] == 303 and browser.cookie
    assert browser.request("/logout", {}, origin="https://evil.example")[0] == 403 and browser.cookie
    assert browser.request("/")[0] == 200  # still signed in


def test_the_alarms_page_shows_each_alarm_and_its_state(server: Server) -> None:
    region = "ap-southeast-2"  # a region of this test's own: the page shows a region's first hundred alarms
    cloudwatch, prefix = server.client("cloudwatch", region), unique("console")
    cloudwatch.put_composite_alarm(AlarmName=f"{prefix}-always", AlarmRule="TRUE")
    cloudwatch.put_composite_alarm(AlarmName=f"{prefix}-never", AlarmRule="FALSE", ActionsEnabled=False)
    browser = Browser(server)
    browser.sign_in("test", "test")
    expected = (f"<td>{prefix}-always</td><td>composite</td><td><strong>ALARM",
                f"<td>{prefix}-never</td><td>composite</td><td><strong>OK")
    status, page = wait_for(lambda: (answer := browser.request(f"/alarms?region={region}"))
                            and all(row in answer[1] for row in expected) and answer)  # evaluated a moment later
    assert status == 200 and "disabled" in page
    assert browser.request("/alarms?region=eu-west-3")[1].count(prefix) == 0  # another region's alarms


def test_the_iam_page_shows_users_and_who_each_role_trusts(server: Server) -> None:
    """In the second account, whose few identities all fit on the page."""
    iam = server.client("iam", aws_access_key_id=OTHER_ROOT_KEY, aws_secret_access_key=OTHER_ROOT_SECRET)
    user = iam.create_user(UserName=unique("agent"))["User"]
    role = unique("app")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"], "Service": ["profile.amazonaws.com"]},
         "Action": "sts:AssumeRole"}]}))
    browser = Browser(server)
    assert browser.sign_in(OTHER_ROOT_KEY, OTHER_ROOT_SECRET) == 303
    status, page = browser.request("/iam")
    assert status == 200 and f"<td>{user['UserName']}</td><td><code>{user['Arn']}</code></td>" in page
    row = page[page.index(f"<td>{role}</td>"):]
    row = row[:row.index("</tr>")]
    assert f"<code>AWS: {user['Arn']}</code>" in row and "<code>Service: profile.amazonaws.com</code>" in row
    # the other account's identities only (a trust policy there may name this account's users)
    assert f"<td><code>arn:aws:iam::{ACCOUNT}:" not in page


def _next_page(page: str) -> str:
    """The path (under the console) of a listing's next page, as its link gives it."""
    found = re.search(r'<a class="next" href="([^"]+)">', page)
    assert found, "no link to a next page"
    return html.unescape(found.group(1)).removeprefix(CONSOLE)


def test_the_consoles_listings_go_on_page_by_page(server: Server) -> None:
    profiles, domain = server.client("customer-profiles", REGION), unique("paged")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    for number in range(23):
        profiles.create_profile(DomainName=domain, EmailAddress="shared+tag@example.com", FirstName=f"n{number:02}")
    browser = Browser(server)
    assert browser.sign_in("test", "test") == 303

    # a search's results, twenty at a time, the key and value kept from page to page
    status, first = browser.request(f"/domains/{domain}?region={REGION}&key=_email&value=shared%2Btag%40example.com")
    assert status == 200 and first.count("/profiles/") == 20
    status, second = browser.request(_next_page(first))
    assert status == 200 and second.count("/profiles/") == 3 and 'class="next"' not in second
    names = set(re.findall(r"<td>(n\d\d) </td>", first + second))
    assert names == {f"n{number:02}" for number in range(23)}

    # the trail narrowed to one user's calls, fifty at a time
    user = make_user(server, document(allow("iam:GetUser")))
    for _ in range(53):
        user.client("iam").get_user(UserName=user.name)
    query = f"/activity?region=us-east-1&attribute=Username&value={user.name}"  # IAM records in us-east-1
    first = wait_for(lambda: (page := browser.request(query)[1]).count("<td>GetUser</td>") == 50 and page)
    assert "<td>ListUsers</td>" not in first
    second = browser.request(_next_page(first))[1]
    assert second.count("<td>GetUser</td>") == 3 and f"value={user.name}" in _next_page(first)

    # IAM users, a hundred at a time (in the second account, which few tests fill)
    iam = server.client("iam", aws_access_key_id=OTHER_ROOT_KEY, aws_secret_access_key=OTHER_ROOT_SECRET)
    path = f"/{unique('paging')}/"
    for number in range(101):
        iam.create_user(UserName=f"pager-{number:03}-{path.strip('/')}", Path=path)
    everyone = {user["UserName"] for page in iam.get_paginator("list_users").paginate() for user in page["Users"]}
    other = Browser(server)
    assert other.sign_in(OTHER_ROOT_KEY, OTHER_ROOT_SECRET) == 303
    shown: set[str] = set()
    page = other.request(f"/iam?region={REGION}")[1]
    while True:
        users_table = page.split("<h1>IAM roles</h1>")[0]
        shown |= set(re.findall(r"<tr><td>([^<]+)</td><td><code>arn:aws:iam::", users_table))
        if 'class="next" href="' not in users_table:
            break
        page = other.request(_next_page(users_table))[1]
    assert shown == everyone and len(everyone) > 100


def test_the_console_shows_a_domains_event_triggers_and_the_regions_campaigns(server: Server) -> None:
    region = "ap-southeast-2"  # few other tests make campaigns there: the page lists a region's first fifty
    profiles, domain = server.client("customer-profiles", region), unique("triggers")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
        Fields={"email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
                "status": {"Source": "_source.status"}},
        Keys={"email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
    trigger = unique("shipped")
    profiles.create_event_trigger(
        DomainName=domain, EventTriggerName=trigger, ObjectTypeName="Order", Description="orders that shipped",
        EventTriggerConditions=[{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
            {"Source": "_source.status", "ComparisonOperator": "EQUAL", "Values": ["shipped"]}]}]}])
    campaign = server.client("connectcampaignsv2", region).create_campaign(
        name=unique("winback"), connectInstanceId="instance-1")
    profiles.create_recommender(DomainName=domain, RecommenderName="best-sellers",
                                RecommenderRecipeName="popular-items", Description="what sells")
    browser = Browser(server)
    assert browser.sign_in("test", "test") == 303
    status, page = browser.request(f"/domains/{domain}?region={region}")
    assert status == 200 and trigger in page and "orders that shipped" in page
    # the domain holds no web analytics events: its recommender fails, and the page says why
    wait_for(lambda: profiles.get_recommender(DomainName=domain, RecommenderName="best-sellers")["Status"] == "FAILED")
    status, page = browser.request(f"/domains/{domain}?region={region}")
    assert re.search(r"<td>best-sellers</td><td>popular-items</td><td>FAILED \(The domain holds no web analytics", page)
    assert "what sells" in page
    status, page = browser.request(f"/campaigns?region={region}")
    assert status == 200 and campaign["id"] in page and "instance-1" in page
