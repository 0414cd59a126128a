"""Handlers per service: plain functions ``(ctx, params) -> result`` registered by operation name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.http import RawBody
from profilestack.identity.principal import Principal
from profilestack.store.locks import lock_for_transaction

if TYPE_CHECKING:
    from profilestack.app import App

# An answer is encoded in the protocol the request spoke; a RawBody is sent as it is
Handler = Callable[[CallContext, dict[str, Any]], dict[str, Any] | RawBody | None]
Task = Callable[["App", dict[str, Any]], None]
# What to do when a task failed for good (its attempts ran out): record it where the task's users look
GaveUp = Callable[["App", dict[str, Any]], None]
# What a call proves beyond its credentials (an MFA code it carries): the principal it is authorized and handled as
Voucher = Callable[["App", Principal, dict[str, Any]], Principal]
# Service condition keys a call's parameters give only once read (cloudwatch:requestInsightRuleLogGroups, from a rule
# definition): their values by key name, without the service's prefix
ConditionValues = Callable[[dict[str, Any]], dict[str, list[str]]]


class ServiceHandlers:
    """``after_write`` runs after any of the service's writes commits (IAM uses it to drop authorization caches);
    ``write_lock`` names a lock each of its writes (but those registered ``locked=False``) holds until it commits (on
    PostgreSQL: SQLite has one writer at a time already), so that checks such as a quota's count-then-insert do not
    interleave."""

    def __init__(self, service: str, after_write: Callable[[CallContext], None] | None = None,
                 write_lock: Callable[[CallContext], str] | None = None) -> None:
        self.service = service
        self.after_write = after_write
        self.write_lock = write_lock
        self.handlers: dict[str, Handler] = {}
        self.vouchers: dict[str, Voucher] = {}
        self.condition_values: dict[str, ConditionValues] = {}
        self.tasks: dict[str, Task] = {}
        self.gave_up: dict[str, GaveUp] = {}
        self.periodic: dict[str, float] = {}  # task kind → seconds between runs
        self.writers: set[str] = set()  # operations that write although IAM ranks their action Read or List
        self.fresh_readers: set[str] = set()  # reads whose statements need not see one snapshot

    def task(self, kind: str, every: float | None = None) -> Callable[[Task], Task]:
        """Register the runner of an outbox task kind; with ``every``, the task also runs periodically."""

        def register(function: Task) -> Task:
            self.tasks[kind] = function
            if every is not None:
                self.periodic[kind] = every
            return function

        return register

    def gives_up(self, kind: str) -> Callable[[GaveUp], GaveUp]:
        """Register what is done when a task of this kind failed for good, to leave no job shown as running."""

        def register(function: GaveUp) -> GaveUp:
            self.gave_up[kind] = function
            return function

        return register

    def vouches(self, name: str) -> Callable[[Voucher], Voucher]:
        """Register what an operation's own parameters prove about its caller, checked before authorization."""

        def register(function: Voucher) -> Voucher:
            self.vouchers[name] = function
            return function

        return register

    def gives_condition_keys(self, name: str) -> Callable[[ConditionValues], ConditionValues]:
        """Register the service condition keys an operation's parameters give once read, for its authorization."""

        def register(function: ConditionValues) -> ConditionValues:
            self.condition_values[name] = function
            return function

        return register

    def operation(self, name: str, writes: bool = False, snapshot: bool = True,
                  locked: bool = True) -> Callable[[Handler], Handler]:
        """``writes``: the operation writes although IAM ranks its action Read or List (GetSessionToken, say), so
        its transaction is a writer's from the start: on SQLite a reader cannot become one if another wrote.
        ``snapshot=False``: a read whose statements need not agree with one another, each seeing what was committed
        when it ran; on PostgreSQL it then runs without a transaction (Database.transaction).
        ``locked=False``: its writes do not take the service's ``write_lock`` (a hot path whose writes check
        nothing that another write could change meanwhile)."""

        def register(function: Handler) -> Handler:
            write_lock = self.write_lock if locked else None
            self.handlers[name] = (self._with_hook(function, write_lock) if self.after_write or write_lock
                                   else function)
            if writes:
                self.writers.add(name)
            if not snapshot:
                self.fresh_readers.add(name)
            return function

        return register


    def _with_hook(self, function: Handler, write_lock: Callable[[CallContext], str] | None) -> Handler:
        after_write = self.after_write

        def handler(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any] | None:
            if ctx.write:
                if write_lock is not None:
                    lock_for_transaction(ctx.db, write_lock(ctx))
                if after_write is not None:
                    ctx.on_commit(lambda: after_write(ctx))
            return function(ctx, params)

        return handler


def all_services() -> tuple[ServiceHandlers, ...]:
    """Every service; importing a service module registers its operations and tasks."""
    from profilestack.services.campaigns import instances  # noqa: F401  its operations register on ``outbound``
    from profilestack.services.campaigns.campaigns_v1 import dialer
    from profilestack.services.campaigns.handlers import outbound
    from profilestack.services.cloudtrail import (  # noqa: F401  their operations register on ``cloudtrail``
        channels,
        event_data_stores,
        insights_metrics,
        lake_queries,
        organizations,
        resource_policies,
        trails,
    )
    from profilestack.services.cloudtrail import dashboards as lake_dashboards  # noqa: F401
    from profilestack.services.cloudtrail import tagging as cloudtrail_tagging  # noqa: F401
    from profilestack.services.cloudtrail.handlers import cloudtrail
    from profilestack.services.cloudtrail_data.handlers import cloudtrail_data
    from profilestack.services.cloudwatch import (  # noqa: F401  their operations register on ``cloudwatch``
        alarm_mute_rules,
        alarm_states,
        alarms,
        anomaly_detectors,
        composite_alarms,
        contributor_insights,
        dashboards,
        metric_streams,
        query_definitions,
        tagging,
        widget_images,
    )
    from profilestack.services.cloudwatch.handlers import cloudwatch
    from profilestack.services.iam.handlers import iam
    from profilestack.services.profiles.handlers import profiles
    from profilestack.services.sts import scoped_credentials, web_identity_tokens  # noqa: F401  on ``sts``
    from profilestack.services.sts.handlers import sts

    return (sts, iam, cloudtrail, cloudtrail_data, profiles, cloudwatch, outbound, dialer)


def all_handlers() -> dict[tuple[str, str], Handler]:
    """Every implemented (service, operation)."""
    return {(service.service, name): handler for service in all_services()
            for name, handler in service.handlers.items()}


def all_writers() -> set[tuple[str, str]]:
    """The (service, operation)s that write although their action is ranked Read or List."""
    return {(service.service, name) for service in all_services() for name in service.writers}


def all_fresh_readers() -> set[tuple[str, str]]:
    """The (service, operation)s registered with ``snapshot=False``."""
    return {(service.service, name) for service in all_services() for name in service.fresh_readers}


def all_condition_values() -> dict[tuple[str, str], ConditionValues]:
    return {(service.service, name): function for service in all_services()
            for name, function in service.condition_values.items()}


def all_vouchers() -> dict[tuple[str, str], Voucher]:
    return {(service.service, name): voucher for service in all_services()
            for name, voucher in service.vouchers.items()}


def all_tasks() -> dict[str, Task]:
    """Every outbox task kind and its runner."""
    return {kind: task for service in all_services() for kind, task in service.tasks.items()}


def give_ups() -> dict[str, GaveUp]:
    """Task kind → what is done when one of its tasks failed for good."""
    return {kind: function for service in all_services() for kind, function in service.gave_up.items()}


def periodic_tasks() -> dict[str, float]:
    """Task kinds that run every so many seconds."""
    return {kind: every for service in all_services() for kind, every in service.periodic.items()}
