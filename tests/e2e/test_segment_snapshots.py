"""Segment snapshots: a segment's profiles exported in the background, the request's role checked as AWS would,
the file read back with a signed GET or the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import Server
from tests.e2e.cli import AwsCli, profilestack
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, trust, unique
from tests.e2e.test_segments import Customers, _groups
from tests.e2e.waiting import wait_for
from tests.e2e.wire import send, signed_request

DESTINATION = "s3://exports-bucket/segments"
IN_PORTUGAL = {"Dimensions": [{"ProfileAttributes": {"Address": {"Country": {"DimensionType": "INCLUSIVE",
                                                                            "Values": ["PT"]}}}}]}


def _snapshot(profiles, domain: str, segment: str, **params) -> dict:
    snapshot_id = profiles.create_segment_snapshot(DomainName=domain, SegmentDefinitionName=segment,
                                                   **{"DestinationUri": DESTINATION, **params})["SnapshotId"]
    return wait_for(lambda: (answer := profiles.get_segment_snapshot(
        DomainName=domain, SegmentDefinitionName=segment, SnapshotId=snapshot_id))["Status"] != "IN_PROGRESS"
        and answer)


def _file(server: Server, snapshot_id: str, **credentials: str) -> tuple[int, dict[str, str], bytes]:
    return send(signed_request(f"{server.endpoint}/_profilestack/segment-snapshots/{snapshot_id}", "profile",
                               "us-east-1", method="GET", **credentials))


@pytest.fixture
def customers(server: Server) -> Customers:
    customers = Customers(server)
    customers.define("portugal", _groups(IN_PORTUGAL))
    return customers


def test_a_snapshot_exports_the_segments_profiles_as_jsonl_and_csv(server: Server, customers: Customers) -> None:
    profiles, domain, ids = customers.profiles, customers.domain, customers.ids
    jsonl = _snapshot(profiles, domain, "portugal", DataFormat="JSONL", EncryptionKey="alias/exports")
    assert {key: jsonl.get(key) for key in ("Status", "DataFormat", "DestinationUri", "EncryptionKey", "RoleArn")
            } == {"Status": "COMPLETED", "DataFormat": "JSONL", "DestinationUri": DESTINATION,
                  "EncryptionKey": "alias/exports", "RoleArn": None}
    status, headers, body = _file(server, jsonl["SnapshotId"])
    assert (status, headers["content-type"]) == (200, "application/x-ndjson")
    exported = [json.loads(line) for line in body.decode().splitlines()]
    assert sorted(line["ProfileId"] for line in exported) == sorted([ids["ana"], ids["bob"]])
    ana = next(line for line in exported if line["ProfileId"] == ids["ana"])
    assert (ana["FirstName"], ana["Address"], ana["Attributes"]) == ("Ana", {"City": "Lisbon", "Country": "PT"},
                                                                     {"tier": "gold"})

    table = _snapshot(profiles, domain, "portugal", DataFormat="CSV")
    result = profilestack("segment-snapshot", table["SnapshotId"], "--db", server.database_url)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(row["ProfileId"] for row in rows) == sorted([ids["ana"], ids["bob"]])
    bob = next(row for row in rows if row["ProfileId"] == ids["bob"])
    assert (bob["FirstName"], bob["Address.City"], bob["Attributes.tier"], bob["BirthDate"]) == (
        "Bob", "Porto", "silver", "1975-01-20")
    assert result.stdout.splitlines()[0].startswith("ProfileId,")


def test_profiles_come_in_the_segments_sort_order(server: Server, customers: Customers) -> None:
    profiles, domain, ids = customers.profiles, customers.domain, customers.ids
    dee = customers.create(FirstName="Dee", Address={"Country": "PT"})  # no birth date, no orders
    abe = customers.create(FirstName="Abe", Address={"City": "Lisbon", "Country": "PT"})
    unsorted = sorted([abe, dee])  # without a value to sort by, in profile id order

    def exported(name: str, *attributes: dict) -> list[str]:
        customers.define(name, _groups(IN_PORTUGAL), SegmentSort={"Attributes": list(attributes)})
        snapshot_id = _snapshot(profiles, domain, name, DataFormat="JSONL")["SnapshotId"]
        return [json.loads(line)["ProfileId"] for line in _file(server, snapshot_id)[2].decode().splitlines()]

    assert exported("youngest", {"Name": "BirthDate", "DataType": "DATE", "Order": "DESC", "Type": "PROFILE"}) == [
        ids["ana"], ids["bob"], *unsorted]
    assert exported("thrifty", {"Name": "spend", "DataType": "NUMBER", "Order": "ASC", "Type": "CALCULATED"}) == [
        ids["bob"], ids["ana"], *unsorted]  # spends 20, then 150; no value last
    assert exported("by_city", {"Name": "Address.City", "DataType": "STRING", "Order": "DESC", "Type": "PROFILE"},
                    {"Name": "FirstName", "DataType": "STRING", "Order": "ASC", "Type": "PROFILE"}) == [
        ids["bob"], abe, ids["ana"], dee]  # Porto, Lisbon (Abe before Ana), then no city


def test_what_cannot_be_exported_is_refused_or_fails(server: Server, customers: Customers) -> None:
    profiles, domain = customers.profiles, customers.domain
    assert refused(profiles.create_segment_snapshot, DomainName=domain, SegmentDefinitionName="portugal",
                    DataFormat="CSV")[0] == "BadRequestException"
    assert refused(profiles.create_segment_snapshot, DomainName=domain, SegmentDefinitionName="portugal",
                    DataFormat="CSV", DestinationUri="https://example.com/x") == (
        "BadRequestException", "DestinationUri https://example.com/x is not an S3 location: s3://bucket/prefix.")
    assert refused(profiles.create_segment_snapshot, DomainName=domain, SegmentDefinitionName="nowhere",
                    DataFormat="CSV", DestinationUri=DESTINATION)[0] == "ResourceNotFoundException"
    assert refused(profiles.get_segment_snapshot, DomainName=domain, SegmentDefinitionName="portugal",
                    SnapshotId="f" * 32)[0] == "ResourceNotFoundException"
    orc = _snapshot(profiles, domain, "portugal", DataFormat="ORC")
    assert (orc["Status"], orc["StatusMessage"]) == (
        "FAILED", "profilestack exports segments as CSV or JSONL, not ORC.")
    status, _, body = _file(server, orc["SnapshotId"])
    assert (status, json.loads(body)["__type"]) == (400, "BadRequestException")

    profiles.delete_segment_definition(DomainName=domain, SegmentDefinitionName="portugal")
    assert _file(server, orc["SnapshotId"])[0] == 404  # snapshots go with their segment


def test_the_requests_role_is_assumed_as_the_service_and_must_may_write(server: Server,
                                                                        customers: Customers) -> None:
    profiles, domain = customers.profiles, customers.domain
    iam = server.client("iam")

    def role(trusted: str, *statements: dict) -> str:
        name = unique("export")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": trusted}))["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="export", PolicyDocument=document(*statements))
        return arn

    writer = role("profile.amazonaws.com", allow("s3:PutObject", "arn:aws:s3:::exports-bucket/segments/*"),
                  allow("kms:GenerateDataKey", "*"))
    assert _snapshot(profiles, domain, "portugal", DataFormat="CSV", RoleArn=writer,
                     EncryptionKey="arn:aws:kms:us-east-1:000000000000:key/1")["Status"] == "COMPLETED"

    elsewhere = role("profile.amazonaws.com", allow("s3:PutObject", "arn:aws:s3:::other-bucket/*"))
    failed = _snapshot(profiles, domain, "portugal", DataFormat="CSV", RoleArn=elsewhere)
    assert failed["Status"] == "FAILED"
    assert failed["StatusMessage"].startswith(f"Role {elsewhere} may not write the snapshot:")
    assert "s3:PutObject" in failed["StatusMessage"]
    no_key = _snapshot(profiles, domain, "portugal", DataFormat="CSV", RoleArn=writer,
                       EncryptionKey="arn:aws:kms:us-east-1:000000000000:key/2")
    assert no_key["Status"] == "COMPLETED"  # the writer may use any key

    untrusting = role("ec2.amazonaws.com", allow())
    refused = _snapshot(profiles, domain, "portugal", DataFormat="JSONL", RoleArn=untrusting)
    assert refused["Status"] == "FAILED"
    assert refused["StatusMessage"].startswith(f"Customer Profiles could not assume role {untrusting}:")


def test_reading_a_snapshots_file_needs_get_segment_snapshot(server: Server, customers: Customers) -> None:
    profiles, domain = customers.profiles, customers.domain
    snapshot_id = _snapshot(profiles, domain, "portugal", DataFormat="JSONL")["SnapshotId"]
    segment_arn = profiles.get_segment_definition(DomainName=domain, SegmentDefinitionName="portugal")[
        "SegmentDefinitionArn"]
    reader = make_user(server, document(allow("profile:GetSegmentSnapshot", segment_arn)))
    stranger = make_user(server, document(allow("profile:GetSegmentDefinition", segment_arn)))
    assert _file(server, snapshot_id, access_key=reader.key, secret=reader.secret)[0] == 200
    status, _, body = _file(server, snapshot_id, access_key=stranger.key, secret=stranger.secret)
    assert (status, json.loads(body)["__type"]) == (403, "AccessDeniedException")
    assert _file(server, snapshot_id, secret="wrong")[0] == 403


def test_the_readmes_snapshot_commands_through_the_aws_cli(server: Server, customers: Customers) -> None:
    aws = AwsCli(server.endpoint)
    snapshot_id = aws("customer-profiles", "create-segment-snapshot", "--domain-name", customers.domain,
                      "--segment-definition-name", "portugal", "--data-format", "JSONL", "--destination-uri",
                      DESTINATION)["SnapshotId"]
    answer = wait_for(lambda: (found := aws("customer-profiles", "get-segment-snapshot", "--domain-name",
                                            customers.domain, "--segment-definition-name", "portugal",
                                            "--snapshot-id", snapshot_id))["Status"] == "COMPLETED" and found)
    assert (answer["DataFormat"], answer["DestinationUri"]) == ("JSONL", DESTINATION)


def test_a_confused_deputy_proof_trust_policy_admits_the_service_acting_for_its_domain(
        server: Server, customers: Customers) -> None:
    """AWS's advice: a role trusting a service also tests aws:SourceAccount and aws:SourceArn, which name the
    account and the resource (here the domain) the service acts for."""
    profiles, domain, iam = customers.profiles, customers.domain, server.client("iam")
    domain_arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}"

    def role(source_arn: str, source_account: str = ACCOUNT) -> str:
        name = unique("guarded")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(
            {"Service": "profile.amazonaws.com"}, Condition={
                "StringEquals": {"aws:SourceAccount": source_account}, "ArnLike": {"aws:SourceArn": source_arn}}))
        iam.put_role_policy(RoleName=name, PolicyName="export", PolicyDocument=document(allow("s3:PutObject")))
        return arn["Role"]["Arn"]

    assert _snapshot(profiles, domain, "portugal", DataFormat="CSV", RoleArn=role(domain_arn))["Status"] == (
        "COMPLETED")
    assert _snapshot(profiles, domain, "portugal", DataFormat="CSV",
                     RoleArn=role(f"arn:aws:profile:*:{ACCOUNT}:domains/*"))["Status"] == "COMPLETED"
    for guarded in (role(f"{domain_arn}-other"), role(domain_arn, source_account="111122223333")):
        refused = _snapshot(profiles, domain, "portugal", DataFormat="CSV", RoleArn=guarded)
        assert refused["Status"] == "FAILED"
        assert refused["StatusMessage"].startswith(f"Customer Profiles could not assume role {guarded}:")
