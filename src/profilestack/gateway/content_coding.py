"""Request bodies sent compressed (``Content-Encoding: gzip``), as the SDKs send PutMetricData's larger ones.

The signature covers the bytes as sent, so the request keeps them (``HttpRequest.sent_body``) for SigV4 while
routing and decoding read the inflated body. Codings other than gzip are left alone, as before: some SDKs label
uncompressed JSON bodies with a Content-Encoding of their own.
"""

from __future__ import annotations

import zlib

from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest

_GZIP = frozenset({"gzip", "x-gzip"})
_GZIP_WINDOW = 16 + zlib.MAX_WBITS  # zlib's window size for the gzip wrapper


class BodyUnreadable(ValueError):
    """A compressed body that does not inflate: the service answers it with its validation error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def too_large(limit: int) -> AwsError:
    return AwsError("RequestEntityTooLarge", f"The request body is larger than the {limit}-byte limit.", 413)


def inflate(request: HttpRequest, limit: int) -> None:
    """Replace a gzip-coded body with what it holds (at most ``limit`` bytes), keeping the bytes sent."""
    declared = request.header("content-encoding")
    if not declared:  # nearly every request
        return
    codings = [token.strip().lower() for token in declared.split(",")]
    if not _GZIP.intersection(codings):
        return
    request.sent_body = request.body
    body = request.body
    for coding in reversed(codings):  # the last coding listed was applied last
        if coding in _GZIP:
            body = _gunzip(body, limit)
    request.body = body


def _gunzip(data: bytes, limit: int) -> bytes:
    """Every gzip member of ``data`` inflated, refused once the output passes ``limit`` bytes."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(_GZIP_WINDOW)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as err:
            raise BodyUnreadable("The request body is not valid gzip data.") from err
        if len(out) > limit or inflater.unconsumed_tail:
            raise too_large(limit)
        if not inflater.eof:
            raise BodyUnreadable("The request body ends in the middle of its gzip data.")
        data = inflater.unused_data
    return bytes(out)
