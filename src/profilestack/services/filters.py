"""Query pieces the handlers share: a caller's regional rows (and writing one by its key), and the filters a
request gave."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, insert, select, update

from profilestack.gateway.context import CallContext


def in_callers_region(table: Table, ctx: CallContext) -> ColumnElement[bool]:
    """Rows of the caller's account in the call's region (the table has ``account_id`` and ``region``)."""
    return and_(table.c.account_id == ctx.account, table.c.region == ctx.region)


def put_in_callers_region(ctx: CallContext, table: Table, key: dict[str, Any], values: dict[str, Any],
                          on_create: dict[str, Any] | None = None) -> None:
    """Give the caller's row of that ``key`` (column → value) in the call's region these ``values``, or create it
    with them and ``on_create`` (a creation date) when there is none."""
    where = [in_callers_region(table, ctx), *(table.c[name] == value for name, value in key.items())]
    if not ctx.db.execute(update(table).where(*where).values(**values)).rowcount:
        ctx.db.execute(insert(table).values(account_id=ctx.account, region=ctx.region, **key, **values,
                                            **(on_create or {})))


def names_missing(db: Connection, name: ColumnElement[str], scope: ColumnElement[bool], names: Iterable[str]
                  ) -> tuple[list[str], ColumnElement[bool]]:
    """For an all-or-nothing call on several named rows: the names (each once, in order) that no row in ``scope``
    holds, and the condition that picks the rows named."""
    wanted = list(dict.fromkeys(names))
    named = and_(scope, name.in_(wanted))
    found = set(db.execute(select(name).where(named)).scalars())
    return [item for item in wanted if item not in found], named


def where_given(query: Select[Any], params: dict[str, Any], filters: Iterable[tuple[ColumnElement[Any], str]]
                ) -> Select[Any]:
    """``query`` narrowed, for each (column, parameter) the request gave, to rows whose column equals it."""
    for column, name in filters:
        if params.get(name) is not None:
            query = query.where(column == params[name])
    return query
