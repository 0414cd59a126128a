"""The IAM handler registry: an account's IAM writes take turns (their quota and uniqueness checks count, then
insert), and every committed one drops the caches authorization keeps."""

from profilestack.gateway.context import CallContext
from profilestack.services.registry import ServiceHandlers


def _iam_changed(ctx: CallContext) -> None:
    ctx.app.iam_changed()


def account_writes_lock(account: str) -> str:
    """The lock an account's IAM writes take in turn; a service that looks for an IAM entity before having IAM
    create it takes it first, or two such calls at once would both ask IAM to create it."""
    return f"iam-writes:{account}"


iam = ServiceHandlers("iam", after_write=_iam_changed, write_lock=lambda ctx: account_writes_lock(ctx.account))
