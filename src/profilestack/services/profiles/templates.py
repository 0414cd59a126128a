"""Object type templates (``GetProfileObjectTypeTemplate``): the mappings of common sources.

The field sources follow each source's documented record format (Amazon Connect contact
records, Salesforce Account, Shopify Customer); keys follow the Customer Profiles documentation
of each template (e.g. CTR-NoInferred: find by ``_ctrContactId``, then by ``_phone``).
"""

from __future__ import annotations

from typing import Any


def _field(source: str, target: str | None = None, content_type: str = "STRING") -> dict[str, str]:
    spec = {"Source": f"_source.{source}", "ContentType": content_type}
    if target:
        spec["Target"] = f"_profile.{target}"
    return spec


def _key(identifiers: list[str], *fields: str) -> list[dict[str, Any]]:
    return [{"StandardIdentifiers": identifiers, "FieldNames": list(fields)}]


_CONTACT_RECORD_FIELDS = {
    "ContactId": _field("ContactId"),
    "Channel": _field("Channel"),
    "InitiationMethod": _field("InitiationMethod"),
    "InitiationTimestamp": _field("InitiationTimestamp"),
    "DisconnectTimestamp": _field("DisconnectTimestamp"),
    "AgentId": _field("Agent.Id"),
    "QueueName": _field("Queue.Name"),
    "CustomerPhone": _field("CustomerEndpoint.Address", None, "PHONE_NUMBER"),
    "SystemPhone": _field("SystemEndpoint.Address", None, "PHONE_NUMBER"),
}


def _contact_records(allow_profile_creation: bool) -> dict[str, Any]:
    """Amazon Connect contact records: found by _ctrContactId, then by the caller's phone (_phone)."""
    return {
        "SourceName": "Amazon Connect", "SourceObject": "ContactRecord",
        "AllowProfileCreation": allow_profile_creation,
        "SourceLastUpdatedTimestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
        "Fields": _CONTACT_RECORD_FIELDS,
        "Keys": {"_ctrContactId": _key(["UNIQUE", "PROFILE"], "ContactId"),
                 "_phone": _key(["SECONDARY"], "CustomerPhone")},
    }


TEMPLATES: dict[str, dict[str, Any]] = {
    "CTR-NoInferred": _contact_records(allow_profile_creation=True),
    "CTR-AutoAssociateOnly": _contact_records(allow_profile_creation=False),
    "Salesforce-Account": {
        "SourceName": "Salesforce", "SourceObject": "Account", "AllowProfileCreation": True,
        "SourceLastUpdatedTimestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
        "Fields": {
            "Id": _field("Id", "Attributes.SalesforceAccountId"),
            "Name": _field("Name", "BusinessName", "NAME"),
            "AccountNumber": _field("AccountNumber", "AccountNumber"),
            "Phone": _field("Phone", "BusinessPhoneNumber", "PHONE_NUMBER"),
            "BillingStreet": _field("BillingStreet", "BillingAddress.Address1"),
            "BillingCity": _field("BillingCity", "BillingAddress.City"),
            "BillingState": _field("BillingState", "BillingAddress.State"),
            "BillingPostalCode": _field("BillingPostalCode", "BillingAddress.PostalCode"),
            "BillingCountry": _field("BillingCountry", "BillingAddress.Country"),
            "ShippingStreet": _field("ShippingStreet", "ShippingAddress.Address1"),
            "ShippingCity": _field("ShippingCity", "ShippingAddress.City"),
            "ShippingState": _field("ShippingState", "ShippingAddress.State"),
            "ShippingPostalCode": _field("ShippingPostalCode", "ShippingAddress.PostalCode"),
            "ShippingCountry": _field("ShippingCountry", "ShippingAddress.Country"),
        },
        "Keys": {"_salesforceAccountId": _key(["PROFILE", "UNIQUE"], "Id"),
                 "_account": _key(["PROFILE"], "AccountNumber")},
    },
    "Shopify-Customer": {
        "SourceName": "Shopify", "SourceObject": "Customer", "AllowProfileCreation": True,
        "SourceLastUpdatedTimestampFormat": "yyyy-MM-dd'T'HH:mm:ssZ",
        "Fields": {
            "id": _field("id", "Attributes.ShopifyCustomerId"),
            "email": _field("email", "EmailAddress", "EMAIL_ADDRESS"),
            "first_name": _field("first_name", "FirstName", "NAME"),
            "last_name": _field("last_name", "LastName", "NAME"),
            "phone": _field("phone", "PhoneNumber", "PHONE_NUMBER"),
            "address1": _field("default_address.address1", "Address.Address1"),
            "city": _field("default_address.city", "Address.City"),
            "province": _field("default_address.province", "Address.Province"),
            "zip": _field("default_address.zip", "Address.PostalCode"),
            "country": _field("default_address.country", "Address.Country"),
        },
        "Keys": {"_shopifyCustomerId": _key(["PROFILE", "UNIQUE"], "id"),
                 "_email": _key(["PROFILE"], "email"),
                 "_phone": _key(["PROFILE"], "phone")},
    },
}


def template(template_id: str) -> dict[str, Any] | None:
    found = TEMPLATES.get(template_id)
    return {"TemplateId": template_id, **found} if found else None
