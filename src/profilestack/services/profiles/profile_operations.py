"""Customer profiles: create, update, delete, search, batch get, keys, merge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from profilestack.gateway.context import CallContext
from profilestack.gateway.encoded import EncodedJson
from profilestack.services.next_token import itself, page_result
from profilestack.services.profiles import merging, profile_search
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.domains import require_domain_for_data, require_domain_id
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.history import (
    ADDED_PROFILE_KEY,
    CREATED,
    DELETED_BY_CUSTOMER,
    DELETED_PROFILE_KEY,
    UPDATED,
    History,
)
from profilestack.services.profiles.service import profiles

_NOT_FIELDS = {"DomainName", "ProfileId"}


def _fields(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if name not in _NOT_FIELDS}


def require_profile(ctx: CallContext, domain: Row[Any], profile_id: str) -> Row[Any]:
    found = store.load_profiles(ctx.db, domain.id, [profile_id]).get(profile_id)
    if found is None:
        raise not_found(f"Profile {profile_id} does not exist in domain {domain.name}.")
    return found


def profile_by_search_key(ctx: CallContext, domain: Row[Any], key_name: str, key_values: list[str]) -> str:
    """The id of the one profile a search key finds (the key's values, a customer's details, are not repeated in
    the refusals): SearchRecommendations' and BatchGetIntentForProfile's way of naming a customer."""
    found = store.find_by_key(ctx.db, domain.id, key_name, key_values)
    if not found:
        raise not_found(f"No profile of domain {domain.name} has those {key_name} values.")
    if len(found) > 1:
        raise bad_request(f"{len(found)} profiles have those {key_name} values: the search key must find one. "
                          "SearchProfiles shows them.")
    return next(iter(found))


@profiles.operation("CreateProfile")
def create_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_for_data(ctx, params["DomainName"])
    fields = _fields(params)
    profile_id = store.create_profile(ctx.db, domain.id, ctx.app.ids.hex32(), fields, ctx.now())
    History.of(ctx, domain).profile(CREATED, profile_id, fields)
    return {"ProfileId": profile_id}


@profiles.operation("UpdateProfile")
def update_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_for_data(ctx, params["DomainName"], params["ProfileId"])
    profile = require_profile(ctx, domain, params["ProfileId"])
    changes = _fields(params)
    sources = {name: source for name, source in profile.field_sources.items() if name not in changes}
    fields = store.merge_fields(profile.fields, changes)
    store.save_fields(ctx.db, domain.id, profile, fields, ctx.now(),
                      field_sources=sources)  # fields set by hand no longer belong to an object type
    History.of(ctx, domain).profile(UPDATED, profile.id, fields)
    return {"ProfileId": profile.id}


@profiles.operation("DeleteProfile")
def delete_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_for_data(ctx, params["DomainName"], params["ProfileId"])
    profile = require_profile(ctx, domain, params["ProfileId"])
    store.delete_profile(ctx.db, domain.id, profile.id)
    History.of(ctx, domain).profile(DELETED_BY_CUSTOMER, profile.id, profile.fields)
    return {"Message": f"Profile {profile.id} was deleted."}


@profiles.operation("SearchProfiles", snapshot=False)
def search_profiles(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_id(ctx, params["DomainName"])
    searches = [(params["KeyName"], params["Values"])]
    searches += [(item["KeyName"], item["Values"]) for item in params.get("AdditionalSearchKeys") or []]
    found = profile_search.search(ctx.db, domain.id, searches)
    id_sets = [set(matches) for matches in found.matches]
    ids = set.intersection(*id_sets) if params.get("LogicalOperator") == "AND" else set.union(*id_sets)

    names = [name for name, _ in searches]

    def items(chunk: list[str]) -> list[EncodedJson]:
        # a profile deleted since its key was read (a statement apart, on PostgreSQL with no snapshot) is left out
        rows = found.rows if found.rows is not None else store.load_profiles(ctx.db, domain.id, chunk, encoded=True)
        return [store.profile_json(rows[profile_id], [{"KeyName": name, "Values": matches[profile_id]}
                                                      for name, matches in zip(names, found.matches, strict=True)
                                                      if profile_id in matches])
                for profile_id in chunk if profile_id in rows]

    # by position, the last profile id a page answered: a profile made or deleted between pages shifts no other
    return page_result(list(ids), params, items, default_size=20, place=itself)


@profiles.operation("BatchGetProfile", snapshot=False)
def batch_get_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_id(ctx, params["DomainName"])
    ids = params["ProfileIds"]
    rows = store.load_profiles(ctx.db, domain.id, ids, encoded=True)
    return {
        "Profiles": [store.profile_json(rows[profile_id]) for profile_id in dict.fromkeys(ids) if profile_id in rows],
        "Errors": [{"Code": "ResourceNotFoundException", "ProfileId": profile_id,
                    "Message": f"Profile {profile_id} does not exist in domain {domain.name}."}
                   for profile_id in dict.fromkeys(ids) if profile_id not in rows],
    }


@profiles.operation("AddProfileKey")
def add_profile_key(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_for_data(ctx, params["DomainName"], params["ProfileId"])
    profile = require_profile(ctx, domain, params["ProfileId"])
    store.add_keys(ctx.db, domain.id, profile.id, store.key_pairs(params["KeyName"], params["Values"]), "key")
    History.of(ctx, domain).keys(ADDED_PROFILE_KEY, profile.id, params["KeyName"], params["Values"])
    return {"KeyName": params["KeyName"], "Values": params["Values"]}


@profiles.operation("DeleteProfileKey")
def delete_profile_key(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_for_data(ctx, params["DomainName"], params["ProfileId"])
    profile = require_profile(ctx, domain, params["ProfileId"])
    store.remove_keys(ctx.db, profile.id, pairs=store.key_pairs(params["KeyName"], params["Values"]))
    History.of(ctx, domain).keys(DELETED_PROFILE_KEY, profile.id, params["KeyName"], params["Values"])
    return {"Message": f"Key {params['KeyName']} was removed from profile {profile.id}."}


@profiles.operation("MergeProfiles")
def merge_profiles(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_for_data(ctx, params["DomainName"], params["MainProfileId"],
                                     *params["ProfileIdsToBeMerged"])
    main = require_profile(ctx, domain, params["MainProfileId"])
    others = [require_profile(ctx, domain, profile_id) for profile_id in dict.fromkeys(params["ProfileIdsToBeMerged"])
              if profile_id != main.id]
    by_id = {row.id: row for row in [main, *others]}

    def profile(profile_id: str) -> Row[Any]:
        return by_id.get(profile_id) or by_id.setdefault(profile_id, require_profile(ctx, domain, profile_id))

    sources = merging.united_sources(main, others, params.get("FieldSourceProfileIds") or {})
    fields, field_sources = merging.chosen_fields(main, sources, profile)
    merging.merge(History.of(ctx, domain), main, others, fields, field_sources)
    return {"Message": f"{len(others)} profiles were merged into profile {main.id}."}
