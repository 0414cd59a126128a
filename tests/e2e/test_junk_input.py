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
import copy
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.model import Shape

from tests.conftest import Server, server_on

SERVICES = ("customer-profiles", "iam", "sts", "cloudwatch", "cloudtrail", "cloudtrail-data", "connectcampaigns",
            "connectcampaignsv2")
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


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def real_resources(server: Server) -> dict[str, list[Any]]:
    """A domain with an object type and a profile, a campaign, a user, a Lake channel and a Contributor Insights
    rule: parameter name → values that name them; and policy documents IAM takes, so that its calls get past
    reading them."""
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
    server.client("iam").create_user(UserName="junk")
    trail = server.client("cloudtrail")
    store = trail.create_event_data_store(Name="junk", AdvancedEventSelectors=[{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}])["EventDataStoreArn"]
    channel = trail.create_channel(Name="junk", Source="Custom", Destinations=[
        {"Type": "EVENT_DATA_STORE", "Location": store}])["ChannelArn"]
    rule = json.dumps({"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["junk*"],
                       "LogFormat": "JSON", "Contribution": {"Keys": ["$.eventName"]}, "AggregateOn": "Count"})
    server.client("cloudwatch").put_insight_rule(RuleName="junk", RuleDefinition=rule)
    return {"RuleName": ["junk"], "RuleNames": [["junk"], ["junk", "none"]], "RuleDefinition": [rule],
            "UserName": ["junk"], "channelArn": [channel], "Channel": [channel], "DomainName": ["junk"],
            "ObjectTypeName": ["Order"], "ProfileId": [profile],
            "MainProfileId": [profile],
            "ProfileIds": [[profile, profile], [profile, "0" * 32]], "id": [campaign], "KeyName": ["_email", "orderId"],
            "Values": [["a@example.com"], [profile]],
            "Object": ['{"email": "b@example.com", "id": "1"}', '{"email": 5, "id": {"a": [1]}}', "[]",
                       '{"email": "c\\u0000@example.com", "id": "2"}'],
            "PolicyDocument": [POLICY], "PolicyInputList": [[POLICY]], "AssumeRolePolicyDocument": [TRUST]}


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


@pytest.mark.parametrize("service", ["customer-profiles", "connectcampaignsv2", "cloudwatch"])
def test_junk_about_real_resources_is_answered_too(own_server: Server, known: dict[str, list[Any]],
                                                   service: str) -> None:
    assert answer_junk(own_server, service, known) > 0  # some calls got through to their handlers and succeeded


def send(client: Any, operation: str, params: dict[str, Any], failures: list[str]) -> bool | None:
    """Whether the call succeeded; None when botocore did not send it. A 5xx other than NotImplemented, or an
    answer botocore cannot read, is added to ``failures``."""
    try:
        getattr(client, xform_name(operation))(**params)
        return True
    except NOT_SENT:
        return None
    except botocore.exceptions.ClientError as error:
        status, code = error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"].get("Code")
        if status >= 500 and code != "NotImplemented":
            failures.append(f"{operation}: {status} {code} for {params!r:.300}")
    except botocore.exceptions.BotoCoreError as error:  # an answer botocore could not read
        failures.append(f"{operation}: {type(error).__name__} {error!s:.200} for {params!r:.300}")
    return False


Inputs = Callable[[str, Shape | None], Iterable[Any]]  # an operation's name and input shape → what to send it


def through_every_operation(server: Server, service: str, inputs: Inputs) -> tuple[int, int]:
    """Sends every operation of ``service`` its inputs, deletions last (the real resources stay there for the other
    operations), and requires readable client errors, never a 5xx or a traceback; how many calls were answered and
    how many succeeded. An input that is not even a structure is sent as no parameters at all."""
    client = server.client(service, config=Config(parameter_validation=False, retries={"total_max_attempts": 1},
                                                  read_timeout=30))
    model = client.meta.service_model
    failures, answered, succeeded = [], 0, 0
    for operation in sorted(model.operation_names, key=lambda name: name.startswith("Delete")):
        for params in inputs(operation, model.operation_model(operation).input_shape):
            outcome = send(client, operation, params if isinstance(params, dict) else {}, failures)
            if outcome is not None:
                answered += 1
                succeeded += outcome
    assert answered >= len(model.operation_names)  # inputs reached the server, not only botocore's serializer
    assert failures == []
    assert "Traceback" not in server.logs()
    return answered, succeeded


def answer_junk(server: Server, service: str, known: dict[str, list[Any]]) -> int:
    """Sends the junk and requires readable client errors; how many calls succeeded."""
    def junk_for(operation: str, shape: Shape | None) -> Iterator[Any]:
        rng = random.Random(f"{service}.{operation}" + (".known" if known else ""))
        for _ in range(INPUTS_ABOUT_REAL_RESOURCES if known else INPUTS_PER_OPERATION):
            yield junk(shape, rng, known) if shape is not None else {}

    return through_every_operation(server, service, junk_for)[1]


_FILLERS = ("a", "1", "A")  # repeated to a string's length, the first its pattern takes


def filled(size: int, pattern: str | None) -> str | None:
    """A string of ``size`` characters that ``pattern`` takes, made of one filler repeated; None if none does."""
    for filler in _FILLERS:
        text = filler * size
        try:
            if pattern is None or re.fullmatch(pattern.strip("^$"), text):
                return text
        except re.error:  # a pattern in Java's syntax: the server does not enforce it either
            return text
    return None


@dataclass(frozen=True)
class Sizes:
    """Which valid values ``valid`` makes: the largest or the smallest a model allows, and how deep it goes."""

    largest: bool
    depth: int
    moment: timedelta  # a timestamp's distance from now


LONGEST = Sizes(largest=True, depth=4, moment=timedelta(hours=1))
SHORTEST = Sizes(largest=False, depth=5, moment=timedelta(minutes=-5))


def valid(shape: Shape, known: dict[str, list[Any]], sizes: Sizes, name: str = "", depth: int = 0) -> Any:
    """A valid value the model allows for ``shape``, with every member (a union's first that can be made), where
    one is easily made (None where not): strings at their maximum or minimum length, numbers at their maximum
    (unbounded ones at their wire type's) or minimum, one item per list and map."""
    if name in known:
        return known[name][0]
    kind, meta = shape.type_name, shape.metadata
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        return filled(min(meta.get("max", 64), 2048) if sizes.largest else max(meta.get("min", 1), 1),
                      meta.get("pattern"))
    if kind in ("integer", "long"):  # unbounded: the largest the wire type holds
        return meta.get("max", 2**31 - 1 if kind == "integer" else 2**63 - 1) if sizes.largest else meta.get("min", 1)
    if kind in ("double", "float"):
        return None if sizes.largest else meta.get("min", 1)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.now(UTC) + sizes.moment
    if depth > sizes.depth:
        return None
    if kind == "list":
        item = valid(shape.member, known, sizes, "", depth + 1)
        return None if item is None else [item]
    if kind == "map":
        key, value = valid(shape.key, known, sizes, "", depth + 1), valid(shape.value, known, sizes, "", depth + 1)
        return None if key is None or value is None else {key: value}
    if kind == "structure":
        members = {member_name: valid(member, known, sizes, member_name, depth + 1)
                   for member_name, member in shape.members.items()}
        if shape.is_tagged_union:  # exactly one member
            members = dict(list((k, v) for k, v in members.items() if v is not None)[:1])
        value = {key: item for key, item in members.items() if item is not None}
        return value if all(required in value for required in shape.required_members) else None
    return None


@pytest.mark.parametrize("service", ["customer-profiles", "iam", "connectcampaignsv2", "cloudwatch", "sts"])
def test_the_longest_valid_values_are_stored_or_refused_never_a_500(own_server: Server, service: str) -> None:
    """Every creating, changing or reading operation, given the longest values its model allows. Such values pass
    validation and reach storage, where a column narrower than the model's limit fails on PostgreSQL alone."""
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
        params = valid(shape, known, LONGEST) if shape is not None else {}
        if params is not None and send(client, operation, params, failures) is not None:
            sent += 1
    assert sent >= 3
    assert failures == []
    assert "Traceback" not in own_server.logs()


LEFT_OUT_PER_OPERATION = 10  # top-level members left out, each in turn
NESTED_LEFT_OUT_PER_OPERATION = 16  # deeper ones, the shallowest first


def optional_paths(shape: Shape, value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where ``value`` holds a member its structure does not require, outermost first."""
    if shape.type_name == "structure" and isinstance(value, dict) and not shape.is_tagged_union:
        for member in value:
            if member not in shape.required_members:
                yield (*path, member)
        for member, item in value.items():
            yield from optional_paths(shape.members[member], item, (*path, member))
    elif shape.type_name == "list" and isinstance(value, list) and value:
        yield from optional_paths(shape.member, value[0], (*path, 0))
    elif shape.type_name == "map" and isinstance(value, dict) and value:
        key = next(iter(value))
        yield from optional_paths(shape.value, value[key], (*path, key))


def left_out(value: Any, path: tuple[Any, ...]) -> Any:
    """A copy of ``value`` without what ``path`` leads to."""
    copied = copy.deepcopy(value)
    holder = copied
    for step in path[:-1]:
        holder = holder[step]
    del holder[path[-1]]
    return copied


def only_along(shape: Shape, whole: Any, path: tuple[Any, ...]) -> Any:
    """``whole`` pared down to its required members, but for those ``path`` runs through, and without the one
    it ends at: a member missing where nothing else stops the call first (a union's rule, a refused option)."""
    if not path:
        return None
    if shape.type_name == "structure":
        kept = {member: item for member, item in whole.items() if member in shape.required_members}
        step = path[0]
        if len(path) > 1:
            kept[step] = only_along(shape.members[step], whole[step], path[1:])
        else:
            kept.pop(step, None)
        return kept
    if shape.type_name == "list":
        return [only_along(shape.member, whole[0], path[1:])]
    key = path[0]
    return {key: only_along(shape.value, whole[key], path[1:])}


@pytest.mark.parametrize("service", SERVICES)
def test_each_optional_member_left_out_is_answered_never_a_500(own_server: Server, known: dict[str, list[Any]],
                                                                service: str) -> None:
    """Every operation with a complete valid input, then that input missing one optional member at a time, and for
    members deeper down, an input holding little but the way to the missing one (the first of each operation): a
    handler reading a member the model does not require as if it were always there fails here (a source segment
    without its name, a login profile without its password, a metric without its name each answered 500 once)."""
    def each_left_out(operation: str, shape: Shape | None) -> list[Any]:
        whole = valid(shape, known, SHORTEST) if shape is not None else {}
        if whole is None:
            return []
        paths = list(optional_paths(shape, whole)) if shape is not None else []
        top = [left_out(whole, path) for path in paths if len(path) == 1][:LEFT_OUT_PER_OPERATION]
        nested = sorted((path for path in paths if len(path) > 1), key=len)[:NESTED_LEFT_OUT_PER_OPERATION]
        return [whole, *top, *(only_along(shape, whole, path) for path in nested)]

    through_every_operation(own_server, service, each_left_out)


RANDOM_VALID_PER_OPERATION = 8


def random_valid(shape: Shape, rng: random.Random, known: dict[str, list[Any]], name: str = "",
                 depth: int = 0) -> Any:
    """A value the model allows, drawn at random: optional members in or out, lists and maps from as short as
    allowed (often empty: few of these models set a minimum) to three items, strings at either end of their length,
    any enum value; real resources' names where ``known`` has them. None where no value could be made."""
    if name in known and rng.random() < 0.8:
        return rng.choice(known[name])
    kind, meta = shape.type_name, shape.metadata
    if kind == "string":
        if shape.enum:
            return rng.choice(shape.enum)
        shortest, longest = max(meta.get("min", 0), 0), min(meta.get("max", 64), 300)
        return filled(rng.choice([shortest, max(shortest, 1), longest]), meta.get("pattern"))
    if kind in ("integer", "long", "double", "float"):
        return rng.choice([meta.get("min", 0), meta.get("max", 1000)])
    if kind in ("boolean", "timestamp", "blob"):
        return {"boolean": rng.random() < 0.5, "blob": b"x",
                "timestamp": datetime.now(UTC) + timedelta(hours=rng.choice([-48, 0, 48]))}[kind]
    if depth > 5:
        return None
    if kind in ("list", "map"):
        count = rng.choice([meta.get("min", 0), max(meta.get("min", 0), 1), min(meta.get("max", 3), 3)])
        if kind == "list":
            items = [random_valid(shape.member, rng, known, "", depth + 1) for _ in range(count)]
            return None if None in items else items
        pairs = [(random_valid(shape.key, rng, known, "", depth + 1), random_valid(shape.value, rng, known, "",
                                                                                  depth + 1)) for _ in range(count)]
        return None if any(None in pair for pair in pairs) else dict(pairs)
    if kind == "structure":
        names = [rng.choice(list(shape.members))] if shape.is_tagged_union else [
            member for member in shape.members if member in shape.required_members or rng.random() < 0.5]
        members = {member: random_valid(shape.members[member], rng, known, member, depth + 1) for member in names}
        value = {member: item for member, item in members.items() if item is not None}
        return value if all(required in value for required in shape.required_members) else None
    return None


@pytest.mark.parametrize("service", SERVICES)
def test_random_valid_inputs_are_answered_never_a_500(own_server: Server, known: dict[str, list[Any]],
                                                      service: str) -> None:
    """Inputs the model allows, drawn at random, mostly about real resources: handlers meet the empty lists and
    missing optional members that the model permits (a search for no values, a simulation context entry naming no
    key each answered 500 once)."""
    def drawn(operation: str, shape: Shape | None) -> Iterator[Any]:
        rng = random.Random(f"{service}.{operation}.valid")
        for _ in range(RANDOM_VALID_PER_OPERATION):
            params = random_valid(shape, rng, known) if shape is not None else {}
            if params is not None:  # None: no value the model allows could be made
                yield params

    through_every_operation(own_server, service, drawn)
