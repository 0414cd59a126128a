"""Object type templates (``GetProfileObjectTypeTemplate``): the mappings of common sources.

Contact records follow the Amazon Connect record format and the Customer Profiles documentation of their
templates (CTR-NoInferred: find by ``_ctrContactId``, then by ``_phone``). The other sources' fields and keys are
those the Amazon Connect Administrator Guide lists for each ("Mapping Salesforce objects to the standard profile",
Zendesk, ServiceNow, Marketo, Segment, Shopify): each source field to its standard profile target, and each
standard index as a PROFILE key, the object's own id UNIQUE as well.
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


def _fields(targets: dict[str, str | tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Fields named by their source path (dots become underscores), each to its standard profile target, with a
    content type where one applies (``(target, content type)``)."""
    fields = {}
    for source, target in targets.items():
        profile_target, content_type = target if isinstance(target, tuple) else (target, "STRING")
        fields[source.replace(".", "_")] = _field(source, profile_target, content_type)
    return fields


def _address(prefix: str, target: str) -> dict[str, str]:
    """Salesforce's address fields (``BillingStreet``, … or ``PersonMailingAddress.Street``, …) to an address."""
    parts = {"Street": "Address1", "City": "City", "State": "State", "Country": "Country",
             "PostalCode": "PostalCode"}
    return {f"{prefix}{part}": f"{target}.{profile_part}" for part, profile_part in parts.items()}


def _source(name: str, source_object: str, time_format: str, targets: dict[str, str | tuple[str, str]],
            own_index: tuple[str, str], *other_indexes: tuple[str, str]) -> dict[str, Any]:
    """A source's template: its fields (``_fields``), its own index (key name, field) a PROFILE and UNIQUE key,
    the other indexes its page lists PROFILE keys; profiles are created for what no index finds."""
    keys = {own_index[0]: _key(["PROFILE", "UNIQUE"], own_index[1])}
    keys.update({index: _key(["PROFILE"], field) for index, field in other_indexes})
    return {"SourceName": name, "SourceObject": source_object, "AllowProfileCreation": True,
            "SourceLastUpdatedTimestampFormat": time_format, "Fields": _fields(targets), "Keys": keys}


_SALESFORCE_TIME = _ISO_MILLIS = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
_ISO_TIME = "yyyy-MM-dd'T'HH:mm:ss'Z'"
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


def _contact_records(allow_profile_creation: bool, by_phone: bool = True) -> dict[str, Any]:
    """Amazon Connect contact records: found by _ctrContactId, then (``by_phone``) by the caller's phone."""
    keys = {"_ctrContactId": _key(["UNIQUE", "PROFILE"], "ContactId")}
    if by_phone:
        keys["_phone"] = _key(["SECONDARY"], "CustomerPhone")
    return {
        "SourceName": "AmazonConnect", "SourceObject": "ContactRecord",  # the model's pattern: no spaces
        "AllowProfileCreation": allow_profile_creation,
        "SourceLastUpdatedTimestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
        "Fields": _CONTACT_RECORD_FIELDS, "Keys": keys,
    }


TEMPLATES: dict[str, dict[str, Any]] = {
    # the three contact record templates of "Contact record templates in Customer Profiles"
    "CTR-NoInferred": _contact_records(allow_profile_creation=True),
    "CTR-AutoAssociateOnly": _contact_records(allow_profile_creation=False),
    "CTR": _contact_records(allow_profile_creation=True, by_phone=False),
    "Salesforce-Account": _source("Salesforce", "Account", _SALESFORCE_TIME, {
        "Id": "Attributes.sfdcAccountId", "Name": ("BusinessName", "NAME"), "Phone": ("PhoneNumber", "PHONE_NUMBER"),
        **_address("Billing", "BillingAddress"), **_address("Shipping", "ShippingAddress"),
        "PersonMobilePhone": ("MobilePhoneNumber", "PHONE_NUMBER"),
        "PersonHomePhone": ("HomePhoneNumber", "PHONE_NUMBER"),
        "PersonEmail": ("PersonalEmailAddress", "EMAIL_ADDRESS"), **_address("PersonMailingAddress.", "MailingAddress"),
        "PersonBirthDate": "BirthDate", **_address("PersonOther", "Address"), "FirstName": ("FirstName", "NAME"),
        "LastName": ("LastName", "NAME"), "MiddleName": ("MiddleName", "NAME"), "AccountNumber": "AccountNumber",
    }, ("_salesforceAccountId", "Id")),
    "Salesforce-Contact": _source("Salesforce", "Contact", _SALESFORCE_TIME, {
        "Id": "Attributes.sfdcContactId", "AccountId": "Attributes.sfdcAccountId", "LastName": ("LastName", "NAME"),
        "FirstName": ("FirstName", "NAME"), "MiddleName": ("MiddleName", "NAME"), **_address("Other", "Address"),
        **_address("Mailing", "MailingAddress"), "Phone": ("PhoneNumber", "PHONE_NUMBER"),
        "HomePhone": ("HomePhoneNumber", "PHONE_NUMBER"), "MobilePhone": ("MobilePhoneNumber", "PHONE_NUMBER"),
        "Email": ("EmailAddress", "EMAIL_ADDRESS"), "Birthdate": "BirthDate",
    }, ("_salesforceContactId", "Id"), ("_salesforceAccountId", "AccountId")),
    "Zendesk-users": _source("Zendesk", "users", _ISO_TIME, {
        "id": "Attributes.ZendeskUserId", "external_id": "Attributes.ZendeskExternalId",
        "email": ("EmailAddress", "EMAIL_ADDRESS"), "phone": ("PhoneNumber", "PHONE_NUMBER"),
    }, ("_zendeskUserId", "id"), ("_zendeskExternalId", "external_id")),
    "Servicenow-sys_user": _source("ServiceNow", "sys_user", "yyyy-MM-dd HH:mm:ss", {
        "sys_id": "Attributes.ServiceNowSystemId", "first_name": ("FirstName", "NAME"),
        "last_name": ("LastName", "NAME"), "middle_name": ("MiddleName", "NAME"), "gender": "Gender",
        "email": ("EmailAddress", "EMAIL_ADDRESS"), "phone": ("PhoneNumber", "PHONE_NUMBER"),
        "home_phone": ("HomePhoneNumber", "PHONE_NUMBER"), "mobile_phone": ("MobilePhoneNumber", "PHONE_NUMBER"),
        "street": "Address.Address1", "city": "Address.City", "state": "Address.State", "country": "Address.Country",
        "zip": "Address.PostalCode",
    }, ("_serviceNowSystemId", "sys_id")),
    "Marketo-leads": _source("Marketo", "leads", _ISO_TIME, {
        "id": "Attributes.MarketoLeadId", "sfdcAccountId": "Attributes.sfdcAccountId",
        "sfdcContactId": "Attributes.sfdcContactId", "firstName": ("FirstName", "NAME"),
        "lastName": ("LastName", "NAME"), "middleName": ("MiddleName", "NAME"),
        "email": ("EmailAddress", "EMAIL_ADDRESS"), "phone": ("PhoneNumber", "PHONE_NUMBER"),
        "mobilePhone": ("MobilePhoneNumber", "PHONE_NUMBER"), "billingStreet": "BillingAddress.Address1",
        "billingCity": "BillingAddress.City", "billingState": "BillingAddress.State",
        "billingCountry": "BillingAddress.Country", "billingPostalCode": "BillingAddress.PostalCode",
        "address": "Address.Address1", "city": "Address.City", "state": "Address.State", "country": "Address.Country",
        "postalcode": "Address.PostalCode", "gender": "Gender", "dateOfBirth": "BirthDate",
    }, ("_marketoLeadId", "id"), ("_salesforceAccountId", "sfdcAccountId"), ("_salesforceContactId", "sfdcContactId")),
    "Segment-Identify": _source("Segment", "Identify", _ISO_MILLIS, {
        "userId": "Attributes.SegmentUserId", "traits.company.name": ("BusinessName", "NAME"),
        "traits.firstName": ("FirstName", "NAME"), "traits.lastName": ("LastName", "NAME"),
        "traits.birthday": "BirthDate", "traits.gender": "Gender", "traits.phone": ("PhoneNumber", "PHONE_NUMBER"),
        "traits.email": ("EmailAddress", "EMAIL_ADDRESS"), "traits.address.street": "Address.Address1",
        "traits.address.city": "Address.City", "traits.address.state": "Address.State",
        "traits.address.country": "Address.Country", "traits.address.postalCode": "Address.PostalCode",
    }, ("_segmentUserId", "userId")),
    "Shopify-Customer": _source("Shopify", "Customer", "yyyy-MM-dd'T'HH:mm:ssZ", {
        "id": "Attributes.ShopifyCustomerId", "email": ("EmailAddress", "EMAIL_ADDRESS"),
        "first_name": ("FirstName", "NAME"), "last_name": ("LastName", "NAME"), "note": "AdditionalInformation",
        "phone": ("PhoneNumber", "PHONE_NUMBER"), "default_address.address1": "Address.Address1",
        "default_address.address2": "Address.Address2", "default_address.city": "Address.City",
        "default_address.province": "Address.Province", "default_address.country": "Address.Country",
        "default_address.zip": "Address.PostalCode",
    }, ("_shopifyCustomerId", "id")),
}


def template(template_id: str) -> dict[str, Any] | None:
    found = TEMPLATES.get(template_id)
    return {"TemplateId": template_id, **found} if found else None
