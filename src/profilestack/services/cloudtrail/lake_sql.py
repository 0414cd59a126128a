"""CloudTrail Lake query statements: read as Trino SQL (sqlglot), checked, and run over the stores' events in a
private in-memory SQLite database (pure but for the database it makes).

``prepare`` turns a statement into SQLite's SQL over tables ``lake_<n>``, one per event data store the statement
names (by its ID, after ``FROM`` or ``JOIN``). It takes one ``SELECT`` (``WITH``, set operations and subqueries
included) over event data stores only. On the way it reads struct members (``userIdentity.arn``) as the columns
lake_events.py lays out, map subscripts (``requestParameters['roleName']``, ``element_at``) as JSON lookups, and
Trino's time functions as functions registered here. ``run`` loads the events, forbids the statement anything but
reading (SQLite's authorizer) and stops it at a deadline.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from profilestack.services.cloudtrail.lake_events import BOOLEANS, MANAGEMENT, MAPS, STRUCTS, Schema, lake_time
from profilestack.utc_times import parse_utc

STORE_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # an event data store's, ending its ARN
# a store named after FROM or JOIN, bare or quoted
_STORE = re.compile(rf"(?i)\b(FROM|JOIN)(\s+)([\"`]?)({STORE_ID})\3")
_TABLE = "lake_{}"
_UNITS = {"second": 19, "minute": 16, "hour": 13, "day": 10}  # how much of 'YYYY-MM-DD HH:MM:SS' a unit keeps
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
MOST_ROWS = 100_000


class StatementError(ValueError):
    """The statement is not one profilestack can run; the message says why."""


class QueryFailed(RuntimeError):
    """The statement failed while it ran (SQLite's message)."""


class QueryTimedOut(RuntimeError):
    pass


@dataclass(frozen=True)
class Statement:
    store_ids: list[str]  # in the order the statement names them; table lake_<n> is store_ids[n]
    sql: str
    schemas: tuple[Schema, ...]  # each store's, in the same order
    since: datetime | None = None  # what the statement's eventTime conditions leave out, when they are plain
    until: datetime | None = None


def first_store(text: str) -> str | None:
    """The ID of the first event data store a statement names, as prepare reads it."""
    found = _STORE.search(text)
    return found.group(4).lower() if found else None


def prepare(text: str, schema_of: Callable[[str], Schema] = lambda store_id: MANAGEMENT) -> Statement:
    """The statement, its stores' tables laid out in the schema ``schema_of`` tells for each store's ID."""
    import sqlglot  # its import takes a quarter of a second: on the first query, not at start-up
    from sqlglot import exp

    ids: list[str] = []

    def placeholder(found: re.Match[str]) -> str:
        store = found.group(4).lower()
        if store not in ids:
            ids.append(store)
        return f"{found.group(1)}{found.group(2)}{_TABLE.format(ids.index(store))}"

    substituted = _STORE.sub(placeholder, text)
    if not ids:
        raise StatementError("The query names no event data store: write its ID after FROM, such as SELECT "
                             "eventName FROM 0aab0b0c-1d2e-3f40-5a6b-7c8d9e0f1a2b.")
    try:
        statements = [tree for tree in sqlglot.parse(substituted, read="trino") if tree is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise StatementError(f"The query is not valid SQL: {_first_line(exc)}") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise StatementError("A query is one SELECT statement.")
    tree = statements[0]
    tables = {_TABLE.format(index) for index in range(len(ids))}
    named = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.name.lower() not in tables | named or table.args.get("db"):
            raise StatementError(f"{table.sql(dialect='trino')} is not an event data store of this query: name "
                                 "event data stores by their ID.")
    for node in tree.find_all(exp.Command, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop):
        raise StatementError(f"{node.key.upper()} is not a query: write one SELECT statement.")
    aliases = {alias.name.lower() for alias in tree.find_all(exp.TableAlias) if alias.name} | tables

    schemas = tuple(schema_of(store) for store in ids)
    members = {name for schema in schemas for name in schema.nested}

    def rewrite(node: Any) -> Any:
        changed = _rewritten(node, aliases, members, exp)
        if changed is node:
            return node
        # a new node's own parts are read the same way (transform does not visit what it was given back)
        return changed.transform(lambda part: part if part is changed else rewrite(part))

    _expand_stars(tree, {_TABLE.format(index): schema for index, schema in enumerate(schemas)}, exp)
    _name_outputs(tree, exp)  # before the rewriting: a struct member is named as the statement spells it
    tree = tree.transform(rewrite)
    since, until = _time_bounds(tree, exp)
    return Statement(ids, tree.sql(dialect="sqlite"), schemas, since, until)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300]


def _rewritten(node: Any, aliases: set[str], members: set[str], exp: Any) -> Any:
    """One node of the tree as SQLite over the laid-out columns (``members``: the struct members') should read
    it."""
    if isinstance(node, exp.Column | exp.Dot):
        parts = _parts(node, exp)
        if parts is None:
            return node
        qualifier = parts[0] if len(parts) > 1 and parts[0].lower() in aliases else None
        path = parts[1:] if qualifier else parts
        if len(path) > 1 and path[0].lower() in STRUCTS:
            flat = ".".join(part.lower() for part in path)
            if flat not in members:  # SQLite would read an unknown quoted name as a string: refused here
                raise StatementError(f"{'.'.join(path)} is not a member of the event data store's schema.")
            return exp.Column(this=exp.to_identifier(flat, quoted=True),
                              table=exp.to_identifier(qualifier) if qualifier else None)
        return node
    if isinstance(node, exp.Bracket) and _is_map(node.this, exp) and len(node.expressions) == 1:
        return _json_lookup(node.this, node.expressions[0], exp)
    if isinstance(node, exp.Cast) and node.to.is_type(*_time_types(exp)):
        return exp.Anonymous(this="lake_timestamp", expressions=[node.this])
    if isinstance(node, exp.CurrentTimestamp | exp.CurrentDate):
        return exp.Anonymous(this="lake_now", expressions=[])
    if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Interval):
        return _shifted(node, exp)
    if isinstance(node, exp.Anonymous | exp.Func) and not (isinstance(node, exp.Anonymous)
                                                           and node.name.startswith("lake_")):
        return _function(node, exp)
    return node


def _parts(node: Any, exp: Any) -> list[str] | None:
    """A column reference's names, outermost first (``e``, ``userIdentity``, ``arn``); None for anything else."""
    if isinstance(node, exp.Column):
        names = [part.name for part in node.parts]
        return names if all(names) else None
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Identifier):
        inner = _parts(node.this, exp)
        return None if inner is None else [*inner, node.expression.name]
    return None


def _is_map(node: Any, exp: Any) -> bool:
    return isinstance(node, exp.Column) and node.name.lower() in MAPS


def _json_lookup(column: Any, key: Any, exp: Any) -> Any:
    """``map['key']``: the map's JSON text looked up by key (a value not a string literal stays SQL)."""
    if isinstance(key, exp.Literal) and key.is_string:
        path: Any = exp.Literal.string('$."' + key.this.replace('"', '\\"') + '"')
    else:
        path = exp.Concat(expressions=[exp.Literal.string('$."'), key, exp.Literal.string('"')])
    return exp.Anonymous(this="json_extract", expressions=[column, path])


def _function(node: Any, exp: Any) -> Any:
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    arguments = [argument for argument in node.args.values() if isinstance(argument, exp.Expression)]
    if name in ("element_at", "bracket") and len(arguments) == 2 and _is_map(arguments[0], exp):
        return _json_lookup(arguments[0], arguments[1], exp)
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
        unit = node.args.get("unit")
        unit_name = unit.name if unit is not None else "day"
        return exp.Anonymous(this="lake_date_trunc", expressions=[exp.Literal.string(unit_name.lower()), node.this])
    if name in ("from_iso8601_timestamp", "strtotime", "timestrtotime"):
        return exp.Anonymous(this="lake_timestamp", expressions=[node.this])
    if isinstance(node, exp.ApproxDistinct):
        return exp.Count(this=exp.Distinct(expressions=[node.this]))
    if isinstance(node, exp.JSONExtractScalar | exp.JSONExtract):  # not SQLite's ->> and ->, which fail on bad JSON
        function = "lake_json_scalar" if isinstance(node, exp.JSONExtractScalar) else "lake_json"
        return exp.Anonymous(this=function, expressions=[node.this, node.expression])
    return node


def _time_types(exp: Any) -> tuple[Any, ...]:
    kind = exp.DataType.Type
    return (kind.TIMESTAMP, kind.TIMESTAMPTZ, kind.TIMESTAMPLTZ, kind.DATETIME, kind.DATE)


def _shifted(node: Any, exp: Any) -> Any:
    """``x ± INTERVAL 'n' unit``: lake_shift(x, ±n, unit)."""
    interval = node.expression
    amount = interval.this
    unit = interval.args.get("unit")
    count = exp.Neg(this=amount) if isinstance(node, exp.Sub) else amount
    return exp.Anonymous(this="lake_shift", expressions=[node.this, count,
                                                         exp.Literal.string((unit.name if unit else "day").lower())])


def _expand_stars(tree: Any, tables: dict[str, Schema], exp: Any) -> None:
    """``SELECT *`` over an event data store: its schema's top-level columns, not the laid-out struct members."""
    for select in tree.find_all(exp.Select):
        source = select.args.get("from_") or select.args.get("from")
        table = source.this if source is not None else None
        if not isinstance(table, exp.Table) or table.name.lower() not in tables or select.args.get("joins"):
            continue
        if any(isinstance(item, exp.Star) for item in select.expressions):
            expanded = []
            for item in select.expressions:
                expanded += ([exp.column(name) for name in tables[table.name.lower()].top_level]
                             if isinstance(item, exp.Star) else [item])
            select.set("expressions", expanded)


def _name_outputs(tree: Any, exp: Any) -> None:
    """Result columns named as Trino names them: a column by its (last) name, anything else unnamed ``_colN``."""
    selects = [tree] if isinstance(tree, exp.Select) else [tree.left] if isinstance(tree, exp.SetOperation) else []
    for select in selects:
        if not isinstance(select, exp.Select):
            continue
        named = []
        for index, item in enumerate(select.expressions):
            if isinstance(item, exp.Alias | exp.Star):
                named.append(item)
            elif (parts := _parts(item, exp)) is not None:
                named.append(exp.alias_(item, parts[-1], quoted=True))
            else:
                named.append(exp.alias_(item, f"_col{index}", quoted=True))
        select.set("expressions", named)


def _time_bounds(tree: Any, exp: Any) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest eventTime a plain statement can read: from ``eventTime`` compared with a literal
    time in the top-level AND of its WHERE (a second of margin). Anything else: no bound."""
    if not isinstance(tree, exp.Select) or tree.args.get("joins") or tree.args.get("where") is None:
        return None, None
    since = until = None
    for condition in tree.args["where"].this.flatten() if isinstance(tree.args["where"].this, exp.And) \
            else [tree.args["where"].this]:
        low, high = _bound(condition, exp)
        if low is not None:
            since = low if since is None else max(since, low)
        if high is not None:
            until = high if until is None else min(until, high)
    margin = timedelta(seconds=1)
    return (since - margin if since else None), (until + margin if until else None)


def _bound(condition: Any, exp: Any) -> tuple[datetime | None, datetime | None]:
    if isinstance(condition, exp.Between) and _is_event_time(condition.this, exp):
        return _literal_time(condition.args.get("low"), exp), _literal_time(condition.args.get("high"), exp)
    if not isinstance(condition, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.EQ):
        return None, None
    left, right = condition.this, condition.expression
    if _is_event_time(right, exp):
        left, right = right, left
        flipped = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ}
        kind = flipped[type(condition)]
    else:
        kind = type(condition)
    if not _is_event_time(left, exp):
        return None, None
    moment = _literal_time(right, exp)
    if moment is None:
        return None, None
    low = moment if kind in (exp.GT, exp.GTE, exp.EQ) else None
    high = moment if kind in (exp.LT, exp.LTE, exp.EQ) else None
    return low, high


def _is_event_time(node: Any, exp: Any) -> bool:
    return isinstance(node, exp.Column) and node.name.lower() == "eventtime"


def _literal_time(node: Any, exp: Any) -> datetime | None:
    if isinstance(node, exp.Anonymous) and node.name == "lake_timestamp" and node.expressions:
        node = node.expressions[0]
    if isinstance(node, exp.Literal) and node.is_string:
        return parse_time(node.this)
    return None


def parse_time(text: Any) -> datetime | None:
    """A time as queries write them (``2026-12-06 12:00:00``, ISO 8601 with ``T`` and ``Z``); None otherwise."""
    if not isinstance(text, str):
        return None
    try:
        return parse_utc(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Answer:
    columns: list[str]
    rows: list[list[str]]


def run(statement: Statement, tables: list[Iterable[tuple[Any, ...]]], now: datetime, seconds: float) -> Answer:
    """The statement's answer over ``tables`` (the events of each store it names, rows of its schema's columns),
    every value as text. QueryFailed or QueryTimedOut when it does not finish."""
    database = sqlite3.connect(":memory:")
    try:
        for index, (schema, rows) in enumerate(zip(statement.schemas, tables, strict=True)):
            laid_out = ", ".join(f'"{name.lower()}"' for name in schema.columns)
            slots = ", ".join("?" for _ in schema.columns)
            database.execute(f"CREATE TABLE {_TABLE.format(index)} ({laid_out})")
            database.executemany(f"INSERT INTO {_TABLE.format(index)} VALUES ({slots})", rows)
        _register(database, now)
        deadline = time.monotonic() + seconds
        database.set_authorizer(lambda action, *_: sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY)
        database.set_progress_handler(lambda: time.monotonic() > deadline, 20_000)
        try:
            cursor = database.execute(statement.sql)
            columns = [item[0] for item in cursor.description or []]
            rows = cursor.fetchmany(MOST_ROWS + 1)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise QueryTimedOut() from exc
            raise QueryFailed(str(exc)) from exc
        except sqlite3.Error as exc:
            raise QueryFailed(str(exc)) from exc
        if len(rows) > MOST_ROWS:
            raise QueryFailed(f"The query's answer has more than {MOST_ROWS:,} rows: narrow it, or use LIMIT.")
        booleans = [name.lower() in BOOLEANS for name in columns]
        return Answer(columns, [[_text(value, boolean) for value, boolean in zip(row, booleans, strict=True)]
                                for row in rows])
    finally:
        database.close()


def _text(value: Any, boolean: bool) -> str:
    if value is None:
        return ""
    if boolean and value in (0, 1):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def _register(database: sqlite3.Connection, now: datetime) -> None:
    """Trino's functions the rewritten statements call, on Lake's time text."""
    shown_now = lake_time(now)
    database.create_function("lake_now", 0, lambda: shown_now, deterministic=True)
    database.create_function("lake_timestamp", 1, _timestamp, deterministic=True)
    database.create_function("lake_date_trunc", 2, _date_trunc, deterministic=True)
    database.create_function("lake_shift", 3, _shift, deterministic=True)
    database.create_function("regexp", 2, _regexp, deterministic=True)
    database.create_function("regexp_like", 2, lambda text, pattern: _regexp(pattern, text), deterministic=True)
    database.create_function("lake_json_scalar", 2, _json_scalar, deterministic=True)
    database.create_function("lake_json", 2, _json_value, deterministic=True)


def _timestamp(value: Any) -> str | None:
    moment = parse_time(value)
    return None if moment is None else lake_time(moment)


def _date_trunc(unit: str, value: Any) -> str | None:
    moment = parse_time(value)
    if moment is None:
        return None
    if unit in ("month", "year"):
        moment = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return lake_time(moment.replace(month=1) if unit == "year" else moment)
    if unit == "week":
        day = moment - timedelta(days=moment.weekday())
        return lake_time(day.replace(hour=0, minute=0, second=0, microsecond=0))
    keep = _UNITS.get(unit)
    if keep is None:
        raise ValueError(f"date_trunc does not know the unit {unit}")
    return lake_time(moment)[:keep] + "2000-01-01 00:00:00.000"[keep:]  # the rest of the time zeroed


_SHIFTS: dict[str, Callable[[float], timedelta]] = {
    "second": lambda count: timedelta(seconds=count), "minute": lambda count: timedelta(minutes=count),
    "hour": lambda count: timedelta(hours=count), "day": lambda count: timedelta(days=count),
    "week": lambda count: timedelta(weeks=count)}


def _shift(value: Any, count: Any, unit: str) -> str | None:
    moment = parse_time(value)
    try:
        amount = float(count)
    except (TypeError, ValueError):
        return None
    shift = _SHIFTS.get(unit.rstrip("s"))
    if moment is None or shift is None:
        return None
    try:
        return lake_time(moment + shift(amount))
    except OverflowError:
        return None


def _regexp(pattern: Any, text: Any) -> int | None:
    if not isinstance(pattern, str) or not isinstance(text, str):
        return None
    try:
        return int(re.search(pattern, text) is not None)
    except re.error as exc:
        raise ValueError(f"the pattern {pattern} is not a regular expression: {exc}") from exc


class _Number(str):
    """A JSON number as its text, as Trino answers it."""


_PATH_STEP = re.compile(r'\.([A-Za-z0-9_]+)|\."((?:[^"\\]|\\.)*)"|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]')


_MISSING = object()


def _json_at(text: Any, path: Any) -> Any:
    """The value at a JSON path (``$.a.b``, ``$["a"]``, ``$.a[0]``, or SQLite's spelling ``$."a"``) of JSON text,
    numbers kept as written; ``_MISSING`` where there is none, or the text is not JSON."""
    if not isinstance(text, str) or not isinstance(path, str) or not path.startswith("$"):
        return _MISSING
    try:
        value: Any = json.loads(text, parse_int=_Number, parse_float=_Number)
    except (ValueError, RecursionError):
        return _MISSING
    steps, rest = [], path[1:]
    while rest:
        found = _PATH_STEP.match(rest)
        if found is None:
            return _MISSING
        steps.append(found)
        rest = rest[found.end():]
    for step in steps:
        name, quoted, bracketed, index = step.groups()
        key = name if name is not None else quoted if quoted is not None else bracketed
        if key is not None and isinstance(value, dict) and key.replace('\\"', '"') in value:
            value = value[key.replace('\\"', '"')]
        elif index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return _MISSING
    return value


def _json_scalar(text: Any, path: Any) -> str | None:
    """Trino's json_extract_scalar: the scalar at ``path`` as text (numbers as written, booleans
    ``true``/``false``); null for anything else, text that is not JSON included."""
    value = _json_at(text, path)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str) else None


def _json_value(text: Any, path: Any) -> str | None:
    """Trino's json_extract: the value at ``path`` as compact JSON text (a JSON null is ``null``); null where
    there is none or the text is not JSON."""
    value = _json_at(text, path)
    return None if value is _MISSING else _compact(value)


def _compact(value: Any) -> str:
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_compact(key)}:{_compact(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_compact(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)
