"""CloudTrail Lake: event data stores over the audit trail, and SQL queries of them (StartQuery, DescribeQuery,
GetQueryResults, CancelQuery, ListQueries)."""

from __future__ import annotations

import json

from tests.conftest import Server
from tests.e2e.cli import AwsCli
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.test_seed_service_linked_roles import PRINCIPAL, create_domain
from tests.e2e.waiting import wait_for


class Lake:
    def __init__(self, server: Server, region: str = "us-east-1", **settings: object) -> None:
        self.trail = server.client("cloudtrail", region=region)
        settings.setdefault("TerminationProtectionEnabled", False)
        self.store = self.trail.create_event_data_store(Name=unique("store"), **settings)
        self.arn = self.store["EventDataStoreArn"]
        self.id = self.arn.rsplit("/", 1)[1]

    def query(self, statement: str, client=None) -> dict:
        """The finished query's results, all pages, as dicts by column."""
        trail = client or self.trail
        query_id = trail.start_query(QueryStatement=statement.replace("$EDS", self.id))["QueryId"]
        described = wait_for(lambda: (found := trail.describe_query(QueryId=query_id))["QueryStatus"]
                             not in ("QUEUED", "RUNNING") and found)
        rows, token = [], None
        while True:
            page = trail.get_query_results(QueryId=query_id, **({"NextToken": token} if token else {}))
            rows += [{name: value for column in row for name, value in column.items()}
                     for row in page["QueryResultRows"]]
            token = page.get("NextToken")
            if not token:
                return {"described": described, "rows": rows, "status": page["QueryStatus"],
                        "error": page.get("ErrorMessage")}


def test_a_store_is_made_read_changed_stopped_and_deleted(server: Server) -> None:
    trail = server.client("cloudtrail")
    name = unique("store")
    made = trail.create_event_data_store(Name=name, RetentionPeriod=90, TagsList=[{"Key": "team", "Value": "cc"}])
    arn, store_id = made["EventDataStoreArn"], made["EventDataStoreArn"].rsplit("/", 1)[1]
    assert arn == f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/{store_id}"
    assert (made["Status"], made["MultiRegionEnabled"], made["TerminationProtectionEnabled"],
            made["RetentionPeriod"], made["BillingMode"]) == ("ENABLED", True, True, 90, "EXTENDABLE_RETENTION_PRICING")
    assert made["AdvancedEventSelectors"] == [{"Name": "Default management events", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}]}]  # all management events, by default
    assert trail.get_event_data_store(EventDataStore=store_id)["Name"] == name  # by ID or by ARN
    assert arn in [item["EventDataStoreArn"] for item in trail.list_event_data_stores()["EventDataStores"]]
    assert trail.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [{"Key": "team", "Value": "cc"}]
    assert refused(trail.create_event_data_store, Name=name)[0] == "EventDataStoreAlreadyExistsException"

    assert refused(trail.delete_event_data_store, EventDataStore=arn)[0] == (
        "EventDataStoreTerminationProtectedException")  # on by default
    renamed = trail.update_event_data_store(EventDataStore=arn, Name=f"{name}-2", TerminationProtectionEnabled=False)
    assert (renamed["Name"], renamed["TerminationProtectionEnabled"]) == (f"{name}-2", False)
    trail.stop_event_data_store_ingestion(EventDataStore=arn)
    assert trail.get_event_data_store(EventDataStore=arn)["Status"] == "STOPPED_INGESTION"
    assert refused(trail.stop_event_data_store_ingestion, EventDataStore=arn)[0] == (
        "InvalidEventDataStoreStatusException")
    trail.start_event_data_store_ingestion(EventDataStore=arn)
    assert trail.get_event_data_store(EventDataStore=arn)["Status"] == "ENABLED"

    trail.delete_event_data_store(EventDataStore=arn)
    assert trail.get_event_data_store(EventDataStore=arn)["Status"] == "PENDING_DELETION"  # seven days to restore
    code, _ = refused(trail.start_query, QueryStatement=f"SELECT eventName FROM {store_id}")
    assert code == "InactiveEventDataStoreException"
    assert trail.restore_event_data_store(EventDataStore=arn)["Status"] == "ENABLED"
    assert refused(trail.restore_event_data_store, EventDataStore=arn)[0] == "InvalidEventDataStoreStatusException"
    trail.update_event_data_store(EventDataStore=arn, TerminationProtectionEnabled=False)
    trail.delete_event_data_store(EventDataStore=arn)

    for settings, code in [
        ({"OrganizationEnabled": True}, "OrganizationsNotInUseException"),
        ({"RetentionPeriod": 4000}, "InvalidParameterException"),
        ({"BillingMode": "FIXED_RETENTION_PRICING", "RetentionPeriod": 3000}, "InvalidParameterException"),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventName", "Equals": ["GetRole"]}]}]},
         "InvalidEventSelectorsException"),  # an event data store's selectors name an eventCategory
    ]:
        assert refused(trail.create_event_data_store, Name=unique("store"), **settings)[0] == code, settings
    assert refused(trail.get_event_data_store, EventDataStore="not-a-store")[0] == "EventDataStoreARNInvalidException"
    assert refused(trail.get_event_data_store, EventDataStore="0" * 8 + "-0000-0000-0000-" + "0" * 12)[0] == (
        "EventDataStoreNotFoundException")


def test_queries_read_the_calls_made_since_the_store_began(server: Server) -> None:
    lake = Lake(server)
    iam = server.client("iam")
    users = [unique("user") for _ in range(3)]
    for user in users:
        iam.create_user(UserName=user)
    assert refused(iam.get_user, UserName=unique("nobody"))[0] == "NoSuchEntity"
    answer = lake.query("SELECT eventName, count(*) AS calls FROM $EDS WHERE eventSource = 'iam.amazonaws.com' "
                        "AND eventTime > now() - interval '1' hour GROUP BY eventName ORDER BY calls DESC")
    assert answer["status"] == "FINISHED"
    assert answer["rows"] == [{"eventName": "CreateUser", "calls": "3"}, {"eventName": "GetUser", "calls": "1"}]
    statistics = answer["described"]["QueryStatistics"]
    assert statistics["EventsScanned"] >= 4 and statistics["BytesScanned"] > 0 and "CreationTime" in statistics

    names = lake.query("SELECT element_at(requestParameters, 'userName') AS user, errorCode, readOnly, "
                       "userIdentity.arn FROM $EDS WHERE eventName IN ('CreateUser', 'GetUser') ORDER BY eventTime")
    assert [row["user"] for row in names["rows"]][:3] == users  # oldest first, as ordered
    assert names["rows"][3]["errorCode"] == "NoSuchEntity" and names["rows"][0]["errorCode"] == ""
    assert (names["rows"][0]["readOnly"], names["rows"][3]["readOnly"]) == ("false", "true")
    assert names["rows"][0]["arn"] == f"arn:aws:iam::{ACCOUNT}:root"

    everything = lake.query("SELECT * FROM $EDS WHERE eventName = 'CreateUser' LIMIT 1")["rows"][0]
    assert json.loads(everything["userIdentity"])["type"] == "Root"
    assert everything["eventCategory"] == "Management" and everything["eventTime"][:2] == "20"
    assert "useridentity.arn" not in everything  # SELECT * answers the schema's columns

    paged = lake.trail.start_query(QueryStatement=f"SELECT eventID FROM {lake.id}")["QueryId"]
    wait_for(lambda: lake.trail.describe_query(QueryId=paged)["QueryStatus"] == "FINISHED")
    first = lake.trail.get_query_results(QueryId=paged, MaxQueryResults=2)
    assert len(first["QueryResultRows"]) == 2 and first["NextToken"]
    assert first["QueryStatistics"]["TotalResultsCount"] > 2
    listed = lake.trail.list_queries(EventDataStore=lake.arn)["Queries"]
    assert paged in [item["QueryId"] for item in listed] and listed[0]["QueryStatus"] == "FINISHED"


def test_json_functions_read_documents_as_trino_does(server: Server) -> None:
    """json_extract_scalar answers scalars as text (numbers as written, booleans ``true``/``false``), json_extract
    compact JSON; text that is not JSON is null to both, so a query over every event, most of whose fields are not
    JSON, still finishes."""
    lake = Lake(server)
    role = unique("role")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}}]}
    server.client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    document = "element_at(requestParameters, 'assumeRolePolicyDocument')"
    answer = lake.query(
        f"SELECT json_extract_scalar({document}, '$.Statement[0].Effect') AS effect, "
        f"json_extract_scalar({document}, '$.Statement[0].Condition.Bool[\"aws:SecureTransport\"]') AS secure, "
        f"json_extract_scalar({document}, '$.Statement[0].Condition.NumericLessThan[\"aws:MultiFactorAuthAge\"]') "
        f"AS age, json_extract_scalar({document}, '$.Statement[0].Principal') AS principal, "
        f"json_extract({document}, '$.Statement[0].Principal') AS principal_json, "
        f"json_extract({document}, '$.Statement[0].Condition.Bool') AS bool_json, "
        f"json_extract_scalar(eventName, '$.name') AS not_json, json_extract(eventName, '$') AS not_json_either "
        f"FROM $EDS "
        f"WHERE element_at(requestParameters, 'roleName') = '{role}' "
        f"AND json_extract_scalar({document}, '$.Version') = '2012-10-17'")
    assert answer["status"] == "FINISHED", answer["error"]
    assert answer["rows"] == [{"effect": "Allow", "secure": "true", "age": "3600", "principal": "",
                               "principal_json": '{"Service":"lambda.amazonaws.com"}',
                               "bool_json": '{"aws:SecureTransport":true}', "not_json": "", "not_json_either": ""}]


def test_a_store_takes_what_its_selectors_take(server: Server) -> None:
    reads = Lake(server, AdvancedEventSelectors=[{"Name": "reads", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["true"]},
        {"Field": "eventSource", "Equals": ["iam.amazonaws.com"]}]}])
    stopped = Lake(server, StartIngestion=False)
    iam = server.client("iam")
    user = unique("user")
    iam.create_user(UserName=user)
    iam.get_user(UserName=user)
    taken = reads.query("SELECT DISTINCT eventName FROM $EDS")["rows"]
    assert {"eventName": "GetUser"} in taken and {"eventName": "CreateUser"} not in taken
    assert stopped.query("SELECT count(*) FROM $EDS")["rows"] == [{"_col0": "0"}]  # it never ingested


def test_a_query_shows_what_the_service_linked_role_did(server: Server) -> None:
    lake = Lake(server)
    domain, role = create_domain(server)
    server.client("customer-profiles").delete_domain(DomainName=domain)

    def deletions() -> list[dict]:
        return lake.query(
            "SELECT eventName, userIdentity.invokedBy AS by, userIdentity.sessionContext.sessionIssuer.arn AS issuer "
            f"FROM $EDS WHERE userIdentity.sessionContext.sessionIssuer.userName = '{role}' "
            "AND eventName = 'DeleteRole'")["rows"]

    (deletion,) = wait_for(deletions, timeout=15)
    assert deletion == {"eventName": "DeleteRole", "by": PRINCIPAL,
                        "issuer": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{PRINCIPAL}/{role}"}


def test_statements_are_checked_and_failures_reported(server: Server) -> None:
    lake = Lake(server)
    for statement, message in [
        ("SELECT 1", "names no event data store"),
        (f"DELETE FROM {lake.id}", "one SELECT statement"),
        (f"SELECT * FROM {lake.id}; SELECT 1", "one SELECT statement"),
        (f"SELECT * FROM sqlite_master JOIN {lake.id} ON true", "is not an event data store of this query"),
        (f"SELECT eventName FROM {lake.id} WHERE (", "is not valid SQL"),
    ]:
        code, said = refused(lake.trail.start_query, QueryStatement=statement)
        assert code == "InvalidQueryStatementException" and message in said, (statement, said)
    missing = "0" * 8 + "-0000-0000-0000-" + "0" * 12
    assert refused(lake.trail.start_query, QueryStatement=f"SELECT eventName FROM {missing}")[0] == (
        "EventDataStoreNotFoundException")
    failed = lake.query("SELECT no_such_function(eventName) FROM $EDS")
    assert failed["status"] == "FAILED" and "no such function: no_such_function" in failed["error"].lower()
    assert failed["described"]["ErrorMessage"] == failed["error"]
    assert refused(lake.trail.describe_query, QueryId="0" * 8 + "-0000-0000-0000-" + "0" * 12)[0] == (
        "QueryIdNotFoundException")
    finished = lake.trail.list_queries(EventDataStore=lake.arn)["Queries"][0]["QueryId"]
    assert refused(lake.trail.cancel_query, QueryId=finished)[0] == "InactiveQueryException"


def test_queries_are_authorized_on_each_store_they_read(server: Server) -> None:
    mine, other = Lake(server), Lake(server)
    reader = make_user(server, document(allow(["cloudtrail:StartQuery", "cloudtrail:DescribeQuery",
                                               "cloudtrail:GetQueryResults"], mine.arn)))
    trail = reader.client("cloudtrail")
    assert mine.query("SELECT count(*) AS n FROM $EDS", client=trail)["status"] == "FINISHED"
    denied = "AccessDeniedException"
    assert refused(trail.start_query, QueryStatement=f"SELECT eventName FROM {other.id}")[0] == denied
    joined = f"SELECT a.eventName FROM {mine.id} a JOIN {other.id} b ON a.eventID = b.eventID"
    assert refused(trail.start_query, QueryStatement=joined)[0] == denied
    query_id = server.client("cloudtrail").start_query(QueryStatement=f"SELECT eventName FROM {other.id}")["QueryId"]
    assert refused(trail.describe_query, QueryId=query_id)[0] == denied  # a query of a store not its own


def test_the_aws_cli_asks_what_the_roles_did(server: Server) -> None:
    aws = AwsCli(server.endpoint)
    store = aws("cloudtrail", "create-event-data-store", "--name", unique("audit"),
                "--no-termination-protection-enabled")["EventDataStoreArn"]
    domain, role = create_domain(server)
    statement = ("SELECT eventName, userIdentity.invokedBy FROM " + store.rsplit("/", 1)[1]
                 + f" WHERE userIdentity.sessionContext.sessionIssuer.userName = '{role}'")
    server.client("customer-profiles").delete_domain(DomainName=domain)

    def rows() -> list:
        query = aws("cloudtrail", "start-query", "--query-statement", statement)["QueryId"]
        answer = wait_for(lambda: (found := aws("cloudtrail", "get-query-results", "--query-id", query))[
            "QueryStatus"] == "FINISHED" and found)
        return [row for row in answer["QueryResultRows"] if {"eventName": "DeleteRole"} in row]

    assert wait_for(rows, timeout=20)[0] == [{"eventName": "DeleteRole"}, {"invokedBy": PRINCIPAL}]


def test_a_store_has_insights_logged_to_another(server: Server) -> None:
    region = "ca-central-1"  # no other test has Insights on here: the metrics below are this test's switch
    trail = server.client("cloudtrail", region)
    source = trail.create_event_data_store(Name=unique("source"), TerminationProtectionEnabled=False)
    plain = trail.create_event_data_store(Name=unique("plain"), TerminationProtectionEnabled=False)
    insights = trail.create_event_data_store(Name=unique("insights"), TerminationProtectionEnabled=False,
                                             AdvancedEventSelectors=[{"FieldSelectors": [
                                                 {"Field": "eventCategory", "Equals": ["Insight"]}]}])
    arns = [store["EventDataStoreArn"] for store in (source, plain, insights)]
    server.client("cloudwatch", region).put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x",
                                                                                      "Value": 1}])
    ask = {"EventSource": "monitoring.amazonaws.com", "EventName": "PutMetricData",
           "InsightType": "ApiCallRateInsight"}
    assert trail.list_insights_metric_data(**ask)["Values"] == []
    calls = {"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}], "EventDataStore": arns[0]}
    assert refused(trail.put_insight_selectors, **calls)[0] == "InvalidParameterCombinationException"
    assert "must be another event data store" in refused(trail.put_insight_selectors, **calls,
                                                         InsightsDestination=arns[1])[1]
    assert refused(trail.put_insight_selectors, EventDataStore=arns[0], InsightsDestination=arns[2],
                   InsightSelectors=[{"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}])[0] == (
        "InvalidParameterException")
    assert refused(trail.get_insight_selectors, EventDataStore=arns[0])[0] == "InsightNotEnabledException"
    put = trail.put_insight_selectors(**calls, InsightsDestination=arns[2].rsplit("/", 1)[1])
    assert (put["EventDataStoreArn"], put["InsightsDestination"]) == (arns[0], arns[2])
    read = trail.get_insight_selectors(EventDataStore=arns[0])
    assert read["InsightSelectors"] == [{"InsightType": "ApiCallRateInsight"}] and read["InsightsDestination"] == (
        arns[2])
    assert sum(trail.list_insights_metric_data(**ask)["Values"]) == 1  # measured now that a store has Insights
    trail.update_event_data_store(EventDataStore=arns[0], RetentionPeriod=30)  # an update keeps them
    assert trail.get_insight_selectors(EventDataStore=arns[0])["InsightsDestination"] == arns[2]
    trail.put_insight_selectors(EventDataStore=arns[0], InsightSelectors=[])
    assert refused(trail.get_insight_selectors, EventDataStore=arns[0])[0] == "InsightNotEnabledException"
    for arn in arns:
        trail.delete_event_data_store(EventDataStore=arn)
