"""The AWS query protocol: form-encoded requests, XML responses (IAM, STS, CloudWatch)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import OperationModel, ServiceModel, Shape

from profilestack.gateway.codecs.base import error_members, resolve_error
from profilestack.gateway.codecs.compiled import PerShape
from profilestack.gateway.codecs.text import scalar_from_text, scalar_to_text
from profilestack.gateway.codecs.values import MalformedInput
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse, parse_form
from profilestack.gateway.shared_answer import SharedAnswer


def form_params(request: HttpRequest) -> dict[str, str]:
    """Query-string and form-body parameters of a query-protocol request (parsed once per request)."""
    if request.form is not None:
        return request.form
    params = dict(request.query)
    content_type = request.header("content-type", "") or ""
    if request.body and "x-www-form-urlencoded" in content_type:
        try:
            text = request.body.decode()
        except UnicodeDecodeError as exc:
            raise MalformedInput("The request body is not valid UTF-8") from exc
        params.update(parse_form(text))
    request.form = params
    return params


class _Form:
    """The flat ``A.b.member.1`` parameters, with the names found under every prefix, for presence tests and
    list positions."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        self.children: dict[str, set[str]] = {}
        for key in params:
            parts = key.split(".")
            for end in range(1, len(parts)):
                self.children.setdefault(".".join(parts[:end]), set()).add(parts[end])

    def has(self, key: str) -> bool:
        return key in self.params or key in self.children

    def positions(self, prefix: str) -> list[str]:
        """The list or map positions given under ``prefix`` (``1``, ``2``, …) in numeric order, so that a request
        skipping one (``.1`` then ``.3``) loses none of its values. Other names (``0``, ``01``, ``x``) are not
        positions, and are passed over like any parameter the operation does not take."""
        names = self.children.get(prefix, ())
        return sorted((name for name in names if name.isascii() and name.isdigit() and name[0] != "0"), key=int)


def _list_prefix(shape: Shape, prefix: str) -> str:
    member_name = shape.member.serialization.get("name")
    if shape.serialization.get("flattened"):
        if member_name:
            return ".".join([*prefix.split(".")[:-1], member_name])
        return prefix
    return f"{prefix}.{member_name or 'member'}"


def _read(shape: Shape, prefix: str, form: _Form) -> Any:
    kind = shape.type_name
    if kind == "structure":
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            full = f"{prefix}.{key}" if prefix else key
            if form.has(full):
                result[name] = _read(member, full, form)
        return result
    if kind == "list":
        base = _list_prefix(shape, prefix)
        return [_read(shape.member, f"{base}.{position}", form) for position in form.positions(base)]
    if kind == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        entries: dict[str, Any] = {}
        for position in form.positions(base):
            key = form.params.get(f"{base}.{position}.{key_name}")
            value_key = f"{base}.{position}.{value_name}"
            if key is not None and form.has(value_key):
                entries[key] = _read(shape.value, value_key, form)
        return entries
    return scalar_from_text(shape, form.params.get(prefix, ""), None)


XmlWriter = Callable[[Any, str, list[str]], None]  # (value, element name, output)


def write_members(shape: Shape, value: dict[str, Any], out: list[str]) -> None:
    for member_name, wire, writer in _members(shape):
        item = value.get(member_name)
        if item is not None:
            writer(item, wire, out)


def _build_members(shape: Shape, _variant: Any) -> list[tuple[str, str, XmlWriter]]:
    return [(name, member.serialization.get("name", name), _xml_writer(member))
            for name, member in shape.members.items()]


def _build_xml_writer(shape: Shape, _variant: Any) -> XmlWriter:
    kind = shape.type_name
    if kind == "structure":
        return partial(_write_structure, shape)
    if kind == "list":
        return partial(_write_list, shape)
    if kind == "map":
        return partial(_write_map, shape)
    if kind == "string" and not shape.serialization.get("jsonvalue"):
        return _write_string
    return partial(_write_scalar, shape)


_members: PerShape[list[tuple[str, str, XmlWriter]]] = PerShape(_build_members)
_xml_writer: PerShape[XmlWriter] = PerShape(_build_xml_writer)


def _write_structure(shape: Shape, value: dict[str, Any], name: str, out: list[str]) -> None:
    if type(value) is SharedAnswer:
        key = ("query", id(shape), name)
        written = value.encoded.get(key)
        if written is None:
            part: list[str] = []
            _write_structure(shape, dict(value), name, part)
            written = value.encoded[key] = "".join(part)
        out.append(written)
        return
    out.append(f"<{name}>")
    write_members(shape, value, out)  # members compiled on first use: shapes may be recursive
    out.append(f"</{name}>")


def _write_list(shape: Shape, value: list[Any], name: str, out: list[str]) -> None:
    item_name = shape.member.serialization.get("name")
    writer = _xml_writer(shape.member)
    if shape.serialization.get("flattened"):
        for item in value:
            writer(item, item_name or name, out)
        return
    out.append(f"<{name}>")
    for item in value:
        writer(item, item_name or "member", out)
    out.append(f"</{name}>")


def _write_map(shape: Shape, value: dict[str, Any], name: str, out: list[str]) -> None:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    write_key, write_value = _xml_writer(shape.key), _xml_writer(shape.value)
    flattened = shape.serialization.get("flattened")
    if not flattened:
        out.append(f"<{name}>")
    for key, item in value.items():
        out.append(f"<{name}>" if flattened else "<entry>")
        write_key(key, key_name, out)
        write_value(item, value_name, out)
        out.append(f"</{name}>" if flattened else "</entry>")
    if not flattened:
        out.append(f"</{name}>")


def _write_string(value: Any, name: str, out: list[str]) -> None:
    text = value if isinstance(value, str) else str(value)
    out.append(f"<{name}>{_escape(text)}</{name}>")


def _write_scalar(shape: Shape, value: Any, name: str, out: list[str]) -> None:
    out.append(f"<{name}>{_escape(scalar_to_text(shape, value, 'iso8601'))}</{name}>")


_XML_EXTRA = {'"': "&quot;", "\r": "&#xD;", "\n": "&#xA;"}
# What XML 1.0 cannot carry even as a character reference (most control characters, lone surrogates, U+FFFE
# and U+FFFF): a value echoed in a message (a name sent with a NUL in it) is written with U+FFFD in their place,
# or no client could read the answer.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NEEDS_ESCAPE = re.compile(f'[&<>"\r\n]|{_NOT_XML.pattern}')


def _escape(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return escape(_NOT_XML.sub("\ufffd", text), _XML_EXTRA)


def xml_namespace(service: ServiceModel) -> str:
    namespace = service.metadata.get("xmlNamespace")
    if isinstance(namespace, dict):
        namespace = namespace.get("uri")
    if namespace:
        return namespace
    prefix = service.metadata.get("endpointPrefix", "service")
    return f"https://{prefix}.amazonaws.com/doc/{service.metadata.get('apiVersion', '')}/"


_XML_HEADERS = [("content-type", "text/xml")]


class QueryCodec:
    def decode(self, operation: OperationModel, request: HttpRequest, labels: dict[str, str]) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        return _read(shape, "", _Form(form_params(request)))

    def encode(self, operation: OperationModel, result: dict[str, Any], request_id: str) -> HttpResponse:
        name = operation.name
        out = [f'<{name}Response xmlns="{xml_namespace(operation.service_model)}">']
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper")
            out.append(f"<{wrapper}>" if wrapper else "")
            write_members(shape, result, out)
            out.append(f"</{wrapper}>" if wrapper else "")
        out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{name}Response>")
        return HttpResponse(200, [*_XML_HEADERS, ("x-amzn-requestid", request_id)], "".join(out).encode())

    def encode_error(self, service: ServiceModel, error: AwsError, request_id: str) -> HttpResponse:
        resolved = resolve_error(service, error)
        fault = "Sender" if resolved.sender_fault else "Receiver"
        out = [f'<ErrorResponse xmlns="{xml_namespace(service)}"><Error><Type>{fault}</Type>']
        out.append(f"<Code>{_escape(resolved.code)}</Code><Message>{_escape(error.message)}</Message>")
        if resolved.shape is not None:
            members = error_members(resolved, error, "Message")
            members.pop(resolved.message_member or "Message", None)  # already written above
            write_members(resolved.shape, members, out)
        out.append(f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        return HttpResponse(resolved.status, [*_XML_HEADERS, ("x-amzn-requestid", request_id)], "".join(out).encode())
