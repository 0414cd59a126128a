"""Structures whose JSON is already written, for results read straight from a JSON column.

A handler may answer a structure as ``EncodedJson``: the JSON codecs place its text in the response as it is,
without reading it into Python values and writing them out again; the CBOR codec and calls made in process read
it as the mapping it encodes. Whoever builds one vouches that the text is the structure's wire form (its
members' names, no nulls, nothing the shape lacks).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from profilestack import jsontext


class EncodedJson(Mapping[str, Any]):
    __slots__ = ("_decoded", "text")

    def __init__(self, text: str | bytes) -> None:
        self.text = text
        self._decoded: dict[str, Any] | None = None

    def decoded(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = jsontext.loads(self.text)
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self.decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.decoded())

    def __len__(self) -> int:
        return len(self.decoded())

    def __repr__(self) -> str:
        return f"EncodedJson({self.text!r})"

