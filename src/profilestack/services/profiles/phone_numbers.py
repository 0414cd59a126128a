"""Phone numbers in one form, so that a search finds a number whatever its format: Customer Profiles processes a
PHONE_NUMBER value so that "+15551234567" matches "(555)-123-4567". The form is E.164, a number without a country
code read as a North American one (AWS's example), by libphonenumber (the ``phonenumbers`` package)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")  # already in the form: no parsing (a contact record's numbers)
_PHONE_LIKE = re.compile(r"[+(]?[0-9][0-9 ()./-]{5,40}\Z")  # what a search value must look like to be read as one
_NO_COUNTRY_CODE = "US"


def _dialable(value: str) -> str | None:
    """``value``'s E.164 form, or None when it cannot be a phone number."""
    if _E164.match(value):
        return value
    if not _PHONE_LIKE.match(value):
        return None
    return _parsed(value)


@lru_cache(maxsize=4096)
def _parsed(value: str) -> str | None:
    import phonenumbers  # at the first number not in E.164 form: 37 ms that a server's start need not wait for

    try:
        number = phonenumbers.parse(value, _NO_COUNTRY_CODE)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def other_form(value: str) -> str | None:
    """``value``'s E.164 form when that is another value: what a phone key is also kept and searched as."""
    form = _dialable(value)
    return form if form != value else None


def with_dialable(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Key (name, value) pairs of phone numbers, each followed by its E.164 form when that is another value."""
    result = []
    for name, value in pairs:
        result.append((name, value))
        form = other_form(value)
        if form is not None:
            result.append((name, form))
    return result
