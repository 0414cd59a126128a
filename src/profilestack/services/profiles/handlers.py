"""Amazon Connect Customer Profiles: importing this module registers every implemented operation."""

from profilestack.services.profiles import domains, service_role, tagging  # noqa: F401
from profilestack.services.profiles.service import profiles

__all__ = ["profiles"]
