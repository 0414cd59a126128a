"""The read-only catalogue of AWS managed policies (``arn:aws:iam::aws:policy/…``), shipped as data."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

from profilestack.utc_times import parse_utc

SERVICE_ROLE_PATH = "/aws-service-role/"
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"  # the ARNs of the policies AWS manages
# Versions the catalogue serves as default when several are shipped (the seed describes v2).
DEFAULT_VERSIONS = {"CustomerProfilesServiceLinkedRolePolicy": "v2"}


@dataclass(frozen=True, slots=True)
class Version:
    version_id: str
    document: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A managed policy, AWS's or the account's, as IAM presents it."""

    arn: str
    name: str
    policy_id: str
    path: str
    default_version: str
    versions: dict[str, Version]
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    aws_managed: bool = False

    @property
    def document(self) -> str:
        return self.versions[self.default_version].document

    @property
    def service_role_policy(self) -> bool:
        return self.aws_managed and self.path.startswith(SERVICE_ROLE_PATH)


def _policy_id(name: str) -> str:
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()
    return "ANPA" + digest[:17]


@cache
def aws_managed_policies() -> dict[str, ManagedPolicy]:
    """ARN → policy, built from the JSON documents in ``aws_managed/``."""
    by_name: dict[str, list[dict]] = {}
    for entry in (resources.files("profilestack.services.iam") / "aws_managed").iterdir():
        if entry.name.endswith(".json"):
            raw = json.loads(entry.read_text())
            by_name.setdefault(raw["PolicyName"], []).append(raw)
    catalogue = {}
    for name, entries in by_name.items():
        path = SERVICE_ROLE_PATH if name.endswith("ServiceLinkedRolePolicy") else "/"
        versions = {raw["VersionId"]: Version(raw["VersionId"], json.dumps(raw["Document"], indent=4),
                                              parse_utc(raw["CreateDate"])) for raw in entries}
        ordered = sorted(versions.values(), key=lambda version: version.created_at)
        default = DEFAULT_VERSIONS.get(name, ordered[-1].version_id)
        arn = f"{AWS_POLICY_PREFIX}{path[1:]}{name}"
        catalogue[arn] = ManagedPolicy(arn, name, _policy_id(name), path, default, versions, ordered[0].created_at,
                                       versions[default].created_at, aws_managed=True)
    return catalogue


def override_default_versions(documents: dict[str, dict]) -> None:
    """Testing aid (``PROFILESTACK_TEST_POLICY_OVERRIDES``): replace AWS managed policies' default documents in
    this process, e.g. to narrow a service-linked role's policy and watch the service's own calls be denied."""
    catalogue = aws_managed_policies()
    for arn, document in documents.items():
        policy = catalogue[arn]
        current = policy.versions[policy.default_version]
        versions = {**policy.versions,
                    current.version_id: Version(current.version_id, json.dumps(document), current.created_at)}
        catalogue[arn] = dataclasses.replace(policy, versions=versions)
