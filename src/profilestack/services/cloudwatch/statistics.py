"""Data points into periods, and the statistics CloudWatch computes over them (pure functions)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = r"p(\d{1,2}(?:\.\d{1,10})?|100)"  # how a percentile statistic is written: p99, p99.9, p100
_PERCENTILE = re.compile(rf"^{PERCENTILE}\Z", re.ASCII)


@dataclass
class Bucket:
    sample_count: float = 0.0
    sum: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    samples: list[tuple[float, float]] | None = field(default_factory=list)  # None once a statistic set joins
    unit: str = "None"

    def add(self, count: float, total: float, low: float, high: float, samples: list | None, unit: str) -> None:
        self.sample_count += count
        self.sum += total
        self.minimum = min(self.minimum, low)
        self.maximum = max(self.maximum, high)
        self.unit = unit
        if samples is None or self.samples is None:
            self.samples = None
        else:
            self.samples.extend((value, weight) for value, weight in samples)


def bucket_start(moment: datetime, start: datetime, period: int) -> datetime:
    offset = int((moment - start).total_seconds()) // period * period
    return datetime.fromtimestamp(start.timestamp() + offset, start.tzinfo)


def is_supported(statistic: str) -> bool:
    return statistic in STATISTICS or bool(_PERCENTILE.match(statistic))


def value_of(bucket: Bucket, statistic: str) -> float | None:
    if statistic == "SampleCount":
        return bucket.sample_count
    if statistic == "Sum":
        return bucket.sum
    if statistic == "Average":
        return bucket.sum / bucket.sample_count if bucket.sample_count else None
    if statistic == "Minimum":
        return bucket.minimum
    if statistic == "Maximum":
        return bucket.maximum
    rank = percentile_rank(statistic)
    if rank is None or not bucket.samples:
        return None
    return percentile(bucket.samples, rank)


def percentile_rank(statistic: str) -> float | None:
    """A percentile statistic's rank (``p99.9`` → 99.9); None for any other statistic."""
    found = _PERCENTILE.match(statistic)
    return None if found is None else float(found.group(1))


def percentile(samples: list[tuple[float, float]], rank: float) -> float:
    """Nearest-rank percentile over weighted samples."""
    ordered = sorted(samples)
    total = sum(weight for _, weight in ordered)
    target = max(math.ceil(rank / 100 * total), 1)
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= target:
            return value
    return ordered[-1][0]
