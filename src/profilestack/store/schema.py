"""Import every table module so the shared MetaData knows the whole schema."""

from profilestack.audit import table as _audit  # noqa: F401
from profilestack.outbox import table as _outbox  # noqa: F401
from profilestack.services.campaigns import tables as _campaigns  # noqa: F401
from profilestack.services.cloudtrail import tables as _cloudtrail  # noqa: F401
from profilestack.services.cloudwatch import tables as _cloudwatch  # noqa: F401
from profilestack.services.iam import tables as _iam  # noqa: F401
from profilestack.services.profiles import tables as _profiles  # noqa: F401
from profilestack.services.sts import tables as _sts  # noqa: F401
from profilestack.store import resource_tags as _resource_tags  # noqa: F401
from profilestack.store.metadata import metadata

__all__ = ["metadata"]
