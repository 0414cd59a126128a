"""Recommenders: a recipe trained on the domain's web analytics events and item catalog. Each training makes a
version (``<name>/<time>``) in the background (an outbox task); the recommender answers with its active version
(recommendations.py), may roll back to an earlier one, is stopped and started, and retrains every
``TrainingFrequency`` days."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.outbox.worker import enqueue
from profilestack.services.next_token import page_result
from profilestack.services.profiles import recommender_model
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.recommender_model import RECIPES, Interaction, TrainingError
from profilestack.services.profiles.recommender_schemas import (
    MANDATORY_COLUMNS,
    SCHEMAS,
    dataset,
    fields_by_dataset,
    new_definition,
    schema_columns,
)
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.standard_objects import CATALOG_ITEM, WEB_ANALYTICS
from profilestack.services.profiles.tables import profile_objects, profile_recommender_versions, profile_recommenders

if TYPE_CHECKING:
    from profilestack.app import App

RECOMMENDERS = HeldDefinitions(profile_recommenders, "name", "Recommender", "recommenders", "RecommenderName")
TRAIN_TASK = "profile.train_recommender"
DEFAULT_TRAINING_DAYS = 7  # how often a recommender retrains when its configuration does not say
_DEFAULT_SIMILARITY = ("Category", "Type")  # the catalog columns items are compared by without a schema
_NOT_SERVING = ("PENDING", "IN_PROGRESS", "FAILED")  # statuses of a recommender with no version answering
_versions = profile_recommender_versions.c
_MEMBERS = ("RecommenderRecipeName", "RecommenderSchemaName", "RecommenderConfig", "Description")


def _check_config(ctx: CallContext, domain: Row[Any], config: dict[str, Any], schema_name: str | None) -> None:
    """IncludedColumns, ExcludedColumns and DiversityConfig name columns the schema has (the default schema: every
    field), the mandatory columns are not excluded, and the two lists are not both given."""
    if "IncludedColumns" in config and "ExcludedColumns" in config:
        raise bad_request("IncludedColumns and ExcludedColumns cannot both be given.")
    columns = schema_columns(ctx, domain, schema_name)
    for member in ("IncludedColumns", "ExcludedColumns"):
        for name, listed in (config.get(member) or {}).items():
            dataset(name)
            for column in listed:
                if column not in columns.get(name, ()) and column not in MANDATORY_COLUMNS[name]:
                    raise bad_request(f"{member} names {column}, which is not a column of {name} in the "
                                      f"recommender's schema.")
                if member == "ExcludedColumns" and column in MANDATORY_COLUMNS[name]:
                    raise bad_request(f"{column} of {name} is always trained on: it cannot be excluded.")
    for column in (config.get("DiversityConfig") or {}).get("DiversityColumns") or []:
        if column["Name"] not in columns.get(CATALOG_ITEM.name, ()):
            raise bad_request(f"Diversity column {column['Name']} is not a column of {CATALOG_ITEM.name} in the "
                              "recommender's schema.")


def similarity_columns(schema: dict[str, list[str]], config: dict[str, Any], has_schema: bool) -> list[str]:
    """The catalog columns two items are compared by (similar-items): the schema's (dataset → columns; without a
    schema: Category and Type), narrowed by IncludedColumns or ExcludedColumns; never the item's own Id."""
    columns = schema.get(CATALOG_ITEM.name, []) if has_schema else list(_DEFAULT_SIMILARITY)
    included = (config.get("IncludedColumns") or {}).get(CATALOG_ITEM.name)
    excluded = set((config.get("ExcludedColumns") or {}).get(CATALOG_ITEM.name) or ())
    if included is not None:
        columns = [column for column in columns if column in included]
    return [column for column in columns if column not in excluded and column != "Id"]


def _version_name(db: Connection, domain_id: int, recommender: str, now: datetime) -> str:
    """``<recommender>/YYYY-MM-DDTHH-MM-SSZ`` (the model's pattern): a second later when that one is taken."""
    while True:
        name = f"{recommender}/{now:%Y-%m-%dT%H-%M-%SZ}"
        if db.execute(select(_versions.name).where(_versions.domain_id == domain_id, _versions.recommender ==
                                                   recommender, _versions.name == name)).first() is None:
            return name
        now += timedelta(seconds=1)


def _new_version(db: Connection, domain_id: int, name: str, config: dict[str, Any], origin: str,
                 now: datetime) -> str:
    """A version to train, IN_PROGRESS: its name."""
    version = _version_name(db, domain_id, name, now)
    db.execute(insert(profile_recommender_versions).values(
        domain_id=domain_id, recommender=name, name=version, status="IN_PROGRESS", origin=origin, config=config,
        created_at=now, updated_at=now))
    return version


def _start_training(db: Connection, enqueue: Callable[[str, dict[str, Any]], None], domain_id: int, name: str,
                    config: dict[str, Any], origin: str, now: datetime) -> None:
    """A new version and the task that trains it (after the call commits)."""
    version = _new_version(db, domain_id, name, config, origin, now)
    enqueue(TRAIN_TASK, {"domain_id": domain_id, "recommender": name, "version": version})


def _set(db: Connection, domain_id: int, name: str, **values: Any) -> None:
    """Change the recommender's row: its status, active version, failure, last update."""
    db.execute(update(profile_recommenders).where(profile_recommenders.c.domain_id == domain_id,
                                                  profile_recommenders.c.name == name).values(**values))


@profiles.operation("CreateRecommender")
def create_recommender(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, name = new_definition(ctx, params, RECOMMENDERS)
    config = params.get("RecommenderConfig") or {}
    _check_config(ctx, domain, config, params.get("RecommenderSchemaName"))
    definition = {member: params[member] for member in _MEMBERS if member in params}
    RECOMMENDERS.put(ctx, domain, name, definition, params.get("Tags"), status="PENDING")
    _start_training(ctx.db, ctx.enqueue, domain.id, name, config, "CREATE", ctx.now())
    return {"RecommenderArn": RECOMMENDERS.arn(domain, name), **({"Tags": params["Tags"]} if params.get("Tags")
                                                                 else {})}


def _version_rows(db: Connection, domain_id: int, name: str) -> list[Row[Any]]:
    """The recommender's versions, newest first."""
    return db.execute(select(profile_recommender_versions).where(
        _versions.domain_id == domain_id, _versions.recommender == name)
        .order_by(_versions.created_at.desc(), _versions.name.desc())).all()


def _update_shape(version: Row[Any]) -> dict[str, Any]:
    return {"RecommenderConfig": version.config, "Status": version.status, "CreatedAt": version.created_at,
            "LastUpdatedAt": version.updated_at, "RecommenderVersionName": version.name,
            **({"FailureReason": version.failure} if version.failure else {})}


def _shape(ctx: CallContext, domain: Row[Any], row: Row[Any], metrics_count: int = 0) -> dict[str, Any]:
    versions = _version_rows(ctx.db, domain.id, row.name)
    shape = RECOMMENDERS.shape(ctx, domain, row, Status=row.status)
    if row.failure:
        shape["FailureReason"] = row.failure
    if row.active_version:
        shape["ActiveRecommenderVersionName"] = row.active_version
    if versions and versions[0].origin != "CREATE":  # the latest change of a recommender already made
        shape["LatestRecommenderUpdate"] = _update_shape(versions[0])
    trained = [version for version in versions if version.metrics is not None][:metrics_count]
    if trained:
        shape["TrainingMetrics"] = [{"Time": version.updated_at, "Metrics": version.metrics,
                                     "RecommenderVersionName": version.name} for version in trained]
    return shape


@profiles.operation("GetRecommender")
def get_recommender(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = RECOMMENDERS.named(ctx, params)
    return _shape(ctx, domain, row, params.get("TrainingMetricsCount", 1))


@profiles.operation("ListRecommenders")
def list_recommenders(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    def summary(call: CallContext, domain: Row[Any], row: Row[Any]) -> dict[str, Any]:
        shape = _shape(call, domain, row)
        shape["RecipeName"] = shape.pop("RecommenderRecipeName")
        return shape

    return RECOMMENDERS.listed(ctx, params, ("RecommenderName", "RecipeName", "RecommenderSchemaName",
                                             "RecommenderConfig", "CreatedAt", "Description", "Status",
                                             "LastUpdatedAt", "Tags", "FailureReason", "LatestRecommenderUpdate"),
                               summary, "Recommenders")


@profiles.operation("UpdateRecommender")
def update_recommender(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = RECOMMENDERS.named(ctx, params)
    if "RecommenderConfig" in params and "RecommenderVersionName" in params:
        raise bad_request("Give RecommenderConfig to retrain, or RecommenderVersionName to roll back, not both.")
    versions = _version_rows(ctx.db, domain.id, row.name)
    if ("RecommenderConfig" in params or "RecommenderVersionName" in params) and any(
            version.status == "IN_PROGRESS" for version in versions):
        raise bad_request(f"Recommender {row.name} is being trained: update it once its training ends.")
    definition = dict(row.definition)
    if "Description" in params:
        definition["Description"] = params["Description"]
    if "RecommenderVersionName" in params:
        wanted = params["RecommenderVersionName"]
        version = next((found for found in versions if found.name == wanted and found.status == "ACTIVE"), None)
        if version is None:
            raise bad_request(f"{wanted} is not a trained version of recommender {row.name}.")
        definition["RecommenderConfig"] = version.config
        _set(ctx.db, domain.id, row.name, active_version=version.name, updated_at=ctx.now())
    if "RecommenderConfig" in params:
        config = params["RecommenderConfig"]
        _check_config(ctx, domain, config, definition.get("RecommenderSchemaName"))
        definition["RecommenderConfig"] = config
        if row.active_version is None:  # it never trained: it is pending again
            _set(ctx.db, domain.id, row.name, status="PENDING", failure=None, updated_at=ctx.now())
        _start_training(ctx.db, ctx.enqueue, domain.id, row.name, config, "UPDATE", ctx.now())
    RECOMMENDERS.save(ctx, domain, row.name, definition)
    return {"RecommenderName": row.name}


@profiles.operation("StartRecommender")
def start_recommender(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _switch(ctx, params, "INACTIVE", "ACTIVE", "started")


@profiles.operation("StopRecommender")
def stop_recommender(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _switch(ctx, params, "ACTIVE", "INACTIVE", "stopped")


def _switch(ctx: CallContext, params: dict[str, Any], before: str, after: str, done: str) -> dict[str, Any]:
    """A recommender from one status to the other, at once (AWS passes through STARTING or STOPPING)."""
    domain, row = RECOMMENDERS.named(ctx, params)
    if row.status != before:
        raise bad_request(f"Recommender {row.name} is {row.status}: only an {before} recommender can be {done}.")
    _set(ctx.db, domain.id, row.name, status=after, updated_at=ctx.now())
    return {}


@profiles.operation("DeleteRecommender")
def delete_recommender(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = RECOMMENDERS.named(ctx, params)
    ctx.db.execute(delete(profile_recommender_versions).where(_versions.domain_id == domain.id,
                                                              _versions.recommender == row.name))
    RECOMMENDERS.delete(ctx, domain, row)
    return {}


@profiles.operation("ListRecommenderRecipes")
def list_recommender_recipes(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return page_result(list(RECIPES.items()), params, lambda chunk: [
        {"name": name, "description": text} for name, text in chunk], key="RecommenderRecipes")


_EVENTS = (profile_objects.c.object_type == WEB_ANALYTICS.name, profile_objects.c.profile_id.is_not(None))


def interactions(db: Connection, domain_id: int, profile_id: str) -> list[Interaction]:
    """A customer's web analytics events that name an item, oldest first."""
    return _oldest_first(db.execute(select(profile_objects.c.profile_id, profile_objects.c.body).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.profile_id == profile_id, *_EVENTS)))


def customers(db: Connection, domain_id: int) -> Iterator[list[Interaction]]:
    """The domain's web analytics events that name an item, one customer's at a time (each oldest first), read a
    thousand rows at a time in customer order: a training holds one customer's events, not the domain's."""
    rows = db.execute(select(profile_objects.c.profile_id, profile_objects.c.body).where(
        profile_objects.c.domain_id == domain_id, *_EVENTS).order_by(profile_objects.c.profile_id)
        .execution_options(yield_per=1000))
    for _, held in groupby(rows, key=attrgetter("profile_id")):
        found = _oldest_first(held)
        if found:
            yield found


def _oldest_first(rows: Iterable[Row[Any]]) -> list[Interaction]:
    found = []
    for row in rows:
        event = jsontext.loads(row.body)
        item = (event.get("Item") or {}).get("Id")
        if isinstance(item, str):
            found.append(Interaction(row.profile_id, item, str(event.get("EventType", "")),
                                     _number(event.get("EventTimestamp")) or 0.0, _number(event.get("EventValue"))))
    return sorted(found, key=lambda interaction: interaction.timestamp_ms)


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def catalog(db: Connection, domain_id: int, items: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The domain's catalog items (those of ``items`` when given), by Id."""
    query = select(profile_objects.c.unique_key, profile_objects.c.body).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.object_type == CATALOG_ITEM.name)
    if items is not None:
        query = query.where(profile_objects.c.unique_key.in_(items))
    return {row.unique_key: jsontext.loads(row.body) for row in db.execute(query)}


@profiles.task(TRAIN_TASK)
def train_recommender(app: App, payload: dict[str, Any]) -> None:
    """Train one version: read the events and the catalog, learn and measure outside any transaction, then keep
    the model, make it the active one (or record why it failed) and schedule the next training."""
    claimed = _claim(app, payload)
    if claimed is None:
        return
    recommender, version, config = claimed
    schema_name = recommender.definition.get("RecommenderSchemaName")
    try:
        with app.database.transaction(write=False) as db:  # one consistent reading, customer by customer
            columns = _columns_of(db, payload["domain_id"], schema_name)
            trained = recommender_model.train(
                customers(db, payload["domain_id"]), catalog(db, payload["domain_id"]), config,
                similarity_columns(columns, config, bool(schema_name)), app.clock.now().timestamp() * 1000)
    except TrainingError as error:
        _conclude(app, payload["domain_id"], recommender.name, version, None, None, str(error), config)
        return
    metrics = recommender_model.evaluate(trained.model, recommender.definition["RecommenderRecipeName"],
                                         trained.histories)
    _conclude(app, payload["domain_id"], recommender.name, version, trained.model, metrics, None, config)


def _claim(app: App, payload: dict[str, Any]) -> tuple[Row[Any], str, dict[str, Any]] | None:
    """The recommender, the version to train (a scheduled retraining makes one, or takes up its own that a run cut
    short left) and its configuration; None when there is nothing to train: the recommender or the version is
    gone, the version trained already, or another training came since the one that scheduled this one."""
    domain_id, name = payload["domain_id"], payload["recommender"]
    with app.database.transaction() as db:
        row = RECOMMENDERS.find(db, domain_id, name)
        if row is None:
            return None
        version = payload.get("version")
        if version is None:
            latest = _version_rows(db, domain_id, name)
            names = [found.name for found in latest]
            if latest and latest[0].status == "IN_PROGRESS" and latest[0].origin == "SCHEDULE" and names[1:2] == [
                    payload["after"]]:
                version = latest[0].name
            elif row.status != "ACTIVE" or names[:1] != [payload["after"]]:
                return None
            else:
                version = _new_version(db, domain_id, name, row.definition.get("RecommenderConfig") or {},
                                       "SCHEDULE", app.clock.now())
        config = db.execute(select(_versions.config).where(_versions.domain_id == domain_id,
                                                           _versions.recommender == name, _versions.name == version,
                                                           _versions.status == "IN_PROGRESS")).scalar()
        if config is None:
            return None
        if row.status == "PENDING":
            _set(db, domain_id, name, status="IN_PROGRESS")
    return row, version, config


@profiles.gives_up(TRAIN_TASK)
def training_failed(app: App, payload: dict[str, Any]) -> None:
    """A training whose attempts ran out fails, as one the data could not make; the next is scheduled all the
    same."""
    domain_id, name = payload["domain_id"], payload["recommender"]
    with app.database.transaction(write=False) as db:
        running = [found for found in _version_rows(db, domain_id, name) if found.status == "IN_PROGRESS"]
    for found in running if payload.get("version") is None else [
            found for found in running if found.name == payload["version"]]:
        _conclude(app, domain_id, name, found.name, None, None, "The training failed: an internal error occurred.",
                  found.config)


def _columns_of(db: Connection, domain_id: int, schema_name: str | None) -> dict[str, list[str]]:
    schema = None if schema_name is None else SCHEMAS.find(db, domain_id, schema_name)
    return {} if schema is None else fields_by_dataset(schema)


def _conclude(app: App, domain_id: int, name: str, version: str, model: dict[str, Any] | None,
              metrics: dict[str, float] | None, failure: str | None, config: dict[str, Any]) -> None:
    with app.database.transaction() as db:
        now = app.clock.now()
        done = db.execute(update(profile_recommender_versions).where(
            _versions.domain_id == domain_id, _versions.recommender == name, _versions.name == version,
            _versions.status == "IN_PROGRESS").values(status="FAILED" if model is None else "ACTIVE", model=model,
                                                      metrics=metrics, failure=failure, updated_at=now))
        row = RECOMMENDERS.find(db, domain_id, name)
        if not done.rowcount or row is None:
            return
        if model is not None:  # a stopped recommender stays INACTIVE, with the new version to start with
            status = "ACTIVE" if row.status in _NOT_SERVING else row.status
            _set(db, domain_id, name, status=status, active_version=version, failure=None, updated_at=now)
        elif row.active_version is None:
            _set(db, domain_id, name, status="FAILED", failure=failure, updated_at=now)
        days = config.get("TrainingFrequency", DEFAULT_TRAINING_DAYS)
        if days:
            enqueue(db, app.clock, TRAIN_TASK, {"domain_id": domain_id, "recommender": name, "after": version},
                    delay=days * 86_400.0)
