"""IAM account settings: the password policy, users' login profiles and ChangePassword, the account alias,
GetAccountSummary and the Organizations features (this account is in no organization)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.wire import signed_later

STRONG = "Correct-Horse-9"


def _error(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


@pytest.fixture
def account(server: Server):
    """The account's IAM client; the password policy and alias it sets are taken away afterwards."""
    iam = server.client("iam")
    yield iam
    for call in (iam.delete_account_password_policy,
                 lambda: [iam.delete_account_alias(AccountAlias=alias)
                          for alias in iam.list_account_aliases()["AccountAliases"]]):
        with contextlib.suppress(ClientError):
            call()


def test_the_password_policy_is_set_read_and_deleted(account) -> None:
    missing = _error(account.get_account_password_policy)
    assert missing["Code"] == "NoSuchEntity"
    assert missing["Message"] == f"The Password Policy with domain name {ACCOUNT} cannot be found."
    account.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, MaxPasswordAge=90,
                                           PasswordReusePrevention=3)
    policy = account.get_account_password_policy()["PasswordPolicy"]
    assert policy == {"MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": False,
                      "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
                      "AllowUsersToChangePassword": False, "ExpirePasswords": True, "MaxPasswordAge": 90,
                      "PasswordReusePrevention": 3}
    account.update_account_password_policy(RequireNumbers=True)  # what it leaves out takes its default again
    policy = account.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 6 and policy["RequireNumbers"] is True
    assert policy["RequireSymbols"] is False and policy["ExpirePasswords"] is False and "MaxPasswordAge" not in policy
    account.delete_account_password_policy()
    assert _error(account.get_account_password_policy)["Code"] == "NoSuchEntity"
    assert _error(account.delete_account_password_policy)["Code"] == "NoSuchEntity"


def test_login_profiles_follow_the_policy_and_users_change_their_own_password(server: Server, account) -> None:
    user = make_user(server)
    violation = _error(lambda: account.create_login_profile(UserName=user.name, Password="alllowercase"))
    assert violation == {"Type": "Sender", "Code": "PasswordPolicyViolation",  # AWS's default rules
                         "Message": "Password does not conform to the account password policy."}
    assert _error(lambda: account.create_login_profile(UserName=user.name)) == {  # only AssumeRoot may omit it
        "Type": "Sender", "Code": "ValidationError", "Message": "1 validation error detected: Value null at "
        "'password' failed to satisfy constraint: Member must not be null"}
    created = account.create_login_profile(UserName=user.name, Password=STRONG,
                                           PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == user.name and created["PasswordResetRequired"] is True
    assert _error(lambda: account.create_login_profile(UserName=user.name, Password=STRONG))["Code"] == (
        "EntityAlreadyExists")
    account.update_login_profile(UserName=user.name, PasswordResetRequired=False)
    read = account.get_login_profile(UserName=user.name)["LoginProfile"]
    assert read["PasswordResetRequired"] is False and read["CreateDate"] == created["CreateDate"]

    own = user.client("iam")
    denied = _error(lambda: own.change_password(OldPassword=STRONG, NewPassword="Another-Horse-1"))
    assert denied["Code"] == "AccessDenied" and "iam:ChangePassword" in denied["Message"]
    account.update_account_password_policy(AllowUsersToChangePassword=True, RequireSymbols=True,
                                           PasswordReusePrevention=2, MinimumPasswordLength=10)
    time.sleep(1.1)  # other processes' policy caches: a second (this one's was dropped on the write)
    assert own.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"] is True
    wrong = _error(lambda: own.change_password(OldPassword="Not-The-Password1", NewPassword="Fresh-Horse-22"))
    assert wrong == {"Type": "Sender", "Code": "AccessDenied", "Message": "The old password is incorrect."}
    for weak in ("NoSymbols123456", "Sh0rt-1", STRONG):  # the last is the one in use: reuse is refused
        assert _error(lambda weak=weak: own.change_password(OldPassword=STRONG, NewPassword=weak))["Code"] == (
            "PasswordPolicyViolation"), weak
    own.change_password(OldPassword=STRONG, NewPassword="Fresh-Horse-22")
    assert _error(lambda: own.change_password(OldPassword=STRONG, NewPassword="Fresh-Horse-23"))["Code"] == (
        "AccessDenied")  # the old one no longer is the password
    own.change_password(OldPassword="Fresh-Horse-22", NewPassword="Third-Horse-333")
    reused = _error(lambda: own.change_password(OldPassword="Third-Horse-333", NewPassword="Fresh-Horse-22"))
    assert reused["Code"] == "PasswordPolicyViolation"  # two remembered: the one in use and the one before
    own.change_password(OldPassword="Third-Horse-333", NewPassword=STRONG)  # three back: allowed again

    root = _error(lambda: account.change_password(OldPassword=STRONG, NewPassword="Whatever-Horse-1!"))
    assert root["Code"] == "InvalidUserType"
    for key in account.list_access_keys(UserName=user.name)["AccessKeyMetadata"]:
        account.delete_access_key(UserName=user.name, AccessKeyId=key["AccessKeyId"])
    conflict = _error(lambda: account.delete_user(UserName=user.name))
    assert conflict == {"Type": "Sender", "Code": "DeleteConflict",
                        "Message": "Cannot delete entity, must delete login profile first."}
    account.delete_login_profile(UserName=user.name)
    assert _error(lambda: account.get_login_profile(UserName=user.name))["Message"] == (
        f"Login Profile for User {user.name} cannot be found.")
    account.delete_user(UserName=user.name)


def test_passwords_stay_out_of_the_audit_trail(server: Server, account) -> None:
    user = make_user(server, document(allow("iam:ChangePassword")))
    account.create_login_profile(UserName=user.name, Password="Secret-Audit-42")
    user.client("iam").change_password(OldPassword="Secret-Audit-42", NewPassword="Secret-Audit-43")
    trail = server.client("cloudtrail")
    events: list = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(events) < 2:
        events = [json.loads(event["CloudTrailEvent"]) for event in trail.lookup_events(LookupAttributes=[
            {"AttributeKey": "ResourceName", "AttributeValue": user.arn}], MaxResults=50)["Events"]
            if event["EventName"] in ("CreateLoginProfile", "ChangePassword")]
        time.sleep(0.1)
    assert {event["eventName"] for event in events} == {"CreateLoginProfile", "ChangePassword"}
    text = json.dumps(events)
    assert "Secret-Audit" not in text and "HIDDEN_DUE_TO_SECURITY_REASONS" in text
    stored = server.read("SELECT password_hash FROM iam_login_profiles")
    assert stored and all(value.startswith("scrypt$") and "Secret" not in value for value in stored)


def test_the_account_alias(account) -> None:
    listed = account.list_account_aliases()
    assert listed["AccountAliases"] == [] and listed["IsTruncated"] is False
    alias = unique("contact-center")
    account.create_account_alias(AccountAlias=alias)
    assert account.list_account_aliases()["AccountAliases"] == [alias]
    assert _error(lambda: account.list_account_aliases(Marker="not-a-marker")) == {
        "Type": "Sender", "Code": "ValidationError", "Message": "Invalid Marker."}
    replacement = unique("support")
    account.create_account_alias(AccountAlias=replacement)  # one alias per account: the new one replaces it
    assert account.list_account_aliases()["AccountAliases"] == [replacement]
    assert _error(lambda: account.delete_account_alias(AccountAlias=alias))["Code"] == "NoSuchEntity"
    account.delete_account_alias(AccountAlias=replacement)
    assert account.list_account_aliases()["AccountAliases"] == []


def test_the_account_summary_counts_what_the_account_holds(server: Server, account) -> None:
    before = account.get_account_summary()["SummaryMap"]
    make_user(server)
    account.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    after = account.get_account_summary()["SummaryMap"]
    assert after["Users"] == before["Users"] + 1 and after["Roles"] == before["Roles"] + 1
    assert after["UsersQuota"] == 5000 and after["AccessKeysPerUserQuota"] == 2
    assert after["AccountAccessKeysPresent"] == 1  # the bootstrap root key pair


def test_the_credential_report_lists_every_users_credentials(clocked_server) -> None:
    server, offset = clocked_server  # a server whose clock the test moves
    iam = server.client("iam")
    missing = _error(iam.get_credential_report)
    assert (missing["Code"], "GenerateCredentialReport" in missing["Message"]) == ("ReportNotPresent", True)
    user = make_user(server)  # an access key, used just below
    user.client("sts").get_caller_identity()
    iam.create_login_profile(UserName=user.name, Password=STRONG)
    quiet = unique("quiet")
    iam.create_user(UserName=quiet)
    time.sleep(0.3)  # the audit writer's batch
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(report["Content"].decode()))}
    assert rows["<root_account>"]["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert rows["<root_account>"]["access_key_1_active"] == "true"  # the bootstrap key pair
    mine = rows[user.name]
    assert (mine["arn"], mine["password_enabled"], mine["mfa_active"]) == (user.arn, "true", "false")
    assert mine["access_key_1_active"] == "true" and mine["access_key_1_last_used_service"] == "sts"
    assert mine["access_key_1_last_used_region"] == "us-east-1" and mine["access_key_2_active"] == "false"
    assert (rows[quiet]["password_enabled"], rows[quiet]["access_key_1_active"]) == ("false", "false")
    try:
        offset.write_text(str(5 * 3600))
        with signed_later(5 / 24):
            assert _error(iam.get_credential_report)["Code"] == "ReportExpired"
            iam.generate_credential_report()
            assert iam.get_credential_report()["Content"].startswith(b"user,arn,user_creation_time")
    finally:
        offset.write_text("0")


def test_openid_connect_providers_for_ci_roles(server: Server) -> None:
    iam = server.client("iam")
    host = f"{unique('token')}.example.com"
    thumbprint = "a" * 40
    created = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["sts.amazonaws.com"],
                                                  ThumbprintList=[thumbprint], Tags=[{"Key": "ci", "Value": "yes"}])
    arn = created["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    assert created["Tags"] == [{"Key": "ci", "Value": "yes"}]
    assert _error(lambda: iam.create_open_id_connect_provider(Url=f"https://{host}"))["Code"] == "EntityAlreadyExists"
    assert _error(lambda: iam.create_open_id_connect_provider(Url=f"http://{host}"))["Code"] == "InvalidInput"
    assert {"Arn": arn, "IsTrustedIdentityPropagationEnabled": False} in iam.list_open_id_connect_providers()[
        "OpenIDConnectProviderList"]
    context = {"SubjectSourceKey": "sub", "KeyDefinitionList": [{"SourceKey": "email", "TargetKey": "mail"}]}
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=context)
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ContextProvider"] == context
    assert {"Arn": arn, "IsTrustedIdentityPropagationEnabled": True} in iam.list_open_id_connect_providers()[
        "OpenIDConnectProviderList"]
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    assert "ContextProvider" not in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40])
    read = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (read["Url"], read["ClientIDList"], read["ThumbprintList"]) == (host, ["my-app"], ["b" * 40])
    too_many = _error(lambda: iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=[str(i) * 40 for i in range(6)]))
    assert too_many["Code"] == "LimitExceeded"
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "team", "Value": "build"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["ci"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "team", "Value": "build"}]

    role = iam.create_role(RoleName=unique("ci"), AssumeRolePolicyDocument=document({
        "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:aud": "my-app"}}}))["Role"]
    assert role["RoleName"].startswith("ci-")
    assert iam.get_account_summary()["SummaryMap"]["Providers"] >= 1

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    gone = _error(lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn))
    assert gone == {"Type": "Sender", "Code": "NoSuchEntity",
                    "Message": f"OpenIDConnect Provider not found for arn {arn}"}


def test_a_login_profiles_sign_in_session_duration_is_kept_until_reset(server: Server, account) -> None:
    user = make_user(server)
    created = account.create_login_profile(UserName=user.name, Password=STRONG, MaxSigninSessionDuration=86400)
    assert created["LoginProfile"]["MaxSigninSessionDuration"] == 86400
    account.update_login_profile(UserName=user.name, PasswordResetRequired=True)  # the duration stays
    profile = account.get_login_profile(UserName=user.name)["LoginProfile"]
    assert (profile["MaxSigninSessionDuration"], profile["PasswordResetRequired"]) == (86400, True)
    account.update_login_profile(UserName=user.name, Password="Another-Horse-7", MaxSigninSessionDuration=3600)
    assert account.get_login_profile(UserName=user.name)["LoginProfile"]["MaxSigninSessionDuration"] == 3600
    assert _error(lambda: account.update_login_profile(UserName=user.name, MaxSigninSessionDuration=7200,
                                                       ResetMaxSigninSessionDuration=True))["Code"] == "InvalidInput"
    account.update_login_profile(UserName=user.name, ResetMaxSigninSessionDuration=True)
    assert "MaxSigninSessionDuration" not in account.get_login_profile(UserName=user.name)["LoginProfile"]


def test_organizations_features_answer_as_for_an_account_in_no_organization(server) -> None:
    iam = server.client("iam")
    calls = [iam.list_organizations_features, iam.enable_organizations_root_credentials_management,
             iam.disable_organizations_root_credentials_management, iam.enable_organizations_root_sessions,
             iam.disable_organizations_root_sessions, iam.enable_organization_level_resources,
             iam.disable_organization_level_resources]
    for call in calls:
        with pytest.raises(ClientError) as raised:
            call()
        error = raised.value.response
        assert (error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            "OrganizationNotFoundException",
            "The request was rejected because no organization is associated with your account.", 400)
    # the permission is checked first, as for every call
    user = make_user(server, document(allow("iam:ListOrganizationsFeatures")))
    with pytest.raises(ClientError) as raised:
        user.client("iam").enable_organizations_root_sessions()
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
