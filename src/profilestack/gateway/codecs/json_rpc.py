"""AWS JSON 1.0/1.1 (X-Amz-Target) requests and responses, including awsQueryCompatible services."""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from profilestack import jsontext
from profilestack.gateway.codecs.base import error_members, query_error_header, resolve_error
from profilestack.gateway.codecs.tree import JSON_FORMAT, read_tree, write_tree
from profilestack.gateway.codecs.values import MalformedInput
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse


def load_json_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return jsontext.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedInput("The request body is not valid JSON") from exc


def dump_json(value: Any) -> bytes:
    return jsontext.dumps_bytes(value)


class JsonRpcCodec:
    def decode(self, operation: OperationModel, request: HttpRequest, labels: dict[str, str]) -> dict[str, Any]:
        shape = operation.input_shape
        document = load_json_body(request.body)
        if shape is None:
            return {}
        return read_tree(shape, document, JSON_FORMAT)

    def _content_type(self, service: ServiceModel) -> str:
        return f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"

    def encode(self, operation: OperationModel, result: dict[str, Any], request_id: str) -> HttpResponse:
        shape = operation.output_shape
        body = write_tree(shape, result, JSON_FORMAT) if shape is not None else {}
        headers = [("content-type", self._content_type(operation.service_model)), ("x-amzn-requestid", request_id)]
        return HttpResponse(200, headers, dump_json(body))

    def encode_error(self, service: ServiceModel, error: AwsError, request_id: str) -> HttpResponse:
        resolved = resolve_error(service, error)
        members = error_members(resolved, error, "message")
        body = write_tree(resolved.shape, members, JSON_FORMAT) if resolved.shape is not None else members
        if resolved.message_member is None:  # AWS sends the message even when the error shape models none
            body["message"] = error.message
        body = {"__type": resolved.type_name, **body}
        headers = [("content-type", self._content_type(service)), ("x-amzn-requestid", request_id)]
        if "awsQueryCompatible" in service.metadata:
            headers.append(query_error_header(resolved))
        return HttpResponse(resolved.status, headers, dump_json(body))
