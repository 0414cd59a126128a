"""A testing aid (``test_answer_checks``): an answer must be one AWS's model allows — every member its output shape
marks required, at every depth; strings among their enum's values and matching their pattern; a page token the
operation takes back — as SDKs of typed languages build their results on it and botocore checks a token before
sending it again. Lengths are not checked: AWS's own answers break them (the root's 12-digit UserId). The test
suite's servers turn it on, so that a handler breaking it fails the test that called it instead of passing
unnoticed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, Shape

from profilestack.gateway.validation import model_pattern

# (service, operation) → why its answers are not checked: they leave out members the model requires
LEFT_OUT_ON_PURPOSE = {
    ("customer-profiles", "GetObjectTypeAttributeStatistics"):
        "without a numeric value there is no statistic to give (AWS answers nulls, which no codec here writes)",
}
# (enum shape, value) AWS answers although its model's enum lacks it
AWS_SPELLINGS = {("PermissionsBoundaryAttachmentType", "Policy")}  # IAM's enum says PermissionsBoundaryPolicy
_TOKENS = ("NextToken", "nextToken", "Marker")


def answer_problems(service: str, operation: OperationModel, value: Mapping[str, Any]) -> list[str]:
    """What in ``value``, the answer to ``operation`` of ``service``, its model does not allow, each named by its
    path; nothing for the operations LEFT_OUT_ON_PURPOSE."""
    if (service, operation.name) in LEFT_OUT_ON_PURPOSE:
        return []
    return problems_of(operation.output_shape, value) + _token_problems(operation, value)


def problems_of(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """What in ``value`` (at ``path`` of an answer) ``shape`` does not allow: required members missing, strings
    outside their enum or pattern, at every depth."""
    if shape is None or value is None:
        return []
    if shape.type_name == "structure" and isinstance(value, Mapping):
        found = [f"{_join(path, name)} is missing" for name in shape.required_members if value.get(name) is None]
        for name, member in shape.members.items():
            if name in value:
                found += problems_of(member, value[name], _join(path, name))
        return found
    if shape.type_name == "list" and isinstance(value, list):
        return [problem for index, item in enumerate(value)
                for problem in problems_of(shape.member, item, f"{path}[{index}]")]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return [problem for key, item in value.items()
                for problem in problems_of(shape.value, item, f"{path}[{key!r}]")]
    if shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum and (shape.name, value) not in AWS_SPELLINGS:
            return [f"{path} is {value!r}, not one of {', '.join(shape.enum)}"]
        if _breaks_pattern(shape.metadata, value):
            return [f"{path} is {value[:80]!r}, which does not match {shape.metadata['pattern']}"]
    return []


def _token_problems(operation: OperationModel, value: Mapping[str, Any]) -> list[str]:
    """A page token the same operation's input would refuse (botocore checks its length before sending it)."""
    asked = operation.input_shape.members if operation.input_shape is not None else {}
    found = []
    for name in _TOKENS:
        token = value.get(name)
        if not isinstance(token, str) or name not in asked:
            continue
        limits = asked[name].metadata
        if not limits.get("min", 0) <= len(token) <= limits.get("max", len(token)) or _breaks_pattern(limits, token):
            found.append(f"{name} {token!r} is not one {operation.name} takes back ({limits})")
    return found


def _breaks_pattern(metadata: dict[str, Any], value: str) -> bool:
    """Whether ``value`` fails the pattern in a shape's ``metadata`` (none, or one no library reads: it passes)."""
    pattern = model_pattern(metadata["pattern"]) if "pattern" in metadata else None
    return pattern is not None and pattern.match(value) is None


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member
