"""Whole-domain work in a large domain, on SQLite: what it costs in time, in server memory, and in other writers'
waits (docs/decisions.md quotes these figures).

- rule-based matching (``ListRuleBasedMatches``, every page of the groups of ``--groups`` customers entered twice),
  the first twenty pages of an attribute's values (``ListObjectTypeAttributeValues``, one value per object) and an
  identity resolution job over every profile: seconds taken, and the server's peak resident memory against
  its memory before (each on a freshly started server);
- every page of one customer's objects (``ListProfileObjects``, ``--customer-objects`` orders of one customer);
- ``DeleteProfileObjectType`` of a ten-object type: how long the call takes;
- ``DeleteProfileObjectType`` of the type every profile came from: how long the call takes, how long its purge
  takes in the background, and another client's ``PutProfileObject`` meanwhile, against the same client's before.

    .venv/bin/python -m bench.scale [--profiles 200000] [--groups 2000] [--customer-objects 20000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bench.profiles import DOMAIN, bulk_load, define_domain, profiles_client
from bench.run import ROOT, status_kb
from profilestack.testing import LocalServer


def _whole_domain_call(data_dir: Path, label: str, work) -> str:
    """A freshly started server (so that its peak is this work's), the work timed; what the work reports."""
    with LocalServer(data_dir=data_dir) as server:
        client = profiles_client(server.port)
        before = status_kb([server.process.pid], "VmRSS")
        began = time.monotonic()
        detail = work(client)
        took = time.monotonic() - began
        peak = status_kb([server.process.pid], "VmHWM")  # the process's peak so far
    return f"| {label}{detail or ''} | {took:.1f} s | {before / 1024:.0f} MB | {peak / 1024:.0f} MB |"


def _twice_entered(data_dir: Path, groups: int) -> None:
    """Customers 0..groups-1 entered again by hand (CreateProfile): each makes a match group with its first
    profile, by email."""
    with LocalServer(data_dir=data_dir) as server:
        client = profiles_client(server.port)
        for index in range(groups):
            client.create_profile(DomainName=DOMAIN, EmailAddress=f"c{index}@example.com")


def _rule_based_matching(client) -> str:
    """Every page of the groups; the first page's time."""
    client.update_domain(DomainName=DOMAIN, RuleBasedMatching={
        "Enabled": True, "MatchingRules": [{"Rule": ["EmailAddress"]}, {"Rule": ["PhoneNumber"]}],
        "AttributeTypesSelector": {"AttributeMatchingModel": "ONE_TO_ONE"}})
    began = time.monotonic()
    pages = client.get_paginator("list_rule_based_matches").paginate(
        DomainName=DOMAIN, PaginationConfig={"PageSize": 100})
    first, groups, count = None, 0, 0
    for page in pages:
        first = first or time.monotonic() - began
        groups, count = groups + len(page["MatchIds"]), count + 1
    return f": {groups:,} groups, {count} pages (the first {first:.1f} s)"


def _attribute_values(client) -> str:
    """The first twenty pages of the email attribute's values (every customer's: one value each)."""
    began, first, values, token = time.monotonic(), None, 0, {}
    for _ in range(20):  # botocore has no paginator for it
        page = client.list_object_type_attribute_values(DomainName=DOMAIN, ObjectTypeName="Order",
                                                        AttributeName="email", MaxResults=100, **token)
        first = first or time.monotonic() - began
        values += len(page["Items"])
        token = {"NextToken": page["NextToken"]}
    return f": the first {values:,} values, 20 pages (the first {first:.1f} s)"


FREQUENT = "frequent@example.com"


def _frequent_order(index: int) -> str:
    return json.dumps({"order": {"id": f"f-{index}"}, "customer": {"email": FREQUENT, "last": "Bench"}})


def _one_customers_objects(client) -> str:
    """Every page of the frequent customer's orders, a hundred to a page; then one of them by its unique key
    (``ObjectFilter``)."""
    (profile,) = client.search_profiles(DomainName=DOMAIN, KeyName="_email", Values=[FREQUENT])["Items"]
    listing = {"DomainName": DOMAIN, "ObjectTypeName": "Order", "ProfileId": profile["ProfileId"]}
    began, first, objects, pages, token = time.monotonic(), None, 0, 0, {}
    while True:  # botocore has no paginator for it
        page = client.list_profile_objects(**listing, MaxResults=100, **token)
        first = first or time.monotonic() - began
        objects, pages = objects + len(page["Items"]), pages + 1
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    began = time.monotonic()
    (found,) = client.list_profile_objects(**listing, ObjectFilter={"KeyName": "_orderId", "Values": ["f-7"]})[
        "Items"]
    lookup = time.monotonic() - began
    assert found["ProfileObjectUniqueKey"] == "f-7", found
    return f": {objects:,} objects, {pages} pages (the first {first:.2f} s); one by its key {lookup * 1000:.0f} ms"


def _identity_resolution(client) -> None:
    client.update_domain(DomainName=DOMAIN, RuleBasedMatching={"Enabled": False}, Matching={"Enabled": True})
    while not any(job["Status"] in ("COMPLETED", "FAILED") for job in
                  client.list_identity_resolution_jobs(DomainName=DOMAIN)["IdentityResolutionJobsList"]):
        time.sleep(0.2)


def _deletions(data_dir: Path, profiles: int) -> list[str]:
    with LocalServer(data_dir=data_dir) as server:
        client = profiles_client(server.port)
        client.update_domain(DomainName=DOMAIN, Matching={"Enabled": False})
        client.put_profile_object_type(
            DomainName=DOMAIN, ObjectTypeName="Note", Description="notes",
            Fields={"id": {"Source": "_source.id"}, "email": {"Source": "_source.email"}},
            Keys={"_noteId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
                  "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
        for index in range(10):
            client.put_profile_object(DomainName=DOMAIN, ObjectTypeName="Note",
                                      Object=f'{{"id": "n{index}", "email": "c{profiles - 1 - index}@example.com"}}')
        began = time.monotonic()
        client.delete_profile_object_type(DomainName=DOMAIN, ObjectTypeName="Note")
        small = time.monotonic() - began

        waits: list[float] = []
        stop = threading.Event()

        def other_writer() -> None:
            writer = profiles_client(server.port)
            index = 0
            while not stop.is_set():
                index += 1
                started = time.monotonic()
                writer.put_profile_object(DomainName=DOMAIN, ObjectTypeName="Other", Object=f'{{"id": "x{index}"}}')
                waits.append(time.monotonic() - started)

        client.put_profile_object_type(
            DomainName=DOMAIN, ObjectTypeName="Other", Description="another source",
            Fields={"id": {"Source": "_source.id"}},
            Keys={"_otherId": [{"StandardIdentifiers": ["UNIQUE", "PROFILE"], "FieldNames": ["id"]}]},
            AllowProfileCreation=True)
        thread = threading.Thread(target=other_writer)
        thread.start()
        time.sleep(3)
        before = sorted(waits)
        began = time.monotonic()
        client.delete_profile_object_type(DomainName=DOMAIN, ObjectTypeName="Order")
        call = time.monotonic() - began
        during_from = len(waits)
        while client.get_domain(DomainName=DOMAIN)["Stats"]["ObjectCount"] > len(waits):
            time.sleep(0.2)
        purge = time.monotonic() - began
        stop.set()
        thread.join()
        during = sorted(waits[during_from:])

    def spread(values: list[float]) -> str:
        return (f"p50 {values[len(values) // 2] * 1000:.0f} ms, p99 {values[int(len(values) * 0.99)] * 1000:.0f} ms, "
                f"longest {values[-1] * 1000:.0f} ms ({len(values)} puts)")

    return [f"- DeleteProfileObjectType of a ten-object type: {small * 1000:.0f} ms",
            f"- DeleteProfileObjectType of the type of all {profiles:,} objects: the call {call:.2f} s, its purge "
            f"done {purge:.1f} s after it began",
            f"- another client's PutProfileObject before: {spread(before)}",
            f"- the same while the purge ran: {spread(during)}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--groups", type=int, default=2_000, help="customers entered twice: rule-based groups")
    parser.add_argument("--customer-objects", type=int, default=20_000, help="orders of one more customer")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="profilestack-bench-scale-"))
    try:
        with LocalServer(data_dir=data_dir) as server:
            define_domain(server.port)
        rate = bulk_load(data_dir, 0, args.profiles)
        _twice_entered(data_dir, args.groups)
        bulk_load(data_dir, 0, args.customer_objects, _frequent_order)
        lines = [f"SQLite, one server process, {args.profiles:,} profiles (one object each, loaded at {rate:,.0f}/s), "
                 f"{args.groups:,} of them entered again, and one more customer with {args.customer_objects:,} "
                 "orders.",
                 "", "| large work | took | server memory before | server peak |", "|---|---:|---:|---:|",
                 _whole_domain_call(data_dir, "ListRuleBasedMatches (two rules)", _rule_based_matching),
                 _whole_domain_call(data_dir, "ListObjectTypeAttributeValues", _attribute_values),
                 _whole_domain_call(data_dir, "ListProfileObjects (one customer)", _one_customers_objects),
                 _whole_domain_call(data_dir, "identity resolution job", _identity_resolution), "",
                 *_deletions(data_dir, args.profiles)]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report = "\n".join(lines)
    print(report)
    (ROOT / "results-scale.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
