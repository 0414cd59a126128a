"""CloudWatch's errors for a bad parameter, a bad combination and a bad NextToken, shared by its operations."""

from __future__ import annotations

from profilestack.gateway.errors import AwsError


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message, 400)


def combination(message: str) -> AwsError:
    return AwsError("InvalidParameterCombination", message, 400)


def invalid_token(_: str) -> AwsError:
    return AwsError("InvalidNextToken", "The service couldn't process the NextToken.", 400)
