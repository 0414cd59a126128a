"""The server's own metrics at /_profilestack/metrics, in Prometheus's text format: calls by service, operation and
error, how long they took, refused credentials, the outbox's tasks — and nothing that names an account or a user."""

from __future__ import annotations

import urllib.request

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from profilestack import __version__
from tests.conftest import Server, dedicated_server
from tests.e2e.identities import ACCOUNT, allow, document, make_user
from tests.e2e.waiting import wait_for


def scrape(server: Server) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    with urllib.request.urlopen(f"{server.endpoint}/_profilestack/metrics", timeout=10) as answer:
        assert answer.status == 200 and answer.headers["content-type"].startswith("text/plain; version=")
        text = answer.read().decode()
    samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
               for family in text_string_to_metric_families(text) for sample in family.samples}
    return text, samples


def counted_so_far(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples once every call made before has been counted. Calls are counted as the audit writer stores their
    events, a tenth of a second at most after them: a scrape right after another test's last call would leave that
    call to be counted later, as if this test had made it. LookupEvents stores (and so counts) what is waiting."""
    server.client("cloudtrail").lookup_events(MaxResults=1)
    return scrape(server)[1]


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_calls_refusals_and_durations_are_counted(server: Server) -> None:
    before = counted_so_far(server)
    sts = server.client("sts")
    for _ in range(3):
        sts.get_caller_identity()
    with pytest.raises(ClientError):
        server.client("sts", aws_access_key_id="AKIANOBODY0000000000").get_caller_identity()
    user = make_user(server, document(allow("iam:GetUser")))
    with pytest.raises(ClientError):
        user.client("iam").list_roles()

    def counted() -> tuple[str, dict] | None:
        text, after = scrape(server)
        grown = {
            "ok": value(after, "profilestack_calls_total", service="sts", operation="GetCallerIdentity", error="")
            - value(before, "profilestack_calls_total", service="sts", operation="GetCallerIdentity", error=""),
            "denied": value(after, "profilestack_calls_total", service="iam", operation="ListRoles",
                            error="AccessDenied")
            - value(before, "profilestack_calls_total", service="iam", operation="ListRoles", error="AccessDenied"),
            "refused": value(after, "profilestack_authentication_failures_total", error="InvalidClientTokenId")
            - value(before, "profilestack_authentication_failures_total", error="InvalidClientTokenId"),
        }
        return (text, after) if grown == {"ok": 3, "denied": 1, "refused": 1} else None

    text, after = wait_for(counted)
    timed = value(after, "profilestack_call_duration_seconds_count", service="sts") \
        - value(before, "profilestack_call_duration_seconds_count", service="sts")
    assert timed >= 3
    assert value(after, "profilestack_call_duration_seconds_bucket", service="sts", le="+Inf") \
        == value(after, "profilestack_call_duration_seconds_count", service="sts")
    assert value(after, "profilestack_info", storage=server.backend, version=__version__) == 1
    assert value(after, "profilestack_outbox_tasks", kind="outbox.cleanup", status="pending") >= 1
    assert ACCOUNT not in text and user.name not in text and user.key not in text  # aggregates only


def test_each_process_of_a_multi_process_server_counts_the_calls_of_all(tmp_path) -> None:
    """A scrape reaches one of ``--workers`` processes, whichever accepts its connection: each answers for all."""
    with dedicated_server(tmp_path, PROFILESTACK_WORKERS="2") as server:
        for _ in range(12):  # a client each: a connection each, taken by either process
            server.client("sts").get_caller_identity()

        def every_scrape_counts_twelve() -> bool:
            seen = {value(scrape(server)[1], "profilestack_calls_total", service="sts",
                          operation="GetCallerIdentity", error="") for _ in range(8)}
            return seen == {12.0}

        wait_for(every_scrape_counts_twelve, timeout=15)
