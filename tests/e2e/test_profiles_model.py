"""Random sequences of Customer Profiles writes checked against a small reference model after every step.

Creates, object puts (new and again), object and profile deletions, merges, updates (of the email too), added
keys and the object type's deletion (and definition again) run in an order drawn from a fixed seed; after each,
the domain's counts, every profile's objects, and searches by every email and order id must be what the model
says: an order's email key finds its profile; a profile is also found by its own email field, by keys added to
it, and by every email a profile merged into it had; an object for a known email goes to that customer; deleting
the object type takes its objects, the keys they gave and the emails they filled in.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import pytest

from tests.e2e.identities import unique

EMAILS = [f"c{index}@example.com" for index in range(10)]
ORDERS = 30
STEPS = 120


@dataclass
class ModelProfile:
    email: str | None  # its EmailAddress field
    email_from_order: bool = False  # filled in by an order (the object type's deletion takes it)
    order_keys: set[str] = field(default_factory=set)  # emails orders gave it as keys
    keys: set[str] = field(default_factory=set)  # emails added with AddProfileKey or from profiles merged into it
    orders: set[str] = field(default_factory=set)


class Model:
    def __init__(self) -> None:
        self.profiles: dict[str, ModelProfile] = {}  # in creation order: the seed's choices do not depend on ids
        self.order_profile: dict[str, str] = {}
        self.order_email: dict[str, str] = {}

    def holders(self, email: str) -> list[str]:
        return sorted(pid for pid, profile in self.profiles.items()
                      if email in (profile.email, *profile.keys, *profile.order_keys))


class Walk:
    def __init__(self, client, seed: str) -> None:
        self.client, self.rng, self.model = client, random.Random(seed), Model()
        self.domain = unique("model")
        client.create_domain(DomainName=self.domain, DefaultExpirationDays=30)
        self.define_orders()

    def define_orders(self) -> None:
        self.client.put_profile_object_type(
            DomainName=self.domain, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
            Fields={"id": {"Source": "_source.id"}, "total": {"Source": "_source.total"},
                    "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}},
            Keys={"orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
                  "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})

    def search(self, key: str, value: str) -> list[str]:
        return sorted(item["ProfileId"] for item in self.client.search_profiles(
            DomainName=self.domain, KeyName=key, Values=[value], MaxResults=100)["Items"])

    def objects_of(self, profile_id: str) -> dict[str, str]:
        """Order id → unique key of the profile's orders."""
        items = self.client.list_profile_objects(DomainName=self.domain, ObjectTypeName="Order",
                                                 ProfileId=profile_id, MaxResults=100)["Items"]
        return {json.loads(item["Object"])["id"]: item["ProfileObjectUniqueKey"] for item in items}

    def step(self) -> str:
        model, rng = self.model, self.rng
        ids = list(model.profiles)
        kind = rng.choice(["create", "put", "put", "put", "delete_profile", "delete_object", "merge", "update",
                           "add_key", "delete_type"])
        if (kind == "create" or (kind in ("delete_profile", "update", "add_key") and not ids)
                or (kind == "merge" and len(ids) < 2)):
            email = rng.choice(EMAILS)
            profile_id = self.client.create_profile(DomainName=self.domain, EmailAddress=email)["ProfileId"]
            model.profiles[profile_id] = ModelProfile(email)
            return f"create {email}"
        if kind == "put" or (kind == "delete_object" and not model.order_profile):
            return self.put(f"o{rng.randrange(ORDERS)}")
        if kind == "delete_type":
            self.client.delete_profile_object_type(DomainName=self.domain, ObjectTypeName="Order")
            self.define_orders()
            model.order_profile.clear()
            for profile in model.profiles.values():
                profile.orders.clear()
                profile.order_keys.clear()
                if profile.email_from_order:
                    profile.email, profile.email_from_order = None, False
            return "delete the object type, define it again"
        if kind == "delete_profile":
            profile_id = rng.choice(ids)
            self.client.delete_profile(DomainName=self.domain, ProfileId=profile_id)
            for order in model.profiles.pop(profile_id).orders:
                del model.order_profile[order]
            return f"delete profile {profile_id}"
        if kind == "delete_object":
            order = rng.choice(sorted(model.order_profile))
            profile_id = model.order_profile.pop(order)
            self.client.delete_profile_object(DomainName=self.domain, ProfileId=profile_id, ObjectTypeName="Order",
                                              ProfileObjectUniqueKey=self.objects_of(profile_id)[order])
            model.profiles[profile_id].orders.discard(order)  # the keys it gave stay
            return f"delete object {order}"
        if kind == "merge":
            main, duplicate = rng.sample(ids, 2)
            self.client.merge_profiles(DomainName=self.domain, MainProfileId=main, ProfileIdsToBeMerged=[duplicate])
            merged, kept = model.profiles.pop(duplicate), model.profiles[main]
            kept.keys |= merged.keys | ({merged.email} if merged.email else set())  # every key moves
            kept.order_keys |= merged.order_keys
            kept.orders |= merged.orders
            if kept.email is None and merged.email:  # fields are united; where both have one, main's stays
                kept.email, kept.email_from_order = merged.email, merged.email_from_order
            for order in merged.orders:
                model.order_profile[order] = main
            return f"merge {duplicate} into {main}"
        profile_id, email = rng.choice(ids), rng.choice(EMAILS)
        if kind == "add_key":
            self.client.add_profile_key(DomainName=self.domain, ProfileId=profile_id, KeyName="_email", Values=[email])
            model.profiles[profile_id].keys.add(email)
            return f"add key {email} to {profile_id}"
        if rng.random() < 0.5:  # its email changes: the old one's key goes, unless something else gives it
            self.client.update_profile(DomainName=self.domain, ProfileId=profile_id, EmailAddress=email)
            model.profiles[profile_id].email, model.profiles[profile_id].email_from_order = email, False
            return f"update {profile_id}: {email}"
        self.client.update_profile(DomainName=self.domain, ProfileId=profile_id, FirstName=rng.choice(["Ada", ""]))
        return f"update {profile_id}"

    def put(self, order: str) -> str:
        model = self.model
        email = model.order_email.setdefault(order, self.rng.choice(EMAILS))
        holders = model.holders(email)
        if order not in model.order_profile and len(holders) > 1:  # the model cannot pick either: nor can the service
            assert self.refused_put(order, email) == "BadRequestException"
            return f"put {order} ({email}) refused: {len(holders)} profiles"
        self.client.put_profile_object(DomainName=self.domain, ObjectTypeName="Order",
                                       Object=json.dumps({"id": order, "email": email, "total": 1}))
        profile_id = model.order_profile.get(order) or (holders[0] if holders else None)
        if profile_id is None:
            (profile_id,) = self.search("orderId", order)
            assert profile_id not in model.profiles, f"{order} for {email} went to an existing profile"
            model.profiles[profile_id] = ModelProfile(email)
        profile = model.profiles[profile_id]
        profile.email, profile.email_from_order = email, True  # its mapping fills the profile's email
        profile.order_keys.add(email)
        profile.orders.add(order)
        model.order_profile[order] = profile_id
        return f"put {order} ({email}) on {profile_id}"

    def refused_put(self, order: str, email: str) -> str:
        try:
            self.client.put_profile_object(DomainName=self.domain, ObjectTypeName="Order",
                                           Object=json.dumps({"id": order, "email": email, "total": 1}))
        except self.client.exceptions.BadRequestException as error:
            return error.response["Error"]["Code"]
        return "accepted"

    def check(self, history: list[str]) -> None:
        model, recent = self.model, "\n".join(history[-10:])
        stats = self.client.get_domain(DomainName=self.domain)["Stats"]
        assert (stats["ProfileCount"], stats["ObjectCount"]) == (len(model.profiles), len(model.order_profile)), recent
        for profile_id, profile in model.profiles.items():
            assert set(self.objects_of(profile_id)) == profile.orders, recent
        for email in EMAILS:
            assert self.search("_email", email) == model.holders(email), f"{email}\n{recent}"
        for order, profile_id in model.order_profile.items():
            assert self.search("orderId", order) == [profile_id], f"{order}\n{recent}"


@pytest.mark.parametrize("seed", ["merges-and-moves"])
def test_random_writes_agree_with_the_model_at_every_step(server, seed: str) -> None:
    walk = Walk(server.client("customer-profiles"), seed)
    history: list[str] = []
    for _ in range(STEPS):
        history.append(walk.step())
        walk.check(history)
    for kind in ("merge", "delete the object type", "add key", "put"):  # the walk went everywhere
        assert any(entry.startswith(kind) for entry in history), kind
