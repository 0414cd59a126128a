"""Hot statements run on the DBAPI cursor of the caller's transaction.

SQLAlchemy writes the SQL (compiled once per dialect) and supplies the type processors
(JSON, UTC datetimes); only its per-call execution machinery is skipped, which measured
~65 µs per statement against ~4 µs for the cursor itself — the largest cost of the hot
paths (profile lookups, object ingestion, the audit writer). Everything else uses
``Connection.execute`` as usual.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert

Processor = Callable[[Any], Any] | None


_MAX_VARIABLES = {"sqlite": 32766, "postgresql": 65535}  # bound values per statement (SQLite ≥ 3.32)
_VALUES = re.compile(r"^(.*? VALUES )(\([^()]*\))(.*)$", re.DOTALL)


_NUMBERED = re.compile(r"\$(\d+)")


def _multi_row(sql: str) -> Callable[[int], str] | None:
    """``INSERT … VALUES (?, ?) [suffix]`` → a function giving the same statement for n rows (``$n`` markers
    numbered on across the rows)."""
    found = _VALUES.match(sql)
    if found is None:
        return None
    head, values, tail = found.groups()
    numbered = len(_NUMBERED.findall(values))
    if _NUMBERED.search(head + tail):
        return None

    def row(index: int) -> str:
        offset = index * numbered
        return _NUMBERED.sub(lambda marker: f"${int(marker.group(1)) + offset}", values) if offset else values

    @lru_cache(maxsize=64)
    def for_rows(count: int) -> str:
        return head + ", ".join(row(index) for index in range(count)) + tail

    return for_rows


_PLAIN_INSERT = re.compile(r"^INSERT INTO (\S+ \([^()]*\)) VALUES \([^()]*\)$", re.DOTALL)


def _copy(sql: str) -> str | None:
    """``INSERT INTO t (a, b) VALUES ($1, $2)`` → ``COPY t (a, b) FROM STDIN``; None for anything more (a
    conflict clause, RETURNING)."""
    found = _PLAIN_INSERT.match(sql)
    return None if found is None else f"COPY {found.group(1)} FROM STDIN"


# PostgreSQL statements use its own $n markers, run on a psycopg RawCursor: psycopg then has no query text to
# convert, which for long multi-row inserts (too long for its cache) cost more than the insert itself.
_POSTGRES_PARAMSTYLE = "numeric_dollar"


class _Compiled:
    __slots__ = ("bound_names", "bound_positions", "copy", "fixed", "max_variables", "multi_row", "names",
                 "orders", "positional", "read_positions", "row_type", "sql")

    def __init__(self, statement: ClauseElement, dialect: Any, column_keys: list[str] | None = None) -> None:
        if dialect.name == "postgresql" and dialect.paramstyle != _POSTGRES_PARAMSTYLE:
            dialect = type(dialect)(paramstyle=_POSTGRES_PARAMSTYLE)
        if isinstance(statement, Insert):
            # compiled alone, an INSERT returns its generated primary key (PostgreSQL's RETURNING): rows nobody
            # reads, sent back for every row of the audit writer's batches; ``returning()`` still returns
            statement = statement.inline()
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        self.positional = dialect.paramstyle in ("qmark", "format", "numeric", "numeric_dollar")
        self.names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        # literal values written into the statement itself (``values(claimed_by=None)``)
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        binders: dict[str, Processor] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
        self.bound_names = [(name, binder) for name, binder in binders.items() if binder is not None]
        self.bound_positions = [(position, binders[name]) for position, name in enumerate(self.names)
                                if binders.get(name) is not None]
        inserts_rows = isinstance(statement, Insert) and dialect.name in _MAX_VARIABLES
        self.multi_row = _multi_row(self.sql) if inserts_rows and self.positional else None
        self.copy = _copy(self.sql) if inserts_rows and dialect.name == "postgresql" else None
        self.max_variables = _MAX_VARIABLES.get(dialect.name, 0)
        # what a SELECT selects, or what an INSERT, UPDATE or DELETE returns (``RETURNING``)
        columns = list(getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", None)
                       or [])
        self.row_type = namedtuple("Row", [column.key for column in columns]) if columns else None
        readers = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        self.read_positions = [(position, reader) for position, reader in enumerate(readers) if reader is not None]
        self.orders: dict[tuple[str, ...], list[int] | None] = {}

    def parameters(self, values: dict[str, Any]) -> Any:
        if self.fixed:
            values = {**self.fixed, **values}
        if self.positional:
            return self._converted([values[name] for name in self.names])
        bound = dict(values)
        for name, binder in self.bound_names:
            if bound.get(name) is not None:
                bound[name] = binder(bound[name])
        return bound

    def bind_rows(self, columns: tuple[str, ...], rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        """Rows given as values in ``columns`` order, as the driver takes them (positional statements only)."""
        if columns not in self.orders:  # None: the statement takes them in the order given
            order = [columns.index(name) for name in self.names]
            self.orders[columns] = None if order == list(range(len(order))) else order
        order = self.orders[columns]
        return [self._converted(list(row) if order is None else [row[index] for index in order]) for row in rows]

    def _converted(self, bound: list[Any]) -> list[Any]:
        """Positional values through their columns' bind processors (in place)."""
        for position, binder in self.bound_positions:
            if bound[position] is not None:
                bound[position] = binder(bound[position])
        return bound

    def row(self, raw: tuple) -> Any:
        if not self.read_positions:
            return self.row_type._make(raw)
        values = list(raw)
        for position, reader in self.read_positions:
            if values[position] is not None:
                values[position] = reader(values[position])
        return self.row_type._make(values)


_COPIED_ROWS = 16  # fewer rows are inserted by a statement: COPY's two exchanges with the server cost more

# Rows per multi-row statement: a few fixed sizes, so that each size's statement text is prepared once and then
# found in the driver's statement cache (a batch of any other length would be parsed anew).
_CHUNK_SIZES = (256, 64, 16, 4, 1)


def _chunks(rows: int, most: int) -> Iterator[tuple[int, int]]:
    """(start, count) of the chunks covering ``rows`` rows, at most ``most`` per chunk."""
    start = 0
    for size in (size for size in _CHUNK_SIZES if size <= max(1, most)):
        while rows - start >= size:
            yield start, size
            start += size


class Prepared:
    """A Core statement with named ``bindparam``s (or an INSERT's column values) as parameters.

    An INSERT is compiled for the columns its rows name; Python-side column defaults are not applied.
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._is_insert = isinstance(statement, Insert)
        self._by_dialect: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def _compiled(self, db: Connection, values: dict[str, Any] | None = None) -> _Compiled:
        dialect = db.dialect
        columns = tuple(sorted(values)) if self._is_insert and values is not None else ()
        compiled = self._by_dialect.get((dialect.name, columns))
        if compiled is None:
            compiled = _Compiled(self.statement, dialect, list(columns) if columns else None)
            self._by_dialect[(dialect.name, columns)] = compiled
        return compiled

    @staticmethod
    def _cursor(db: Connection) -> Any:
        driver = db.connection.dbapi_connection
        if db.dialect.name == "postgresql":
            from psycopg import RawCursor  # only PostgreSQL deployments load psycopg

            return RawCursor(driver)
        return driver.cursor()

    def all(self, db: Connection, values: dict[str, Any]) -> list[Any]:
        compiled = self._compiled(db, values)
        cursor = self._cursor(db)
        try:
            cursor.execute(compiled.sql, compiled.parameters(values))
            return [compiled.row(raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def all_each(self, db: Connection, many: Sequence[dict[str, Any]]) -> list[list[Any]]:
        """``all`` for each of ``many``, in order. On PostgreSQL they are sent together and answered in one round
        trip (psycopg's pipeline mode): each stays the point lookup it is, where one statement for all of them
        (``IN``) was planned from the table's statistics, which a bulk load leaves far behind."""
        if db.dialect.name != "postgresql":
            return [self.all(db, values) for values in many]
        compiled = self._compiled(db)
        cursors = []
        try:
            with db.connection.dbapi_connection.pipeline():  # within another pipeline, its end only syncs
                for values in many:
                    cursors.append(cursor := self._cursor(db))
                    cursor.execute(compiled.sql, compiled.parameters(values))
            return [[compiled.row(raw) for raw in cursor.fetchall()] for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()

    def first(self, db: Connection, values: dict[str, Any]) -> Any | None:
        rows = self.all(db, values)
        return rows[0] if rows else None

    def run(self, db: Connection, values: dict[str, Any]) -> int:
        """Execute a write; the number of rows it touched."""
        compiled = self._compiled(db, values)
        cursor = self._cursor(db)
        try:
            cursor.execute(compiled.sql, compiled.parameters(values))
            return cursor.rowcount
        finally:
            cursor.close()

    def run_many(self, db: Connection, rows: Iterable[dict[str, Any]]) -> None:
        """Every row must name the same columns."""
        rows = list(rows)
        if not rows:
            return
        compiled = self._compiled(db, rows[0])
        self._insert(db, compiled, [compiled.parameters(values) for values in rows])

    def run_rows(self, db: Connection, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
        """An INSERT of rows given as values in ``columns`` order: lists cost less to build and bind than dicts
        (the audit writer's batches). On PostgreSQL a plain INSERT of many rows is a ``COPY``, its bulk path: a
        batch of hundreds of audit events took under half the time of multi-row INSERTs, whose thousands of
        parameters the server parses (not inside ``pipelined``, where psycopg refuses COPY)."""
        if not rows:
            return
        compiled = self._compiled(db, dict.fromkeys(columns))
        if not compiled.positional or compiled.fixed:
            self.run_many(db, [dict(zip(columns, row, strict=True)) for row in rows])
            return
        bound = compiled.bind_rows(columns, rows)
        if compiled.copy is not None and len(bound) >= _COPIED_ROWS:
            cursor = self._cursor(db)
            try:
                with cursor.copy(compiled.copy) as copy:
                    for row in bound:
                        copy.write_row(row)
            finally:
                cursor.close()
            return
        self._insert(db, compiled, bound)

    def _insert(self, db: Connection, compiled: _Compiled, batch: list[Any]) -> None:
        cursor = self._cursor(db)
        try:
            if compiled.multi_row is None:
                cursor.executemany(compiled.sql, batch)
                return
            # One multi-row INSERT per chunk. SQLite runs it without holding the GIL, where executemany takes
            # the GIL back between rows; psycopg's executemany pipelines one statement per row and spent a
            # third of a busy server's GIL time on the audit writer's batches.
            for start, count in _chunks(len(batch), compiled.max_variables // len(batch[0])):
                chunk = batch[start:start + count]
                cursor.execute(compiled.multi_row(count), [value for row in chunk for value in row])
        finally:
            cursor.close()
