"""Identifiers: call ids (request and audit event ids) and resource ids."""

from __future__ import annotations

import re
import threading

from profilestack.runtime import Ids

UUID_SHAPE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_call_ids_are_uuid_shaped_and_never_repeat_within_a_process() -> None:
    ids = Ids()
    seen = [ids.call_id() for _ in range(10_000)]
    assert all(UUID_SHAPE.match(value) for value in seen)
    assert len(set(seen)) == len(seen)


def test_call_ids_stay_unique_when_threads_take_them_at_once() -> None:
    ids = Ids()
    taken: list[list[str]] = [[] for _ in range(4)]

    def take(into: list[str]) -> None:
        into.extend(ids.call_id() for _ in range(5_000))

    threads = [threading.Thread(target=take, args=(into,)) for into in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [value for into in taken for value in into]
    assert len(set(everything)) == 20_000


def test_two_processes_draw_different_call_id_prefixes() -> None:
    first, second = Ids(), Ids()  # each process makes one Ids; two instances stand for two processes
    assert first.call_id()[:24] != second.call_id()[:24]
    assert first.request_id()[:24] == first.call_id()[:24]


def test_resource_ids_are_random_uuids_not_sequential() -> None:
    ids = Ids()
    first, second = ids.uuid(), ids.uuid()
    assert UUID_SHAPE.match(first) and UUID_SHAPE.match(second)
    assert first[:24] != second[:24]
