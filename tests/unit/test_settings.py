"""Settings from the environment and the command line: a value the server cannot run with is one clear error."""

from __future__ import annotations

import pytest

from profilestack.config import Settings, SettingsError


@pytest.mark.parametrize(("environ", "said"), [
    ({"PROFILESTACK_PORT": "abc"}, "PROFILESTACK_PORT: 'abc' is not a whole number"),
    ({"PROFILESTACK_BOOTSTRAP_CREDENTIALS": "maybe"},
     "PROFILESTACK_BOOTSTRAP_CREDENTIALS: 'maybe' is neither true nor false (1, true, yes, on; 0, false, no, off)"),
])
def test_a_value_of_the_wrong_kind_in_the_environment_is_named(environ: dict, said: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environ)
    assert str(raised.value) == said  # before, a ValueError's traceback, or "maybe" taken for false


def test_switches_read_both_ways() -> None:
    assert Settings.from_env({"PROFILESTACK_BOOTSTRAP_CREDENTIALS": " Off "}).bootstrap_credentials is False
    assert Settings.from_env({"PROFILESTACK_OUTBOX_WORKER": "YES"}).outbox_worker is True


@pytest.mark.parametrize(("overrides", "said"), [
    ({"port": 65536}, "port: 65536 is out of range (from 1 to 65535)"),
    ({"port": 0}, "port: 0 is out of range (from 1 to 65535)"),  # any free port: the URLs handed out would be wrong
    ({"workers": 0}, "workers: 0 is out of range (1 or more)"),
    ({"max_request_bytes": 0}, "max_request_bytes: 0 is out of range (1 or more)"),
    ({"audit_retention_days": -1}, "audit_retention_days: -1 is out of range (0 or more)"),
    ({"audit_max_waiting": 0}, "audit_max_waiting: 0 is out of range (1 or more)"),
    ({"request_read_seconds": 0}, "request_read_seconds: 0 is out of range (1 or more)"),
    ({"max_request_bytes": 2048, "max_buffered_request_bytes": 1024},
     "max_buffered_request_bytes: 1024 is under max_request_bytes (2048): no request that large could be read"),
    ({"log_level": "verbose"}, "log_level: 'verbose' is none of critical, error, warning, info, debug"),
    ({"public_url": "profiles.example.com"}, "public_url: 'profiles.example.com' is not an http:// or https:// URL"),
])
def test_values_the_server_cannot_run_with_are_named(overrides: dict, said: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({}, **overrides).check_values()
    assert str(raised.value) == said


def test_the_defaults_and_the_edges_of_each_range_are_taken() -> None:
    Settings.from_env({}).check_values()
    Settings.from_env({}, port=1, audit_retention_days=0).check_values()  # every event kept
    Settings.from_env({}, port=65535, workers=1, max_request_bytes=1).check_values()
    Settings.from_env({}, log_level="DEBUG", public_url="https://profiles.example.com:8443/stack").check_values()
