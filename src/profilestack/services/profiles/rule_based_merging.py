"""Rule-based merging: the profiles a domain's matching rules group at a level up to its
``MaxAllowedRuleLevelForMerging`` are merged into one, on their own, as the domain's service-linked role.

Every few seconds, each domain that merges and whose profiles changed since the last look (its history has new
records, or its rules are new) has its match groups worked out again (rule_matching.py, as ListRuleBasedMatches
does) and the groups at a merging level merged, fifty to a transaction. A look reads every profile of the domain:
a domain whose looks take long (hundreds of thousands of profiles) is looked at less often, so that looking takes
a tenth of the process's time at most. A group is checked again inside its transaction: profiles changed or
deleted since it was worked out are left to the next look. The profile created first stays; each field comes from
the profile the ``ConflictResolution`` prefers (docs/decisions.md).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from profilestack.services.profiles import merging, service_role
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.domains import hold_domain_data, profile_locks
from profilestack.services.profiles.history import History
from profilestack.services.profiles.rule_matching import match_groups
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.service_role import Gone
from profilestack.services.profiles.tables import profile_domains, profile_history_records

if TYPE_CHECKING:
    from profilestack.app import App

MERGE_TASK = "profile.rule_based_merging"
_GROUPS_PER_TRANSACTION = 50
# History records younger than this may still have older ones committing around them (PostgreSQL numbers rows
# before it commits them): the look after next looks again.
_SETTLING = timedelta(seconds=10)
_LOOK_SHARE_INVERSE = 10
_resting_until: dict[int, float] = {}  # domain id → the monotonic time its next look may start (in this process)
_domains = profile_domains.c
_history = profile_history_records.c
log = logging.getLogger(__name__)


def merging_level(matching: dict[str, Any] | None) -> int:
    """The highest rule level whose groups are merged; 0 when the domain does not merge."""
    if not matching or not matching.get("Enabled"):
        return 0
    return matching.get("MaxAllowedRuleLevelForMerging") or 0


@profiles.task(MERGE_TASK, every=5.0)
def merge_matched_profiles(app: App, payload: dict[str, Any]) -> None:
    with app.database.transaction(write=False) as db:
        domains = db.execute(select(_domains.id, _domains.rule_based_matching)
                             .where(_domains.rule_based_matching.is_not(None))).all()
    for domain in domains:
        if not merging_level(domain.rule_based_matching) or time.monotonic() < _resting_until.get(domain.id, 0.0):
            continue
        started = time.monotonic()
        try:
            _look_at(app, domain.id)
        except Gone:
            continue
        except Exception as error:  # no role to act through (AwsError), or another failure: the other domains go on
            log.warning("rule-based merging of domain %s failed; it is tried again at the next look: %r",
                        domain.id, error)
        finally:
            # a look reads every profile of the domain: a big domain's looks are spaced out so that they take a
            # tenth of this process's time at most
            _resting_until[domain.id] = started + (time.monotonic() - started) * _LOOK_SHARE_INVERSE


def _look_at(app: App, domain_id: int) -> None:
    now = app.clock.now()
    with app.database.transaction(write=False) as db:
        domain = db.execute(select(profile_domains).where(_domains.id == domain_id)).first()
        if domain is None or not merging_level(domain.rule_based_matching):
            return
        since = domain.merge_cursor
        if since is not None and db.execute(select(_history.seq).where(
                _history.domain_id == domain_id, _history.seq > since).limit(1)).first() is None:
            return
        settled = db.execute(select(func.max(_history.seq)).where(
            _history.domain_id == domain_id, _history.created_at <= now - _SETTLING)).scalar()
        matching = domain.rule_based_matching
        groups = [ids for _, level, ids in match_groups(lambda: store.every_profile(db, domain_id), matching)
                  if level <= merging_level(matching)]
    for start in range(0, len(groups), _GROUPS_PER_TRANSACTION):
        chunk = groups[start:start + _GROUPS_PER_TRANSACTION]
        app.database.again_if_lost_race(lambda chunk=chunk: _merge_groups(app, domain_id, matching, chunk))
    with app.database.transaction() as db:  # unless the rules changed meanwhile: then every profile is looked at
        db.execute(update(profile_domains).where(_domains.id == domain_id, _domains.updated_at == domain.updated_at)
                   .values(merge_cursor=max(settled or 0, since or 0)))


def _merge_groups(app: App, domain_id: int, matching: dict[str, Any], groups: list[list[str]]) -> None:
    domain, work = service_role.acting_for_domain(app, domain_id, "MergeProfiles")
    with work as ctx:
        hold_domain_data(ctx.db, domain, *profile_locks(domain, (profile_id for ids in groups for profile_id in ids)))
        history = History.of(ctx, domain)
        for ids in groups:
            rows = store.load_profiles(ctx.db, domain.id, ids)
            still = match_groups(lambda rows=rows: ((row.id, row.fields) for row in rows.values()), matching)
            if len(still) != 1 or still[0][2] != ids or still[0][1] > merging_level(matching):
                continue  # changed since it was worked out: the next look sees it as it is now
            merging.merge_by_resolution(history, list(rows.values()), matching.get("ConflictResolution") or {})
