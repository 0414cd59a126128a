"""The test servers' check that answers are ones AWS's models allow: required members at every depth, enum
values, page tokens the operation takes back."""

from __future__ import annotations

from profilestack.gateway.answer_checks import answer_problems, problems_of
from profilestack.gateway.catalog import service_model
from profilestack.gateway.encoded import EncodedJson

PROFILES = service_model("customer-profiles")
IAM = service_model("iam")
CLOUDTRAIL = service_model("cloudtrail")
CAMPAIGNS = service_model("connectcampaignsv2")
ROLE = {"Path": "/", "RoleName": "r", "RoleId": "AROA", "Arn": "arn:aws:iam::000000000000:role/r", "CreateDate": 0}


def _output(model, operation: str):
    return model.operation_model(operation).output_shape


def test_a_required_member_left_out_or_null_is_named() -> None:
    shape = _output(PROFILES, "GetRecommenderFilter")
    whole = {"RecommenderFilterName": "f", "RecommenderFilterExpression": "EXCLUDE ItemID WHERE Items.X IN (1)",
             "CreatedAt": 0, "Status": "ACTIVE", "Tags": {}}
    assert problems_of(shape, whole) == []
    assert problems_of(shape, {**whole, "Tags": None, "Status": None}) == ["Status is missing", "Tags is missing"]
    assert problems_of(shape, {key: value for key, value in whole.items() if key != "CreatedAt"}) == [
        "CreatedAt is missing"]


def test_list_items_and_nested_structures_are_checked_with_their_paths() -> None:
    shape = _output(IAM, "ListRoles")
    assert problems_of(shape, {"Roles": [ROLE, ROLE]}) == []
    assert problems_of(shape, {"Roles": [ROLE, {**ROLE, "Arn": None}]}) == ["Roles[1].Arn is missing"]
    assert problems_of(shape, {}) == ["Roles is missing"]
    tagged = {**ROLE, "Tags": [{"Key": "team"}]}  # a Tag's Value is required too
    assert problems_of(shape, {"Roles": [tagged]}) == ["Roles[0].Tags[0].Value is missing"]


def test_answers_already_written_as_json_are_read_for_the_check() -> None:
    shape = _output(PROFILES, "BatchGetProfile")
    answer = {"Profiles": [EncodedJson('{"ProfileId":"%s","Gender":"female"}' % ("a" * 32))],
              "Errors": [EncodedJson('{"Code":"ResourceNotFoundException","ProfileId":"%s"}' % ("b" * 32))]}
    assert sorted(problems_of(shape, answer)) == [
        "Errors[0].Message is missing", "Profiles[0].Gender is 'female', not one of MALE, FEMALE, UNSPECIFIED"]


def test_enum_values_are_the_models_but_for_what_aws_itself_answers() -> None:
    summary = {"id": "c", "arn": "a", "name": "n", "connectInstanceId": "i", "channelSubtypes": ["telephony"]}
    assert problems_of(_output(CAMPAIGNS, "ListCampaigns"), {"campaignSummaryList": [summary]}) == [
        "campaignSummaryList[0].channelSubtypes[0] is 'telephony', not one of TELEPHONY, SMS, EMAIL, WHATSAPP"]
    role = {**ROLE, "PermissionsBoundary": {"PermissionsBoundaryType": "Policy"}}
    assert problems_of(_output(IAM, "GetRole"), {"Role": role}) == []  # as AWS answers, whatever its enum says


def test_a_page_token_must_be_one_the_operation_takes_back() -> None:
    listing = CLOUDTRAIL.operation_model("ListEventDataStores")  # its NextToken: four characters at least
    assert answer_problems("cloudtrail", listing, {"EventDataStores": [], "NextToken": "MDAwMDAwMDI"}) == []
    (problem,) = answer_problems("cloudtrail", listing, {"EventDataStores": [], "NextToken": "Mg"})
    assert problem.startswith("NextToken 'Mg' is not one ListEventDataStores takes back")


def test_strings_must_match_their_pattern() -> None:
    shape = _output(PROFILES, "ListProfileObjectTypeTemplates")
    assert problems_of(shape, {"Items": [{"TemplateId": "CTR", "SourceName": "AmazonConnect"}]}) == []
    assert problems_of(shape, {"Items": [{"TemplateId": "CTR", "SourceName": "Amazon Connect"}]}) == [
        "Items[0].SourceName is 'Amazon Connect', which does not match ^[a-zA-Z0-9_-]+$"]


def test_the_operations_let_off_are_not_checked() -> None:
    statistics = PROFILES.operation_model("GetObjectTypeAttributeStatistics")
    assert problems_of(statistics.output_shape, {"Statistics": {}, "CalculatedAt": 0}) != []
    assert answer_problems("customer-profiles", statistics, {"Statistics": {}, "CalculatedAt": 0}) == []
