"""pytest fixtures for projects that test against profilestack (registered with pytest when profilestack is
installed):

- ``profilestack_server``: one server for the session (profilestack.testing.LocalServer), its own SQLite database
  in pytest's temporary directory; ``profilestack_server.client("customer-profiles")`` is a boto3 client for it.
- ``profilestack_env``: for one test, the AWS_* environment variables pointing every AWS client at that server —
  and none of the caller's own AWS settings (a session token, a profile, service-specific endpoints, config files)
  that would send a client elsewhere or sign for someone else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from profilestack.testing import LocalServer


@pytest.fixture(scope="session")
def profilestack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(data_dir=tmp_path_factory.mktemp("profilestack")) as server:
        yield server


@pytest.fixture
def profilestack_env(profilestack_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    for name in list(os.environ):
        if name in _CALLERS_OWN or name.startswith("AWS_ENDPOINT_URL_"):
            monkeypatch.delenv(name)
    for name, value in profilestack_server.environ().items():
        monkeypatch.setenv(name, value)
    return profilestack_server


# what a developer's shell may hold that would make a client sign for someone else or read another profile
_CALLERS_OWN = frozenset({"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"})
