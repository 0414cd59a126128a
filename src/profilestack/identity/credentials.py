"""Access keys and the principals they stand for."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from profilestack.identity.principal import Principal, root_principal

if TYPE_CHECKING:
    from profilestack.config import RootKeys


@dataclass(frozen=True, slots=True)
class Credential:
    access_key: str
    secret: str
    principal: Principal
    session_token: str | None = None  # temporary credentials must present it
    expires_at: datetime | None = None
    active: bool = True


class CredentialSource(Protocol):
    def lookup(self, access_key: str) -> Credential | None: ...


class RootCredentials:
    """The configured root key pairs: the bootstrap one (``test``/``test`` by default) and those of more accounts."""

    def __init__(self, keys: list[RootKeys]) -> None:
        self._credentials = {key.access_key: Credential(key.access_key, key.secret,
                                                        root_principal(key.account, key.access_key))
                             for key in keys}

    def lookup(self, access_key: str) -> Credential | None:
        return self._credentials.get(access_key)


class CredentialResolver:
    """Asks each source in turn; remembers answers for ``ttl`` seconds.

    Writes that change a key call ``invalidate``; other processes sharing the
    database see the change within ``ttl`` (IAM itself is eventually consistent).
    """

    def __init__(self, sources: list[CredentialSource], ttl: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._sources = sources
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Credential | None]] = {}
        self._lock = threading.Lock()

    def add_source(self, source: CredentialSource) -> None:
        self._sources.append(source)
        self.invalidate()

    def lookup(self, access_key: str) -> Credential | None:
        now = self._monotonic()
        cached = self._cache.get(access_key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        found = None
        for source in self._sources:
            found = source.lookup(access_key)
            if found is not None:
                break
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[access_key] = (now, found)
        return found

    def invalidate(self, access_key: str | None = None) -> None:
        with self._lock:
            if access_key is None:
                self._cache.clear()
            else:
                self._cache.pop(access_key, None)
