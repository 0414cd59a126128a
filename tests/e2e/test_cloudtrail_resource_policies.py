"""CloudTrail's resource-based policies (PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy) on event data
stores and channels: what each kind of resource's policy may say, and the policy at work — another account sending
events through a shared channel or querying a shared store, the owner denied by its own resource's policy."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tests.conftest import OTHER_ACCOUNT, OTHER_ROOT_KEY, OTHER_ROOT_SECRET, Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, unique
from tests.e2e.test_cloudtrail_channels import ACTIVITY, order_event
from tests.e2e.test_cloudtrail_lake import Lake
from tests.e2e.waiting import wait_for

REGION = "eu-west-1"  # a region of its own: Lake's ten stores per region stay free for the other modules


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def sharing(resource: str, *principals: str, action: str = "cloudtrail-data:PutAuditEvents",
            effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Principal": {"AWS": list(principals)}, "Action": action, "Resource": resource}


def other_account(server: Server, service: str) -> Any:
    return server.client(service, REGION, aws_access_key_id=OTHER_ROOT_KEY, aws_secret_access_key=OTHER_ROOT_SECRET)


class SharedLake(Lake):
    """A store of events from outside AWS and a channel sending to it, in REGION."""

    def __init__(self, server: Server) -> None:
        super().__init__(server, REGION, AdvancedEventSelectors=ACTIVITY)
        self.channel = self.trail.create_channel(Name=unique("shared"), Source="Custom", Destinations=[
            {"Type": "EVENT_DATA_STORE", "Location": self.arn}])["ChannelArn"]


def test_a_policy_is_put_read_replaced_and_deleted_and_goes_with_its_resource(server: Server) -> None:
    lake = SharedLake(server)
    trail = lake.trail
    for arn in (lake.arn, lake.channel):
        assert refused(trail.get_resource_policy, ResourceArn=arn) == (
            "ResourcePolicyNotFoundException", f"The {'channel' if 'channel/' in arn else 'event data store'} "
                                               f"{arn} holds no resource-based policy.")
    first = policy(sharing(lake.channel, f"arn:aws:iam::{OTHER_ACCOUNT}:root"))
    put = trail.put_resource_policy(ResourceArn=lake.channel, ResourcePolicy=first)
    assert (put["ResourceArn"], put["ResourcePolicy"]) == (lake.channel, first)
    assert "DelegatedAdminResourcePolicy" not in put  # no organization
    second = policy(sharing(lake.channel, OTHER_ACCOUNT, "arn:aws:iam::333344445555:root"))
    trail.put_resource_policy(ResourceArn=lake.channel, ResourcePolicy=second)  # replaces the first
    assert trail.get_resource_policy(ResourceArn=lake.channel)["ResourcePolicy"] == second

    queries = policy({"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT},
                      "Action": ["cloudtrail:StartQuery", "cloudtrail:GetQueryResults"], "Resource": lake.arn},
                     {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                      "Action": "cloudtrail:StartQuery",
                      "Condition": {"StringLike": {
                          "AWS:SourceArn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:dashboard/*",
                          "AWS:SourceAccount": ACCOUNT}}})
    trail.put_resource_policy(ResourceArn=lake.arn, ResourcePolicy=queries)
    assert trail.get_resource_policy(ResourceArn=lake.arn)["ResourcePolicy"] == queries

    trail.delete_resource_policy(ResourceArn=lake.arn)
    assert refused(trail.get_resource_policy, ResourceArn=lake.arn)[0] == "ResourcePolicyNotFoundException"
    assert refused(trail.delete_resource_policy, ResourceArn=lake.arn)[0] == "ResourcePolicyNotFoundException"

    trail.delete_channel(Channel=lake.channel)  # the policy goes with its channel
    assert refused(trail.get_resource_policy, ResourceArn=lake.channel) == (
        "ResourceNotFoundException", f"The channel {lake.channel} does not exist.")


def test_a_policy_says_only_what_its_kind_of_resource_allows(server: Server) -> None:
    lake = SharedLake(server)
    trail = lake.trail
    other_root = f"arn:aws:iam::{OTHER_ACCOUNT}:root"
    service = {"Service": "cloudtrail.amazonaws.com"}
    invalid = {
        "not json": (lake.channel, "{"),
        "another action on a channel": (lake.channel, policy(sharing(lake.channel, other_root,
                                                                      action="cloudtrail:GetChannel"))),
        "another channel": (lake.channel, policy(sharing(lake.channel.rsplit("/", 1)[0] + "/x", other_root))),
        "a service on a channel": (lake.channel, policy({"Effect": "Allow", "Principal": service,
                                                         "Action": "cloudtrail-data:PutAuditEvents"})),
        "a store action not shared": (lake.arn, policy(sharing(lake.arn, other_root,
                                                               action="cloudtrail:DeleteEventDataStore"))),
        "CloudTrail reading results": (lake.arn, policy({"Effect": "Allow", "Principal": service,
                                                         "Action": "cloudtrail:GetQueryResults"})),
        "CloudTrail with a user": (lake.arn, policy({"Effect": "Allow", "Principal": {**service, "AWS": other_root},
                                                     "Action": "cloudtrail:StartQuery"})),
        "CloudTrail on a condition of its own": (lake.arn, policy({
            "Effect": "Allow", "Principal": service, "Action": "cloudtrail:StartQuery",
            "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}})),
        "NotPrincipal": (lake.arn, policy({"Effect": "Deny", "NotPrincipal": {"AWS": other_root},
                                           "Action": "cloudtrail:StartQuery"})),
        "21 statements": (lake.channel, policy(*[sharing(lake.channel, other_root)] * 21)),
        "51 principals": (lake.channel, policy(sharing(lake.channel, *[f"{number:012d}" for number in range(51)]))),
        "a user that does not exist": (lake.channel, policy(sharing(
            lake.channel, f"arn:aws:iam::{ACCOUNT}:user/{unique('nobody')}"))),
    }
    for case, (arn, text) in invalid.items():
        code, message = refused(trail.put_resource_policy, ResourceArn=arn, ResourcePolicy=text)
        assert code == "ResourcePolicyNotValidException", (case, code, message)
        assert refused(trail.get_resource_policy, ResourceArn=arn)[0] == "ResourcePolicyNotFoundException", case
    assert "it can name cloudtrail:StartQuery, cloudtrail:CancelQuery" in refused(
        trail.put_resource_policy, ResourceArn=lake.arn, ResourcePolicy=invalid["a store action not shared"][1])[1]

    trail_arn = trail.create_trail(Name=unique("trail"), S3BucketName="audit-logs")["TrailARN"]
    unknown = lake.arn.rsplit("/", 1)[0] + "/0aab0b0c-1d2e-3f40-5a6b-7c8d9e0f1a2b"
    for arn, code in [(trail_arn, "ResourceTypeNotSupportedException"),
                      ("arn:aws:sqs:eu-west-1:000000000000:queue", "ResourceARNNotValidException"),
                      (unknown, "ResourceNotFoundException"),
                      (lake.arn.replace(REGION, "us-east-1"), "ResourceNotFoundException")]:  # stores are regional
        assert refused(trail.put_resource_policy, ResourceArn=arn,
                       ResourcePolicy=policy(sharing(arn, other_root)))[0] == code, arn
    trail.delete_trail(Name=trail_arn)


def test_a_shared_channel_takes_another_accounts_events_and_a_deny_binds_even_the_owner(server: Server) -> None:
    lake = SharedLake(server)
    theirs = other_account(server, "cloudtrail-data")
    event = {"id": "one", "eventData": json.dumps(order_event("PlaceOrder", "o-1"))}  # addressed to the owner
    code, message = refused(theirs.put_audit_events, channelArn=lake.channel, auditEvents=[event])
    assert code == "AccessDeniedException" and f"arn:aws:iam::{OTHER_ACCOUNT}:root" in message

    lake.trail.put_resource_policy(ResourceArn=lake.channel, ResourcePolicy=policy(
        sharing(lake.channel, f"arn:aws:iam::{OTHER_ACCOUNT}:root")))
    sent = theirs.put_audit_events(channelArn=lake.channel, auditEvents=[
        event, {"id": "theirs", "eventData": json.dumps(order_event("PlaceOrder", "o-2",
                                                                     recipientAccountId=OTHER_ACCOUNT))}])
    assert [item["id"] for item in sent["successful"]] == ["one"]
    assert sent["failed"][0]["errorMessage"] == (f"eventData.recipientAccountId must be {ACCOUNT}, the account that "
                                                 "owns the channel.")
    assert lake.query("SELECT eventData.UID FROM $EDS")["rows"] == [{"UID": "PlaceOrder-o-1"}]
    # the channel is shared for sending alone: the other account still cannot read it
    assert refused(other_account(server, "cloudtrail").get_channel, Channel=lake.channel)[0] == "AccessDeniedException"

    lake.trail.put_resource_policy(ResourceArn=lake.channel, ResourcePolicy=policy(
        sharing(lake.channel, f"arn:aws:iam::{OTHER_ACCOUNT}:root"),
        sharing(lake.channel, f"arn:aws:iam::{ACCOUNT}:root", effect="Deny")))
    mine = server.client("cloudtrail-data", REGION)
    code, message = refused(mine.put_audit_events, channelArn=lake.channel, auditEvents=[event])
    assert code == "AccessDeniedException" and "explicit deny in a resource-based policy" in message
    assert theirs.put_audit_events(channelArn=lake.channel, auditEvents=[event])["successful"]
    lake.trail.delete_resource_policy(ResourceArn=lake.channel)  # without a policy, the owner's own again
    assert mine.put_audit_events(channelArn=lake.channel, auditEvents=[event])["successful"]
    assert refused(theirs.put_audit_events, channelArn=lake.channel, auditEvents=[event])[0] == "AccessDeniedException"


def test_a_stores_policy_binds_its_owner_too(server: Server) -> None:
    lake = Lake(server, REGION)
    lake.trail.put_resource_policy(ResourceArn=lake.arn, ResourcePolicy=policy(
        {"Effect": "Deny", "Principal": {"AWS": ACCOUNT}, "Action": "cloudtrail:GetEventDataStore"}))
    code, message = refused(lake.trail.get_event_data_store, EventDataStore=lake.arn)
    assert code == "AccessDeniedException" and "explicit deny in a resource-based policy" in message
    assert lake.query("SELECT count(*) AS n FROM $EDS")["status"] == "FINISHED"  # what it does not deny goes on
    lake.trail.delete_resource_policy(ResourceArn=lake.arn)
    assert lake.trail.get_event_data_store(EventDataStore=lake.arn)["EventDataStoreArn"] == lake.arn


def test_another_account_queries_a_shared_store_as_far_as_its_policy_goes(server: Server) -> None:
    lake = Lake(server, REGION)
    theirs = other_account(server, "cloudtrail")
    statement = f"SELECT eventName, recipientAccountId FROM {lake.id} WHERE eventName = 'PutResourcePolicy'"
    owned = {"EventDataStoreOwnerAccountId": ACCOUNT}
    assert refused(theirs.start_query, QueryStatement=statement, **owned)[0] == "AccessDeniedException"

    lake.trail.put_resource_policy(ResourceArn=lake.arn, ResourcePolicy=policy(sharing(
        lake.arn, f"arn:aws:iam::{OTHER_ACCOUNT}:root", action=["cloudtrail:StartQuery", "cloudtrail:DescribeQuery"])))
    query_id = theirs.start_query(QueryStatement=statement, **owned)["QueryId"]
    assert wait_for(lambda: theirs.describe_query(QueryId=query_id, **owned)["QueryStatus"] == "FINISHED")
    # reading the results is not shared yet, and a query of another account's store is named with its owner
    assert refused(theirs.get_query_results, QueryId=query_id, **owned)[0] == "AccessDeniedException"
    assert refused(theirs.describe_query, QueryId=query_id)[0] == "QueryIdNotFoundException"
    assert refused(lake.trail.describe_query, QueryId=query_id)[0] == "QueryIdNotFoundException"  # theirs alone

    lake.trail.put_resource_policy(ResourceArn=lake.arn, ResourcePolicy=policy(sharing(
        lake.arn, OTHER_ACCOUNT, action=["cloudtrail:StartQuery", "cloudtrail:DescribeQuery",
                                         "cloudtrail:GetQueryResults"])))
    rows = theirs.get_query_results(QueryId=query_id, **owned)["QueryResultRows"]
    # the owner's call sharing the store, made before the query: the owner's events, not the other account's
    assert rows == [[{"eventName": "PutResourcePolicy"}, {"recipientAccountId": ACCOUNT}]]

    # a user of the other account needs its own account's leave too, on the owner's store
    iam = other_account(server, "iam")
    name = unique("analyst")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    analyst = server.client("cloudtrail", REGION, aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"])
    assert refused(analyst.start_query, QueryStatement=statement, **owned)[0] == "AccessDeniedException"
    iam.put_user_policy(UserName=name, PolicyName="query", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["cloudtrail:StartQuery", "cloudtrail:DescribeQuery"], "Resource": lake.arn}))
    started = wait_for(lambda: _started(analyst, statement, owned))
    assert wait_for(lambda: analyst.describe_query(QueryId=started, **owned)["QueryStatus"] == "FINISHED")


def _started(client: Any, statement: str, owned: dict[str, str]) -> str | None:
    """The query's ID once the user's new policy is in force (IAM's changes reach the authorizer within a second)."""
    try:
        return client.start_query(QueryStatement=statement, **owned)["QueryId"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "AccessDeniedException":
            raise
        return None
