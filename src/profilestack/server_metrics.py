"""The server's own metrics for whoever runs it, in Prometheus's text format at ``GET /_profilestack/metrics``.

Calls are counted from the audit trail's events, by the audit writer's thread, a batch at a time: the request's
own path pays only for two clock readings. Only aggregates are shown — services, operations, error codes, the
outbox's queue — never an account, a principal or a resource. prometheus_client writes the exposition, imported
at the first scrape rather than at start (it takes tens of milliseconds); the counting is plain dictionaries under
one lock taken per batch, a fraction of a microsecond per call.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from profilestack import __version__
from profilestack.outbox.table import outbox

if TYPE_CHECKING:
    from prometheus_client.core import GaugeMetricFamily, Metric

    from profilestack.audit.record import AuditEvent
    from profilestack.store.database import Database

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # seconds


class _Durations:
    """One service's call durations: a count per bucket (the last past every bound), and their sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def cumulative(self) -> list[tuple[str, float]]:
        running, buckets = 0, []
        for bound, count in zip((*map(str, BUCKETS), "+Inf"), self.counts, strict=True):
            running += count
            buckets.append((bound, running))
        return buckets


class ServerMetrics:
    """The counts, and a prometheus_client collector of them (``collect``) for the exposition."""

    def __init__(self, database: Database, audit_waiting: Callable[[], int]) -> None:
        self._database = database
        self._audit_waiting = audit_waiting
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str, str]] = Counter()  # (service, operation, error code or "")
        self._durations: dict[str, _Durations] = {}
        self._refused: Counter[str] = Counter()
        self._registry: Any = None  # prometheus_client's, made at the first scrape

    def count(self, events: Iterable[AuditEvent]) -> None:
        """Count recorded calls (each cross-account call once, not once per account's copy)."""
        calls: Counter[tuple[str, str, str]] = Counter()
        timed: list[tuple[str, float]] = []
        for event in events:
            if event.shared_event_id is not None and event.shared_event_id != event.event_id:
                continue
            service = event.event_source.removesuffix(".amazonaws.com")
            calls[service, event.event_name, event.error_code or ""] += 1
            if event.seconds is not None:
                timed.append((service, event.seconds))
        with self._lock:
            self._calls.update(calls)
            for service, seconds in timed:
                durations = self._durations.get(service) or self._durations.setdefault(service, _Durations())
                durations.counts[bisect_left(BUCKETS, seconds)] += 1
                durations.total += seconds

    def refused(self, code: str) -> None:
        """A request refused before any principal was known (unknown key, bad signature, expired, unsigned)."""
        with self._lock:
            self._refused[code] += 1

    def exposition(self) -> tuple[str, bytes]:
        """The content type and body of an answer to a scrape."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self._registry is None:
            registry = CollectorRegistry(auto_describe=False)  # no describe(): registering reads nothing
            registry.register(self)  # type: ignore[arg-type]  # a collector is anything with collect()
            self._registry = registry
        return CONTENT_TYPE_LATEST, generate_latest(self._registry)

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
            InfoMetricFamily,
        )

        with self._lock:
            calls, refused = dict(self._calls), dict(self._refused)
            durations = {service: (kept.cumulative(), kept.total) for service, kept in self._durations.items()}
        yield InfoMetricFamily("profilestack", "The server's version and storage.",
                               value={"version": __version__, "storage": self._database.backend})
        answered = CounterMetricFamily("profilestack_calls", "AWS calls answered (the calls the audit trail "
                                       "records), by service, operation and error code (empty for a success).",
                                       labels=["service", "operation", "error"])
        for labels, count in sorted(calls.items()):
            answered.add_metric(list(labels), count)
        yield answered
        timing = HistogramMetricFamily("profilestack_call_duration_seconds", "Time from a call's arrival to the end "
                                       "of its handling (its answer not yet encoded), by service.",
                                       labels=["service"])
        for service, (buckets, total) in sorted(durations.items()):
            timing.add_metric([service], buckets, total)
        yield timing
        failures = CounterMetricFamily("profilestack_authentication_failures", "Requests refused before any "
                                       "principal was known, by error code.", labels=["error"])
        for code, count in sorted(refused.items()):
            failures.add_metric([code], count)
        yield failures
        yield self._outbox()
        yield GaugeMetricFamily("profilestack_audit_events_waiting", "Audit events recorded and not yet stored.",
                                value=self._audit_waiting())

    def _outbox(self) -> GaugeMetricFamily:
        from prometheus_client.core import GaugeMetricFamily

        tasks = GaugeMetricFamily("profilestack_outbox_tasks", "Background tasks in the outbox, by kind and status "
                                  "(done ones are kept a day).", labels=["kind", "status"])
        with self._database.transaction(write=False) as db:
            counts = db.execute(select(outbox.c.kind, outbox.c.status, func.count())
                                .group_by(outbox.c.kind, outbox.c.status)).all()
        for kind, status, count in counts:
            tasks.add_metric([kind, status], count)
        return tasks
