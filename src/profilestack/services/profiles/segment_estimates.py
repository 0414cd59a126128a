"""CreateSegmentEstimate and GetSegmentEstimate: how many of a domain's profiles a segment query holds, counted
in the background by an outbox task acting as the domain's service-linked role. Estimates are kept a day."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.profiles import service_role
from profilestack.services.profiles.calculated_attributes import CALCULATED_ATTRIBUTES
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.segment_membership import check_segment
from profilestack.services.profiles.segments import SEGMENTS, SegmentMembers
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domains, profile_segment_estimates, profiles_table

if TYPE_CHECKING:
    from profilestack.app import App

ESTIMATE_TASK = "profile.segment_estimate"
KEPT = timedelta(days=1)
_PROFILES_PER_TRANSACTION = 1000
_estimates = profile_segment_estimates.c


@profiles.operation("CreateSegmentEstimate")
def create_segment_estimate(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    if params.get("SegmentSqlQuery"):
        raise bad_request("SegmentSqlQuery is not supported by profilestack yet: estimate a SegmentQuery.")
    query = params.get("SegmentQuery") or {}
    if not query.get("Groups"):
        raise bad_request("A segment estimate needs a SegmentQuery with at least one group.")
    check_segment({"SegmentGroups": query}, lambda source: SEGMENTS.find(ctx.db, domain.id, source) is not None,
                  lambda attribute: CALCULATED_ATTRIBUTES.find(ctx.db, domain.id, attribute) is not None)
    now = ctx.now()
    ctx.db.execute(delete(profile_segment_estimates).where(_estimates.domain_id == domain.id,
                                                           _estimates.created_at < now - KEPT))
    estimate_id = ctx.app.ids.hex32()
    ctx.db.execute(insert(profile_segment_estimates).values(domain_id=domain.id, id=estimate_id, query=query,
                                                            status="RUNNING", created_at=now))
    ctx.enqueue(ESTIMATE_TASK, {"domain_id": domain.id, "estimate_id": estimate_id, "account": ctx.account,
                                "region": ctx.region, "role": domain.role_name})
    return {"DomainName": domain.name, "EstimateId": estimate_id}


@profiles.operation("GetSegmentEstimate")
def get_segment_estimate(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    row = ctx.db.execute(select(profile_segment_estimates).where(
        _estimates.domain_id == domain.id, _estimates.id == params["EstimateId"],
        _estimates.created_at >= ctx.now() - KEPT)).first()
    if row is None:
        raise not_found(f"Segment estimate {params['EstimateId']} does not exist in domain {domain.name}.")
    return {"DomainName": domain.name, "EstimateId": row.id, "Status": row.status, "Estimate": row.estimate,
            "Message": row.message}


@profiles.task(ESTIMATE_TASK)
def count_segment_estimate(app: App, payload: dict[str, Any]) -> None:
    try:
        count = _count(app, payload)
    except AwsError as error:  # no role to act through (deleted by hand), a query that cannot be worked out
        _conclude(app, payload, "FAILED", message=error.message[:255])
        return
    if count is not None:
        _conclude(app, payload, "SUCCEEDED", estimate=str(count))


def _count(app: App, payload: dict[str, Any]) -> int | None:
    """The profiles the estimate's query holds, read a thousand per transaction in id order, as the domain's
    service-linked role; None if the domain or the estimate is gone."""
    acting = service_role.cached_session(app, payload["account"], payload["role"], payload["region"])
    count, after = 0, ""
    while True:
        with app.gateway.unit_of_work(acting, payload["region"], app.ids.request_id(), "CreateSegmentEstimate",
                                      write=False) as ctx:
            domain = ctx.db.execute(select(profile_domains).where(profile_domains.c.id == payload["domain_id"])
                                    ).first()
            query = ctx.db.execute(select(_estimates.query).where(
                _estimates.domain_id == payload["domain_id"], _estimates.id == payload["estimate_id"])).scalar()
            if domain is None or query is None:
                return None
            rows = ctx.db.execute(select(profiles_table).where(
                profiles_table.c.domain_id == domain.id, profiles_table.c.id > after)
                .order_by(profiles_table.c.id).limit(_PROFILES_PER_TRANSACTION)).all()
            members = SegmentMembers(ctx, domain, rows)
            count += sum(members.holds({"SegmentGroups": query}, row) for row in rows)
        if len(rows) < _PROFILES_PER_TRANSACTION:
            return count
        after = rows[-1].id


def _conclude(app: App, payload: dict[str, Any], status: str, estimate: str | None = None,
              message: str | None = None) -> None:
    with app.database.transaction() as db:
        db.execute(update(profile_segment_estimates).where(
            _estimates.domain_id == payload["domain_id"], _estimates.id == payload["estimate_id"])
            .values(status=status, estimate=estimate, message=message))
