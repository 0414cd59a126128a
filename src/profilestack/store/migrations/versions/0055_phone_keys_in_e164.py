"""Phone keys kept before 0055 are also kept in E.164 form, as keys written since are, so that a search finds the
profiles they belong to whatever format the number is written in: every ``_phone`` key, and the keys of object
types whose fields are all PHONE_NUMBER (from the keys their objects gave). Values already in E.164 form gain
nothing; values that are no possible phone number stay as they are.

Revision ID: 0055
"""

import json
import re

import phonenumbers
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision = "0055"
down_revision = "0054"

_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")
_BATCH = 5000

_keys = sa.table("profile_keys", sa.column("domain_id", sa.Integer), sa.column("key_name", sa.String),
                 sa.column("key_value", sa.String), sa.column("profile_id", sa.String), sa.column("origin", sa.String))
_types = sa.table("profile_object_types", sa.column("domain_id", sa.Integer), sa.column("name", sa.String),
                  sa.column("definition", sa.JSON))


def _e164(value: str) -> str | None:
    """services.profiles.phone_numbers' form as of this revision, written out: a migration must keep doing what it
    did when later code changes."""
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_keys(definition: object) -> list[str]:
    """The names of a definition's keys whose fields are all PHONE_NUMBER."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    if not isinstance(definition, dict):
        return []
    fields = definition.get("Fields") or {}
    names = []
    for name, keys in (definition.get("Keys") or {}).items():
        for key in keys:
            field_names = key.get("FieldNames") or []
            if field_names and all((fields.get(field) or {}).get("ContentType") == "PHONE_NUMBER"
                                   for field in field_names):
                names.append(name)
    return names


def upgrade() -> None:
    bind = op.get_bind()
    typed = [(domain_id, name, f"object:{type_name}") for domain_id, type_name, definition
             in bind.execute(sa.select(_types.c.domain_id, _types.c.name, _types.c.definition))
             for name in _phone_keys(definition)]
    wanted = [_keys.c.key_name == "_phone", *(sa.and_(_keys.c.domain_id == domain_id, _keys.c.key_name == name,
                                                     _keys.c.origin == origin) for domain_id, name, origin in typed)]
    not_e164 = sa.or_(*(_keys.c.key_value.like(pattern) for pattern in ("% %", "%(%", "%-%", "%.%", "%/%")),
                      sa.not_(_keys.c.key_value.like("+%")))
    rows = bind.execute(sa.select(_keys).where(sa.or_(*wanted), not_e164)).all()
    added = []
    for row in rows:
        form = None if _E164.match(row.key_value) else _e164(row.key_value)
        if form is not None and form != row.key_value:
            added.append({**row._asdict(), "key_value": form})
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    for start in range(0, len(added), _BATCH):
        bind.execute(dialect.insert(_keys).on_conflict_do_nothing(), added[start:start + _BATCH])


def downgrade() -> None:
    pass  # the E.164 forms stay: searches as sent still find what they found
