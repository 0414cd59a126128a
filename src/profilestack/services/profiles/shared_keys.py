"""Which keys more than one of many profiles has, in 16 MB whatever their number, for matching a whole domain
without holding it: the keys' hashes are marked in a bitmap as the profiles stream by, and a hash met marked
already is noted. A few keys that only collide with another are noted too, so callers compare the keys themselves
among the profiles kept on a second reading."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

_BITS = 2 ** 27  # 2% of unshared keys collide with another at three million keys


def hashed(key: Hashable) -> int:
    """The key's place in the bitmap (Python's hash: the same within this process)."""
    return hash(key) & (_BITS - 1)


def shared_hashes(keys: Iterable[Hashable]) -> set[int]:
    """The hashes of the keys met more than once (and of some that collide with another)."""
    seen, shared = bytearray(_BITS // 8), set()
    for key in keys:
        bit = hashed(key)
        if seen[bit >> 3] & (1 << (bit & 7)):
            shared.add(bit)
        else:
            seen[bit >> 3] |= 1 << (bit & 7)
    return shared
