"""Object types whose objects fill a standard object, as several tests define them."""

from __future__ import annotations

from typing import Any


def put_standard_type(profiles: Any, domain: str, name: str, description: str, standard: str,
                      targets: dict[str, str], identifiers: tuple[str, ...] = ("UNIQUE",)) -> None:
    """An object type filling ``standard`` (``_asset``, ``_webAnalytics``, …): ``targets`` maps each source field
    to the standard object's field it fills; the object's ``id`` is its key (``identifiers``), and its ``email``
    finds the customer's profile or creates one."""
    fields = {source: {"Source": f"_source.{source}", "Target": f"{standard}.{target}"}
              for source, target in targets.items()}
    fields["email"] = {"Source": "_source.email", "Target": "_profile.EmailAddress", "ContentType": "EMAIL_ADDRESS"}
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName=name, Description=description, AllowProfileCreation=True, Fields=fields,
        Keys={"id": [{"StandardIdentifiers": list(identifiers), "FieldNames": ["id"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
