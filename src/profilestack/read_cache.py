"""Finished answers of hot reads (IAM's GetRole and ARN paths, Customer Profiles domain ids), kept until a write
of what they read commits in this process, or for ``ttl`` seconds: the eventual consistency that authorization's
caches and IAM itself have. Other processes sharing a PostgreSQL database see a change at most ``ttl`` late."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from profilestack.gateway.shared_answer import SharedAnswer

T = TypeVar("T")


class ReadCache:
    def __init__(self, ttl: float = 1.0, monotonic: Callable[[], float] = time.monotonic,
                 limit: int = 10_000) -> None:
        self.ttl = ttl
        self.monotonic = monotonic
        self.limit = limit
        self._entries: dict[Hashable, tuple[float, object]] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = self.monotonic()
        found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]  # type: ignore[return-value]
        value = load()
        if isinstance(value, dict):  # every caller gets this very answer: encoders may keep what they wrote
            value = SharedAnswer(value)  # type: ignore[assignment]
        if len(self._entries) >= self.limit:
            self._entries = {}
        self._entries[key] = (now, value)
        return value

    def invalidate(self) -> None:
        self._entries = {}
