"""Definitions a domain holds — object types, event triggers, integrations, calculated attributes — are stored the
same way: a key, a JSON definition, two dates; all but object types also share their lookups, shapes and ARNs
(``HeldDefinitions``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.next_token import rows_by_name
from profilestack.services.profiles.domains import hold_domain_data, require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.store.resource_tags import remove_tags, set_tags, with_tags

Shape = Callable[[CallContext, Row[Any], Row[Any]], dict[str, Any]]  # (call, domain, row) → the API's shape


def save_definition(db: Connection, table: Table, key: dict[str, Any], definition: dict[str, Any], now: datetime,
                    **columns: Any) -> None:
    """Create the row, or replace its definition (keeping its creation date). A row that another transaction
    deleted after this one found it (PostgreSQL) is created anew: the update then changes nothing."""
    where = [table.c[name] == value for name, value in key.items()]
    if db.execute(select(*(table.c[name] for name in key)).where(*where)).first() is not None and db.execute(
            update(table).where(*where).values(definition=definition, updated_at=now, **columns)).rowcount:
        return
    db.execute(insert(table).values(**key, definition=definition, created_at=now, updated_at=now, **columns))


class HeldDefinitions:
    """One kind of definition in a domain, named by ``key_column``, its ARN ``<domain ARN>/<segment>/<name>``,
    ``name_member`` naming it in the API's shapes."""

    def __init__(self, table: Table, key_column: str, title: str, segment: str, name_member: str) -> None:
        self.table, self.title, self.segment, self.name_member = table, title, segment, name_member
        self._key = table.c[key_column]

    def arn(self, domain: Row[Any], name: str) -> str:
        return f"{domain.arn}/{self.segment}/{name}"

    def find(self, db: Connection, domain_id: int, name: str) -> Row[Any] | None:
        return db.execute(select(self.table).where(self.table.c.domain_id == domain_id, self._key == name)).first()

    def named(self, ctx: CallContext, params: dict[str, Any]) -> tuple[Row[Any], Row[Any]]:
        """The domain (``DomainName``) and the definition (its name member) a request names; held, as
        ``hold`` holds it, for a call that writes."""
        domain = require_domain(ctx, params["DomainName"])
        name = params[self.name_member]
        if ctx.write:
            self.hold(ctx, domain, name)
        return domain, self.require(ctx, domain, name)

    def hold(self, ctx: CallContext, domain: Row[Any], name: str) -> None:
        """The name held until the transaction ends, and the domain as its data is: calls that read the definition,
        then write it (create, update, delete) take turns on it, each seeing what the one before did, and a
        DeleteDomain cannot leave it behind (PostgreSQL; SQLite has one writer)."""
        hold_domain_data(ctx.db, domain, f"{self.table.name}:{domain.id}:{name}")

    def require_new(self, ctx: CallContext, domain: Row[Any], name: str) -> None:
        """Refuse to create a definition whose name the domain already holds (held first: of creates of one name
        at once, one makes it and the others find it)."""
        self.hold(ctx, domain, name)
        if self.find(ctx.db, domain.id, name) is not None:
            raise bad_request(f"{self.title} {name} already exists in domain {domain.name}.")

    def tag(self, ctx: CallContext, domain: Row[Any], name: str, tags: dict[str, str] | None) -> None:
        """The tags a create or put request gives the named definition, if it gives any."""
        if tags:
            set_tags(ctx.db, self.arn(domain, name), tags, bad_request)

    def require(self, ctx: CallContext, domain: Row[Any], name: str) -> Row[Any]:
        row = self.find(ctx.db, domain.id, name)
        if row is None:
            raise not_found(f"{self.title} {name} does not exist in domain {domain.name}.")
        return row

    def all(self, db: Connection, domain_id: int) -> list[Row[Any]]:
        return list(db.execute(select(self.table).where(self.table.c.domain_id == domain_id).order_by(self._key)))

    def save(self, ctx: CallContext, domain: Row[Any], name: str, definition: dict[str, Any],
             **columns: Any) -> None:
        save_definition(ctx.db, self.table, {"domain_id": domain.id, self._key.key: name}, definition, ctx.now(),
                        **columns)

    def put(self, ctx: CallContext, domain: Row[Any], name: str, definition: dict[str, Any],
            tags: dict[str, str] | None, **columns: Any) -> Row[Any]:
        """A create or put request's definition saved and tagged; the row as stored."""
        self.save(ctx, domain, name, definition, **columns)
        self.tag(ctx, domain, name, tags)
        return self.require(ctx, domain, name)

    def shape(self, ctx: CallContext, domain: Row[Any], row: Row[Any], **extra: Any) -> dict[str, Any]:
        """The stored definition as the API shows it: its name, its members, its dates and its tags."""
        name = getattr(row, self._key.key)
        shape = {self.name_member: name, **row.definition, "CreatedAt": row.created_at,
                 "LastUpdatedAt": row.updated_at, **extra}
        return with_tags(ctx.db, self.arn(domain, name), shape)

    def paged(self, ctx: CallContext, domain: Row[Any], params: dict[str, Any],
              shape: Callable[[list[Row[Any]]], list[Any]], result_key: str = "Items") -> dict[str, Any]:
        """A page of the domain's definitions in name order, from after the last one the previous page answered;
        ``shape`` turns the page's rows into its items, listed under ``result_key``."""
        return rows_by_name(ctx.db, select(self.table).where(self.table.c.domain_id == domain.id), self._key,
                            params, shape, result_key)

    def listed(self, ctx: CallContext, params: dict[str, Any], members: tuple[str, ...],
               shape: Shape | None = None, result_key: str = "Items") -> dict[str, Any]:
        """A List… operation's page (``paged``), each shape (``self.shape`` unless given) narrowed to the
        ``members`` the list's item shape has."""
        domain = require_domain(ctx, params["DomainName"])
        make = shape or self.shape

        def items(chunk: list[Row[Any]]) -> list[dict[str, Any]]:
            shapes = [make(ctx, domain, row) for row in chunk]
            return [{member: found[member] for member in members if member in found} for found in shapes]

        return self.paged(ctx, domain, params, items, result_key)

    def delete(self, ctx: CallContext, domain: Row[Any], row: Row[Any]) -> None:
        name = getattr(row, self._key.key)
        remove_tags(ctx.db, self.arn(domain, name))
        ctx.db.execute(delete(self.table).where(self.table.c.domain_id == domain.id, self._key == name))
