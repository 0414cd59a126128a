"""Metric math for GetMetricData: arithmetic over query results and SUM/AVG/MIN/MAX of METRICS()."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from datetime import datetime

Series = dict[datetime, float]
_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
}
_REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum, "AVG": lambda values: sum(values) / len(values), "MIN": min, "MAX": max,
}


class ExpressionError(ValueError):
    pass


def evaluate(expression: str, series: dict[str, Series], metrics: list[Series] | None = None) -> Series | float:
    """``series``: every query result by id; ``metrics``: what METRICS() returns (the MetricStat results)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"The expression {expression!r} is not valid metric math.") from exc
    return _eval(tree.body, series, list(series.values()) if metrics is None else metrics)


def _combine(left: Series | float, right: Series | float, apply: Callable[[float, float], float]) -> Series | float:
    def safe(a: float, b: float) -> float | None:
        try:
            return apply(a, b)
        except ZeroDivisionError:
            return None

    if isinstance(left, dict) and isinstance(right, dict):
        pairs = {moment: safe(left[moment], right[moment]) for moment in left.keys() & right.keys()}
    elif isinstance(left, dict):
        pairs = {moment: safe(value, right) for moment, value in left.items()}
    elif isinstance(right, dict):
        pairs = {moment: safe(left, value) for moment, value in right.items()}
    else:
        return apply(left, right)
    return {moment: value for moment, value in pairs.items() if value is not None}


def _eval(node: ast.AST, series: dict[str, Series], metrics: list[Series]) -> Series | float | list[Series]:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in series:
            raise ExpressionError(f"The expression refers to {node.id}, which is not a query id.")
        return series[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _combine(-1.0, _eval(node.operand, series, metrics), operator.mul)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _combine(_eval(node.left, series, metrics), _eval(node.right, series, metrics),
                        _OPERATORS[type(node.op)])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id.upper()
        if name == "METRICS" and not node.args:
            return metrics
        if name in _REDUCERS and len(node.args) == 1:
            members = _eval(node.args[0], series, metrics)
            members = members if isinstance(members, list) else [members]
            moments = sorted({moment for member in members if isinstance(member, dict) for moment in member})
            return {moment: _REDUCERS[name]([member[moment] for member in members
                                             if isinstance(member, dict) and moment in member])
                    for moment in moments}
    raise ExpressionError("Only +, -, *, /, numbers, query ids and SUM/AVG/MIN/MAX(METRICS()) are supported.")
