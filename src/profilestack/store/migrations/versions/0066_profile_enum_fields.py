"""Profile fields an object type filled before 0066 with a value outside their enum (``Gender`` ``female`` from a
Marketo lead) take the enum's spelling when they name one of its values in any case, or move to the field's
free-text form (``GenderString``) — for ``ProfileType``, which has none, they are dropped — as values mapped since
are: an answer must hold no value its enum lacks. The object type the value came from moves with it.

Revision ID: 0066
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0066"
down_revision = "0065"

# the Profile shape's enums as of this revision, written out: a migration must keep doing what it did
_ENUMS = {"Gender": ("MALE", "FEMALE", "UNSPECIFIED"), "PartyType": ("INDIVIDUAL", "BUSINESS", "OTHER"),
          "ProfileType": ("ACCOUNT_PROFILE", "PROFILE")}
_STRING_FORMS = {"Gender": "GenderString", "PartyType": "PartyTypeString"}
_BATCH = 1000

_profiles = sa.table("profile_profiles", sa.column("id", sa.String), sa.column("fields", sa.JSON),
                     sa.column("field_sources", sa.JSON))


def _loaded(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def respelled(fields: dict, sources: dict) -> bool:
    """Fix ``fields`` (and ``sources``, field → object type) in place; whether anything changed."""
    changed = False
    for name, allowed in _ENUMS.items():
        value = fields.get(name)
        if not isinstance(value, str) or value in allowed:
            continue
        changed = True
        spelled = next((option for option in allowed if option == value.upper()), None)
        if spelled is not None:
            fields[name] = spelled
            continue
        del fields[name]
        source = sources.pop(name, None)
        text_form = _STRING_FORMS.get(name)
        if text_form is not None and text_form not in fields:
            fields[text_form] = value
            if source is not None:
                sources[text_form] = source
    return changed


def upgrade() -> None:
    bind = op.get_bind()
    text = sa.cast(_profiles.c.fields, sa.Text)
    holding = sa.or_(*(text.like(f'%"{name}"%') for name in _ENUMS))
    statement = sa.update(_profiles).where(_profiles.c.id == sa.bindparam("b_id"))
    after = ""
    while True:  # a batch at a time, by id: a million profiles are never in memory at once
        rows = bind.execute(sa.select(_profiles).where(holding, _profiles.c.id > after)
                            .order_by(_profiles.c.id).limit(_BATCH)).all()
        if not rows:
            return
        updates = []
        for row in rows:
            fields, sources = _loaded(row.fields), _loaded(row.field_sources)
            if respelled(fields, sources):
                updates.append({"b_id": row.id, "fields": fields, "field_sources": sources})
        if updates:
            bind.execute(statement, updates)
        after = rows[-1].id


def downgrade() -> None:
    pass  # the respelled values stay: they are what the API allows
