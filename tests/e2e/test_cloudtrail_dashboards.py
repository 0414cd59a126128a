"""CloudTrail Lake dashboards: custom dashboards of widgets (CreateDashboard, GetDashboard, ListDashboards,
UpdateDashboard, DeleteDashboard), refreshed by CloudTrail itself — each widget's query run as
cloudtrail.amazonaws.com where the store's resource-based policy lets it, found by DescribeQuery's RefreshId and
QueryAlias — on request (StartDashboardRefresh) or on a schedule the dashboard's own policy must allow."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.test_cloudtrail_lake import Lake
from tests.e2e.waiting import wait_for
from tests.e2e.wire import signed_later

REGION = "ap-southeast-2"  # a region of its own: Lake's ten stores per region stay free for the other modules
BY_EVENT = ("SELECT eventName, count(*) AS calls FROM {store} WHERE eventTime > '?' AND eventTime < '?' "
            "GROUP BY eventName ORDER BY eventName")
TIMES = ["$StartTime$", "$EndTime$"]


def widget(store: str, statement: str = BY_EVENT, parameters: list[str] | None = TIMES, **view: str) -> dict:
    made: dict[str, Any] = {"QueryStatement": statement.format(store=store),
                            "ViewProperties": {"Title": "Calls", "View": "Table", **view}}
    if parameters:
        made["QueryParameters"] = parameters
    return made


def dashboard_arn(name: str) -> str:
    return f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:dashboard/{name}"


def letting_cloudtrail(action: str, *dashboards: str) -> str:
    """The policy that lets CloudTrail act for these dashboards, as the CloudTrail User Guide writes it."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": action,
        "Condition": {"StringEquals": {"AWS:SourceArn": [dashboard_arn(name) for name in dashboards],
                                       "AWS:SourceAccount": ACCOUNT}}}]})


def test_a_dashboard_is_made_read_listed_changed_and_deleted(server: Server) -> None:
    lake = Lake(server, REGION)
    trail, name = lake.trail, unique("dash")
    made = trail.create_dashboard(Name=name, Widgets=[widget(lake.id)], TerminationProtectionEnabled=True,
                                  TagsList=[{"Key": "team", "Value": "cc"}])
    assert (made["DashboardArn"], made["Name"], made["Type"], made["TerminationProtectionEnabled"]) == (
        dashboard_arn(name), name, "CUSTOM", True)
    (first,) = made["Widgets"]
    assert first["QueryAlias"].startswith("widget1-") and first["QueryParameters"] == TIMES
    assert made["TagsList"] == [{"Key": "team", "Value": "cc"}]

    read = trail.get_dashboard(DashboardId=name)  # by name or ARN
    assert read["DashboardArn"] == trail.get_dashboard(DashboardId=made["DashboardArn"])["DashboardArn"]
    assert (read["Status"], read["Widgets"], "Name" in read, "LastRefreshId" in read) == (
        "CREATED", made["Widgets"], False, False)
    assert trail.list_tags(ResourceIdList=[made["DashboardArn"]])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "team", "Value": "cc"}]
    listed = trail.list_dashboards(NamePrefix=name)["Dashboards"]
    assert listed == [{"DashboardArn": made["DashboardArn"], "Type": "CUSTOM"}]
    assert trail.list_dashboards(NamePrefix=name, Type="MANAGED")["Dashboards"] == []
    assert refused(trail.create_dashboard, Name=name)[0] == "ConflictException"

    changed = trail.update_dashboard(DashboardId=name, Widgets=[widget(lake.id), widget(lake.id, View="BarChart")])
    assert [item["QueryAlias"][:8] for item in changed["Widgets"]] == ["widget1-", "widget2-"]
    assert changed["Widgets"][0]["QueryAlias"] != first["QueryAlias"]  # the widgets are new
    assert trail.get_dashboard(DashboardId=name)["Status"] == "UPDATED"
    # a dashboard's policy lets CloudTrail refresh it, and nothing else
    for_someone = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "cloudtrail:StartDashboardRefresh"}]})
    assert refused(trail.put_resource_policy, ResourceArn=made["DashboardArn"],
                   ResourcePolicy=for_someone)[0] == "ResourcePolicyNotValidException"
    trail.put_resource_policy(ResourceArn=made["DashboardArn"],
                              ResourcePolicy=letting_cloudtrail("cloudtrail:StartDashboardRefresh", name))
    code, message = refused(trail.delete_dashboard, DashboardId=name)
    assert code == "ConflictException" and "termination protection" in message
    trail.update_dashboard(DashboardId=name, TerminationProtectionEnabled=False)
    trail.delete_dashboard(DashboardId=name)
    assert refused(trail.get_dashboard, DashboardId=name) == (
        "ResourceNotFoundException", f"The dashboard {name} does not exist.")
    assert trail.list_dashboards(NamePrefix=name)["Dashboards"] == []
    trail.create_dashboard(Name=name)  # the same name again: a new dashboard, without the old one's policy
    assert refused(trail.get_resource_policy, ResourceArn=made["DashboardArn"])[0] == "ResourcePolicyNotFoundException"


def test_a_dashboards_widgets_query_active_stores_the_caller_may_query(server: Server) -> None:
    lake = Lake(server, REGION)
    trail = lake.trail
    unknown = "0aab0b0c-1d2e-3f40-5a6b-7c8d9e0f1a2b"
    for widgets, code in [
        ([widget(lake.id, "SELEC eventName FROM {store}", None)], "InvalidQueryStatementException"),
        ([widget(unknown)], "EventDataStoreNotFoundException"),
        ([widget(lake.id, parameters=["$StartTime$"])], "InvalidQueryStatementException"),  # two places, one name
        ([widget(lake.id, parameters=["$StartTime$", "$Tomorrow$"])], "InvalidQueryStatementException"),
        ([widget(lake.id)] * 11, "ServiceQuotaExceededException"),
    ]:
        assert refused(trail.create_dashboard, Name=unique("bad"), Widgets=widgets)[0] == code, widgets
    for schedule in ({"Frequency": {"Unit": "HOURS", "Value": 2}, "Status": "ENABLED"},
                     {"Frequency": {"Unit": "DAYS", "Value": 7}, "Status": "ENABLED"}, {"Status": "ENABLED"}):
        assert refused(trail.create_dashboard, Name=unique("bad"),
                       RefreshSchedule=schedule)[0] == "InvalidParameterException", schedule
    assert refused(trail.create_dashboard, Name="AWSCloudTrail-Highlights",
                   RefreshSchedule={"Frequency": {"Unit": "HOURS", "Value": 6}, "Status": "ENABLED"}
                   )[0] == "UnsupportedOperationException"
    assert trail.list_dashboards(NamePrefix="bad")["Dashboards"] == []  # nothing refused was made

    # making a dashboard takes leave to query each store its widgets read (CloudTrail will, for the dashboard)
    maker = make_user(server, document(allow("cloudtrail:CreateDashboard")))
    client = maker.client("cloudtrail", REGION)
    code, message = refused(client.create_dashboard, Name=unique("mine"), Widgets=[widget(lake.id)])
    assert code == "AccessDeniedException" and f"cloudtrail:StartQuery on resource: {lake.arn}" in message
    allowed = make_user(server, document(allow(["cloudtrail:CreateDashboard", "cloudtrail:StartQuery"])))
    assert allowed.client("cloudtrail", REGION).create_dashboard(Name=unique("mine"), Widgets=[widget(lake.id)])


def test_a_refresh_runs_each_widget_as_cloudtrail_where_each_store_lets_it(server: Server) -> None:
    lake, other = Lake(server, REGION), Lake(server, REGION)
    trail, name = lake.trail, unique("dash")
    trail.create_dashboard(Name=name, Widgets=[widget(lake.id), widget(other.id, "SELECT count(*) AS events FROM "
                                                                       "{store}", None)])
    code, message = refused(trail.start_dashboard_refresh, DashboardId=name)
    assert code == "AccessDeniedException" and message == (
        f"User: cloudtrail.amazonaws.com is not authorized to perform: cloudtrail:StartQuery on resource: "
        f"{lake.arn} because no resource-based policy allows the cloudtrail:StartQuery action")
    trail.put_resource_policy(ResourceArn=lake.arn, ResourcePolicy=letting_cloudtrail("cloudtrail:StartQuery", name))
    trail.put_resource_policy(ResourceArn=other.arn,  # for another dashboard only
                              ResourcePolicy=letting_cloudtrail("cloudtrail:StartQuery", unique("elsewhere")))
    assert other.arn in refused(trail.start_dashboard_refresh, DashboardId=name)[1]
    assert "LastRefreshId" not in trail.get_dashboard(DashboardId=name)  # a refused refresh started nothing
    trail.put_resource_policy(ResourceArn=other.arn, ResourcePolicy=letting_cloudtrail("cloudtrail:StartQuery", name))

    start = datetime.now(UTC) - timedelta(hours=2)
    refresh = trail.start_dashboard_refresh(DashboardId=name, QueryParameterValues={
        "$StartTime$": start.strftime("%Y-%m-%dT%H:%M:%SZ")})["RefreshId"]
    read = trail.get_dashboard(DashboardId=name)
    assert read["LastRefreshId"] == refresh and refresh.isdigit()
    first, second = (item["QueryAlias"] for item in read["Widgets"])
    described = wait_for(lambda: (found := trail.describe_query(RefreshId=refresh, QueryAlias=first))[
        "QueryStatus"] == "FINISHED" and found)
    assert f"eventTime > '{start.strftime('%Y-%m-%d %H:%M:%S')}.000' AND eventTime < '" in described["QueryString"]
    rows = trail.get_query_results(QueryId=described["QueryId"])["QueryResultRows"]
    assert {"eventName": "PutResourcePolicy"} in [row[0] for row in rows]  # the calls just made
    counted = wait_for(lambda: (found := trail.describe_query(RefreshId=refresh, QueryAlias=second))[
        "QueryStatus"] == "FINISHED" and found)
    assert int(trail.get_query_results(QueryId=counted["QueryId"])["QueryResultRows"][0][0]["events"]) > 0
    assert refused(trail.describe_query, RefreshId=refresh, QueryAlias="widget9-00000000")[0] == (
        "QueryIdNotFoundException")
    assert refused(trail.start_dashboard_refresh, DashboardId=name, QueryParameterValues={
        "$EventDataStoreId$": lake.id})[0] == "InvalidParameterException"  # a managed dashboard's parameter

    # the widgets' queries are CloudTrail's calls, made for the dashboard
    history = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StartQuery"}])
    identities = [json.loads(event["CloudTrailEvent"])["userIdentity"] for event in history["Events"]]
    assert {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}.items() <= identities[0].items()


def test_a_scheduled_refresh_is_cloudtrails_call_the_dashboards_policy_must_allow(
        clocked_server: tuple[Server, Path]) -> None:
    server, offset = clocked_server
    lake = Lake(server, REGION)
    trail, name = lake.trail, unique("hourly")
    trail.put_resource_policy(ResourceArn=lake.arn, ResourcePolicy=letting_cloudtrail("cloudtrail:StartQuery", name))
    schedule = {"Frequency": {"Unit": "HOURS", "Value": 1}, "Status": "ENABLED", "TimeOfDay": "00:30"}
    trail.create_dashboard(Name=name, Widgets=[widget(lake.id)], RefreshSchedule=schedule)
    assert trail.get_dashboard(DashboardId=name)["RefreshSchedule"] == schedule
    try:
        offset.write_text(str(2 * 3600))  # the refresh is due: without the dashboard's policy, CloudTrail may not
        with signed_later(2 / 24):
            failure = wait_for(lambda: trail.get_dashboard(DashboardId=name).get("LastRefreshFailureReason"))
            assert failure.startswith("AccessDeniedException: User: cloudtrail.amazonaws.com is not authorized to "
                                      "perform: cloudtrail:StartDashboardRefresh")
            trail.put_resource_policy(ResourceArn=dashboard_arn(name),
                                      ResourcePolicy=letting_cloudtrail("cloudtrail:StartDashboardRefresh", name))
        offset.write_text(str(4 * 3600))
        with signed_later(4 / 24):
            refreshed = wait_for(lambda: (found := trail.get_dashboard(DashboardId=name)).get("LastRefreshId")
                                 and found)
            assert "LastRefreshFailureReason" not in refreshed
            time.sleep(1.0)  # the hour missed on the way is not made up: one refresh, its widget's one query
            assert len(trail.list_queries(EventDataStore=lake.arn)["Queries"]) == 1
            alias = refreshed["Widgets"][0]["QueryAlias"]
            assert trail.describe_query(RefreshId=refreshed["LastRefreshId"], QueryAlias=alias)["QueryId"]
            trail.update_dashboard(DashboardId=name, RefreshSchedule={"Status": "DISABLED"})  # no more refreshes
        offset.write_text(str(8 * 3600))
        time.sleep(1.5)  # the outbox would have run a refresh due by now
        with signed_later(8 / 24):
            assert trail.get_dashboard(DashboardId=name)["LastRefreshId"] == refreshed["LastRefreshId"]
    finally:
        offset.write_text("0")
