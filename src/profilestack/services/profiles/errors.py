"""Customer Profiles' error codes."""

from profilestack.gateway.errors import AwsError


def bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message, 400)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404)
