"""IAM virtual MFA devices, and GetSessionToken with an MFA code: IAM calls, and policies asking for MFA."""

from __future__ import annotations

import base64
import time

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.identities import ACCOUNT, Identity, allow, document, make_user, unique


def _error(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


def _device(iam, name: str, **extra) -> tuple[str, pyotp.TOTP]:
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, **extra)["VirtualMFADevice"]
    return created["SerialNumber"], pyotp.TOTP(created["Base32StringSeed"].decode())


def _enable(iam, user: Identity, serial: str, totp: pyotp.TOTP) -> None:
    now = time.time()
    iam.enable_mfa_device(UserName=user.name, SerialNumber=serial, AuthenticationCode1=totp.at(now - 30),
                          AuthenticationCode2=totp.at(now))


def _session(user: Identity, **mfa) -> Identity:
    credentials = user.client("sts").get_session_token(**mfa)["Credentials"]
    return Identity(user.server, user.arn, user.name, credentials["AccessKeyId"], credentials["SecretAccessKey"],
                    credentials["SessionToken"])


def test_a_virtual_device_from_creation_to_deletion(server: Server) -> None:
    iam = server.client("iam")
    user = make_user(server)
    name = unique("phone")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/team/",
                                            Tags=[{"Key": "owner", "Value": user.name}])["VirtualMFADevice"]
    serial = created["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT}:mfa/team/{name}"
    assert created["QRCodePNG"].startswith(b"\x89PNG")
    base64.b32decode(created["Base32StringSeed"])  # the seed an authenticator app takes
    totp = pyotp.TOTP(created["Base32StringSeed"].decode())
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [device["SerialNumber"] for device in unassigned]
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "owner", "Value": user.name}]

    wrong = _error(lambda: iam.enable_mfa_device(UserName=user.name, SerialNumber=serial,
                                                 AuthenticationCode1="000000", AuthenticationCode2="000001"))
    assert wrong["Code"] == "InvalidAuthenticationCode"
    now = time.time()
    swapped = _error(lambda: iam.enable_mfa_device(UserName=user.name, SerialNumber=serial,
                                                   AuthenticationCode1=totp.at(now),
                                                   AuthenticationCode2=totp.at(now - 30)))
    assert swapped["Code"] == "InvalidAuthenticationCode"  # two consecutive codes, in their order
    _enable(iam, user, serial, totp)
    listed = iam.list_mfa_devices(UserName=user.name)["MFADevices"]
    assert [(device["UserName"], device["SerialNumber"]) for device in listed] == [(user.name, serial)]
    assert iam.get_mfa_device(SerialNumber=serial, UserName=user.name)["UserName"] == user.name
    assigned = {device["SerialNumber"]: device for device in
                iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]}
    assert assigned[serial]["User"]["Arn"] == user.arn and "EnableDate" in assigned[serial]
    assert _error(lambda: _enable(iam, make_user(server), serial, totp))["Code"] == "EntityAlreadyExists"
    assert _error(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial))["Code"] == "DeleteConflict"
    for key in iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user.name, AccessKeyId=key["AccessKeyId"])
    assert _error(lambda: iam.delete_user(UserName=user.name))["Message"] == (
        "Cannot delete entity, must deactivate MFA devices first.")

    iam.deactivate_mfa_device(UserName=user.name, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user.name)["MFADevices"] == []
    assert _error(lambda: iam.get_mfa_device(SerialNumber=serial, UserName=user.name))["Code"] == "NoSuchEntity"
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert _error(lambda: iam.list_mfa_device_tags(SerialNumber=serial))["Code"] == "NoSuchEntity"
    too_long = _error(lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName="d", Path="/" + "p" * 300 + "/"))
    assert too_long["Code"] == "InvalidInput" and "longer than 256" in too_long["Message"]
    iam.delete_user(UserName=user.name)


def test_a_session_token_with_an_mfa_code_may_call_iam_and_meets_mfa_conditions(server: Server) -> None:
    iam = server.client("iam")
    needs_mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                 "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
    user = make_user(server, document(allow("iam:ListUsers"), allow("profile:ListDomains", Condition=needs_mfa)))
    serial, totp = _device(iam, unique("phone"))
    _enable(iam, user, serial, totp)

    plain = _session(user)
    assert _error(lambda: plain.client("iam").list_users())["Code"] == "AccessDenied"  # no MFA: no IAM
    assert _error(lambda: plain.client("customer-profiles").list_domains())["Code"] == "AccessDeniedException"
    assert _error(lambda: user.client("customer-profiles").list_domains())["Code"] == "AccessDeniedException"

    code = totp.at(time.time() + 30)  # the next code: the enabling used up the current one
    verified = _session(user, SerialNumber=serial, TokenCode=code)
    verified.client("iam").list_users()
    verified.client("customer-profiles").list_domains()
    replayed = _error(lambda: _session(user, SerialNumber=serial, TokenCode=code))
    assert replayed["Code"] == "AccessDenied" and "MultiFactorAuthentication failed" in replayed["Message"]
    other, other_totp = _device(iam, unique("phone"))  # not the user's device
    assert _error(lambda: _session(user, SerialNumber=other, TokenCode=other_totp.now()))["Code"] == "AccessDenied"

    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["MFADevices"] >= 2 and summary["MFADevicesInUse"] >= 1


def test_a_role_that_trusts_only_mfa_callers(server: Server) -> None:
    iam = server.client("iam")
    user = make_user(server)
    serial, totp = _device(iam, unique("phone"))
    _enable(iam, user, serial, totp)
    role = iam.create_role(RoleName=unique("admin"), AssumeRolePolicyDocument=document({
        "Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="mfa-only", PolicyDocument=document(
        allow("profile:ListDomains", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))
    sts = user.client("sts")
    assert _error(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="plain"))["Code"] == "AccessDenied"
    wrong = _error(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bad", SerialNumber=serial,
                                           TokenCode="000000"))
    assert wrong["Code"] == "AccessDenied" and "MultiFactorAuthentication failed" in wrong["Message"]
    credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="mfa", SerialNumber=serial,
                                  TokenCode=totp.at(time.time() + 30))["Credentials"]
    session = Identity(server, role["Arn"], "mfa", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                       credentials["SessionToken"])
    session.client("customer-profiles").list_domains()  # the role session carries the MFA it was assumed with
