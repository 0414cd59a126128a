"""The IAM handler registry; every committed IAM write drops the caches authorization keeps."""

from profilestack.gateway.context import CallContext
from profilestack.services.registry import ServiceHandlers


def _iam_changed(ctx: CallContext) -> None:
    ctx.app.iam_changed()


iam = ServiceHandlers("iam", after_write=_iam_changed)
