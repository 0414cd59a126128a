"""In-process benchmark of one authorization decision (issue 3's target: under 50 µs).

The principal is an IAM user with 10 attached customer managed policies of 10 statements
each, every statement with conditions, in a real App on a temporary SQLite database. The
baseline in the same run is the account root's decision (no policy to evaluate).

    .venv/bin/python -m bench.authorization [--iterations 20000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from profilestack.app import App
from profilestack.config import Settings
from profilestack.gateway.authz import AuthorizationRequest
from profilestack.identity.principal import root_principal

ACCOUNT = "000000000000"


def _policy(index: int) -> str:
    statements = []
    for number in range(10):
        statements.append({
            "Sid": f"S{index}x{number}",
            "Effect": "Allow",
            "Action": [f"iam:Get{'Role' if number == 9 and index == 9 else f'Thing{index}{number}'}",
                       f"profile:Search{index}{number}*"],
            "Resource": [f"arn:aws:iam::{ACCOUNT}:role/app/*", f"arn:aws:profile:*:{ACCOUNT}:domains/d{number}"],
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-2"]},
                          "Bool": {"aws:SecureTransport": "false"},
                          "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
        })
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _setup(app: App) -> AuthorizationRequest:
    root = root_principal(ACCOUNT)

    def call(operation: str, **params):
        return app.gateway.invoke(root, "iam", operation, params, "us-east-1")

    call("CreateUser", UserName="bench")
    call("CreateRole", RoleName="target", Path="/app/", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    for index in range(10):
        arn = call("CreatePolicy", PolicyName=f"p{index}", PolicyDocument=_policy(index))["Policy"]["Arn"]
        call("AttachUserPolicy", UserName="bench", PolicyArn=arn)
    key = call("CreateAccessKey", UserName="bench")["AccessKey"]["AccessKeyId"]
    principal = app.credentials.lookup(key).principal
    return AuthorizationRequest(principal, "iam:GetRole", [f"arn:aws:iam::{ACCOUNT}:role/app/target"],
                                "us-east-1", {"RoleName": "target"}, "127.0.0.1")


def _time(label: str, iterations: int, function: Callable[[], None]) -> tuple[str, float]:
    for _ in range(min(iterations, 1000)):
        function()
    start = time.perf_counter()
    for _ in range(iterations):
        function()
    return label, (time.perf_counter() - start) / iterations * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        app = App(Settings(data_dir=Path(data_dir)))
        try:
            request = _setup(app)
            app.authorizer.authorize(request)  # allowed by p9's last statement; raises otherwise
            root = AuthorizationRequest(root_principal(ACCOUNT), "iam:GetRole", request.resources, "us-east-1",
                                        request.params)

            def cold() -> None:
                app.policies.invalidate()
                app.authorizer.authorize(request)

            rows = [
                _time("baseline: account root (no policies to evaluate)", args.iterations,
                      lambda: app.authorizer.authorize(root)),
                _time("IAM user, 10 policies x 10 statements with conditions (cached policy set)", args.iterations,
                      lambda: app.authorizer.authorize(request)),
                _time("same, policies reloaded from the database every time", max(args.iterations // 20, 50),
                      cold),
            ]
        finally:
            app.close()
    print("| decision | µs per decision |\n|---|---:|")
    for label, micros in rows:
        print(f"| {label} | {micros:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
