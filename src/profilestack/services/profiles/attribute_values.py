"""ListProfileAttributeValues: the distinct values a profile attribute takes across a domain's profiles, for
pickers such as a segment builder's. Read from the stored profiles at each call (a scan of the domain)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from profilestack.gateway.context import CallContext
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.mapping import is_profile_value
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profiles_table

MOST_VALUES = 1000
# Custom attribute names a JSON path reaches alike on SQLite and PostgreSQL (whose path is an array literal):
# letters, digits and underscores, with hyphens and spaces inside.
_ATTRIBUTE_KEY = re.compile(r"\w(?:[\w -]*\w)?")


def _path(name: str) -> tuple[str, ...]:
    """Where the attribute is in a profile's stored fields."""
    if not is_profile_value(name):
        raise bad_request(f"{name} is not a profile attribute: name a standard field (FirstName), a part of an "
                          "address (Address.City) or a custom attribute (Attributes.<key>).")
    path = tuple(name.split("."))
    if path[0] == "Attributes" and not _ATTRIBUTE_KEY.fullmatch(path[1]):
        raise bad_request(f"{name} cannot be listed: profilestack lists custom attributes whose names are letters, "
                          "digits and underscores, with hyphens and spaces inside.")
    return path


@profiles.operation("ListProfileAttributeValues")
def list_profile_attribute_values(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    value = profiles_table.c.fields[_path(params["AttributeName"])].as_string()
    found = ctx.db.execute(select(value).distinct().where(store.whole_domain(ctx.db, domain.id),
                                                          value.is_not(None), value != "")
                           .order_by(value).limit(MOST_VALUES)).scalars()
    return {"DomainName": domain.name, "AttributeName": params["AttributeName"],
            "Items": [{"Value": item} for item in found]}
