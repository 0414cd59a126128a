"""A testing aid (``test_answer_checks``): an answer must carry every member its output shape marks required, at
every depth, as AWS's answers do (SDKs of typed languages build their results on it). The test suite's servers
turn it on, so that a handler leaving one out fails the test that called it instead of passing unnoticed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import Shape

# (service, operation) → why its answers may leave out members the model requires
LEFT_OUT_ON_PURPOSE = {
    ("customer-profiles", "GetObjectTypeAttributeStatistics"):
        "without a numeric value there is no statistic to give (AWS answers nulls, which no codec here writes)",
}


def missing_members(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """The paths (``Items[2].Name``) of required members ``value`` lacks or holds as null."""
    if shape is None or value is None:
        return []
    if shape.type_name == "structure" and isinstance(value, Mapping):
        missing = [_join(path, name) for name in shape.required_members if value.get(name) is None]
        for name, member in shape.members.items():
            if name in value:
                missing += missing_members(member, value[name], _join(path, name))
        return missing
    if shape.type_name == "list" and isinstance(value, list):
        return [found for index, item in enumerate(value) for found in missing_members(shape.member, item,
                                                                                          f"{path}[{index}]")]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return [found for key, item in value.items() for found in missing_members(shape.value, item,
                                                                                     f"{path}[{key!r}]")]
    return []


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member
