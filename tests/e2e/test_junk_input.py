"""Junk through every operation: whatever a client sends, the answer is an error it can read, never a 500.

Each operation of every served model gets inputs made from its own input shape with the wrong kinds of values
(empty, overlong, control characters, path tricks, huge numbers, wrong types, long lists), sent by boto3 with
its own parameter validation off. The inputs are drawn from a fixed seed per operation, so a failure repeats.
A second pass names real resources (a domain with an object type and a profile, a campaign) most of the time,
so that junk reaches the handlers behind the not-found answers. A server of the module's own takes them: junk
may change account-wide settings other tests rely on.
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.model import Shape

from tests.conftest import Server, server_on

SERVICES = ("customer-profiles", "iam", "sts", "cloudwatch", "cloudtrail", "connectcampaigns", "connectcampaignsv2")
INPUTS_PER_OPERATION = 2
INPUTS_ABOUT_REAL_RESOURCES = 4  # per operation of the second pass
STRINGS = ("", "a", "x" * 300, "x" * 70_000, "é☃\x00\x01\x1f", "../../etc/passwd", "%2F%00", " ", "*", "\\",
           "{}", "[" * 3000, '{"id": "\\u0000", "e": "\\ud800"}', "<a>&", "_phone", "2026-13-45", "-1", "1e309", "null",
           "arn:aws:iam::000000000000:role/x")
# Raised by botocore while building the request from values of the wrong kind: nothing was sent.
NOT_SENT = (botocore.exceptions.ParamValidationError, TypeError, ValueError, AttributeError, KeyError,
            OverflowError, RuntimeError)


def junk(shape: Shape, rng: random.Random, known: dict[str, list[Any]], depth: int = 0) -> Any:
    """A value for ``shape``; members named in ``known`` mostly take one of its values."""
    if rng.random() < 0.08:
        return rng.choice([None, 1, "s", [], {}, True, -5, 1.5e300])
    kind = shape.type_name
    if kind == "string":
        return rng.choice(shape.enum) if shape.enum and rng.random() < 0.5 else rng.choice(STRINGS)
    if kind in ("integer", "long"):
        return rng.choice([0, -1, 2**31, 2**63, 5, 10**20])
    if kind in ("double", "float"):
        return rng.choice([0.0, -1.5, 1e308, float("nan"), float("inf")])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return rng.choice([0, 2**40, "2026-01-01T00:00:00Z", -5])
    if kind == "blob":
        return rng.choice([b"", b"\x00\xff", "text"])
    if depth > 3:
        return [] if kind == "list" else {}
    if kind == "list":
        return [junk(shape.member, rng, known, depth + 1) for _ in range(rng.choice([0, 1, 2, 30]))]
    if kind == "map":
        return {rng.choice(STRINGS[:8]): junk(shape.value, rng, known, depth + 1) for _ in range(rng.choice([0, 1, 3]))}
    if kind == "structure":
        return {name: rng.choice(known[name]) if name in known and rng.random() < 0.85
                else junk(member, rng, known, depth + 1)
                for name, member in shape.members.items() if name in shape.required_members or rng.random() < 0.4}
    return None


def real_resources(server: Server) -> dict[str, list[Any]]:
    """A domain with an object type and a profile, and a campaign: parameter name → values that name them."""
    profiles = server.client("customer-profiles")
    profiles.create_domain(DomainName="junk", DefaultExpirationDays=5)
    profiles.put_profile_object_type(
        DomainName="junk", ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
        Fields={"email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
                "id": {"Source": "_source.id"}},
        Keys={"email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
              "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    profile = profiles.create_profile(DomainName="junk", EmailAddress="a@example.com")["ProfileId"]
    campaign = server.client("connectcampaignsv2").create_campaign(name="junk", connectInstanceId="i-1")["id"]
    return {"DomainName": ["junk"], "ObjectTypeName": ["Order"], "ProfileId": [profile], "MainProfileId": [profile],
            "ProfileIds": [[profile, profile], [profile, "0" * 32]], "id": [campaign], "KeyName": ["_email", "orderId"],
            "Values": [["a@example.com"], [profile]],
            "Object": ['{"email": "b@example.com", "id": "1"}', '{"email": 5, "id": {"a": [1]}}', "[]",
                       '{"email": "c\\u0000@example.com", "id": "2"}']}


@pytest.fixture(scope="module")
def own_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with server_on(backend, tmp_path_factory.mktemp(f"junk-{backend}")) as instance:
        yield instance


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_answers_junk_with_a_readable_client_error(own_server: Server, service: str) -> None:
    answer_junk(own_server, service, {})


@pytest.fixture(scope="module")
def known(own_server: Server) -> dict[str, list[Any]]:
    return real_resources(own_server)


@pytest.mark.parametrize("service", ["customer-profiles", "connectcampaignsv2"])
def test_junk_about_real_resources_is_answered_too(own_server: Server, known: dict[str, list[Any]],
                                                   service: str) -> None:
    assert answer_junk(own_server, service, known) > 0  # some calls got through to their handlers and succeeded


def answer_junk(server: Server, service: str, known: dict[str, list[Any]]) -> int:
    """Sends the junk and requires readable client errors; how many calls succeeded."""
    client = server.client(service, config=Config(parameter_validation=False, retries={"total_max_attempts": 1},
                                                  read_timeout=30))
    model = client.meta.service_model
    failures, answered, succeeded = [], 0, 0
    # deletions last: the real resources stay there for the other operations' junk
    for operation in sorted(model.operation_names, key=lambda name: name.startswith("Delete")):
        shape = model.operation_model(operation).input_shape
        rng = random.Random(f"{service}.{operation}" + (".known" if known else ""))
        for _ in range(INPUTS_ABOUT_REAL_RESOURCES if known else INPUTS_PER_OPERATION):
            params = junk(shape, rng, known) if shape is not None else {}
            try:
                getattr(client, xform_name(operation))(**(params if isinstance(params, dict) else {}))
                succeeded += 1
            except NOT_SENT:
                continue
            except botocore.exceptions.ClientError as error:
                status = error.response["ResponseMetadata"]["HTTPStatusCode"]
                code = error.response["Error"].get("Code")
                if status >= 500 and code != "NotImplemented":
                    failures.append(f"{operation}: {status} {code} for {params!r:.300}")
            except botocore.exceptions.BotoCoreError as error:  # an answer botocore could not read
                failures.append(f"{operation}: {type(error).__name__} {error!s:.200} for {params!r:.300}")
            answered += 1
    assert answered >= len(model.operation_names)  # junk reached the server, not only botocore's serializer
    assert failures == []
    assert "Traceback" not in server.logs()
    return succeeded


_FILLERS = ("a", "1", "A")  # repeated to a string's maximum length, the first its pattern takes


def longest(shape: Shape, known: dict[str, list[Any]], name: str = "", depth: int = 0) -> Any:
    """The largest valid value the model allows for ``shape`` where one is easily made (None where not): strings
    at their maximum length, numbers at their maximum (unbounded ones at their wire type's), one item per list and
    map. Such values pass validation and reach storage, where a column narrower than the model's limit fails on
    PostgreSQL alone."""
    if name in known:
        return known[name][0]
    kind, meta = shape.type_name, shape.metadata
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        size = min(meta.get("max", 64), 2048)
        pattern = meta.get("pattern")
        for filler in _FILLERS:
            text = filler * size
            try:
                if pattern is None or re.fullmatch(pattern.strip("^$"), text):
                    return text
            except re.error:  # a pattern in Java's syntax: the server does not enforce it either
                return text
        return None
    if kind in ("integer", "long"):  # unbounded: the largest the wire type holds
        return meta.get("max", 2**31 - 1 if kind == "integer" else 2**63 - 1)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.now(UTC) + timedelta(hours=1)
    if depth > 4:
        return None
    if kind == "list":
        item = longest(shape.member, known, "", depth + 1)
        return None if item is None else [item]
    if kind == "map":
        key, value = longest(shape.key, known, "", depth + 1), longest(shape.value, known, "", depth + 1)
        return None if key is None or value is None else {key: value}
    if kind == "structure":
        members = {member_name: longest(member, known, member_name, depth + 1)
                   for member_name, member in shape.members.items()}
        if shape.is_tagged_union:  # exactly one member
            members = dict(list((k, v) for k, v in members.items() if v is not None)[:1])
        value = {key: item for key, item in members.items() if item is not None}
        return value if all(required in value for required in shape.required_members) else None
    return None


@pytest.mark.parametrize("service", ["customer-profiles", "iam", "connectcampaignsv2", "cloudwatch", "sts"])
def test_the_longest_valid_values_are_stored_or_refused_never_a_500(own_server: Server, service: str) -> None:
    """Every creating, changing or reading operation, given the longest values its model allows."""
    client = own_server.client(service, config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    model = client.meta.service_model
    known = {"DomainName": ["longest"], "AWSServiceName": ["ec2.amazonaws.com"]}
    if service == "customer-profiles":
        with contextlib.suppress(botocore.exceptions.ClientError):
            client.create_domain(DomainName="longest", DefaultExpirationDays=5)
    failures, sent = [], 0
    for operation in model.operation_names:
        if not operation.startswith(("Create", "Put", "Update", "Tag", "Add", "Attach", "Set", "Start", "Batch",
                                     "Assume", "Get")):
            continue
        shape = model.operation_model(operation).input_shape
        params = longest(shape, known) if shape is not None else {}
        if params is None:
            continue
        try:
            getattr(client, xform_name(operation))(**params)
        except NOT_SENT:
            continue
        except botocore.exceptions.ClientError as error:
            status, code = error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"].get("Code")
            if status >= 500 and code != "NotImplemented":
                failures.append(f"{operation}: {status} {code}")
        sent += 1
    assert sent >= 3
    assert failures == []
    assert "Traceback" not in own_server.logs()
