"""Query pieces the List and Describe handlers share: a caller's regional rows, and the filters a request gave."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, select

from profilestack.gateway.context import CallContext


def in_callers_region(table: Table, ctx: CallContext) -> ColumnElement[bool]:
    """Rows of the caller's account in the call's region (the table has ``account_id`` and ``region``)."""
    return and_(table.c.account_id == ctx.account, table.c.region == ctx.region)


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
