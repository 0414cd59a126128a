"""A fixed-rate load generator light enough not to be the bottleneck: raw HTTP/1.1 over kept-alive connections.

Every request to a target reuses one SigV4 header set signed with ``UNSIGNED-PAYLOAD`` (valid for 15 minutes, as SigV4
allows), so each can carry a distinct body without signing it again. Request ``i`` is sent at
``start + i / rate`` on the first free connection; when every connection is busy the offered rate falls
and the result says so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes) -> int:
    writer.write(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _offer(targets: list[tuple[int, dict[str, str]]], method: str, path: str, bodies: list[bytes],
                 rate: float, connections: int, sent: list[float]) -> list[int]:
    idle: asyncio.Queue = asyncio.Queue()
    for index in range(connections):  # spread over the targets, each with its own signed head
        port, headers = targets[index % len(targets)]
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                + "".join(f"{name}: {value}\r\n" for name, value in headers.items()
                          if name.lower() not in ("host", "content-length"))).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        idle.put_nowait((reader, writer, head))
    statuses: list[int] = []
    pending = []

    async def send(index: int, connection) -> None:
        sent[index] = time.time()
        statuses.append(await _exchange(*connection, bodies[index]))
        idle.put_nowait(connection)

    began = time.monotonic()
    for index in range(len(bodies)):
        delay = began + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.ensure_future(send(index, await idle.get())))
    await asyncio.gather(*pending)
    while not idle.empty():
        _, writer, _ = idle.get_nowait()
        writer.close()
    return statuses


def offer(targets: list[tuple[int, dict[str, str]]], method: str, path: str, make_body: Callable[[int], bytes],
          total: int, rate: float, connections: int = 32) -> tuple[list[float], list[int], float]:
    """Send ``total`` requests at ``rate`` per second, spread over ``targets`` (each a port and the signed
    headers for it): each request's send time (epoch seconds), the statuses, and the rate achieved."""
    bodies = [make_body(index) for index in range(total)]
    sent = [0.0] * total
    began = time.monotonic()
    statuses = asyncio.run(_offer(targets, method, path, bodies, rate, connections, sent))
    return sent, statuses, total / (time.monotonic() - began)
