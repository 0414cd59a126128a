"""The ceiling: the smallest ASGI app on the same uvicorn stack profilestack uses (its HTTP protocol included).

With ``PROFILESTACK_CEILING_WORK_US`` set, it also spends that many microseconds of CPU on each request (a loop
of pure Python): a reference for what a given amount of per-request work costs on this stack under load.
"""

import os
import time

BODY = b"<GetCallerIdentityResponse><Account>000000000000</Account></GetCallerIdentityResponse>"
WORK_SECONDS = float(os.environ.get("PROFILESTACK_CEILING_WORK_US", "0")) / 1e6


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if WORK_SECONDS:
        done = time.thread_time() + WORK_SECONDS
        while time.thread_time() < done:
            pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/xml"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
