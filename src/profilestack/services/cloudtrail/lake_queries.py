"""CloudTrail Lake queries: StartQuery checks the statement and queues it; an outbox task claims it for a thread
of its own, which runs it over the event data stores it names (lake_sql.py) and keeps the answer seven days for
GetQueryResults; DescribeQuery, CancelQuery and ListQueries follow it."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.iam_policy.actions import NameResolver
from profilestack.iam_policy.engine import account_of
from profilestack.services.cloudtrail.errors import check_time_range, invalid_token, refused
from profilestack.services.cloudtrail.event_data_stores import (
    events_of,
    forget_expired,
    lake_quota_lock,
    require_store,
    resource_names,
    store_schema,
)
from profilestack.services.cloudtrail.handlers import cloudtrail
from profilestack.services.cloudtrail.lake_arns import STORE, id_of
from profilestack.services.cloudtrail.lake_events import Schema
from profilestack.services.cloudtrail.lake_sql import (
    QueryFailed,
    QueryTimedOut,
    Statement,
    StatementError,
    prepare,
    run,
)
from profilestack.services.cloudtrail.tables import cloudtrail_event_data_stores, cloudtrail_queries
from profilestack.services.next_token import next_token, page_result, read_token
from profilestack.store.database import Database

if TYPE_CHECKING:
    from profilestack.app import App

RUN_TASK = "cloudtrail.lake-query"
EXPIRY_TASK = "cloudtrail.lake-expiry"
KEPT = timedelta(days=7)  # a query's answer, and a deleted store before it goes
MOST_RUNNING = 10  # queries queued or running per account and region
MOST_EVENTS = 250_000  # events a query reads from the trail (its own database holds them while it runs)
RUN_SECONDS = 60.0
_ACTIVE = ("QUEUED", "RUNNING")
_LOST_AFTER = timedelta(seconds=RUN_SECONDS + 300)  # an active query older than this was cut short
_queries = cloudtrail_queries.c
log = logging.getLogger(__name__)


def lake_statement(ctx: CallContext, text: str, owner: str | None = None, params: dict[str, Any] | None = None
                   ) -> tuple[Statement, list[Row[Any]]]:
    """The statement prepared over the active stores it names (``owner``'s, when another account shares them),
    and those stores, once the caller may StartQuery on each of them (the gateway asked about the first alone):
    StatementError when it is not a query of them."""
    named: dict[str, Row[Any]] = {}

    def schema(store_id: str) -> Schema:
        named[store_id] = require_store(ctx, store_id, active=True, owner=owner)
        return store_schema(named[store_id])

    statement = prepare(text, schema)
    stores = [named[store_id] for store_id in statement.store_ids]
    for store in stores:
        ctx.authorize("cloudtrail:StartQuery", store.arn, params)
    return statement, stores


@cloudtrail.operation("StartQuery")
def start_query(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:

    if not params.get("QueryStatement"):
        raise refused("InvalidParameterException", "StartQuery needs a QueryStatement: a QueryAlias names a query "
                     "GenerateQuery made from a prompt, which profilestack does not do.")
    if params.get("QueryParameters"):
        raise refused("InvalidParameterException", "QueryParameters go with a QueryAlias, which profilestack does "
                     "not take: write the values into the QueryStatement.")
    if params.get("DeliveryS3Uri"):
        raise refused("InvalidParameterException", "profilestack has no S3 to deliver query results to: read them "
                     "with GetQueryResults.")
    try:  # the stores' account is another's when it shares them
        _, stores = lake_statement(ctx, params["QueryStatement"], params.get("EventDataStoreOwnerAccountId"), params)
    except StatementError as exc:
        raise refused("InvalidQueryStatementException", str(exc)) from exc
    lake_quota_lock(ctx)
    running = ctx.db.execute(select(func.count()).select_from(cloudtrail_queries).where(
        _queries.account_id == ctx.account, _queries.region == ctx.region, _queries.status.in_(_ACTIVE),
        _queries.created_at > ctx.now() - _LOST_AFTER)).scalar()
    if running >= MOST_RUNNING:
        raise refused("MaxConcurrentQueriesException", f"{MOST_RUNNING} queries are queued or running already: "
                     "wait for one to finish, or cancel one.")
    query_id = str(uuid.uuid4())
    ctx.db.execute(insert(cloudtrail_queries).values(
        id=query_id, account_id=ctx.account, region=ctx.region, store_arns=[store.arn for store in stores],
        statement=params["QueryStatement"], status="QUEUED", created_at=ctx.now()))
    ctx.enqueue(RUN_TASK, {"query": query_id})
    return {"QueryId": query_id}


def _require_query(ctx: CallContext, params: dict[str, Any]) -> Row[Any]:
    """The query a request names: by its QueryId, or (DescribeQuery) a dashboard refresh's widget query by the
    refresh's RefreshId and the widget's QueryAlias."""
    if params.get("QueryId"):
        named, which = params["QueryId"], _queries.id == params["QueryId"]
    elif params.get("RefreshId") and params.get("QueryAlias"):
        named = f"of widget {params['QueryAlias']} in dashboard refresh {params['RefreshId']}"
        which = (_queries.refresh_id == params["RefreshId"]) & (_queries.query_alias == params["QueryAlias"])
    else:
        raise refused("InvalidParameterException", "Name the query by its QueryId, or a dashboard refresh's "
                     "RefreshId and its widget's QueryAlias.")
    row = ctx.db.execute(select(cloudtrail_queries).where(
        which, _queries.account_id == ctx.account, _queries.region == ctx.region,
        _queries.created_at > ctx.now() - KEPT)).first()
    # a query of another account's stores is named with their owner, whose stores' policies the gateway asked
    owner = params.get("EventDataStoreOwnerAccountId") or ctx.account
    if row is None or account_of(row.store_arns[0]) != owner or (
            params.get("EventDataStore") and require_store(ctx, params["EventDataStore"]).arn not in row.store_arns):
        raise refused("QueryIdNotFoundException", f"The query {named} does not exist.")
    return row


def _shown(row: Row[Any], now: datetime) -> tuple[str, str | None]:
    """The query's status and error as answered: one still active long after any query can run was cut short
    (the server stopped while it ran)."""
    if row.status in _ACTIVE and row.created_at <= now - _LOST_AFTER:
        return "FAILED", "The query was cut short: the server stopped while it ran. Start it again."
    return row.status, row.error


def _with_status(ctx: CallContext, row: Row[Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with the query's status, and its error when it has one."""
    status, error = _shown(row, ctx.now())
    return {**answer, "QueryStatus": status, **({"ErrorMessage": error} if error else {})}


def _statistics(row: Row[Any]) -> dict[str, Any]:
    return row.statistics or {"EventsMatched": 0, "EventsScanned": 0, "BytesScanned": 0}


@cloudtrail.operation("DescribeQuery")
def describe_query(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_query(ctx, params)
    return _with_status(ctx, row, {"QueryId": row.id, "QueryString": row.statement,
                                   "QueryStatistics": {**_statistics(row), "CreationTime": row.created_at}})


@cloudtrail.operation("GetQueryResults")
def get_query_results(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_query(ctx, params)
    rows = row.rows or []
    size = params.get("MaxQueryResults") or 1000
    _, skip = read_token(params, invalid_token)
    page = rows[skip:skip + size]
    answer: dict[str, Any] = {
        "QueryStatistics": {"ResultsCount": len(page), "TotalResultsCount": len(rows),
                            "BytesScanned": _statistics(row)["BytesScanned"]},
        "QueryResultRows": [[{column: value} for column, value in zip(row.columns, values, strict=True)]
                            for values in page]}
    if skip + size < len(rows):
        answer["NextToken"] = next_token(skip + size)
    return _with_status(ctx, row, answer)


@cloudtrail.operation("CancelQuery")
def cancel_query(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_query(ctx, params)
    status, _ = _shown(row, ctx.now())
    if status not in _ACTIVE:
        raise refused("InactiveQueryException", f"The query {row.id} is {status}: only a queued or running query "
                     "can be cancelled.")
    ctx.db.execute(update(cloudtrail_queries).where(_queries.id == row.id).values(
        status="CANCELLED", finished_at=ctx.now()))
    return {"QueryId": row.id, "QueryStatus": "CANCELLED"}


@cloudtrail.operation("ListQueries")
def list_queries(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    store = require_store(ctx, params["EventDataStore"])
    check_time_range(params)
    start, end = params.get("StartTime"), params.get("EndTime")
    query = select(cloudtrail_queries).where(_queries.account_id == ctx.account, _queries.region == ctx.region,
                                             _queries.created_at > ctx.now() - KEPT)
    if start:
        query = query.where(_queries.created_at >= start)
    if end:
        query = query.where(_queries.created_at <= end)
    now = ctx.now()
    rows = [row for row in ctx.db.execute(query.order_by(_queries.created_at.desc(), _queries.id))
            if store.arn in row.store_arns and params.get("QueryStatus") in (None, _shown(row, now)[0])]
    return page_result(rows, params, lambda chunk: [
        {"QueryId": row.id, "QueryStatus": _shown(row, now)[0], "CreationTime": row.created_at} for row in chunk],
        1000, "Queries", invalid_token)


def first_store_of(db: Connection, query_id: str) -> str | None:
    """The ID of the first event data store a query reads (what its requests are authorized on)."""
    arns = db.execute(select(_queries.store_arns).where(_queries.id == query_id)).scalar()
    return id_of(STORE, arns[0]) if arns else None


@cloudtrail.task(RUN_TASK)
def run_query(app: App, payload: dict[str, Any]) -> None:
    """Claim the query and hand it to the runner thread: a long query would hold up the outbox's other tasks
    (event triggers among them) on SQLite, whose worker runs one task at a time."""
    with app.database.transaction() as db:
        taken = db.execute(update(cloudtrail_queries).where(_queries.id == payload["query"],
                                                            _queries.status == "QUEUED").values(status="RUNNING"))
    if taken.rowcount:  # not cancelled before it ran
        _RUNNER.submit(app, payload["query"])


@dataclass
class _Tally:
    """What a query read: the trail's events looked at, those its stores hold, and their size."""

    scanned: int = 0
    matched: int = 0
    size: int = 0

    def looked_at(self, count: int) -> None:
        self.scanned += count
        if self.scanned > MOST_EVENTS:
            raise QueryFailed(f"The query reads more than {MOST_EVENTS:,} events: narrow it with eventTime "
                              "conditions (eventTime > '2026-01-01 00:00:00').")

    def held(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in rows:
            self.matched += 1
            self.size += sum(len(value) for value in row if isinstance(value, str))
            yield row


def execute(app: App, query_id: str) -> None:
    """Run a claimed query over its stores' events and keep its answer (or why it has none)."""
    app.audit.flush()  # the calls made up to now are in the trail it reads
    began, now, tally = time.monotonic(), app.clock.now(), _Tally()
    status, error, answer = "FINISHED", None, None
    try:
        with app.database.transaction(write=False) as db:
            row = db.execute(select(cloudtrail_queries).where(_queries.id == query_id)).one()
            stores = {store.arn: store for store in db.execute(select(cloudtrail_event_data_stores).where(
                cloudtrail_event_data_stores.c.arn.in_(row.store_arns)))}
            if len(stores) != len(row.store_arns):
                raise QueryFailed("An event data store the query reads was deleted before it ran.")
            by_id = {id_of(STORE, arn): stores[arn] for arn in row.store_arns}
            statement = prepare(row.statement, lambda store_id: store_schema(by_id[store_id]))
            # the events stream from the trail into the query's own database, never all held here at once
            answer = run(statement, [tally.held(events_of(db, stores[arn], now, statement.since, statement.until,
                                                          tally.looked_at)) for arn in row.store_arns],
                         now, RUN_SECONDS)
    except QueryTimedOut:
        status, error = "TIMED_OUT", f"The query ran longer than {RUN_SECONDS:.0f} seconds."
    except QueryFailed as exc:
        status, error = "FAILED", str(exc)[:1000]
    statistics = {"EventsMatched": tally.matched, "EventsScanned": tally.scanned, "BytesScanned": tally.size,
                  "ExecutionTimeInMillis": int((time.monotonic() - began) * 1000)}
    with app.database.transaction() as db:
        db.execute(update(cloudtrail_queries).where(_queries.id == query_id, _queries.status == "RUNNING").values(
            status=status, error=error, statistics=statistics, finished_at=app.clock.now(),
            columns=answer.columns if answer else None, rows=answer.rows if answer else None))


class _Runner:
    """One daemon thread running claimed queries in turn. A query it was running when the process stopped stays
    RUNNING in the database, and is shown as failed once it is older than any query can run (``_shown``)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[App, str]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, app: App, query_id: str) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="lake-queries", daemon=True)
                self._thread.start()
        self._queue.put((app, query_id))

    def _loop(self) -> None:
        while True:
            app, query_id = self._queue.get()
            try:
                execute(app, query_id)
            except Exception:
                log.exception("CloudTrail Lake query %s could not be run", query_id)
                _give_up(app, query_id)


_RUNNER = _Runner()


@cloudtrail.gives_up(RUN_TASK)
def query_failed(app: App, payload: dict[str, Any]) -> None:
    _give_up(app, payload["query"])


def _give_up(app: App, query_id: str) -> None:
    with app.database.transaction() as db:
        db.execute(update(cloudtrail_queries).where(_queries.id == query_id, _queries.status.in_(_ACTIVE))
                   .values(status="FAILED", error="The query could not be run.", finished_at=app.clock.now()))


@cloudtrail.task(EXPIRY_TASK, every=3600.0)
def forget_old(app: App, payload: dict[str, Any]) -> None:
    """Answers older than seven days go, and stores seven days past their deletion."""
    with app.database.transaction() as db:
        now = app.clock.now()
        db.execute(delete(cloudtrail_queries).where(_queries.created_at <= now - KEPT))
        forget_expired(db, now)


def lake_resource_names(database: Database, params: dict[str, Any]) -> NameResolver:
    """event_data_stores.resource_names, a query's store read in a transaction of its own."""

    def store_of_query(query_id: str) -> str | None:
        with database.transaction(write=False) as db:
            return first_store_of(db, query_id)

    return resource_names(store_of_query, params)
