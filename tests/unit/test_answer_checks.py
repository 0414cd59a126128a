"""The test servers' check that answers carry the members their output shapes require, at every depth."""

from __future__ import annotations

from profilestack.gateway.answer_checks import missing_members
from profilestack.gateway.catalog import service_model
from profilestack.gateway.encoded import EncodedJson

PROFILES = service_model("customer-profiles")
IAM = service_model("iam")


def _output(model, operation: str):
    return model.operation_model(operation).output_shape


def test_a_required_member_left_out_or_null_is_named() -> None:
    shape = _output(PROFILES, "GetRecommenderFilter")
    whole = {"RecommenderFilterName": "f", "RecommenderFilterExpression": "EXCLUDE ItemID WHERE Items.X IN (1)",
             "CreatedAt": 0, "Status": "ACTIVE", "Tags": {}}
    assert missing_members(shape, whole) == []
    assert missing_members(shape, {**whole, "Tags": None, "Status": None}) == ["Status", "Tags"]
    assert missing_members(shape, {key: value for key, value in whole.items() if key != "CreatedAt"}) == ["CreatedAt"]


def test_list_items_and_nested_structures_are_checked_with_their_paths() -> None:
    shape = _output(IAM, "ListRoles")
    role = {"Path": "/", "RoleName": "r", "RoleId": "AROA", "Arn": "arn:aws:iam::000000000000:role/r",
            "CreateDate": 0}
    assert missing_members(shape, {"Roles": [role, role]}) == []
    assert missing_members(shape, {"Roles": [role, {**role, "Arn": None}]}) == ["Roles[1].Arn"]
    assert missing_members(shape, {}) == ["Roles"]
    tagged = {**role, "Tags": [{"Key": "team"}]}  # a Tag's Value is required too
    assert missing_members(shape, {"Roles": [tagged]}) == ["Roles[0].Tags[0].Value"]


def test_answers_already_written_as_json_are_read_for_the_check() -> None:
    shape = _output(PROFILES, "BatchGetProfile")
    answer = {"Profiles": [EncodedJson('{"ProfileId":"0a"}')],
              "Errors": [EncodedJson('{"Code":"ResourceNotFoundException","ProfileId":"0b"}')]}
    assert missing_members(shape, answer) == ["Errors[0].Message"]
