"""Helpers for end-to-end IAM tests: unique names, users with keys and policies, role sessions."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

ACCOUNT = "000000000000"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str] = "*", resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str] = "*", resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: dict[str, Any] | str, **extra: Any) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


@dataclass
class Identity:
    server: Any
    arn: str
    name: str
    key: str
    secret: str
    token: str | None = None

    def client(self, service: str, region: str = "us-east-1") -> Any:
        extra = {"aws_session_token": self.token} if self.token else {}
        return self.server.client(service, region, aws_access_key_id=self.key, aws_secret_access_key=self.secret,
                                  **extra)


def make_user(server: Any, *inline: str, managed: tuple[str, ...] = (), boundary: str | None = None,
              path: str = "/", tags: dict[str, str] | None = None, iam: Any = None) -> Identity:
    """A user with an access key; ``iam`` (a client signed by another account's root) makes it in that account."""
    iam = iam or server.client("iam")
    name = unique("user")
    kwargs: dict[str, Any] = {"UserName": name, "Path": path}
    if boundary:
        kwargs["PermissionsBoundary"] = boundary
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    user = iam.create_user(**kwargs)["User"]
    for index, text in enumerate(inline):
        iam.put_user_policy(UserName=name, PolicyName=f"inline-{index}", PolicyDocument=text)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Identity(server, user["Arn"], name, key["AccessKeyId"], key["SecretAccessKey"])


def assume(identity: Identity, role_arn: str, **kwargs: Any) -> Identity:
    session = kwargs.pop("RoleSessionName", unique("session"))
    answer = identity.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session, **kwargs)
    credentials = answer["Credentials"]
    return Identity(identity.server, answer["AssumedRoleUser"]["Arn"], session, credentials["AccessKeyId"],
                    credentials["SecretAccessKey"], credentials["SessionToken"])
