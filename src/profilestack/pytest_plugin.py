"""pytest fixtures for projects that test against profilestack (registered with pytest when profilestack is
installed):

- ``profilestack_server``: one server for the session (profilestack.testing.LocalServer), its own SQLite database
  in pytest's temporary directory; ``profilestack_server.client("customer-profiles")`` is a boto3 client for it.
- ``profilestack_env``: for one test, the AWS_* environment variables pointing every AWS client at that server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from profilestack.testing import LocalServer


@pytest.fixture(scope="session")
def profilestack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(data_dir=tmp_path_factory.mktemp("profilestack")) as server:
        yield server


@pytest.fixture
def profilestack_env(profilestack_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    for name, value in profilestack_server.environ().items():
        monkeypatch.setenv(name, value)
    return profilestack_server
