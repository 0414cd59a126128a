"""The AWS query protocol: form-encoded requests, XML responses (IAM, STS, CloudWatch)."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import OperationModel, ServiceModel, Shape

from profilestack.gateway.codecs.base import error_members, resolve_error
from profilestack.gateway.codecs.text import scalar_from_text, scalar_to_text
from profilestack.gateway.codecs.values import MalformedInput
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse, parse_form


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
    """The flat ``A.b.member.1`` parameters, with every prefix indexed for presence tests."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        self.prefixes: set[str] = set()
        for key in params:
            parts = key.split(".")
            for end in range(1, len(parts)):
                self.prefixes.add(".".join(parts[:end]))

    def has(self, key: str) -> bool:
        return key in self.params or key in self.prefixes


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
        items = []
        index = 1
        while form.has(f"{base}.{index}"):
            items.append(_read(shape.member, f"{base}.{index}", form))
            index += 1
        return items
    if kind == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        entries: dict[str, Any] = {}
        index = 1
        while form.has(f"{base}.{index}.{key_name}"):
            key = form.params[f"{base}.{index}.{key_name}"]
            value_key = f"{base}.{index}.{value_name}"
            if form.has(value_key):
                entries[key] = _read(shape.value, value_key, form)
            index += 1
        return entries
    return scalar_from_text(shape, form.params.get(prefix, ""), None)


def write_xml(shape: Shape, value: Any, name: str, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        out.append(f"<{name}>")
        write_members(shape, value, out)
        out.append(f"</{name}>")
    elif kind == "list":
        item_name = shape.member.serialization.get("name")
        if shape.serialization.get("flattened"):
            for item in value:
                write_xml(shape.member, item, item_name or name, out)
            return
        out.append(f"<{name}>")
        for item in value:
            write_xml(shape.member, item, item_name or "member", out)
        out.append(f"</{name}>")
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        if not flattened:
            out.append(f"<{name}>")
        for key, item in value.items():
            out.append(f"<{name}>" if flattened else "<entry>")
            write_xml(shape.key, key, key_name, out)
            write_xml(shape.value, item, value_name, out)
            out.append(f"</{name}>" if flattened else "</entry>")
        if not flattened:
            out.append(f"</{name}>")
    else:
        text = value if kind == "string" and isinstance(value, str) and not shape.serialization.get("jsonvalue") \
            else scalar_to_text(shape, value, "iso8601")
        out.append(f"<{name}>{_escape(text)}</{name}>")


def write_members(shape: Shape, value: dict[str, Any], out: list[str]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            write_xml(member, item, member.serialization.get("name", name), out)


_XML_EXTRA = {'"': "&quot;", "\r": "&#xD;", "\n": "&#xA;"}


_NEEDS_ESCAPE = re.compile(r'[&<>"\r\n]')


def _escape(text: str) -> str:
    return escape(text, _XML_EXTRA) if _NEEDS_ESCAPE.search(text) else text


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
