"""GetMetricWidgetImage's ``MetricWidget``: the JSON that says which graph to draw, read into a Widget (pure).

As the widget structure documents it: ``metrics`` (1 to 100 lines, each a metric — namespace, metric name,
dimension name/value pairs, ``"."`` repeating the line above at that place — or an expression, with rendering
options in a trailing object), ``start``/``end`` (ISO 8601 times, or durations back from now such as ``-PT3H``),
``period``, ``stat``, ``view``, ``stacked``, ``title``, ``width``/``height``, ``yAxis``, ``legend``,
``annotations`` and ``timezone``. Members the widget structure has that do not change a drawing made here
(``liveData``, ``region`` when it is the caller's) are accepted and have no effect; ``setPeriodToTimeRange`` makes
a bar or pie show each series' value over the whole time range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from profilestack import jsontext
from profilestack.services.cloudwatch.labels import label_zone
from profilestack.services.cloudwatch.mute_schedules import iso_duration

MOST_LINES = 100
MOST_PIXELS = 2000
DEFAULT_WIDTH, DEFAULT_HEIGHT = 600, 400
DEFAULT_PERIOD, DEFAULT_STAT = 300, "Average"
DEFAULT_RANGE = timedelta(hours=3)
VIEWS = ("timeSeries", "bar", "pie")
_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class WidgetError(ValueError):
    """The widget cannot be drawn as written; the message says why."""


@dataclass(frozen=True)
class Line:
    """One metric or expression of the graph: the query that reads it, and how it is shown."""

    query: dict[str, Any]
    color: str | None = None
    visible: bool = True
    right: bool = False  # on the right y axis


@dataclass(frozen=True)
class Axis:
    minimum: float | None = None
    maximum: float | None = None
    label: str | None = None


@dataclass(frozen=True)
class Annotation:
    """A horizontal (a value) or vertical (a time) line, or a band between two of them when ``until`` is set.
    ``fill``: above/below (horizontal), before/after (vertical), or None."""

    at: float | datetime
    until: float | datetime | None = None
    label: str | None = None
    color: str | None = None
    fill: str | None = None
    right: bool = False


@dataclass(frozen=True)
class Widget:
    lines: list[Line]
    start: datetime
    end: datetime
    zone: tzinfo = UTC
    view: str = "timeSeries"
    stacked: bool = False
    title: str | None = None
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    left: Axis = field(default_factory=Axis)
    right: Axis = field(default_factory=Axis)
    legend: str = "bottom"
    horizontal: list[Annotation] = field(default_factory=list)
    vertical: list[Annotation] = field(default_factory=list)

    @property
    def queries(self) -> list[dict[str, Any]]:
        """GetMetricData's queries for the lines (a hidden line is still read: others may use it)."""
        return [line.query for line in self.lines]


def read_widget(text: str, now: datetime, region: str, account: str) -> Widget:
    try:
        spec = jsontext.loads(text)
    except ValueError as exc:
        raise WidgetError(f"MetricWidget is not valid JSON: {exc}.") from exc
    if not isinstance(spec, dict):
        raise WidgetError("MetricWidget is a JSON object.")
    if spec.get("region") not in (None, region):
        raise WidgetError(f"The widget's region {spec['region']} is not the region called ({region}): profilestack "
                          "draws the metrics of the region it is asked in.")
    zone = label_zone(_text(spec, "timezone"))
    if zone is None:
        raise WidgetError("timezone is + or - followed by four digits, such as +0130.")
    start = _moment(spec.get("start", "-PT3H"), "start", now)
    end = _moment(spec.get("end", "-PT0H"), "end", now)
    if start >= end:
        raise WidgetError("start must be before end.")
    view = _text(spec, "view") or "timeSeries"
    if view not in VIEWS:
        raise WidgetError(f"view {view} cannot be drawn: use {', '.join(VIEWS)}.")
    # bar and pie show each series' latest value: that of its last period, or of the whole time range
    whole_range = view != "timeSeries" and _flag(spec, "setPeriodToTimeRange")
    axes = _object(spec, "yAxis")
    legend = _object(spec, "legend").get("position", "bottom")
    if legend not in ("bottom", "right", "hidden"):
        raise WidgetError("legend.position is bottom, right or hidden.")
    annotations = _object(spec, "annotations")
    return Widget(
        lines=_lines(spec, region, account, _whole_range(start, end) if whole_range else None), start=start,
        end=end, zone=zone, view=view,
        stacked=_flag(spec, "stacked"), title=_text(spec, "title"),
        width=_pixels(spec, "width", DEFAULT_WIDTH), height=_pixels(spec, "height", DEFAULT_HEIGHT),
        left=_axis(axes, "left"), right=_axis(axes, "right"), legend=legend,
        horizontal=_annotations(annotations, "horizontal", now), vertical=_annotations(annotations, "vertical", now))


def _whole_range(start: datetime, end: datetime) -> int:
    """The period, in whole minutes, that covers the time range."""
    return max(60, math.ceil((end - start).total_seconds() / 60) * 60)


def _lines(spec: dict[str, Any], region: str, account: str, period_override: int | None) -> list[Line]:
    metrics = spec.get("metrics")
    if not isinstance(metrics, list) or not 1 <= len(metrics) <= MOST_LINES:
        raise WidgetError(f"metrics is an array of 1 to {MOST_LINES} metrics and expressions.")
    period = spec.get("period", DEFAULT_PERIOD)
    if not _is_count(period):
        raise WidgetError("period is a number of seconds.")
    stat = spec.get("stat", DEFAULT_STAT)
    if not isinstance(stat, str):
        raise WidgetError("stat is a statistic's name, such as Average or p99.")
    taken = {options["id"] for line in metrics if isinstance(line, list) and line
             and isinstance(options := line[-1], dict) and isinstance(options.get("id"), str)}
    lines: list[Line] = []
    previous: list[str] = []
    for number, line in enumerate(metrics, 1):
        if not isinstance(line, list) or not line:
            raise WidgetError(f"metrics[{number - 1}] is an array: a metric, or an object with an expression.")
        options = line[-1] if isinstance(line[-1], dict) else {}
        parts = line[:-1] if options else line
        _check_options(options, number, region, account)
        query_id = options.get("id") or _free_id("e" if not parts else "m", number, taken)
        query: dict[str, Any] = {"Id": query_id, "ReturnData": options.get("visible", True) is not False}
        if options.get("label") is not None:
            query["Label"] = options["label"]
        if not parts:
            if not isinstance(options.get("expression"), str):
                raise WidgetError(f"metrics[{number - 1}] has neither a metric nor an expression.")
            query["Expression"] = options["expression"]
        else:
            previous = _metric_parts(parts, previous, number)
            query["MetricStat"] = {"Metric": _metric(previous),
                                   "Period": period_override or options.get("period", period),
                                   "Stat": options.get("stat", stat)}
        lines.append(Line(query, options.get("color"), query["ReturnData"], options.get("yAxis") == "right"))
    return lines


def _check_options(options: dict[str, Any], number: int, region: str, account: str) -> None:
    where = f"metrics[{number - 1}]"
    if "id" in options and not (isinstance(options["id"], str) and _ID.fullmatch(options["id"])):
        raise WidgetError(f"{where}: an id starts with a lowercase letter, then letters, digits and underscores.")
    if "color" in options and not (isinstance(options["color"], str) and _COLOR.fullmatch(options["color"])):
        raise WidgetError(f"{where}: a color is written #rrggbb.")
    if "period" in options and not _is_count(options["period"]):
        raise WidgetError(f"{where}: period is a number of seconds.")
    if "stat" in options and not isinstance(options["stat"], str):
        raise WidgetError(f"{where}: stat is a statistic's name.")
    if "label" in options and not isinstance(options["label"], str):
        raise WidgetError(f"{where}: label is a string.")
    if options.get("yAxis", "left") not in ("left", "right"):
        raise WidgetError(f"{where}: yAxis is left or right.")
    if options.get("region", region) != region:
        raise WidgetError(f"{where}: region {options['region']} is not the region called ({region}).")
    if options.get("accountId", account) != account:
        raise WidgetError(f"{where}: accountId {options['accountId']} is not the caller's account: profilestack "
                          "has no cross-account observability.")


def _free_id(prefix: str, number: int, taken: set[str]) -> str:
    while f"{prefix}{number}" in taken:
        number += 1
    taken.add(f"{prefix}{number}")
    return f"{prefix}{number}"


def _metric_parts(parts: list[Any], previous: list[str], number: int) -> list[str]:
    """The line's namespace, name and dimension pairs, each ``"."`` replaced by the previous metric's part there."""
    where = f"metrics[{number - 1}]"
    resolved = []
    for place, part in enumerate(parts):
        if part == ".":
            if place >= len(previous):
                raise WidgetError(f'{where}: "." repeats the part above it, and the line above has none there.')
            part = previous[place]
        if not isinstance(part, str) or not part:
            raise WidgetError(f"{where}: a metric is written as strings: namespace, metric name, then dimension "
                              "names and values.")
        resolved.append(part)
    if len(resolved) < 2 or len(resolved) % 2:
        raise WidgetError(f"{where}: a metric is a namespace, a metric name, then dimension name and value pairs.")
    return resolved


def _metric(parts: list[str]) -> dict[str, Any]:
    metric: dict[str, Any] = {"Namespace": parts[0], "MetricName": parts[1]}
    if len(parts) > 2:
        metric["Dimensions"] = [{"Name": name, "Value": value} for name, value in zip(parts[2::2], parts[3::2],
                                                                                        strict=True)]
    return metric


def _moment(value: Any, name: str, now: datetime) -> datetime:
    """An ISO 8601 time, or a duration back from now (``-PT3H``, ``-P1D``)."""
    if not isinstance(value, str):
        raise WidgetError(f"{name} is an ISO 8601 time or a duration such as -PT3H.")
    if value.startswith("-P"):
        back = iso_duration(value[1:])
        if back is None:
            raise WidgetError(f"{name} {value} is not an ISO 8601 duration such as -PT3H or -P7D.")
        try:
            return now - back
        except OverflowError as exc:
            raise WidgetError(f"{name} {value} reaches back before the year 1.") from exc
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WidgetError(f"{name} {value} is not an ISO 8601 time such as 2026-04-25T12:00:00.000Z.") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _axis(axes: dict[str, Any], side: str) -> Axis:
    axis = axes.get(side) or {}
    if not isinstance(axis, dict):
        raise WidgetError(f"yAxis.{side} is an object.")
    for bound in ("min", "max"):
        if bound in axis and not _is_number(axis[bound]):
            raise WidgetError(f"yAxis.{side}.{bound} is a number.")
    if axis.get("min") is not None and axis.get("max") is not None and axis["min"] >= axis["max"]:
        raise WidgetError(f"yAxis.{side}.min must be less than its max.")
    return Axis(axis.get("min"), axis.get("max"), axis.get("label") if isinstance(axis.get("label"), str) else None)


def _annotations(annotations: dict[str, Any], kind: str, now: datetime) -> list[Annotation]:
    listed = annotations.get(kind) or []
    if not isinstance(listed, list):
        raise WidgetError(f"annotations.{kind} is an array.")
    read = []
    for index, item in enumerate(listed):
        where = f"annotations.{kind}[{index}]"
        ends = item if isinstance(item, list) else [item]  # a band: two annotations, its edges
        if not 1 <= len(ends) <= 2 or not all(isinstance(end, dict) for end in ends):
            raise WidgetError(f"{where} is an object, or an array of two (a band).")
        first = ends[0]
        if first.get("visible", True) is False:
            continue
        values = [_annotation_value(end.get("value"), kind, where, now) for end in ends]
        color = first.get("color")
        if color is not None and not (isinstance(color, str) and _COLOR.fullmatch(color)):
            raise WidgetError(f"{where}: a color is written #rrggbb.")
        fill = first.get("fill")
        if fill not in (None, "none", *(("above", "below") if kind == "horizontal" else ("before", "after"))):
            raise WidgetError(f"{where}: fill is {'above or below' if kind == 'horizontal' else 'before or after'}.")
        label = first.get("label") if isinstance(first.get("label"), str) else None
        read.append(Annotation(values[0], values[1] if len(values) == 2 else None, label, color,
                               None if fill == "none" else fill, first.get("yAxis") == "right"))
    return read


def _annotation_value(value: Any, kind: str, where: str, now: datetime) -> float | datetime:
    if kind == "horizontal":
        if not _is_number(value):
            raise WidgetError(f"{where}: a horizontal annotation's value is a number.")
        return float(value)
    return _moment(value, f"{where}.value", now)


def _object(spec: dict[str, Any], name: str) -> dict[str, Any]:
    value = spec.get(name) or {}
    if not isinstance(value, dict):
        raise WidgetError(f"{name} is an object.")
    return value


def _text(spec: dict[str, Any], name: str) -> str | None:
    value = spec.get(name)
    if value is not None and not isinstance(value, str):
        raise WidgetError(f"{name} is a string.")
    return value


def _flag(spec: dict[str, Any], name: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise WidgetError(f"{name} is true or false.")
    return value


def _pixels(spec: dict[str, Any], name: str, default: int) -> int:
    value = spec.get(name, default)
    if not _is_count(value) or not 1 <= value <= MOST_PIXELS:
        raise WidgetError(f"{name} is a number of pixels from 1 to {MOST_PIXELS}.")
    return value


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _is_number(value: Any) -> bool:
    """A finite number (JSON as Python reads it takes NaN and Infinity, which bound nothing)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False
