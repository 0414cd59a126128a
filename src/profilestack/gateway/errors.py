"""The one exception type every layer raises for a client-visible AWS error."""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """An error that is rendered on the wire in the protocol the client spoke.

    ``code`` is the error shape name (or the well-known code for errors no model
    declares, such as ``SignatureDoesNotMatch``). ``status`` is only needed when the
    service model does not declare the error; a declared error takes its status from
    the model. ``fields`` carries extra modelled members (e.g. ``state``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        sender_fault: bool = True,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields = fields or {}


class InternalFailure(AwsError):
    def __init__(self, message: str = "An internal error occurred.") -> None:
        super().__init__("InternalFailure", message, 500, sender_fault=False)


class ServiceUnavailable(AwsError):
    """AWS's common error for a temporary failure of the server (503, which the SDKs retry)."""

    def __init__(self) -> None:
        super().__init__("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503,
                         sender_fault=False)
