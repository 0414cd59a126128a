"""Answers handed to many calls at once (a read cache's entries) and what encoders wrote for them."""

from __future__ import annotations

from typing import Any


class SharedAnswer(dict[str, Any]):
    """A finished answer that many calls return as it is, and nobody changes once it is made: an encoder may
    keep what it wrote for it (``encoded``, by whatever key tells its encodings apart) and write that again."""

    __slots__ = ("encoded",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.encoded: dict[Any, Any] = {}
