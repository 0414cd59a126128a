"""What profilestack gives other projects' test suites: profilestack.testing.LocalServer, and the pytest fixtures
``profilestack_server`` and ``profilestack_env`` that pytest picks up once profilestack is installed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3

from profilestack.testing import LocalServer

SUITE = '''
import boto3


def test_a_domain_gets_its_service_linked_role(profilestack_server):
    profiles = profilestack_server.client("customer-profiles")
    profiles.create_domain(DomainName="shop", DefaultExpirationDays=7)
    roles = profilestack_server.client("iam").list_roles(
        PathPrefix="/aws-service-role/profile.amazonaws.com/")["Roles"]
    assert [role["RoleName"].startswith("AWSServiceRoleForProfile_") for role in roles] == [True]


def test_code_that_reads_the_environment_reaches_the_same_server(profilestack_env):
    assert [domain["DomainName"] for domain in boto3.client("customer-profiles").list_domains()["Items"]] == ["shop"]
    assert boto3.client("sts").get_caller_identity()["Account"] == "000000000000"
'''


def test_a_projects_pytest_suite_gets_a_server_from_the_fixtures(tmp_path: Path) -> None:
    (tmp_path / "test_with_profilestack.py").write_text(textwrap.dedent(SUITE))
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "PROFILESTACK_"))}
    # a developer's own AWS settings, which the fixture must keep out of the way
    env |= {"AWS_SESSION_TOKEN": "someone-elses-token", "AWS_PROFILE": "work", "AWS_ENDPOINT_URL_STS":
            "http://127.0.0.1:9", "AWS_CONFIG_FILE": str(tmp_path / "no-such-config")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "test_with_profilestack.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_a_local_server_keeps_its_data_across_a_restart_and_cleans_up_after_itself() -> None:
    with LocalServer() as server:
        directory = server.directory
        server.client("customer-profiles").create_domain(DomainName="kept", DefaultExpirationDays=7)
        server.restart()
        assert [item["DomainName"] for item in server.client("customer-profiles").list_domains()["Items"]] == ["kept"]
        environ = server.environ()
        assert environ["AWS_ENDPOINT_URL"] == server.endpoint and environ["AWS_DEFAULT_REGION"] == "us-east-1"
        sts = boto3.client("sts", endpoint_url=environ["AWS_ENDPOINT_URL"], region_name=environ["AWS_REGION"],
                           aws_access_key_id=environ["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=environ["AWS_SECRET_ACCESS_KEY"])
        assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    assert server.process is None and not directory.exists()
