"""ListRuleBasedMatches and GetSimilarProfiles: the domain's rule-based match groups, worked out from its profiles
at each listing's first page (rule_matching.py) and kept for its later pages (listing_snapshots.py);
GetSimilarProfiles also reads the machine-learning kind, the latest identity resolution job's groups
(identity_resolution.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from profilestack.gateway.context import CallContext
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.identity_resolution import latest_match, require_matching
from profilestack.services.profiles.rule_matching import match_groups
from profilestack.services.profiles.service import profiles

Group = tuple[str, list[str], dict[str, Any]]  # match id, profile ids, the rule level or confidence


def _groups(ctx: CallContext, domain: Row[Any]) -> list[tuple[str, int, list[str]]]:
    matching = domain.rule_based_matching or {}
    if not matching.get("Enabled"):
        raise bad_request(f"Rule-based matching is not enabled for domain {domain.name}: enable it with "
                          "UpdateDomain's RuleBasedMatching.")
    return match_groups(lambda: store.every_profile(ctx.db, domain.id), matching)


@profiles.operation("ListRuleBasedMatches")
def list_rule_based_matches(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])

    def work_out() -> tuple[None, list[str]]:
        return None, [match_id for match_id, _, _ in _groups(ctx, domain)]

    _, match_ids, token = ctx.app.listings.page(("ListRuleBasedMatches", domain.id), params, work_out)
    return {"MatchIds": match_ids, "NextToken": token}


def _rule_based_group(ctx: CallContext, domain: Row[Any], key: str, value: str) -> Group | None:
    """The group a match id names, or the group of the first profile the search key finds, among every group the
    domain's profiles form now."""
    groups = [(match_id, ids, {"RuleLevel": level}) for match_id, level, ids in _groups(ctx, domain)]
    if key.lower() == "matchid":
        return next((group for group in groups if group[0] == value), None)
    found = store.find_by_key(ctx.db, domain.id, key, [value])
    return next((group for group in groups if found.keys() & set(group[1])), None)


def _machine_learning_group(ctx: CallContext, domain: Row[Any], key: str, value: str) -> Group | None:
    """The same among the latest identity resolution job's groups, read from the database."""
    require_matching(ctx, domain.name)
    if key.lower() == "matchid":
        row = latest_match(ctx.db, domain.id, match_id=value)
    else:
        row = latest_match(ctx.db, domain.id, profile_ids=store.find_by_key(ctx.db, domain.id, key, [value]))
    return None if row is None else (row.match_id, row.profile_ids, {"ConfidenceScore": row.confidence})


@profiles.operation("GetSimilarProfiles")
def get_similar_profiles(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Rule-based groups as they are now, or the machine-learning kind: the latest identity resolution job's."""
    domain = require_domain(ctx, params["DomainName"])
    key, value = params["SearchKey"], params["SearchValue"]

    def work_out() -> tuple[Group, list[str]]:
        find = _machine_learning_group if params["MatchType"] == "ML_BASED_MATCHING" else _rule_based_group
        group = find(ctx, domain, key, value)
        if group is None:
            raise not_found(f"No match group holds a profile found by {key} {value} in domain {domain.name}.")
        return group, group[1]

    scope = ("GetSimilarProfiles", domain.id, params["MatchType"], key, value)
    (match_id, _, about), profile_ids, token = ctx.app.listings.page(scope, params, work_out)
    return {"ProfileIds": profile_ids, "MatchId": match_id, "MatchType": params["MatchType"], **about,
            "NextToken": token}
