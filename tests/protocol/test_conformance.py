"""botocore's protocol compliance cases, run in reverse against profilestack's codecs."""

from __future__ import annotations

import base64
import copy
import json
import math
from calendar import timegm
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import PROTOCOL_PARSERS
from botocore.utils import parse_timestamp
from dateutil.tz import tzutc

from profilestack.gateway.codecs.values import parse_float, to_datetime
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest
from profilestack.gateway.pipeline import CODECS
from profilestack.gateway.routing import UriTemplate

VECTORS = Path(__file__).parent / "vectors"
IGNORE = json.loads((VECTORS / "ignore-list.json").read_text())


def _protocol_key(path: Path) -> str:
    return path.stem.replace("-non-query-compatible", "").replace("-query-compatible", "")


# Client-side cases that cannot hold in reverse, each for a reason a server cannot avoid.
SERVER_DIVERGENCES = {
    # Smithy servers put every query parameter in an httpQueryParams map, bound ones included
    # (as RestJsonAllQueryStringTypes expects); this client case leaves the bound one out.
    "RestJsonQueryParamsStringListMap",
    # An httpPrefixHeaders member with the empty prefix captures every response header, and a
    # server always sends Content-Type and x-amzn-RequestId.
    "HttpPrefixHeadersResponse",
}


def _ignored(kind: str, path: Path, suite: dict[str, Any], case: dict[str, Any]) -> bool:
    if case.get("id") in SERVER_DIVERGENCES:
        return True
    if suite.get("description") in IGNORE["general"].get(kind, {}).get("suites", []):
        return True
    listed = IGNORE["protocols"].get(_protocol_key(path), {}).get(kind, {}).get("cases", [])
    return case.get("id") in listed


def _cases(kind: str) -> list[Any]:
    found = []
    for path in sorted((VECTORS / kind).glob("*.json")):
        for suite in json.loads(path.read_text()):
            for index, case in enumerate(suite["cases"]):
                if _ignored(kind, path, suite, case):
                    continue
                case_id = f"{path.stem}:{case.get('id', index)}"
                found.append(pytest.param(suite, case, id=case_id))
    return found


INPUT_CASES = _cases("input")
OUTPUT_CASES = _cases("output")


def _models(suite: dict[str, Any], case: dict[str, Any]) -> tuple[ServiceModel, OperationModel]:
    description = copy.deepcopy({key: value for key, value in suite.items() if key != "cases"})
    name = case["given"].get("name", "OperationName")
    description["operations"] = {name: case["given"]}
    model = ServiceModel(description)
    return model, OperationModel(case["given"], model, name)


def _normalize(shape: Shape | None, value: Any) -> Any:
    """Params in one comparable form: epoch timestamps, bytes blobs, NaN as text."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        # An empty list or map and an absent one look the same on several wires.
        return {
            key: _normalize(shape.members.get(key), item)
            for key, item in value.items()
            if item is not None and item != {} and item != []
        }
    if kind == "list":
        return [_normalize(shape.member, item) for item in value]
    if kind == "map":
        return {key: _normalize(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return to_datetime(value).timestamp()
    if kind == "blob":
        return value.encode() if isinstance(value, str) else bytes(value)
    if kind in ("float", "double"):
        number = parse_float(value)
        return "NaN" if math.isnan(number) else number
    return value


def _request(protocol: str, serialized: dict[str, Any]) -> HttpRequest:
    raw_path, _, query = serialized.get("uri", "/").partition("?")
    body_text = serialized.get("body", "")
    body = base64.b64decode(body_text) if protocol == "smithy-rpc-v2-cbor" else body_text.encode()
    raw_headers = list(serialized.get("headers", {}).items())
    headers: dict[str, str] = {}
    for name, value in raw_headers:
        headers[name.lower()] = value
    return HttpRequest(serialized.get("method", "POST"), raw_path, query, headers, body, raw_headers=raw_headers)


@pytest.mark.parametrize(("suite", "case"), INPUT_CASES)
def test_input_case_decodes_to_params(suite: dict[str, Any], case: dict[str, Any]) -> None:
    model, operation = _models(suite, case)
    protocol = model.metadata["protocol"]
    request = _request(protocol, case["serialized"])
    labels: dict[str, str] = {}
    if protocol == "rest-json":
        matched = UriTemplate(operation).match(request.raw_path, dict(request.query))
        assert matched is not None, f"{request.raw_path} does not match {operation.http['requestUri']}"
        labels = matched
    params = CODECS[protocol].decode(operation, request, labels)
    assert _normalize(operation.input_shape, params) == _normalize(operation.input_shape, case["params"])


def _compliance_timestamp(value: Any) -> int | float:
    moment = parse_timestamp(value).astimezone(tzutc())
    whole = int(timegm(moment.timetuple()))
    return whole + moment.microsecond / 1_000_000 if moment.microsecond else whole


def _bytes_to_str(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _bytes_to_str(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_bytes_to_str(item) for item in value]
    if isinstance(value, bytes):
        return value.decode()
    return value


@pytest.mark.parametrize(("suite", "case"), OUTPUT_CASES)
def test_output_case_parses_back_with_botocore(suite: dict[str, Any], case: dict[str, Any]) -> None:
    model, operation = _models(suite, case)
    protocol = model.metadata["protocol"]
    codec = CODECS[protocol]
    if "error" in case:
        fields = dict(case["error"])
        message = case.get("errorMessage", "")
        error = AwsError(case["errorCode"], message, case["response"]["status_code"], fields=fields)
        response = codec.encode_error(model, error, "request-1")
    else:
        response = codec.encode(operation, case["result"], "request-1")
    raw = {
        "status_code": response.status,
        "headers": HeadersDict(dict(response.headers)),
        "body": response.body,
        "context": {"operation_name": operation.name},
    }
    parser = PROTOCOL_PARSERS[protocol](timestamp_parser=_compliance_timestamp)
    parsed = parser.parse(raw, operation.output_shape)
    if "error" in case:
        error_shape = model.shape_for_error_code(parsed["Error"]["Code"])
        if error_shape is not None:
            parsed.update(parser.parse(raw, error_shape))
        parsed["Error"] = {key: parsed["Error"][key] for key in ("Code", "Message") if key in parsed["Error"]}
        expected = {"Error": {"Code": case.get("errorCode", ""), "Message": case.get("errorMessage", "")}}
        expected.update(case["error"])
    else:
        expected = case["result"]
    parsed.pop("ResponseMetadata", None)
    if "error" in case:
        assert _bytes_to_str(parsed) == expected
    else:
        assert response.status == case["response"]["status_code"]
        shape = operation.output_shape
        assert _normalize(shape, parsed) == _normalize(shape, expected)
