"""Bulk loading of profile objects from a JSON Lines file, through the same mapping as PutProfileObject.

An operator's tool (like ``migrate``): it writes to the database directly, in batches of one
transaction each, without going through the gateway, so it is neither authorized nor audited.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from profilestack.gateway.errors import AwsError
from profilestack.services.profiles.domains import NotInDatabase, existing_domain
from profilestack.services.profiles.object_types import definition_of
from profilestack.services.profiles.objects import ingest_batch
from profilestack.services.profiles.tables import INGESTED_TABLES

if TYPE_CHECKING:
    from profilestack.app import App

Progress = Callable[[int, int, int], None]  # (lines done, total lines, failures)


@dataclass
class LoadResult:
    loaded: int = 0
    failed: int = 0
    seconds: float = 0.0
    first_errors: list[str] = field(default_factory=list)

    def refused(self, errors: list[str]) -> None:
        self.failed += len(errors)
        self.first_errors.extend(errors[:5 - len(self.first_errors)])


_NOT_TEXT = "not UTF-8 text."


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """Each line with something on it, as text; None for one that is not UTF-8."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode().strip()
            except UnicodeDecodeError:
                yield number, None
                continue
            if text:
                yield number, text


def count_lines(path: Path) -> int:
    total = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            total += chunk.count(b"\n")
    return total


def load(app: App, domain_name: str, object_type: str, path: Path, region: str = "us-east-1",
         account: str | None = None, batch_size: int = 1000, progress: Progress | None = None) -> LoadResult:
    account = account or app.settings.account_id
    with app.database.transaction(write=False) as db:
        domain = existing_domain(db, account, region, domain_name)
        try:
            definition = definition_of(db, domain, object_type)
        except AwsError:
            raise NotInDatabase(f"no object type {object_type} in domain {domain_name}") from None
    total = count_lines(path)
    result = LoadResult()
    started = time.monotonic()
    batch: list[tuple[int, str]] = []

    def flush() -> None:
        loaded, errors = app.database.again_if_lost_race(write_batch)  # e.g. a deadlock with another load
        result.loaded += loaded
        result.refused(errors)
        batch.clear()
        if progress:
            progress(result.loaded + result.failed, total, result.failed)

    def write_batch() -> tuple[int, list[str]]:
        with app.database.transaction() as db:
            outcomes = ingest_batch(db, app.ids, app.clock, domain, object_type, definition,
                                    [text for _, text in batch])
        errors = [f"line {number}: {outcome.message}" for (number, _), outcome in zip(batch, outcomes, strict=True)
                  if isinstance(outcome, AwsError)]
        return len(outcomes) - len(errors), errors

    for number, text in _lines(path):
        if text is None:
            result.refused([f"line {number}: {_NOT_TEXT}"])
            continue
        batch.append((number, text))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    app.database.analyze(*INGESTED_TABLES)
    result.seconds = time.monotonic() - started
    return result
