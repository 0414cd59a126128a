"""Which keys more than one of many profiles has, in bounded memory whatever their number, for matching a whole
domain without holding it: the keys' hashes are remembered as the profiles stream by — in a set while they are
few, then in a 16 MB bitmap — and a hash met already is noted. Past the set, a few keys that only collide with
another are noted too, so callers compare the keys themselves among the profiles kept on a second reading."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

_BITS = 2 ** 27  # 2% of unshared keys collide with another at three million keys
_EXACT_UP_TO = 100_000  # hashes: a set of these takes less memory than the bitmap (and allocates no 16 MB)


def hashed(key: Hashable) -> int:
    """The key's place in the bitmap (Python's hash: the same within this process)."""
    return hash(key) & (_BITS - 1)


def shared_hashes(keys: Iterable[Hashable]) -> set[int]:
    """The hashes of the keys met more than once (and, among many keys, of some that collide with another)."""
    seen: set[int] = set()
    bitmap: bytearray | None = None
    shared: set[int] = set()
    for key in keys:
        bit = hashed(key)
        if bitmap is None:
            if bit in seen:
                shared.add(bit)
                continue
            seen.add(bit)
            if len(seen) > _EXACT_UP_TO:
                bitmap = bytearray(_BITS // 8)
                for kept in seen:
                    bitmap[kept >> 3] |= 1 << (kept & 7)
                seen = set()
        elif bitmap[bit >> 3] & (1 << (bit & 7)):
            shared.add(bit)
        else:
            bitmap[bit >> 3] |= 1 << (bit & 7)
    return shared
