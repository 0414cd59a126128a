"""A batch of objects (the bulk loader, upload jobs) reads what its objects look up all at once, before the first,
and keeps those answers up to date as it writes. Whatever the objects, it must end where the same objects ingested
one at a time end: random customers (fixed seeds), who share phones, change emails, repeat visits within a batch and
across batches, and whose objects are sometimes refused."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Row, select

from profilestack.gateway.errors import AwsError
from profilestack.runtime import FixedClock, Ids
from profilestack.services.profiles.objects import ingest, ingest_batch
from profilestack.services.profiles.tables import profile_keys, profile_objects, profiles_table
from profilestack.store.database import Database
from tests.unit.domains import insert_domain

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TYPE = "Visit"
PLAIN = {
    "AllowProfileCreation": True,
    "Fields": {"visit": {"Source": "_source.visit"},
               "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
               "phone": {"Source": "_source.phone", "Target": "_profile.PhoneNumber", "ContentType": "PHONE_NUMBER"},
               "loyalty": {"Source": "_source.loyalty"},
               "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
               # a predefined key alone (_email), no key of the type: the profile's fields give it and take it back
               "work": {"Source": "_source.work", "Target": "_profile.BusinessEmailAddress"}},
    "Keys": {"_visit": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["visit"]}],
             "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
             "_phone": [{"StandardIdentifiers": ["SECONDARY"], "FieldNames": ["phone"]}],
             "loyalty": [{"StandardIdentifiers": ["NEW_ONLY"], "FieldNames": ["loyalty"]}]},
}
# the same, its visits also filling orders (standard records, whose keys move between profiles) and found by them:
# through the record (ORDER) or through the record's own key, which only the record gives (LOOKUP_ONLY is not kept)
WITH_ORDERS = {
    **PLAIN,
    "Fields": {**PLAIN["Fields"], "order": {"Source": "_source.order", "Target": "_order.OrderId"},
               "status": {"Source": "_source.status", "Target": "_order.Status"},
               "seen": {"Source": "_source.seen"}},
    "Keys": {**PLAIN["Keys"], "orderRef": [{"StandardIdentifiers": ["ORDER"], "FieldNames": ["order"]}],
             "_orderId": [{"StandardIdentifiers": ["LOOKUP_ONLY"], "FieldNames": ["seen"]}]},
}


def _objects(seed: int, count: int, orders: bool) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        customer = rng.randrange(10)
        item: dict[str, Any] = {"visit": f"v{rng.randrange(count // 2)}"}
        if rng.random() < 0.8:
            item["email"] = f"c{customer}@example.com" if rng.random() < 0.85 else f"c{customer}-new@example.com"
        if rng.random() < 0.6:  # in either of two forms; now and then a neighbour's (a household's) phone
            number = customer if rng.random() < 0.85 else (customer + 1) % 10
            item["phone"] = rng.choice([f"+1555010{number:02d}", f"(555) 010-{number:04d}"])
        if rng.random() < 0.3:
            item["loyalty"] = f"L{customer}"
        if rng.random() < 0.5:
            item["first"] = rng.choice(["Ada", "Grace", "Alan"])
        if rng.random() < 0.4:
            item["work"] = f"c{rng.randrange(10)}@example.com"  # another customer's address, now and then
        if orders and rng.random() < 0.5:
            item["order"] = f"o{rng.randrange(8)}"
            item["status"] = rng.choice(["open", "shipped"])
        if orders and rng.random() < 0.3:
            item["seen"] = f"o{rng.randrange(8)}"
        texts.append("not json" if rng.random() < 0.03 else json.dumps(item))
    return texts


def _state(db: Connection, domain: Row[Any]) -> dict[str, Any]:
    """What the domain holds, each profile named by the objects on it (ids differ between the two runs)."""
    objects = db.execute(select(profile_objects).where(profile_objects.c.domain_id == domain.id)).all()
    names: dict[str, list[str]] = {}
    for row in objects:
        if row.profile_id is not None:
            names.setdefault(row.profile_id, []).append(f"{row.object_type}:{row.unique_key}")
    name = {profile_id: ",".join(sorted(held)) for profile_id, held in names.items()}
    profiles = db.execute(select(profiles_table).where(profiles_table.c.domain_id == domain.id)).all()
    keys = db.execute(select(profile_keys).where(profile_keys.c.domain_id == domain.id)).all()
    return {
        "profiles": sorted((name.get(row.id, ""), json.dumps(row.fields, sort_keys=True),
                            json.dumps(row.field_sources, sort_keys=True)) for row in profiles),
        "keys": sorted((name.get(row.profile_id, ""), row.key_name, row.key_value, row.origin) for row in keys),
        "objects": sorted((row.object_type, row.unique_key, name.get(row.profile_id or "") or "", row.body)
                          for row in objects),
    }


def _outcome(result: object) -> str:
    return result.code if isinstance(result, AwsError) else "ingested"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("definition", [PLAIN, WITH_ORDERS], ids=["plain", "with-orders"])
def test_a_batch_ends_where_its_objects_one_at_a_time_end(database: Database, seed: int,
                                                          definition: dict[str, Any]) -> None:
    texts = _objects(seed, 200, orders=definition is WITH_ORDERS)
    with database.transaction() as db:
        one_by_one, batched = insert_domain(db, "one-by-one"), insert_domain(db, "batched")
    alone = []
    for text in texts:
        try:
            with database.transaction() as db:
                alone.append(_outcome(ingest(db, Ids(), one_by_one, TYPE, definition, text, NOW)))
        except AwsError as error:
            alone.append(error.code)
    together = []
    for start in range(0, len(texts), 20):  # batches that split a customer's objects between them
        with database.transaction() as db:
            together += [_outcome(outcome) for outcome in ingest_batch(
                db, Ids(), FixedClock(NOW), batched, TYPE, definition, texts[start:start + 20])]
    assert together == alone
    assert alone.count("ingested") > 100 and "BadRequestException" in alone  # refusals among them, not mostly
    with database.transaction(write=False) as db:
        expected, found = _state(db, one_by_one), _state(db, batched)
    assert len({profile for profile, *_ in expected["profiles"]}) > 5  # many customers, not one
    assert found == expected


def test_two_loaders_at_once_make_one_profile_for_each_customer(database: Database) -> None:
    """Batches of the same new customers ingested at once by two connections (PostgreSQL; SQLite takes them one
    after the other): each reads what its objects look up once it holds their locks, so neither makes a second
    profile for a customer the other has just made."""
    definition = {"AllowProfileCreation": True,
                  "Fields": {"visit": {"Source": "_source.visit"},
                             "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}},
                  "Keys": {"_visit": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["visit"]}],
                           "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]}}
    with database.transaction() as db:
        domain = insert_domain(db, "loading")
    failures: list[BaseException] = []

    def loader(name: str) -> None:
        try:
            for batch in range(8):
                texts = [json.dumps({"visit": f"{name}-{batch}-{customer}", "email": f"c{customer}@example.com"})
                         for customer in range(25)]

                def write(texts: list[str] = texts) -> list[object]:
                    with database.transaction() as db:
                        return ingest_batch(db, Ids(), FixedClock(NOW), domain, TYPE, definition, texts)

                assert all(not isinstance(outcome, AwsError) for outcome in database.again_if_lost_race(write))
        except BaseException as error:
            failures.append(error)

    loaders = [threading.Thread(target=loader, args=(name,)) for name in ("a", "b")]
    for thread in loaders:
        thread.start()
    for thread in loaders:
        thread.join(timeout=120)
    assert failures == []
    with database.transaction(write=False) as db:
        profiles = db.execute(select(profiles_table.c.id).where(profiles_table.c.domain_id == domain.id)).all()
        objects = db.execute(select(profile_objects.c.profile_id).where(
            profile_objects.c.domain_id == domain.id)).all()
    assert len(profiles) == 25
    assert len(objects) == 400 and {row.profile_id for row in objects} == {row.id for row in profiles}
