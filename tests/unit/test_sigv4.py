"""SigV4's HMAC-SHA256, against RFC 4231's test vectors (a 20-byte key, a 4-byte key, a 131-byte key)."""

from __future__ import annotations

import pytest

from profilestack.gateway.sigv4 import _KeyedHash


@pytest.mark.parametrize(("key", "message", "expected"), [
    (b"\x0b" * 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 131, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
])
def test_keyed_hash_is_hmac_sha256(key: bytes, message: str, expected: str) -> None:
    keyed = _KeyedHash(key)
    assert keyed.digest(message).hex() == expected
    assert keyed.digest(message).hex() == expected  # the precomputed pads are reused, not consumed
