"""Per-shape functions built once: responses walk the same output shapes on every request.

Botocore keeps a shape's member shapes for as long as the shape lives, so a function compiled
for a shape object serves every later value of it. Recursive shapes are safe as long as
structure builders compile their members on first use (a value is only so deep).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from botocore.model import Shape

T = TypeVar("T")


class PerShape(Generic[T]):
    def __init__(self, build: Callable[[Shape, Hashable], T]) -> None:
        self._build = build
        self._compiled: dict[tuple[int, Hashable], tuple[Shape, T]] = {}  # the shape is kept so its id stays its own

    def __call__(self, shape: Shape, variant: Hashable = None) -> T:
        found = self._compiled.get((id(shape), variant))
        if found is None:
            found = self._compiled[(id(shape), variant)] = (shape, self._build(shape, variant))
        return found[1]


def each_item(convert: Callable[[Any], Any], value: list[Any]) -> list[Any]:
    """A compiled list converter: ``partial(each_item, convert_one)``."""
    return [convert(item) for item in value]


def each_value(convert: Callable[[Any], Any], value: dict[str, Any]) -> dict[str, Any]:
    """A compiled map converter: ``partial(each_value, convert_one)``."""
    return {key: convert(item) for key, item in value.items()}
