"""The server's own metrics for whoever runs it, in Prometheus's text format at ``GET /_profilestack/metrics``.

Calls are counted from the audit trail's events, by the audit writer's thread, a batch at a time: the request's
own path pays only for two clock readings. Only aggregates are shown — services, operations, error codes, the
outbox's queue — never an account, a principal or a resource. prometheus_client writes the exposition, imported
at the first scrape rather than at start (it takes tens of milliseconds); the counting is plain dictionaries under
one lock taken per batch, a fraction of a microsecond per call.

With ``serve --workers N`` a scrape reaches one of N processes: each publishes its counts every second to a
directory they share, and each scrape adds the others' to its own (those of a process that died stay counted, so
the counters never go back); otherwise a scrape would show one process's share, a different one each time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from profilestack import __version__
from profilestack.logs import Recurring
from profilestack.outbox.table import outbox

if TYPE_CHECKING:
    from prometheus_client.core import GaugeMetricFamily, Metric

    from profilestack.audit.record import AuditEvent
    from profilestack.store.database import Database

log = logging.getLogger(__name__)

PUBLISH_EVERY = 1.0  # seconds: how stale another process's counts may be in a scrape
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
    """The counts, and a prometheus_client collector of them (``collect``) for the exposition. ``shared_dir``: the
    directory the processes of one ``serve --workers N`` share their counts through."""

    def __init__(self, database: Database, audit_waiting: Callable[[], int], shared_dir: Path | None = None) -> None:
        self._database = database
        self._audit_waiting = audit_waiting
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str, str]] = Counter()  # (service, operation, error code or "")
        self._durations: dict[str, _Durations] = {}
        self._refused: Counter[str] = Counter()
        self._registry: Any = None  # prometheus_client's, made at the first scrape
        self._shared_dir = shared_dir
        self._stop = threading.Event()
        self._publisher: threading.Thread | None = None
        self._unpublished = Recurring(log)

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

    def start(self) -> None:
        """Publish this process's counts every ``PUBLISH_EVERY`` seconds, when there are processes to share with."""
        if self._shared_dir is not None:
            self._publisher = threading.Thread(target=self._publish_until_stopped, name="metrics-publisher",
                                               daemon=True)
            self._publisher.start()

    def close(self) -> None:
        """The last counts published (the audit writer has counted its last events)."""
        if self._publisher is not None:
            self._stop.set()
            self._publisher.join()
            self._publish_if_possible()

    def _publish_until_stopped(self) -> None:
        while not self._stop.wait(PUBLISH_EVERY):
            self._publish_if_possible()

    def _publish_if_possible(self) -> None:
        """A file that cannot be written (a full disk) leaves the last snapshot for the others to read, and the
        next tick tries again: the publisher's thread lives on."""
        try:
            self._publish()
        except OSError as error:
            self._unpublished.warning("could not publish this process's counts in %s: %s", self._shared_dir,
                                      error.strerror or error)

    def _own(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": [[*labels, count] for labels, count in self._calls.items()],
                    "durations": {service: [kept.counts.copy(), kept.total]
                                  for service, kept in self._durations.items()},
                    "refused": dict(self._refused), "waiting": self._audit_waiting(), "pid": os.getpid()}

    def _publish(self) -> None:
        assert self._shared_dir is not None
        target = self._shared_dir / f"{os.getpid()}.json"
        partial = target.with_suffix(".partial")
        partial.write_text(json.dumps(self._own()))
        os.replace(partial, target)  # a scrape reads the last snapshot whole, never half of one

    def _everyone(self) -> list[dict[str, Any]]:
        """This process's counts, then those the others published."""
        snapshots = [self._own()]
        if self._shared_dir is not None:
            for path in self._shared_dir.glob("*.json"):
                if path.stem == str(os.getpid()):
                    continue
                try:
                    snapshots.append(json.loads(path.read_text()))
                except (OSError, ValueError):  # gone meanwhile
                    continue
        return snapshots

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

        calls: Counter[tuple[str, ...]] = Counter()
        refused: Counter[str] = Counter()
        durations: dict[str, _Durations] = {}
        waiting = 0
        for snapshot in self._everyone():
            calls.update({tuple(labels): count for *labels, count in snapshot["calls"]})
            refused.update(snapshot["refused"])
            for service, (counts, total) in snapshot["durations"].items():
                kept = durations.get(service) or durations.setdefault(service, _Durations())
                kept.counts = [mine + theirs for mine, theirs in zip(kept.counts, counts, strict=True)]
                kept.total += total
            if snapshot["pid"] == os.getpid() or _alive(snapshot["pid"]):
                waiting += snapshot["waiting"]
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
        for service, kept in sorted(durations.items()):
            timing.add_metric([service], kept.cumulative(), kept.total)
        yield timing
        failures = CounterMetricFamily("profilestack_authentication_failures", "Requests refused before any "
                                       "principal was known, by error code.", labels=["error"])
        for code, count in sorted(refused.items()):
            failures.add_metric([code], count)
        yield failures
        yield self._outbox()
        yield GaugeMetricFamily("profilestack_audit_events_waiting", "Audit events recorded and not yet stored.",
                                value=waiting)

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


def _alive(pid: int) -> bool:
    """Whether a process that published counts still runs (the events a dead one had waiting are not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        return True
    return True
