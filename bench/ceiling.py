"""The ceiling: the smallest ASGI app on the same uvicorn stack profilestack uses."""

BODY = b"<GetCallerIdentityResponse><Account>000000000000</Account></GetCallerIdentityResponse>"


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/xml"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
