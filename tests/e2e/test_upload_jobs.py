"""Customer Profiles upload jobs: a CSV file PUT to the URL GetUploadJobPath gives, ingested after StartUploadJob
into profiles found or created by the job's unique key."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import allow, document, make_user, unique
from tests.e2e.waiting import wait_for

FIELDS = {
    "customer_id": {"Source": "_source.CustomerId", "Target": "_profile.AccountNumber"},
    "first": {"Source": "_source.First", "Target": "_profile.FirstName"},
    "email": {"Source": "_source.Email", "Target": "_profile.EmailAddress", "ContentType": "EMAIL_ADDRESS"},
    "city": {"Source": "_source.City", "Target": "_profile.Address.City"},
    "tier": {"Source": "_source.Tier", "Target": "_profile.Attributes.tier"},
}


def _put(url: str, body: bytes, method: str = "PUT") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body if method == "PUT" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def upload_job(profiles, domain: str, **params) -> str:
    params = {"DisplayName": "customers.csv", "Fields": FIELDS, "UniqueKey": "customer_id", **params}
    return profiles.create_upload_job(DomainName=domain, **params)["JobId"]


def upload_file(profiles, domain: str, job_id: str, text: str | bytes) -> None:
    url = profiles.get_upload_job_path(DomainName=domain, JobId=job_id)["Url"]
    status, _, body = _put(url, text.encode() if isinstance(text, str) else text)
    assert status == 200, body


def _run(profiles, domain: str, text: str | bytes, **params) -> dict:
    """A job made, given the file, started, and waited for to end."""
    job_id = upload_job(profiles, domain, **params)
    upload_file(profiles, domain, job_id, text)
    profiles.start_upload_job(DomainName=domain, JobId=job_id)
    return wait_for(lambda: (job := profiles.get_upload_job(DomainName=domain, JobId=job_id))["Status"] not in (
        "CREATED", "IN_PROGRESS") and job)


def _by_customer(profiles, domain: str, customer_id: str) -> list[dict]:
    return profiles.search_profiles(DomainName=domain, KeyName="customer_id", Values=[customer_id])["Items"]


def _refused(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_a_csv_file_creates_profiles_then_a_second_one_updates_them(profiles, domain) -> None:
    job_id = upload_job(profiles, domain, DataExpiry=7)
    created = profiles.get_upload_job(DomainName=domain, JobId=job_id)
    assert (created["Status"], created["DisplayName"], created["UniqueKey"], created["DataExpiry"]) == (
        "CREATED", "customers.csv", "customer_id", 7)
    assert created["Fields"] == FIELDS and "ResultsSummary" not in created and "CompletedAt" not in created

    path = profiles.get_upload_job_path(DomainName=domain, JobId=job_id)
    assert path["Url"].startswith(profiles.meta.endpoint_url + "/") and path["ClientToken"] in path["Url"]
    assert path["ValidUntil"] > created["CreatedAt"]
    text = ("\ufeffCustomerId,First,Email,City,Tier\r\n"
            "c-1,Ana,ana@example.com,Lyon,gold\r\n"
            "c-2,Bo,,Nantes,\r\n"
            "\r\n"
            'c-3,"Chen, Li",chen@example.com,,silver\r\n')
    status, headers, _ = _put(path["Url"], text.encode())
    assert status == 200
    assert headers["etag"] == f'"{hashlib.md5(text.encode()).hexdigest()}"'
    profiles.start_upload_job(DomainName=domain, JobId=job_id)
    done = wait_for(lambda: (job := profiles.get_upload_job(DomainName=domain, JobId=job_id))["Status"] not in (
        "CREATED", "IN_PROGRESS") and job)
    assert done["Status"] == "SUCCEEDED" and "StatusReason" not in done and done["CompletedAt"] >= done["CreatedAt"]
    assert done["ResultsSummary"] == {"CreatedRecords": 3, "UpdatedRecords": 0, "FailedRecords": 0}

    [ana] = _by_customer(profiles, domain, "c-1")
    assert (ana["FirstName"], ana["EmailAddress"], ana["AccountNumber"], ana["Address"]["City"],
            ana["Attributes"]) == ("Ana", "ana@example.com", "c-1", "Lyon", {"tier": "gold"})
    [bo] = _by_customer(profiles, domain, "c-2")
    assert "EmailAddress" not in bo and "Attributes" not in bo  # empty cells fill nothing
    assert _by_customer(profiles, domain, "c-3")[0]["FirstName"] == "Chen, Li"
    records = profiles.list_profile_history_records(DomainName=domain, ProfileId=ana["ProfileId"])
    ingested = [record for record in records["ProfileHistoryRecords"] if record["ActionType"] == "INGESTED"]
    assert [(record["ObjectTypeName"], record["PerformedBy"]) for record in ingested] == [
        (f"_upload_{job_id}", "arn:aws:iam::000000000000:root")]
    objects = profiles.list_profile_objects(DomainName=domain, ProfileId=ana["ProfileId"],
                                            ObjectTypeName=f"_upload_{job_id}")["Items"]
    assert [(item["ProfileObjectUniqueKey"], json.loads(item["Object"])) for item in objects] == [
        ("c-1", {"CustomerId": "c-1", "First": "Ana", "Email": "ana@example.com", "City": "Lyon", "Tier": "gold"})]
    assert _refused(profiles.list_profile_objects, DomainName=domain, ProfileId=ana["ProfileId"],
                    ObjectTypeName="_upload_" + "0" * 32)[0] == "ResourceNotFoundException"

    second = _run(profiles, domain, "CustomerId,First,Tier\nc-2,Bob,bronze\nc-4,Dee,\n", DisplayName="more.csv")
    assert (second["Status"], second["ResultsSummary"]) == (
        "SUCCEEDED", {"CreatedRecords": 1, "UpdatedRecords": 1, "FailedRecords": 0})
    [bob] = _by_customer(profiles, domain, "c-2")
    assert (bob["ProfileId"], bob["FirstName"], bob["Address"]["City"], bob["Attributes"]) == (
        bo["ProfileId"], "Bob", "Nantes", {"tier": "bronze"})
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 4

    listed = profiles.list_upload_jobs(DomainName=domain, MaxResults=1)
    assert [item["JobId"] for item in listed["Items"]] == [second["JobId"]]  # newest first
    rest = profiles.list_upload_jobs(DomainName=domain, NextToken=listed["NextToken"])
    assert [(item["JobId"], item["Status"], item["DataExpiry"]) for item in rest["Items"]] == [
        (job_id, "SUCCEEDED", 7)] and "NextToken" not in rest


def test_a_job_made_between_pages_is_not_listed_again(profiles, domain) -> None:
    """Newest first, the token naming the last job a page answered: a job made meanwhile goes on top of the
    listing and pushes no job of the first page onto the next."""
    made = [upload_job(profiles, domain) for _ in range(3)]
    first = profiles.list_upload_jobs(DomainName=domain, MaxResults=2)
    upload_job(profiles, domain)
    rest = profiles.list_upload_jobs(DomainName=domain, NextToken=first["NextToken"])
    assert [item["JobId"] for item in first["Items"] + rest["Items"]] == made[::-1]
    assert "NextToken" not in rest


def test_rows_that_cannot_be_ingested_fail_alone(profiles, domain) -> None:
    text = ("CustomerId,First\n"
            "c-1,Ana\n"
            ",No key\n"  # no unique key
            "c-2,Bo,extra cell\n"  # more cells than columns
            f"{'x' * 300},Too long\n")  # a key longer than keys may be
    job = _run(profiles, domain, text)
    assert (job["Status"], job["ResultsSummary"]) == (
        "PARTIALLY_SUCCEEDED", {"CreatedRecords": 1, "UpdatedRecords": 0, "FailedRecords": 3})
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 1

    every_row_fails = _run(profiles, domain, "CustomerId,First\n,Ana\n,Bo\n")
    assert (every_row_fails["Status"], every_row_fails["StatusReason"], every_row_fails["ResultsSummary"]) == (
        "FAILED", "VALIDATION_FAILURE", {"CreatedRecords": 0, "UpdatedRecords": 0, "FailedRecords": 2})


@pytest.mark.parametrize("content", [
    b"First,Email\nAna,ana@example.com\n",  # no column for the unique key
    b"CustomerId,First\nc-1,Ana\xff\n",  # not UTF-8
    b"CustomerId,CustomerId\nc-1,c-2\n",  # a column named twice
    b"",  # empty
], ids=["no-key-column", "not-utf8", "repeated-column", "empty"])
def test_a_file_that_cannot_be_read_fails_the_job(profiles, domain, content) -> None:
    job = _run(profiles, domain, content)
    assert (job["Status"], job["StatusReason"], job["ResultsSummary"]) == (
        "FAILED", "VALIDATION_FAILURE", {"CreatedRecords": 0, "UpdatedRecords": 0, "FailedRecords": 0})
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 0


def test_the_upload_url_takes_one_file_until_the_job_starts(profiles, domain) -> None:
    job_id = upload_job(profiles, domain)
    first = profiles.get_upload_job_path(DomainName=domain, JobId=job_id)["Url"]
    status, headers, body = _put(first, b"CustomerId\nc-1\n", method="GET")
    assert status == 405 and b"<Code>MethodNotAllowed</Code>" in body
    second = profiles.get_upload_job_path(DomainName=domain, JobId=job_id)["Url"]
    assert second != first
    status, headers, body = _put(first, b"CustomerId\nc-1\n")  # replaced by the second
    assert status == 403 and headers["content-type"] == "application/xml" and b"<Code>AccessDenied</Code>" in body
    status, _, body = _put(second.rsplit("/", 1)[0] + "/forged", b"CustomerId\nc-1\n")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert _put(second, b"CustomerId\nc-1\n")[0] == 200
    assert _put(second, b"CustomerId\nc-1\nc-2\n")[0] == 200  # until it starts, a new file replaces the last
    profiles.start_upload_job(DomainName=domain, JobId=job_id)
    assert _put(second, b"CustomerId\nc-3\n")[0] == 403
    job = wait_for(lambda: (found := profiles.get_upload_job(DomainName=domain, JobId=job_id))["Status"] == (
        "SUCCEEDED") and found)
    assert job["ResultsSummary"]["CreatedRecords"] == 2
    assert _refused(profiles.get_upload_job_path, DomainName=domain, JobId=job_id) == (
        "BadRequestException", f"Upload job {job_id} is SUCCEEDED: its file can only be uploaded before it starts.")


def test_an_upload_url_expires_after_an_hour(clocked_server) -> None:
    server, offset = clocked_server
    profiles = server.client("customer-profiles")
    domain = unique("expiry")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    job_id = upload_job(profiles, domain)
    url = profiles.get_upload_job_path(DomainName=domain, JobId=job_id)["Url"]
    try:
        offset.write_text(str(59 * 60))
        assert _put(url, b"CustomerId\nc-1\n")[0] == 200
        offset.write_text(str(61 * 60))
        status, _, body = _put(url, b"CustomerId\nc-1\n")
        assert status == 403 and b"<Message>Request has expired</Message>" in body
    finally:
        offset.write_text("0")


def test_what_an_upload_job_refuses(profiles, domain) -> None:
    assert _refused(profiles.create_upload_job, DomainName=domain, DisplayName="x", Fields=FIELDS,
                    UniqueKey="nowhere") == ("BadRequestException", "UniqueKey nowhere must name one of the job's "
                                                                    "Fields.")
    code, message = _refused(profiles.create_upload_job, DomainName=domain, DisplayName="x", UniqueKey="id",
                             Fields={"id": {"Source": "_source.Id", "Target": "_profile.Nope"}})
    assert code == "BadRequestException" and "_profile.Nope" in message
    assert _refused(profiles.create_upload_job, DomainName=unique("nodomain"), DisplayName="x", Fields=FIELDS,
                    UniqueKey="customer_id")[0] == "ResourceNotFoundException"
    job_id = upload_job(profiles, domain)
    assert _refused(profiles.start_upload_job, DomainName=domain, JobId=job_id) == (
        "BadRequestException", f"Upload job {job_id} has no file yet: upload it to the URL GetUploadJobPath gives, "
                               "then start the job.")
    missing = "0" * 32
    for call in (profiles.get_upload_job, profiles.start_upload_job, profiles.stop_upload_job,
                 profiles.get_upload_job_path):
        assert _refused(call, DomainName=domain, JobId=missing) == (
            "ResourceNotFoundException", f"Upload job {missing} does not exist in domain {domain}.")

    url = profiles.get_upload_job_path(DomainName=domain, JobId=job_id)["Url"]
    profiles.stop_upload_job(DomainName=domain, JobId=job_id)
    stopped = profiles.get_upload_job(DomainName=domain, JobId=job_id)
    assert stopped["Status"] == "STOPPED" and "CompletedAt" in stopped
    assert _put(url, b"CustomerId\nc-1\n")[0] == 403
    assert _refused(profiles.start_upload_job, DomainName=domain, JobId=job_id) == (
        "BadRequestException", f"Upload job {job_id} is STOPPED: only a CREATED job can start.")
    assert _refused(profiles.stop_upload_job, DomainName=domain, JobId=job_id) == (
        "BadRequestException", f"Upload job {job_id} is STOPPED: only a CREATED or IN_PROGRESS job can stop.")


def test_a_job_stopped_while_in_progress_goes_no_further(profiles, domain) -> None:
    rows = 3000
    text = "CustomerId,First\n" + "".join(f"c-{index},Name{index}\n" for index in range(rows))
    job_id = upload_job(profiles, domain)
    upload_file(profiles, domain, job_id, text)
    profiles.start_upload_job(DomainName=domain, JobId=job_id)
    try:
        profiles.stop_upload_job(DomainName=domain, JobId=job_id)
    except ClientError:  # it finished first: nothing to check
        pytest.skip("the job finished before it could be stopped")
    stopped = profiles.get_upload_job(DomainName=domain, JobId=job_id)
    summary = stopped["ResultsSummary"]
    assert stopped["Status"] == "STOPPED" and summary["CreatedRecords"] < rows
    # the rows it ingested before it stopped are kept, and it ingests no more
    wait_for(lambda: profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == summary["CreatedRecords"])
    assert profiles.get_upload_job(DomainName=domain, JobId=job_id)["Status"] == "STOPPED"


def test_a_deleted_domain_takes_its_upload_jobs_along(profiles) -> None:
    name = unique("gone")
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    _run(profiles, name, "CustomerId,First\nc-1,Ana\n")
    profiles.delete_domain(DomainName=name)
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    try:
        assert profiles.list_upload_jobs(DomainName=name)["Items"] == []
    finally:
        profiles.delete_domain(DomainName=name)


def test_starting_a_job_takes_its_own_permission_and_its_rows_are_the_starters(server, profiles, domain) -> None:
    domain_arn = f"arn:aws:profile:us-east-1:000000000000:domains/{domain}"
    preparer = make_user(server, document(allow(["profile:CreateUploadJob", "profile:GetUploadJobPath",
                                                 "profile:GetUploadJob"], domain_arn)))
    own = preparer.client("customer-profiles")
    job_id = upload_job(own, domain)
    upload_file(own, domain, job_id, "CustomerId,First\nc-1,Ana\n")
    code, message = _refused(own.start_upload_job, DomainName=domain, JobId=job_id)
    assert code == "AccessDeniedException" and "profile:StartUploadJob" in message
    starter = make_user(server, document(allow("profile:StartUploadJob", domain_arn)))
    starter.client("customer-profiles").start_upload_job(DomainName=domain, JobId=job_id)
    wait_for(lambda: own.get_upload_job(DomainName=domain, JobId=job_id)["Status"] == "SUCCEEDED")
    [ana] = _by_customer(profiles, domain, "c-1")
    records = profiles.list_profile_history_records(DomainName=domain, ProfileId=ana["ProfileId"],
                                                    ActionType="INGESTED")["ProfileHistoryRecords"]
    assert [record["PerformedBy"] for record in records] == [starter.arn]


def test_a_unique_key_made_by_an_expression_keys_each_row(profiles, domain) -> None:
    """A Handlebars Source (two columns in one) as the unique key: rows with both columns keyed by them."""
    fields = {"key": {"Source": "{{_source.Country}}-{{_source.CustomerId}}"},
              "first": {"Source": "_source.First", "Target": "_profile.FirstName"}}
    job = _run(profiles, domain, "Country,CustomerId,First\nPT,1,Ana\nES,1,Bo\nPT,1,Ana Maria\n", Fields=fields,
               UniqueKey="key")
    assert (job["Status"], job["ResultsSummary"]) == (
        "SUCCEEDED", {"CreatedRecords": 2, "UpdatedRecords": 1, "FailedRecords": 0})
    (found,) = profiles.search_profiles(DomainName=domain, KeyName="key", Values=["PT-1"])["Items"]
    assert found["FirstName"] == "Ana Maria"
