"""More than one account: each configured root signs for its own account, whose identities and resources the
others cannot see; a role is assumed across accounts only when both sides allow it, and the call is recorded in
both accounts' trails."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tests.conftest import OTHER_ACCOUNT, OTHER_ROOT_KEY, OTHER_ROOT_SECRET, Server, dedicated_server
from tests.e2e.cli import profilestack
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, assume, document, make_user, trust, unique
from tests.e2e.test_profiles_data import define_orders, order
from tests.e2e.waiting import wait_for


def other(server: Server, service: str, region: str = "us-east-1") -> Any:
    """A client signed by the second account's root."""
    return server.client(service, region, aws_access_key_id=OTHER_ROOT_KEY, aws_secret_access_key=OTHER_ROOT_SECRET)


def _role(server: Server, trusted: dict[str, Any], *statements: dict[str, Any], **extra: Any) -> str:
    """A role of the first account trusting ``trusted``, allowed ``statements``."""
    iam, name = server.client("iam"), unique("shared")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(trusted, **extra))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="work", PolicyDocument=document(*statements))
    return arn


def test_each_account_has_its_own_root_identities_and_resources(server: Server) -> None:
    assert other(server, "sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{OTHER_ACCOUNT}:root"
    # the same names in both accounts are different users
    name = unique("twin")
    mine = server.client("iam").create_user(UserName=name)["User"]
    theirs = other(server, "iam").create_user(UserName=name)["User"]
    assert (mine["Arn"], theirs["Arn"]) == (f"arn:aws:iam::{ACCOUNT}:user/{name}",
                                            f"arn:aws:iam::{OTHER_ACCOUNT}:user/{name}")
    assert mine["UserId"] != theirs["UserId"]
    role = _role(server, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    assert refused(other(server, "iam").get_role, RoleName=role.rsplit("/", 1)[1])[0] == "NoSuchEntity"

    # a Customer Profiles domain of the same name in each account, each with its own service-linked role
    domain = unique("twin")
    for client in (server.client("customer-profiles"), other(server, "customer-profiles")):
        client.create_domain(DomainName=domain, DefaultExpirationDays=30)
    service_roles = other(server, "iam").list_roles(PathPrefix="/aws-service-role/profile.amazonaws.com/")["Roles"]
    assert any(role["Arn"].startswith(f"arn:aws:iam::{OTHER_ACCOUNT}:role/") for role in service_roles)
    other(server, "customer-profiles").delete_domain(DomainName=domain)
    assert server.client("customer-profiles").get_domain(DomainName=domain)["DomainName"] == domain
    server.client("customer-profiles").delete_domain(DomainName=domain)

    # the second account's root has a key pair, as the bootstrap account's does
    assert other(server, "iam").get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 1


def test_a_role_is_assumed_across_accounts_only_when_both_sides_allow(server: Server) -> None:
    theirs = other(server, "iam")
    stranger = make_user(server, iam=theirs)  # a user of the second account, allowed nothing yet
    role = _role(server, {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, allow("iam:ListRoles"))
    code, message = refused(stranger.client("sts").assume_role, RoleArn=role, RoleSessionName="visit")
    assert code == "AccessDenied"
    assert message == (f"User: {stranger.arn} is not authorized to perform: sts:AssumeRole on resource: {role} "
                       "because no identity-based policy allows the sts:AssumeRole action")

    allowed = make_user(server, document(allow("sts:AssumeRole", role)), iam=theirs)
    session = assume(allowed, role, RoleSessionName="visit")
    identity = session.client("sts").get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/"
                                                               f"{role.rsplit('/', 1)[1]}/visit")
    # the session acts in the role's account, with the role's permissions only
    listed = session.client("iam").get_paginator("list_roles").paginate()  # the account may hold over a page
    assert role in [item["Arn"] for page in listed for item in page["Roles"]]
    assert refused(session.client("iam").list_users)[0] == "AccessDenied"

    # a trust policy that does not name the account refuses it, whatever the caller's own policies say
    closed = _role(server, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    admin = make_user(server, document(allow()), iam=theirs)
    code, message = refused(admin.client("sts").assume_role, RoleArn=closed, RoleSessionName="visit")
    assert message.endswith("because no resource-based policy allows the sts:AssumeRole action")
    # as on AWS, an account's root assumes no role
    assert refused(other(server, "sts").assume_role, RoleArn=role, RoleSessionName="visit") == (
        "AccessDenied", "Roles may not be assumed by root accounts.")


def test_an_external_id_guards_a_role_lent_to_another_account(server: Server) -> None:
    role = _role(server, {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, allow("sts:GetCallerIdentity"),
                 Condition={"StringEquals": {"sts:ExternalId": "contact-center-42"}})
    vendor = make_user(server, document(allow("sts:AssumeRole")), iam=other(server, "iam"))
    assert refused(vendor.client("sts").assume_role, RoleArn=role, RoleSessionName="vendor")[0] == "AccessDenied"
    assert refused(vendor.client("sts").assume_role, RoleArn=role, RoleSessionName="vendor",
                   ExternalId="someone-else")[0] == "AccessDenied"
    assert assume(vendor, role, ExternalId="contact-center-42").arn.startswith(f"arn:aws:sts::{ACCOUNT}:")


def _trail_events(client: Any, name: str, *, role: str) -> list[dict[str, Any]]:
    events = client.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}],
                                  MaxResults=50)["Events"]
    return [json.loads(event["CloudTrailEvent"]) for event in events
            if any(item["ResourceName"] == role for item in event.get("Resources", []))]


def test_a_call_across_accounts_is_in_both_trails(server: Server) -> None:
    role = _role(server, {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})
    visitor = make_user(server, document(allow("sts:AssumeRole")), iam=other(server, "iam"))
    assume(visitor, role, RoleSessionName="audited")
    mine, theirs = server.client("cloudtrail"), other(server, "cloudtrail")
    [owner_copy] = wait_for(lambda: _trail_events(mine, "AssumeRole", role=role))
    [caller_copy] = wait_for(lambda: _trail_events(theirs, "AssumeRole", role=role))
    assert (caller_copy["recipientAccountId"], owner_copy["recipientAccountId"]) == (OTHER_ACCOUNT, ACCOUNT)
    assert caller_copy["userIdentity"]["arn"] == owner_copy["userIdentity"]["arn"] == visitor.arn
    assert caller_copy["userIdentity"]["accountId"] == owner_copy["userIdentity"]["accountId"] == OTHER_ACCOUNT
    assert caller_copy["sharedEventID"] == owner_copy["sharedEventID"] == caller_copy["eventID"]
    assert owner_copy["eventID"] != caller_copy["eventID"]
    assert owner_copy["resources"] == [{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": role}]

    # refused by the trust policy: the role's owner sees the attempt; refused by the caller's own policies: not
    closed = _role(server, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    refused(visitor.client("sts").assume_role, RoleArn=closed, RoleSessionName="knock")
    held_back = make_user(server, iam=other(server, "iam"))
    refused(held_back.client("sts").assume_role, RoleArn=role, RoleSessionName="knock")
    [attempt] = wait_for(lambda: _trail_events(mine, "AssumeRole", role=closed))
    assert (attempt["errorCode"], attempt["userIdentity"]["arn"]) == ("AccessDenied", visitor.arn)
    wait_for(lambda: any(event["userIdentity"]["arn"] == held_back.arn
                         for event in _trail_events(theirs, "AssumeRole", role=role)))
    assert [event["userIdentity"]["arn"] for event in _trail_events(mine, "AssumeRole", role=role)] == [visitor.arn]
    # a call within one account is recorded once, shared with no one
    server.client("iam").get_role(RoleName=role.rsplit("/", 1)[1])
    [within] = wait_for(lambda: _trail_events(mine, "GetRole", role=role))
    assert "sharedEventID" not in within and within["userIdentity"]["accountId"] == ACCOUNT


def test_accounts_are_configured_as_the_readme_says(tmp_path: Path) -> None:
    """PROFILESTACK_ACCOUNTS and --account add accounts; a malformed or repeated one stops the server at once."""
    with dedicated_server(tmp_path, PROFILESTACK_ACCOUNTS="333344445555:THIRDROOT:third-secret") as server:
        sts = server.client("sts", aws_access_key_id="THIRDROOT", aws_secret_access_key="third-secret")
        assert sts.get_caller_identity()["Account"] == "333344445555"
        banner = server.log_path.read_text()
        assert "account 333344445555: root with AWS_ACCESS_KEY_ID=THIRDROOT" in banner
        assert "third-secret" not in banner
        assert refused(server.client("sts", aws_access_key_id="THIRDROOT", aws_secret_access_key="wrong")
                       .get_caller_identity)[0] == "SignatureDoesNotMatch"
    for accounts, complaint in (("12345:KEY:secret", "is not ACCOUNT:ACCESS_KEY:SECRET"),
                                ("333344445555:KEY", "is not ACCOUNT:ACCESS_KEY:SECRET"),
                                ("333344445555:test:other", "access key test is configured twice"),
                                ("000000000000:KEY2:other", "account 000000000000 is configured twice")):
        answer = profilestack("serve", "--port", "1", "--data-dir", str(tmp_path / "bad"), "--account", accounts,
                              timeout=60)
        assert answer.returncode != 0 and complaint in answer.stderr, answer.stderr
        assert "Traceback" not in answer.stderr


def test_the_bulk_loader_loads_into_another_accounts_domain(tmp_path: Path) -> None:
    with dedicated_server(tmp_path) as server:
        profiles = other(server, "customer-profiles")
        profiles.create_domain(DomainName="theirs", DefaultExpirationDays=30)
        define_orders(profiles, "theirs")
    source = tmp_path / "orders.jsonl"
    source.write_text("\n".join(order(f"o-{index}", f"c{index % 2}@example.com") for index in range(4)) + "\n")

    def load(*extra: str) -> subprocess.CompletedProcess[str]:
        return profilestack("load", "theirs", str(source), "--object-type", "Order", "--data-dir", str(tmp_path),
                            *extra)

    missing = load()  # the bootstrap account has no such domain
    assert missing.returncode != 0 and "no domain theirs in account 000000000000" in missing.stderr
    assert "loaded 4 objects (0 failed)" in load("--account", OTHER_ACCOUNT).stdout
    with dedicated_server(tmp_path) as server:
        stats = other(server, "customer-profiles").get_domain(DomainName="theirs")["Stats"]
        assert (stats["ProfileCount"], stats["ObjectCount"]) == (2, 4)


def test_a_trust_policy_names_only_users_and_roles_that_exist(server: Server) -> None:
    iam, name = server.client("iam"), unique("trusting")
    theirs = make_user(server, iam=other(server, "iam"))
    for principal in (f"arn:aws:iam::{ACCOUNT}:user/nobody-{name}", f"arn:aws:iam::{OTHER_ACCOUNT}:role/none-{name}",
                      f"arn:aws:iam::{OTHER_ACCOUNT}:user/path/{theirs.name}",  # exists, but not on that path
                      "\u0661" * 12):  # twelve digits, but not ASCII ones: no account id
        code, message = refused(iam.create_role, RoleName=name, AssumeRolePolicyDocument=trust({"AWS": principal}))
        assert (code, message) == ("MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{principal}"')
    assert refused(iam.get_role, RoleName=name)[0] == "NoSuchEntity"  # nothing was made
    # those that exist, whole accounts, and principals of accounts this server does not hold are taken
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": [
        theirs.arn, OTHER_ACCOUNT,
        "arn:aws:iam::999988887777:user/elsewhere", f"arn:aws:iam::{OTHER_ACCOUNT}:root"]}))
    code, message = refused(iam.update_assume_role_policy, RoleName=name,
                            PolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/{name}-gone"}))
    assert (code, message) == ("MalformedPolicyDocument",
                               f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCOUNT}:role/{name}-gone"')
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/{name}"}))


def test_a_trusted_user_deleted_and_made_again_is_no_longer_trusted(server: Server) -> None:
    """The trust policy holds the user itself (its unique id), not its name: as on AWS, a user of the same name
    made again is someone else, and the policy shows the old user's id until it is saved again."""
    iam = server.client("iam")
    user = make_user(server, document(allow("sts:AssumeRole")))
    renamed = make_user(server, document(allow("sts:AssumeRole")))
    role_name = unique("trusting")
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(
        {"AWS": [user.arn, renamed.arn]}))["Role"]["Arn"]
    assume(user, role_arn)
    user_id = iam.get_user(UserName=user.name)["User"]["UserId"]

    def trusted() -> list[str]:
        """As GetRole shows it; ListRoles and GetAccountAuthorizationDetails, which read every listed role's
        principals at once, must show the same."""
        shown = [iam.get_role(RoleName=role_name)["Role"]]
        shown += [role for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"]
                  if role["RoleName"] == role_name]
        shown += [role for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=["Role"])
                  for role in page["RoleDetailList"] if role["RoleName"] == role_name]
        principals = [role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] for role in shown]
        assert len(principals) == 3 and principals[1] == principals[2] == principals[0]
        return principals[0]

    # a renamed user is still the one trusted, under its new ARN
    new_name = unique("renamed")
    iam.update_user(UserName=renamed.name, NewUserName=new_name)
    assert trusted() == [user.arn, f"arn:aws:iam::{ACCOUNT}:user/{new_name}"]

    iam.delete_access_key(UserName=user.name, AccessKeyId=user.key)
    iam.delete_user_policy(UserName=user.name, PolicyName="inline-0")
    iam.delete_user(UserName=user.name)
    assert trusted()[0] == user_id and user_id.startswith("AIDA")

    iam.create_user(UserName=user.name)  # the same name, another user
    iam.put_user_policy(UserName=user.name, PolicyName="assume", PolicyDocument=document(allow("sts:AssumeRole")))
    key = iam.create_access_key(UserName=user.name)["AccessKey"]
    impostor = type(user)(server, user.arn, user.name, key["AccessKeyId"], key["SecretAccessKey"])
    code, message = wait_for(lambda: _refusal(impostor, role_arn))
    assert code == "AccessDenied" and "no resource-based policy allows" in message
    assert trusted()[0] == user_id
    # the id cannot be written back; saving the policy with the name again trusts the new user
    assert refused(iam.update_assume_role_policy, RoleName=role_name,
                   PolicyDocument=trust({"AWS": user_id}))[0] == "MalformedPolicyDocument"
    iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=trust({"AWS": user.arn}))
    wait_for(lambda: _refusal(impostor, role_arn) is None)
    assert trusted() == user.arn


def _refusal(identity: Any, role_arn: str) -> tuple[str, str] | None:
    """The error assuming the role meets, or None when it is assumed."""
    try:
        identity.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="again")
    except ClientError as err:
        return err.response["Error"]["Code"], err.response["Error"]["Message"]
    return None
