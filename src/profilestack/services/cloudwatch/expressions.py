"""Metric math (the ``Expression`` of GetMetricData's and alarms' queries): CloudWatch's operators and functions
over numbers, time series and arrays of time series. math_syntax.py reads the text; the choices where AWS does
not say are in docs/decisions.md."""

from __future__ import annotations

import itertools
import math
import operator
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from profilestack.services.cloudwatch.math_syntax import (
    Array,
    Call,
    Chain,
    Name,
    Node,
    Number,
    SyntaxProblem,
    Text,
    Unary,
    parse,
)

Series = dict[datetime, float]


@dataclass(frozen=True)
class TimeSeries:
    values: Series
    label: str
    period: int  # seconds between data points (FILL lays its gaps out by it)
    properties: dict[str, str] = field(default_factory=dict)  # what ${PROP('…')} labels read: MetricName, Dim.x, …


Scalar = float | None  # None: no value (the average of no data points)
Value = Scalar | TimeSeries | list[TimeSeries]


class ExpressionError(ValueError):
    pass


class Unsupported(ExpressionError):
    """A part of AWS's metric math that profilestack does not work out (SERVICE_QUOTA, ANOMALY_DETECTION_BAND, …)."""


@dataclass(frozen=True)
class Context:
    lookup: Callable[[str], Value]  # another query's value, by its id
    metrics: list[tuple[str, TimeSeries]]  # the request's MetricStat results by id, in order: METRICS()
    start: datetime  # the queried time range (FILL's gaps lie in it)
    end: datetime
    # SEARCH(term, statistic, period): the stored metrics the term finds, read as that statistic and period
    search: Callable[[str, str, int], list[TimeSeries]] | None = None


def references(expression: str) -> set[str]:
    """The names an expression reads (query ids, and bare words such as REPEAT): what must be worked out first."""
    found: set[str] = set()
    pending: list[Node] = [read(expression)]
    while pending:
        node = pending.pop()
        if isinstance(node, Name):
            found.add(node.name)
        elif isinstance(node, Call):
            pending.extend(node.arguments)
        elif isinstance(node, Array):
            pending.extend(node.items)
        elif isinstance(node, Unary):
            pending.append(node.operand)
        elif isinstance(node, Chain):
            pending.extend([node.first, *(operand for _, operand in node.rest)])
    return found


def read(expression: str) -> Node:
    try:
        return parse(expression)
    except SyntaxProblem as problem:
        raise ExpressionError(f"Not valid metric math: {problem}") from None


def evaluate(expression: str, context: Context) -> Value:
    return _value(read(expression), context)


# --- operators ---------------------------------------------------------------------------------------------------

def _power(base: float, exponent: float) -> float:
    result = base ** exponent
    if isinstance(result, complex):
        raise ValueError("no real power")
    return result


_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": _power,
    "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b), "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b), ">": lambda a, b: float(a > b), ">=": lambda a, b: float(a >= b),
    "&&": lambda a, b: float(a != 0 and b != 0), "||": lambda a, b: float(a != 0 or b != 0),
}
_UNARY: dict[str, Callable[[float], float]] = {"-": operator.neg, "!": lambda a: float(a == 0)}


def _defined(apply: Callable[..., float], *values: float) -> float | None:
    """The result, or None where it has none (a division by zero, the logarithm of 0, an overflow): the data
    point is left out, as CloudWatch leaves out what it cannot work out."""
    try:
        result = float(apply(*values))
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _combine(left: Value, right: Value, apply: Callable[[float, float], float]) -> Value:
    if isinstance(left, list):
        if isinstance(right, list):
            raise ExpressionError("Two arrays of time series cannot be combined with an operator.")
        return [_series(_combine(item, right, apply)) for item in left]
    if isinstance(right, list):
        return [_series(_combine(left, item, apply)) for item in right]
    if isinstance(left, TimeSeries) or isinstance(right, TimeSeries):
        shape = left if isinstance(left, TimeSeries) else right
        assert isinstance(shape, TimeSeries)
        if isinstance(left, TimeSeries) and isinstance(right, TimeSeries):
            pairs = ((moment, value, right.values[moment]) for moment, value in left.values.items()
                     if moment in right.values)
        elif isinstance(left, TimeSeries):
            pairs = ((moment, value, right) for moment, value in left.values.items())  # type: ignore[misc]
        else:
            pairs = ((moment, left, value) for moment, value in shape.values.items())  # type: ignore[misc]
        return _with_values(shape, {moment: result for moment, a, b in pairs
                                    if a is not None and b is not None
                                    and (result := _defined(apply, a, b)) is not None})
    if left is None or right is None:
        return None
    return _defined(apply, left, right)


def _each(value: Value, apply: Callable[[float], float]) -> Value:
    """``apply`` to a number, every data point of a time series, or of every series of an array."""
    if isinstance(value, list):
        return [_series(_each(item, apply)) for item in value]
    if isinstance(value, TimeSeries):
        return _with_values(value, {moment: result for moment, point in value.values.items()
                                    if (result := _defined(apply, point)) is not None})
    return None if value is None else _defined(apply, value)


def _with_values(series: TimeSeries, values: Series) -> TimeSeries:
    return replace(series, values=values)


def _series(value: Value) -> TimeSeries:
    assert isinstance(value, TimeSeries)
    return value


# --- evaluation --------------------------------------------------------------------------------------------------

def _value(node: Node, context: Context) -> Value:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        return context.lookup(node.name)
    if isinstance(node, Text):
        raise ExpressionError(f'The string "{node.value}" can only be the argument of METRICS().')
    if isinstance(node, Array):
        return _array([_value(item, context) for item in node.items])
    if isinstance(node, Unary):
        value = _value(node.operand, context)
        for symbol in reversed(node.operators):
            value = _each(value, _UNARY[symbol])
        return value
    if isinstance(node, Chain):
        operands = [_value(node.first, context), *(_value(operand, context) for _, operand in node.rest)]
        symbols = [symbol for symbol, _ in node.rest]
        if symbols[0] == "^":  # from the right
            result = operands[-1]
            for symbol, left in zip(reversed(symbols), reversed(operands[:-1]), strict=True):
                result = _combine(left, result, _OPERATORS[symbol])
            return result
        result = operands[0]
        for symbol, right in zip(symbols, operands[1:], strict=True):
            result = _combine(result, right, _OPERATORS[symbol])
        return result
    return _call(node, context)


def _array(values: Sequence[Value]) -> list[TimeSeries]:
    """``[m1, m2]``, ``[METRICS(), m3]``: the time series of its items, arrays' series in their place."""
    series: list[TimeSeries] = []
    for value in values:
        if isinstance(value, TimeSeries):
            series.append(value)
        elif isinstance(value, list):
            series.extend(value)
        else:
            raise ExpressionError("An array holds time series, not numbers.")
    return series


def _call(node: Call, context: Context) -> Value:
    name = node.function
    if name in UNSUPPORTED:
        raise Unsupported(f"profilestack does not support {name} in metric math yet.")
    if name in _READING_THEIR_WORDS:  # functions that read bare words or strings among their arguments
        return _READING_THEIR_WORDS[name](node, context)
    function = FUNCTIONS.get(name)
    if function is None:
        raise ExpressionError(f"{name} is not a metric math function.")
    arity, apply = function
    arguments = [_value(argument, context) for argument in node.arguments]
    if len(arguments) not in arity:
        counts = " or ".join(str(count) for count in arity)
        raise ExpressionError(f"{name} takes {counts} argument{'s' if arity != (1,) else ''}.")
    return apply(*arguments)


def _metrics(node: Call, context: Context) -> list[TimeSeries]:
    """METRICS(): every MetricStat result of the request; METRICS("errors"): those whose id holds the text."""
    if not node.arguments:
        return [series for _, series in context.metrics]
    if len(node.arguments) == 1 and isinstance(node.arguments[0], Text):
        wanted = node.arguments[0].value
        return [series for query_id, series in context.metrics if wanted in query_id]
    raise ExpressionError('METRICS takes no argument, or a string: METRICS("errors").')


def _search(node: Call, context: Context) -> list[TimeSeries]:
    """SEARCH('{Namespace, Dimension} term', 'Statistic', Period): one series per metric found."""
    arguments = node.arguments
    if (len(arguments) != 3 or not isinstance(arguments[0], Text) or not isinstance(arguments[1], Text)
            or not isinstance(arguments[2], Number)):
        raise ExpressionError("SEARCH takes a search in quotes, a statistic in quotes and a period: "
                              "SEARCH('{AWS/EC2,InstanceId} CPUUtilization', 'Average', 300).")
    if context.search is None:
        raise ExpressionError("SEARCH cannot be used here.")
    period = arguments[2].value
    if not period.is_integer() or period < 1:
        raise ExpressionError("SEARCH's period is a whole number of seconds.")
    return context.search(arguments[0].value, arguments[1].value, int(period))


def _fill(node: Call, context: Context) -> Value:
    """FILL(m, value | REPEAT | LINEAR): the periods of the time range without a data point, given one."""
    if len(node.arguments) != 2:
        raise ExpressionError("FILL takes 2 arguments: a time series or array, and a number, REPEAT or LINEAR.")
    value = _value(node.arguments[0], context)
    how = node.arguments[1]
    method = how.name if isinstance(how, Name) and how.name[0].isupper() else None  # query ids start lower case
    filler = None if method else _value(how, context)
    if method not in (None, "REPEAT", "LINEAR") or (method is None and not isinstance(filler, float | int)):
        raise ExpressionError("FILL's second argument is a number, REPEAT or LINEAR.")

    laid_out = 0

    def filled(series: TimeSeries) -> TimeSeries:
        nonlocal laid_out
        moments = _periods(context.start, context.end, series.period)
        laid_out += len(moments)
        if laid_out > MOST_FILLED:
            raise _too_many_filled()
        if method is None:
            return _with_values(series, {moment: series.values.get(moment, filler) for moment in moments})
        return _with_values(series, _repeated(series.values, moments) if method == "REPEAT"
                            else _interpolated(series.values, moments))

    if isinstance(value, list):
        return [filled(series) for series in value]
    if isinstance(value, TimeSeries):
        return filled(value)
    raise ExpressionError("FILL's first argument is a time series or an array of them.")




def _sort(node: Call, context: Context) -> list[TimeSeries]:
    """SORT(array, AVG | MAX | MIN | SUM | STDDEV, ASC | DESC[, n]): the series ordered by that function of each
    (series without data points last), the first n of them when n is given."""
    usage = "SORT takes an array, AVG, MAX, MIN, SUM or STDDEV, ASC or DESC, and optionally a number of series."
    arguments = node.arguments
    words = [argument.name for argument in arguments[1:3] if isinstance(argument, Name)]
    if len(arguments) not in (3, 4) or len(words) != 2 or words[0] not in REDUCERS or words[1] not in ("ASC", "DESC"):
        raise ExpressionError(usage)
    value = _value(arguments[0], context)
    if not isinstance(value, list):
        raise ExpressionError(usage)
    limit = _value(arguments[3], context) if len(arguments) == 4 else float(len(value))
    if not isinstance(limit, float) or limit < 0 or not limit.is_integer():
        raise ExpressionError("SORT's number of series is a whole number.")
    measure = FUNCTIONS[words[0]][1]
    scored = [(measure(series), series) for series in value]
    present = [(score, series) for score, series in scored if score is not None]
    present.sort(key=lambda item: item[0], reverse=words[1] == "DESC")  # stable: ties keep the array's order
    ordered = [series for _, series in present] + [series for score, series in scored if score is None]
    return ordered[:int(limit)]


MOST_FILLED = 100_800  # data points one FILL may lay out: GetMetricData's default MaxDatapoints


def _too_many_filled() -> ExpressionError:
    return ExpressionError(f"FILL would give more than {MOST_FILLED:,} data points: use a longer period or a "
                           "shorter time range.")


def _periods(start: datetime, end: datetime, period: int) -> list[datetime]:
    count = math.ceil((end - start).total_seconds() / period)
    if count > MOST_FILLED:
        raise _too_many_filled()
    return [start + timedelta(seconds=period * index) for index in range(count)]


def _repeated(values: Series, moments: list[datetime]) -> Series:
    """Each gap takes the value before it; a gap at the start, with none before it, stays empty."""
    result, last = {}, None
    for moment in moments:
        last = values.get(moment, last)
        if last is not None:
            result[moment] = last
    return {**result, **values}


def _interpolated(values: Series, moments: list[datetime]) -> Series:
    """Each gap between two values takes the straight line between them; gaps at either end stay empty."""
    known = sorted(values)
    result = dict(values)
    following = 0  # the first known moment after the one being filled
    for moment in moments:
        while following < len(known) and known[following] <= moment:
            following += 1
        if moment in values or following == 0 or following == len(known):
            continue
        before, after = known[following - 1], known[following]
        share = (moment - before).total_seconds() / (after - before).total_seconds()
        result[moment] = values[before] + (values[after] - values[before]) * share
    return result


# --- functions ---------------------------------------------------------------------------------------------------

def _one_series(name: str, value: Value) -> TimeSeries:
    if not isinstance(value, TimeSeries):
        raise ExpressionError(f"{name} takes one time series.")
    return value


def _per_series(name: str, work: Callable[[TimeSeries], Series]) -> Callable[[Value], Value]:
    """A function of one time series, applied to each series of an array too."""

    def apply(value: Value) -> Value:
        if isinstance(value, list):
            return [_with_values(series, work(series)) for series in value]
        series = _one_series(name, value)
        return _with_values(series, work(series))

    return apply


def _steps(series: TimeSeries) -> list[tuple[datetime, float, datetime, float]]:
    """(previous moment, previous value, moment, value) for each data point after the first, oldest first."""
    ordered = sorted(series.values.items())
    return [(before, was, moment, value) for (before, was), (moment, value) in itertools.pairwise(ordered)]


def _running_sum(series: TimeSeries) -> Series:
    total, result = 0.0, {}
    for moment, value in sorted(series.values.items()):
        total += value
        result[moment] = total
    return result


def _aggregate(name: str, reduce: Callable[[list[float]], float]) -> Callable[[Value], Value]:
    """Of one time series, a number (over all its data points); of an array, a time series (across the series at
    each moment); of a number, the number."""

    def apply(value: Value) -> Value:
        if isinstance(value, TimeSeries):
            return reduce(list(value.values.values())) if value.values else None
        if isinstance(value, list):
            if not value:
                raise ExpressionError(f"{name} of an empty array.")
            moments = sorted({moment for series in value for moment in series.values})
            return TimeSeries({moment: reduce([series.values[moment] for series in value if moment in series.values])
                               for moment in moments}, name, value[0].period)
        return value

    return apply


def _if(condition: Value, when_true: Value, when_false: Value = None) -> Value:
    """IF(condition, a[, b]): at each data point of the condition, a's value where it is not 0, else b's; without
    b, those data points are left out."""
    if isinstance(condition, list) or isinstance(when_true, list) or isinstance(when_false, list):
        raise ExpressionError("IF works on time series and numbers, not arrays.")
    if not isinstance(condition, TimeSeries):
        return when_true if condition else when_false

    def at(value: Value, moment: datetime) -> float | None:
        return value.values.get(moment) if isinstance(value, TimeSeries) else value

    chosen = {moment: at(when_true, moment) if point != 0 else at(when_false, moment)
              for moment, point in condition.values.items()}
    return _with_values(condition, {moment: value for moment, value in chosen.items() if value is not None})


def _first_or_last(name: str, index: int) -> Callable[[Value], Value]:
    def apply(value: Value) -> Value:
        if not isinstance(value, list):
            raise ExpressionError(f"{name} takes an array of time series.")
        if not value:
            raise ExpressionError(f"{name} of an empty array.")
        return value[index]

    return apply


def _clock(part: Callable[[datetime], float]) -> Callable[[TimeSeries], Series]:
    return lambda series: {moment: part(moment) for moment in series.values}


def _integer(apply: Callable[[float], int]) -> Callable[[float], float]:
    return lambda value: float(apply(value))


# A series' values into one number: the aggregates, SORT's orders and the dynamic labels ${AVG}, ${SUM}, … alike
REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "AVG": statistics.fmean, "SUM": math.fsum, "MIN": min, "MAX": max, "STDDEV": statistics.pstdev,
}
FUNCTIONS: dict[str, tuple[tuple[int, ...], Callable[..., Value]]] = {
    "ABS": ((1,), lambda value: _each(value, abs)),
    "CEIL": ((1,), lambda value: _each(value, _integer(math.ceil))),
    "FLOOR": ((1,), lambda value: _each(value, _integer(math.floor))),
    "SQRT": ((1,), lambda value: _each(value, math.sqrt)),
    "LOG": ((1,), lambda value: _each(value, math.log)),
    "LOG10": ((1,), lambda value: _each(value, math.log10)),
    **{name: ((1,), _aggregate(name, reduce)) for name, reduce in REDUCERS.items()},
    "DATAPOINT_COUNT": ((1,), lambda value: float(len(_one_series("DATAPOINT_COUNT", value).values))),
    "METRIC_COUNT": ((1,), lambda value: float(len(_array([value])))),
    "PERIOD": ((1,), lambda value: float(_one_series("PERIOD", value).period)),
    "DIFF": ((1,), _per_series("DIFF", lambda series: {moment: value - was
                                                       for _, was, moment, value in _steps(series)})),
    "DIFF_TIME": ((1,), _per_series("DIFF_TIME", lambda series: {moment: (moment - before).total_seconds()
                                                                 for before, _, moment, _ in _steps(series)})),
    "RATE": ((1,), _per_series("RATE", lambda series: {
        moment: (value - was) / (moment - before).total_seconds() for before, was, moment, value in _steps(series)})),
    "RUNNING_SUM": ((1,), _per_series("RUNNING_SUM", _running_sum)),
    "MINUTE": ((1,), _per_series("MINUTE", _clock(lambda moment: moment.minute))),
    "HOUR": ((1,), _per_series("HOUR", _clock(lambda moment: moment.hour))),
    "DAY": ((1,), _per_series("DAY", _clock(lambda moment: moment.isoweekday()))),  # 1 Monday … 7 Sunday
    "EPOCH": ((1,), _per_series("EPOCH", _clock(lambda moment: moment.timestamp()))),
    "FIRST": ((1,), _first_or_last("FIRST", 0)),
    "LAST": ((1,), _first_or_last("LAST", -1)),
    "REMOVE_EMPTY": ((1,), lambda value: [series for series in _array([value]) if series.values]),
    "IF": ((2, 3), _if),
}
_READING_THEIR_WORDS: dict[str, Callable[[Call, Context], Value]] = {"METRICS": _metrics, "FILL": _fill, "SORT": _sort,
                                                                    "SEARCH": _search}
# AWS's functions profilestack does not work out: they answer NotImplemented rather than a wrong value
UNSUPPORTED = frozenset({"SERVICE_QUOTA", "INSIGHT_RULE_METRIC", "ANOMALY_DETECTION_BAND", "SLICE",
                         "TIME_SERIES", "LAMBDA", "CONCAT"})
