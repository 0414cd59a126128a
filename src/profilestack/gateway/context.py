"""What a handler gets: the caller, the region, and a lazily opened database transaction.

A ``CallContext`` is also the call's unit of work: leaving its ``with`` block ends the transaction it opened
(committed, or rolled back on an exception), then runs its commit hooks and wakes the outbox for what it
enqueued.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from profilestack.gateway.authz import AuthorizationRequest
from profilestack.identity.principal import Principal
from profilestack.outbox.wakeups import announce
from profilestack.outbox.worker import enqueue

if TYPE_CHECKING:
    from profilestack.app import App


@dataclass(slots=True)
class CallContext:
    app: App
    principal: Principal
    region: str
    request_id: str
    operation: str
    write: bool
    _transaction: AbstractContextManager[Connection] | None = field(default=None, repr=False)
    _connection: Connection | None = field(default=None, repr=False)
    enqueued: int = 0
    announced: bool = False  # other processes' workers told of this call's tasks
    committed_hooks: list[Callable[[], None]] = field(default_factory=list, repr=False)
    parent: CallContext | None = field(default=None, repr=False)  # a service's call made inside another call
    source_ip: str | None = None  # the caller's address (a service's name for its own calls): aws:SourceIp
    secure: bool | None = None  # the call came over TLS: aws:SecureTransport (None: as its principal says)
    snapshot: bool = True  # a read's statements see one snapshot (False: each what was committed when it ran)

    @property
    def account(self) -> str:
        return self.principal.account

    @property
    def db(self) -> Connection:
        """The call's transaction, opened on first use and committed when the call succeeds."""
        if self.parent is not None:  # one request, one transaction: nested calls join it
            return self.parent.db
        if self._connection is None:
            transaction = self.app.database.transaction(self.write, self.snapshot)
            self._connection = transaction.__enter__()
            self._transaction = transaction
        return self._connection

    def __enter__(self) -> CallContext:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        transaction, self._transaction, self._connection = self._transaction, None, None
        if transaction is not None:
            transaction.__exit__(kind, error, trace)  # commits, or rolls back and lets the error through
        if kind is not None:
            return
        for hook in self.committed_hooks:
            hook()
        if self.enqueued:
            self.app.outbox.wake()

    def enqueue(self, kind: str, payload: dict[str, Any], delay: float = 0.0,
                not_before: datetime | None = None) -> None:
        """Schedule work that happens after, and only if, this call commits (``delay`` seconds from then, and not
        before ``not_before``)."""
        owner = self  # the call whose transaction this is
        while owner.parent is not None:
            owner = owner.parent
        if not delay and not owner.announced:
            announce(self.db)  # workers of other processes wake when the transaction commits
            owner.announced = True
        self.enqueued += 1
        if self.parent is not None:
            self.parent.enqueued += 1
        enqueue(self.db, self.app.clock, kind, payload, delay, not_before)

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once this call's transaction has committed (e.g. to drop caches of what it changed)."""
        if self.parent is not None:
            self.parent.on_commit(hook)
        elif hook not in self.committed_hooks:
            self.committed_hooks.append(hook)

    def now(self):
        return self.app.clock.now()

    def authorize(self, action: str, arn: str, params: dict[str, Any] | None = None) -> None:
        """What the call needs beyond the action it was called by (``iam:PassRole`` on a role, ``StartQuery`` on
        each store a statement reads), asked of the authorizer as the call's own action was: AccessDenied
        otherwise. ``params`` give service condition keys their values."""
        self.app.authorizer.authorize(AuthorizationRequest(self.principal, action, [arn], self.region, params or {},
                                                           self.source_ip, self.secure))
