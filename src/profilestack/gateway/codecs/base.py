"""What every protocol codec offers, and how an AwsError maps onto a service's error shapes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel, StructureShape

from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest, HttpResponse


class Codec(Protocol):
    def decode(self, operation: OperationModel, request: HttpRequest, labels: dict[str, str]) -> dict[str, Any]:
        """The request's parameters, typed by the operation's input shape."""
        ...

    def encode(self, operation: OperationModel, result: dict[str, Any], request_id: str) -> HttpResponse:
        """A successful result in the operation's output shape."""
        ...

    def encode_error(self, service: ServiceModel, error: AwsError, request_id: str) -> HttpResponse:
        """An error as this protocol carries it."""
        ...


@dataclass(frozen=True, slots=True)
class ResolvedError:
    code: str  # what a query client sees as the error code
    type_name: str  # the shape name json/cbor clients see in __type
    status: int
    sender_fault: bool
    shape: StructureShape | None
    message_member: str | None


@cache
def _error_index(service: ServiceModel) -> dict[str, StructureShape]:
    index: dict[str, StructureShape] = {}
    for shape in service.error_shapes:
        index[shape.name] = shape
        query_code = shape.metadata.get("error", {}).get("code")
        if query_code:
            index.setdefault(query_code, shape)
    return index


def resolve_error(service: ServiceModel, error: AwsError) -> ResolvedError:
    shape = _error_index(service).get(error.code)
    if shape is None:
        return ResolvedError(error.code, error.code, error.status, error.sender_fault, None, None)
    trait = shape.metadata.get("error", {})
    message_member = next((name for name in shape.members if name.lower() == "message"), None)
    return ResolvedError(
        code=trait.get("code", shape.name),
        type_name=shape.name,
        status=trait.get("httpStatusCode", error.status),
        sender_fault=trait.get("senderFault", error.sender_fault),
        shape=shape,
        message_member=message_member,
    )


def error_members(resolved: ResolvedError, error: AwsError, default_message_key: str) -> dict[str, Any]:
    """The error's message and modelled fields, keyed as the error shape names them."""
    members: dict[str, Any] = {resolved.message_member or default_message_key: error.message}
    if resolved.shape is not None:
        for name, value in error.fields.items():
            if name in resolved.shape.members:
                members[name] = value
    return members


def query_error_header(resolved: ResolvedError) -> tuple[str, str]:
    fault = "Sender" if resolved.sender_fault else "Receiver"
    return ("x-amzn-query-error", f"{resolved.code};{fault}")
