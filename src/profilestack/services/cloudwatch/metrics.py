"""A metric's identity (account, region, namespace, name, dimensions) and its row id.

Metric rows are never deleted, so once a row is committed its id is good for the life of the process: ids
are remembered here, and a steady writer (the trigger runtime puts five datapoints per ingested object)
finds them without a statement. Only committed rows are remembered — one created by a transaction that
rolls back must not be.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, update

from profilestack.services.cloudwatch.tables import cloudwatch_metrics
from profilestack.store.prepared import Prepared
from profilestack.store.statements import insert_ignoring_duplicates

if TYPE_CHECKING:
    from profilestack.gateway.context import CallContext

_FIND = Prepared(select(cloudwatch_metrics.c.id, cloudwatch_metrics.c.last_put_at).where(
    cloudwatch_metrics.c.account_id == bindparam("b_account"), cloudwatch_metrics.c.region == bindparam("b_region"),
    cloudwatch_metrics.c.namespace == bindparam("b_namespace"), cloudwatch_metrics.c.metric_name == bindparam("b_name"),
    cloudwatch_metrics.c.dimensions_key == bindparam("b_key")))
# ListMetrics' RecentlyActive looks back three hours: a metric's activity is kept to the minute, not rewritten for
# every datapoint.
TOUCH_EVERY = timedelta(minutes=1)
_TOUCH = Prepared(update(cloudwatch_metrics).where(cloudwatch_metrics.c.id == bindparam("b_id")).values(
    last_put_at=bindparam("b_now")))

Identity = tuple[str, str, str, str, str]  # account, region, namespace, name, dimensions key


def dimensions_key(dimensions: list[dict[str, str]] | None) -> str:
    return ";".join(f"{d['Name']}={d['Value']}" for d in sorted(dimensions or [], key=lambda d: d["Name"]))


def identity(ctx: CallContext, namespace: str, name: str, dimensions: list | None) -> Identity:
    return ctx.account, ctx.region, namespace, name, dimensions_key(dimensions)


def _bound(key: Identity) -> dict[str, str]:
    return {"b_account": key[0], "b_region": key[1], "b_namespace": key[2], "b_name": key[3], "b_key": key[4]}


def find_metric(db: Connection, key: Identity) -> int | None:
    found = _FIND.first(db, _bound(key))
    return found.id if found is not None else None


class MetricIds:
    """Row ids of the metrics this process has written, with when it last marked each active."""

    def __init__(self, limit: int = 100_000) -> None:
        self._known: dict[Identity, tuple[int, datetime]] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def id_for(self, ctx: CallContext, namespace: str, name: str, dimensions: list | None, now: datetime) -> int:
        """The metric's id, created if new; its activity marked at most once a minute."""
        key = identity(ctx, namespace, name, dimensions)
        known = self._known.get(key)
        if known is not None and now - known[1] < TOUCH_EVERY:
            return known[0]
        db, bound = ctx.db, _bound(key)
        found = _FIND.first(db, bound)
        active_at = now
        if found is None:
            # Another call may be creating the same metric right now: its row wins, and is the one read back.
            insert_ignoring_duplicates(db, cloudwatch_metrics, [{
                "account_id": key[0], "region": key[1], "namespace": key[2], "metric_name": key[3],
                "dimensions_key": key[4], "dimensions": dimensions or [], "last_put_at": now}])
            found = _FIND.first(db, bound)
        elif now - found.last_put_at >= TOUCH_EVERY:
            _TOUCH.run(db, {"b_id": found.id, "b_now": now})
        else:
            active_at = found.last_put_at
        ctx.on_commit(lambda: self._remember(key, found.id, active_at))
        return found.id

    def _remember(self, key: Identity, metric_id: int, active_at: datetime) -> None:
        with self._lock:
            if len(self._known) >= self._limit:
                self._known.clear()
            self._known[key] = (metric_id, active_at)
