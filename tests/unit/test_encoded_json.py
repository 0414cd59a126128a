"""Pre-encoded structures and the fast JSON text they rely on."""

from __future__ import annotations

import json
import math

import cbor2
from botocore.parsers import create_parser

from profilestack import jsontext
from profilestack.gateway.catalog import service_model
from profilestack.gateway.codecs.rest_json import RestJsonCodec
from profilestack.gateway.codecs.rpcv2_cbor import RpcV2CborCodec
from profilestack.gateway.encoded import EncodedJson

PROFILE = {"ProfileId": "p1", "FirstName": "Ada", "Address": {"City": "London"}, "Attributes": {"tier": "gold"}}


def test_rest_json_places_the_text_as_it_is_and_botocore_reads_it_back() -> None:
    operation = service_model("customer-profiles").operation_model("BatchGetProfile")
    text = json.dumps(PROFILE, separators=(", ", ": "))  # spacing as an older version stored it
    response = RestJsonCodec().encode(operation, {"Profiles": [EncodedJson(text)], "Errors": []}, "rid")
    assert text.encode() in response.body  # not read and written again
    parsed = create_parser("rest-json").parse(
        {"status_code": 200, "headers": dict(response.headers), "body": response.body}, operation.output_shape)
    assert parsed["Profiles"] == [PROFILE]


def test_cbor_and_in_process_callers_read_the_mapping_it_encodes() -> None:
    encoded = EncodedJson(json.dumps(PROFILE))
    assert encoded["Address"] == {"City": "London"} and dict(encoded) == PROFILE and len(encoded) == 4
    operation = service_model("cloudwatch").operation_model("ListDashboards")
    response = RpcV2CborCodec().encode(operation, {"DashboardEntries": [EncodedJson('{"DashboardName":"d"}')]},
                                       "rid")
    assert cbor2.loads(response.body)["DashboardEntries"] == [{"DashboardName": "d"}]


def test_json_text_falls_back_to_the_standard_library_where_orjson_refuses() -> None:
    assert math.isnan(jsontext.loads('{"a": NaN}')["a"])  # written by earlier versions through json.dumps
    assert jsontext.loads(b'{"a": [1, "\\u00e9"]}') == {"a": [1, "é"]}
    assert jsontext.loads(jsontext.dumps({"big": 2**70})) == {"big": 2**70}
    assert jsontext.dumps({1: "x"}) == '{"1":"x"}'
    assert jsontext.dumps_bytes({"é": "\u2028"}) == '{"é":"\u2028"}'.encode()
