"""Handlebars expressions in an object type field's ``Source`` (``{{_source.firstName}} {{_source.lastName}}``):
the subset Customer Profiles documents for mappings — values of the object, constants, ``#if``/``#unless`` with
``else``, ``#each`` over an array or object (``this``, ``this.x``, ``@index``, ``@key``, ``@first``, ``@last``),
comments and ``~`` whitespace control.

Read by an interpreter of its own rather than a Handlebars library: Python's (pybars3, pybars4) turn a template into
Python source and run it, so that a field's Source could run code on the server; the ``handlebars`` package runs
handlebars.js in js2py, whose sandbox has a published escape. Values are written as they are, not HTML-escaped:
they are data, not a web page (docs/decisions.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_TAG = re.compile(r"\{\{(~?)(\{?)(!--.*?--|!.*?|[^{}]*?)(\}?)(~?)\}\}", re.DOTALL)
_BLOCKS = ("if", "unless", "each")
_DATA = ("@index", "@key", "@first", "@last")


class TemplateError(ValueError):
    """A Source that is not a Handlebars expression profilestack reads; its message says why."""


@dataclass
class _Block:
    helper: str  # "if", "unless", "each"
    path: str
    body: list[Any] = field(default_factory=list)
    otherwise: list[Any] | None = None  # after {{else}}


@dataclass(frozen=True)
class _Value:
    path: str


def is_template(source: str) -> bool:
    return "{{" in source


@lru_cache(maxsize=1024)
def parse(source: str) -> tuple[Any, ...]:
    """The template's parts: text, values and blocks; TemplateError when it cannot be read."""
    root: list[Any] = []
    stack: list[tuple[_Block, list[Any]]] = []
    current = root
    position = 0
    trim_next = False
    for tag in _TAG.finditer(source):
        text = source[position:tag.start()]
        if trim_next:
            text = text.lstrip()
        if tag.group(1):
            text = text.rstrip()
        if text:
            current.append(text)
        position, trim_next = tag.end(), bool(tag.group(5))
        if bool(tag.group(2)) != bool(tag.group(4)):
            raise TemplateError(f"{tag.group(0)} opens and closes with a different number of braces.")
        inside = tag.group(3).strip()
        if inside.startswith("!"):
            continue
        if inside.startswith("#"):
            helper, _, path = inside[1:].strip().partition(" ")
            if helper not in _BLOCKS:
                raise TemplateError(f"The block helper {helper or '(none)'} is not supported; use "
                                    f"{', '.join('#' + name for name in _BLOCKS)}.")
            block = _Block(helper, _path(path, tag.group(0)))
            current.append(block)
            stack.append((block, current))
            current = block.body
        elif inside.startswith("/"):
            if not stack or stack[-1][0].helper != inside[1:].strip():
                raise TemplateError(f"{tag.group(0)} closes no open block.")
            current = stack.pop()[1]
        elif inside == "else":
            if not stack or stack[-1][0].otherwise is not None:
                raise TemplateError("{{else}} outside an #if, #unless or #each block.")
            stack[-1][0].otherwise = current = []
        else:
            current.append(_Value(_path(inside, tag.group(0))))
    if stack:
        raise TemplateError(f"The #{stack[-1][0].helper} block is not closed.")
    tail = source[position:]
    if trim_next:
        tail = tail.lstrip()
    if "{{" in tail or "}}" in tail:
        raise TemplateError("Unbalanced {{ and }}.")
    if tail:
        root.append(tail)
    return tuple(root)


def _path(text: str, tag: str) -> str:
    path = text.strip()
    if not path or " " in path or path.startswith((">", "&", "^", "*", "..")) or "(" in path:
        raise TemplateError(f"{tag} is not supported: expressions name a value (_source.name, this, this.name, "
                            "@index), helpers are #if, #unless and #each.")
    return path


MOST_STEPS = 100_000  # parts rendered for one value: nested #each over large arrays would run for minutes
MOST_CHARACTERS = 256_000  # a value as long as a whole object: #each over 80,000 items could write 80 MB


class _Output(list[str]):
    """The rendered text, and the steps and characters left before rendering gives up."""

    def __init__(self) -> None:
        super().__init__()
        self.steps_left = MOST_STEPS
        self.characters_left = MOST_CHARACTERS

    def step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise TemplateError(f"The expression takes more than {MOST_STEPS:,} steps for this object.")

    def append(self, text: str) -> None:
        self.characters_left -= len(text)
        if self.characters_left < 0:
            raise TemplateError(f"The expression's value is longer than {MOST_CHARACTERS:,} characters.")
        super().append(text)


def render(source: str, document: dict[str, Any]) -> str:
    """The template's text for one object (parse it first to know it reads); TemplateError when the object would
    take it too long."""
    out = _Output()
    _render(parse(source), {"_source": document}, document, {}, out)
    return "".join(out)


def _render(parts: tuple[Any, ...] | list[Any], root: dict[str, Any], this: Any, data: dict[str, Any],
            out: _Output) -> None:
    for part in parts:
        out.step()
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, _Value):
            out.append(_text(_resolve(part.path, root, this, data)))
        else:
            value = _resolve(part.path, root, this, data)
            if part.helper == "each":
                items = (list(value.items()) if isinstance(value, dict)
                         else list(enumerate(value)) if isinstance(value, list) else [])
                for index, (key, item) in enumerate(items):
                    frame = {"@index": index, "@key": key, "@first": index == 0, "@last": index == len(items) - 1}
                    _render(part.body, root, item, frame, out)
                if not items and part.otherwise is not None:
                    _render(part.otherwise, root, this, data, out)
                continue
            chosen = _truthy(value) if part.helper == "if" else not _truthy(value)
            branch = part.body if chosen else part.otherwise
            if branch is not None:
                _render(branch, root, this, data, out)


def _resolve(path: str, root: dict[str, Any], this: Any, data: dict[str, Any]) -> Any:
    if path in _DATA:
        return data.get(path)
    names = path.split(".")
    if names[0] == "_source":
        return walk(root, names)
    if names[0] == "this":
        return walk(this, names[1:])
    return walk(this, names)  # a bare name is the current item's (the object's, outside #each)


def walk(value: Any, names: list[str]) -> Any:
    """The value at a path of JSON objects (``["Address", "City"]``), or None where the path leads nowhere; the
    mappings' JSON accessors read it too."""
    for name in names:
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    return value


def _truthy(value: Any) -> bool:
    """Handlebars' #if: false, a missing value, "", 0 and an empty array are false."""
    return not (value is None or value is False or value == "" or value == 0 or value == [])


def _text(value: Any) -> str:
    """A value as Handlebars (JavaScript) writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
