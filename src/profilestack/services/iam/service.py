"""The IAM handler registry: an account's IAM writes take turns (their quota and uniqueness checks count, then
insert), and every committed one drops the caches authorization keeps."""

from profilestack.gateway.context import CallContext
from profilestack.services.registry import ServiceHandlers


def _iam_changed(ctx: CallContext) -> None:
    ctx.app.iam_changed()


def _account_writes(ctx: CallContext) -> str:
    return f"iam-writes:{ctx.account}"


iam = ServiceHandlers("iam", after_write=_iam_changed, write_lock=_account_writes)
