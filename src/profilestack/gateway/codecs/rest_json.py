"""REST-JSON: URI labels, query string, headers, payload and JSON bodies (Customer Profiles, Campaigns)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

from profilestack.gateway.codecs.base import error_members, resolve_error
from profilestack.gateway.codecs.compiled import PerShape
from profilestack.gateway.codecs.json_rpc import dump_json, load_json_body
from profilestack.gateway.codecs.text import scalar_from_text, scalar_to_text
from profilestack.gateway.codecs.tree import JSON_FORMAT, read_tree, write_tree
from profilestack.gateway.codecs.values import MalformedInput
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse


def split_header_list(text: str) -> list[str]:
    """Split a comma-separated header value, honouring double-quoted items."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    was_quoted = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            if not quoted and not was_quoted:
                current = []  # whitespace before an opening quote is not part of the item
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            items.append(_finish(current, was_quoted))
            current, was_quoted = [], False
        else:
            current.append(char)
    items.append(_finish(current, was_quoted))
    return items


def _finish(chars: list[str], was_quoted: bool) -> str:
    text = "".join(chars)
    return text if was_quoted else text.strip()


def _header_text(shape: Shape, value: Any) -> str:
    if shape.type_name == "list":
        return ", ".join(_quote_item(_header_text(shape.member, item)) for item in value)
    return scalar_to_text(shape, value, "rfc822")


def _quote_item(text: str) -> str:
    if "," in text or '"' in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class RestJsonCodec:
    def decode(self, operation: OperationModel, request: HttpRequest, labels: dict[str, str]) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        plan = _request_plan(shape, operation.http.get("requestUri", ""))
        params: dict[str, Any] = {}
        for name, member, wire in plan.labels:
            if wire in labels:
                params[name] = scalar_from_text(member, unquote(labels[wire]), "iso8601")
        if plan.query or plan.query_maps:
            query = request.query
            for name, member, wire in plan.query:
                values = [value for key, value in query if key == wire]
                if values:
                    params[name] = self._query_value(member, values)
            for name, member in plan.query_maps:
                params.update(self._query_map(name, member, query, plan.claimed_query))
        for name, member, wire in plan.headers:
            text = request.headers.get(wire)
            if text is not None:
                params[name] = self._header_value(member, text)
        for name, prefix in plan.header_prefixes:
            found = {key[len(prefix):]: value for key, value in _raw_headers(request) if key.lower().startswith(prefix)}
            if found:
                params[name] = found
        params.update(self._body(shape, request.body))
        return params

    def _query_value(self, member: Shape, values: list[str]) -> Any:
        if member.type_name == "list":
            return [scalar_from_text(member.member, value, "iso8601") for value in values]
        return scalar_from_text(member, values[0], "iso8601")

    def _header_value(self, member: Shape, text: str) -> Any:
        if member.type_name == "list":
            items = split_header_list(text)
            item_shape = member.member
            http_dates = item_shape.serialization.get("timestampFormat", "rfc822") == "rfc822"
            if item_shape.type_name == "timestamp" and http_dates:
                # An HTTP date has a comma of its own: "Mon, 16 Dec 2019 23:48:18 GMT".
                items = [f"{day},{rest}" for day, rest in zip(items[::2], items[1::2], strict=False)]
            return [scalar_from_text(item_shape, item, "rfc822") for item in items]
        return scalar_from_text(member, text, "rfc822")

    def _query_map(
        self, name: str, member: Shape, query: list[tuple[str, str]], claimed: set[str]
    ) -> dict[str, Any]:
        # Smithy's httpQueryParams map sees every parameter but those fixed by the requestUri.
        entries: dict[str, Any] = {}
        many = member.value.type_name == "list"
        for key, value in query:
            if key in claimed:
                continue
            if many:
                entries.setdefault(key, []).append(value)
            else:
                entries.setdefault(key, value)
        return {name: entries} if entries else {}

    def _body(self, shape: Shape, body: bytes) -> dict[str, Any]:
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                return {payload: body} if body else {}
            if member.type_name == "string":
                return {payload: body.decode()} if body else {}
            if not body.strip():
                return {}
            return {payload: read_tree(member, load_json_body(body), JSON_FORMAT)}
        document = load_json_body(body)
        if not isinstance(document, dict):
            raise MalformedInput("The request body must be a JSON object")
        result = read_tree(shape, document, JSON_FORMAT)
        return {name: value for name, value in result.items() if "location" not in shape.members[name].serialization}

    def encode(self, operation: OperationModel, result: dict[str, Any], request_id: str) -> HttpResponse:
        status = operation.http.get("responseCode", 200)
        headers = [("x-amzn-requestid", request_id)]
        shape = operation.output_shape
        if shape is None:
            return HttpResponse(status, [*headers, ("content-type", "application/json")], b"{}")
        status, body, content_type = self._write(shape, result, headers, status)
        return HttpResponse(status, [*headers, ("content-type", content_type)], body)

    def _write(
        self, shape: Shape, result: dict[str, Any], headers: list[tuple[str, str]], status: int
    ) -> tuple[int, bytes, str]:
        body_values: dict[str, Any] = {}
        for name, member in shape.members.items():
            value = result.get(name)
            if value is None:
                continue
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "header":
                headers.append((wire.lower(), _header_text(member, value)))
            elif location == "headers":
                headers.extend((f"{wire}{key}".lower(), str(item)) for key, item in value.items())
            elif location == "statusCode":
                status = int(value)
            elif location is None:
                body_values[name] = value
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            value = result.get(payload)
            if member.type_name == "blob":
                return status, value or b"", "application/octet-stream"
            if member.type_name == "string":
                return status, (value or "").encode(), "text/plain"
            body = write_tree(member, value, JSON_FORMAT) if value is not None else {}
            return status, dump_json(body), "application/json"
        fields = {name: value for name, value in body_values.items() if name != payload}
        return status, dump_json(write_tree(shape, fields, JSON_FORMAT)), "application/json"

    def encode_error(self, service: ServiceModel, error: AwsError, request_id: str) -> HttpResponse:
        resolved = resolve_error(service, error)
        headers = [("x-amzn-requestid", request_id), ("x-amzn-errortype", resolved.type_name)]
        members = error_members(resolved, error, "Message")
        if resolved.shape is None:
            return HttpResponse(resolved.status, [*headers, ("content-type", "application/json")], dump_json(members))
        status, body, content_type = self._write(resolved.shape, members, headers, resolved.status)
        return HttpResponse(status, [*headers, ("content-type", content_type)], body)


@dataclass(frozen=True)
class _RequestPlan:
    """Where an operation's input members travel, worked out once per input shape."""

    labels: list[tuple[str, Shape, str]]
    query: list[tuple[str, Shape, str]]
    query_maps: list[tuple[str, Shape]]
    headers: list[tuple[str, Shape, str]]  # lower-case header names
    header_prefixes: list[tuple[str, str]]
    claimed_query: set[str]  # keys fixed in a query-qualified requestUri such as ``/things?list-type=2``


def _build_request_plan(shape: Shape, request_uri: str) -> _RequestPlan:
    plan = _RequestPlan([], [], [], [], [], {part.split("=", 1)[0] for part in request_uri.partition("?")[2].split("&")
                                             if part})
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            plan.labels.append((name, member, wire))
        elif location == "querystring" and member.type_name == "map":
            plan.query_maps.append((name, member))
        elif location == "querystring":
            plan.query.append((name, member, wire))
        elif location == "header":
            plan.headers.append((name, member, wire.lower()))
        elif location == "headers":
            plan.header_prefixes.append((name, wire.lower()))
    return plan


_request_plan: PerShape[_RequestPlan] = PerShape(_build_request_plan)


def _raw_headers(request: HttpRequest) -> list[tuple[str, str]]:
    return request.raw_headers if request.raw_headers is not None else list(request.headers.items())
