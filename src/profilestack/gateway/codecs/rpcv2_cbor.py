"""Smithy RPC v2 CBOR: POST /service/<Service>/operation/<Operation> with CBOR bodies."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel

from profilestack.gateway.codecs.base import error_members, query_error_header, resolve_error
from profilestack.gateway.codecs.tree import CBOR_FORMAT, read_tree, write_tree
from profilestack.gateway.codecs.values import MalformedInput
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse

_HEADERS = [("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]


def _dumps(value: Any) -> bytes:
    return cbor2.dumps(value, datetime_as_timestamp=True, timezone=UTC)


class RpcV2CborCodec:
    def decode(self, operation: OperationModel, request: HttpRequest, labels: dict[str, str]) -> dict[str, Any]:
        shape = operation.input_shape
        if not request.body:
            document: Any = {}
        else:
            try:
                document = cbor2.loads(request.body)
            except (cbor2.CBORDecodeError, ValueError) as exc:
                raise MalformedInput("The request body is not valid CBOR") from exc
        if shape is None:
            return {}
        return read_tree(shape, document, CBOR_FORMAT)

    def encode(self, operation: OperationModel, result: dict[str, Any], request_id: str) -> HttpResponse:
        shape = operation.output_shape
        body = write_tree(shape, result, CBOR_FORMAT) if shape is not None else {}
        return HttpResponse(200, [*_HEADERS, ("x-amzn-requestid", request_id)], _dumps(body))

    def encode_error(self, service: ServiceModel, error: AwsError, request_id: str) -> HttpResponse:
        resolved = resolve_error(service, error)
        members = error_members(resolved, error, "message")
        body = write_tree(resolved.shape, members, CBOR_FORMAT) if resolved.shape is not None else members
        if resolved.message_member is None:  # AWS sends the message even when the error shape models none
            body["message"] = error.message
        namespace = service.metadata.get("targetPrefix", service.metadata.get("endpointPrefix", "service"))
        body = {"__type": f"{namespace}#{resolved.type_name}", **body}
        headers = [*_HEADERS, ("x-amzn-requestid", request_id)]
        if "awsQueryCompatible" in service.metadata:
            headers.append(query_error_header(resolved))
        return HttpResponse(resolved.status, headers, _dumps(body))
