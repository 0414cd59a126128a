"""How an object type maps a profile object: fields from the object, keys from fields, profile fields from
``_profile.*`` targets and standard objects' fields from theirs (``_asset.*``, …). Pure functions (over the
service model's Profile shape): no storage, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from profilestack import jsontext
from profilestack.gateway.catalog import service_model
from profilestack.services.profiles import source_templates
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.phone_numbers import other_form
from profilestack.services.profiles.standard_objects import STANDARD_OBJECTS, standard_target

# identifiers whose keys find a profile, in search order (ASSET, CASE and ORDER keys find it through a standard
# record, after PROFILE ones: objects._matching_profile)
MATCHING = ("PROFILE", "SECONDARY", "LOOKUP_ONLY")
MAX_KEY_LENGTH = 255
STANDARD_TARGET = "_profile."
STRING_FORMS = {"Gender": "GenderString", "PartyType": "PartyTypeString"}  # an enum field → its free-text form


@dataclass
class MappedObject:
    fields: dict[str, str]  # field name → value found in the object
    unique_key: str | None
    keys: dict[str, tuple[list[str], str]] = field(default_factory=dict)  # key name → (identifiers, value)
    profile_fields: dict[str, Any] = field(default_factory=dict)  # standard fields the object's targets fill
    inferred_fields: dict[str, Any] = field(default_factory=dict)  # what a profile created from it starts with
    standard: dict[str, dict[str, Any]] = field(default_factory=dict)  # standard object name → fields it fills
    # keys of PHONE_NUMBER fields whose value is written otherwise than in E.164 form → that form, also kept
    dialable_forms: dict[str, str] = field(default_factory=dict)

    def values_for(self, identifier: str) -> list[tuple[str, str]]:
        return self._in_every_form([(name, value) for name, (identifiers, value) in self.keys.items()
                                    if identifier in identifiers])

    def persisted_keys(self, created: bool) -> list[tuple[str, str]]:
        """Keys kept on the profile: all but LOOKUP_ONLY; NEW_ONLY only when the object created the profile."""
        kept = []
        for name, (identifiers, value) in self.keys.items():
            if "LOOKUP_ONLY" in identifiers or ("NEW_ONLY" in identifiers and not created):
                continue
            kept.append((name, value))
        return self._in_every_form(kept)

    def _in_every_form(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not self.dialable_forms:
            return pairs
        return [*pairs, *((name, self.dialable_forms[name]) for name, _ in pairs if name in self.dialable_forms)]


def parse_object(text: str) -> dict[str, Any]:
    try:
        value = jsontext.loads_exact(text)
    except ValueError as exc:
        raise bad_request("Object is not a valid JSON document.") from exc
    if not isinstance(value, dict):
        raise bad_request("Object must be a JSON object.")
    if "\\u0000" in text and any("\x00" in string for string in jsontext.strings_in(value)):
        # as in every string parameter (docs/decisions.md)
        raise bad_request("Object must not contain the null character (U+0000).")
    return value


def lookup(document: dict[str, Any], source: str) -> Any:
    """``_source.CustomerEndpoint.Address`` → the value at that path of the object, or None."""
    path = source.split(".")
    return source_templates.walk(document, path[1:] if path[0] == "_source" else path)


def field_value(source: str, document: dict[str, Any]) -> str | None:
    """A field's value in an object: its Source's JSON accessor (``_source.Address.City``) or Handlebars
    expression (``{{_source.firstName}} {{_source.lastName}}``); None when the object has none."""
    if source_templates.is_template(source):
        try:
            return source_templates.render(source, document) or None
        except source_templates.TemplateError as error:
            raise bad_request(f"The Source {source} cannot be read for this object: {error}") from error
    return as_text(lookup(document, source))


def as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_target(record: dict[str, Any], path: list[str], value: str) -> None:
    """``["Address", "PostalCode"]`` / ``["Attributes", "tier"]`` / ``["FirstName"]`` of a profile or record."""
    current = record
    for part in path[:-1]:
        current = current.setdefault(part, {})
    current[path[-1]] = value


def validate_definition(definition: dict[str, Any]) -> None:
    fields = definition.get("Fields") or {}
    unique = 0
    for name, keys in (definition.get("Keys") or {}).items():
        for key in keys:
            identifiers = key.get("StandardIdentifiers") or []
            unique += "UNIQUE" in identifiers
            for field_name in key.get("FieldNames") or []:
                if field_name not in fields:
                    raise bad_request(f"Key {name} uses the field {field_name}, which the object type does not "
                                      "define in Fields.")
    if unique > 1:
        raise bad_request("An object type can have only one UNIQUE key.")
    for name, spec in fields.items():
        source = spec.get("Source") or ""
        if source_templates.is_template(source):
            try:
                source_templates.parse(source)
            except source_templates.TemplateError as error:
                raise bad_request(f"Field {name} has a Source profilestack cannot read as a Handlebars expression: "
                                  f"{error}") from error
        target = spec.get("Target")
        if not target:
            continue
        standard = standard_target(target)
        if standard is not None:
            if not standard[0].takes(standard[1]):
                parts = [f"one of its fields or an attribute ({standard[0].name}.Attributes.name)",
                         *(f"a part of its {structure} ({standard[0].name}.{structure}.City)"
                           for structure in standard[0].structures)]
                raise bad_request(f"Field {name} has target {target}, which is not a field of the standard object "
                                  f"{standard[0].name}: targets name {', or '.join(parts)}.")
        elif not target.startswith(STANDARD_TARGET):
            raise bad_request(f"Field {name} has target {target}; targets must start with {STANDARD_TARGET} or name "
                              f"a standard object ({', '.join(f'{standard}.' for standard in STANDARD_OBJECTS)})")
        elif not is_profile_value(target[len(STANDARD_TARGET):]):
            raise bad_request(f"Field {name} has target {target}, which is not a field of the standard profile: "
                              "targets name a profile field, an address part (_profile.Address.City) or an "
                              "attribute (_profile.Attributes.name).")


_NOT_TARGETS = frozenset({"ProfileId", "FoundByItems"})


def unique_key_name(definition: dict[str, Any]) -> str | None:
    """The name of the type's UNIQUE key when that name has no other definition: its value is the unique key an
    object is stored under."""
    for name, keys in (definition.get("Keys") or {}).items():
        if len(keys) == 1 and "UNIQUE" in (keys[0].get("StandardIdentifiers") or []):
            return name
    return None


def is_profile_value(dotted: str) -> bool:
    """Whether ``dotted`` (``FirstName``, ``Address.City``, ``Attributes.tier``) names a text value of the standard
    Profile shape. Object fields may only target those, so that stored profile fields stay in the shape's wire
    form."""
    shape = service_model("customer-profiles").shape_for("Profile")
    path = dotted.split(".")
    for position, part in enumerate(path):
        if shape.type_name == "map":  # Attributes: any name, one level down
            return bool(part) and position == len(path) - 1
        if shape.type_name != "structure" or part not in shape.members or part in _NOT_TARGETS:
            return False
        shape = shape.members[part]
    return shape.type_name == "string"


@cache
def _enum_spellings() -> dict[str, dict[str, str]]:
    """The Profile shape's enum fields (Gender, PartyType, ProfileType): each value, upper-cased, → its spelling."""
    shape = service_model("customer-profiles").shape_for("Profile")
    return {name: {value.upper(): value for value in member.enum}
            for name, member in shape.members.items() if member.type_name == "string" and member.enum}


def _in_enum_spelling(fields: dict[str, Any]) -> None:
    """A value mapped into an enum field is kept in the enum's spelling when it names one of its values in any
    case (``female``: ``FEMALE``); otherwise it goes to the field's free-text form (GenderString) when there is one,
    or is left out: an answer never holds a value its enum lacks."""
    for name, spellings in _enum_spellings().items():
        value = fields.get(name)
        if value is None:
            continue
        spelled = spellings.get(value.upper())
        if spelled is not None:
            fields[name] = spelled
            continue
        del fields[name]
        if name in STRING_FORMS:
            fields.setdefault(STRING_FORMS[name], value)


def map_object(definition: dict[str, Any], document: dict[str, Any]) -> MappedObject:
    values: dict[str, str] = {}
    content_types: dict[str, str] = {}
    profile_fields: dict[str, Any] = {}
    standard: dict[str, dict[str, Any]] = {}
    for name, spec in (definition.get("Fields") or {}).items():
        value = field_value(spec.get("Source", ""), document)
        if value is None or value == "":
            continue
        values[name] = value
        content_types[name] = spec.get("ContentType", "STRING")
        target = spec.get("Target")
        if target and target.startswith(STANDARD_TARGET):
            _set_target(profile_fields, target[len(STANDARD_TARGET):].split("."), value)
        elif target and (found := standard_target(target)) is not None:
            _set_target(standard.setdefault(found[0].name, {}), found[1], value)
    _in_enum_spelling(profile_fields)
    # an inferred profile gets the object's phone number and email address even without targets
    inferred = dict(profile_fields)
    for name, kind in content_types.items():
        if kind == "PHONE_NUMBER":
            inferred.setdefault("PhoneNumber", values[name])
        elif kind == "EMAIL_ADDRESS":
            inferred.setdefault("EmailAddress", values[name])
    for kind, record in standard.items():
        identifier = record.get(STANDARD_OBJECTS[kind].identifier)
        if isinstance(identifier, str) and len(identifier) > MAX_KEY_LENGTH:  # it is the record's unique key
            raise bad_request(f"The value of {kind}.{STANDARD_OBJECTS[kind].identifier} is {len(identifier)} "
                              f"characters long; identifiers are at most {MAX_KEY_LENGTH}.")
    mapped = MappedObject(values, None, profile_fields=profile_fields, inferred_fields=inferred, standard=standard)
    for name, keys in (definition.get("Keys") or {}).items():
        for key in keys:
            parts = [values.get(field_name) for field_name in key.get("FieldNames") or []]
            if not parts or any(part is None for part in parts):
                continue
            value = "_".join(part for part in parts if part is not None)
            if len(value) > MAX_KEY_LENGTH:  # what searches take and the key tables hold, on every backend
                raise bad_request(f"The value of key {name} is {len(value)} characters long; key values are at "
                                  f"most {MAX_KEY_LENGTH}.")
            identifiers = key.get("StandardIdentifiers") or ["PROFILE"]
            mapped.keys[name] = (identifiers, value)
            if all(content_types.get(field_name) == "PHONE_NUMBER" for field_name in key.get("FieldNames") or []):
                form = other_form(value)
                if form is not None:
                    mapped.dialable_forms[name] = form
            if "UNIQUE" in identifiers:
                mapped.unique_key = value
    return mapped
