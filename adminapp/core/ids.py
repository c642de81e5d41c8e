"""Opaque, prefixed, time-sortable public ids (``usr_01jd…``).

26 characters of Crockford base32: a 48-bit millisecond timestamp then 80 random bits, so ids
sort by creation time (good index locality) and cannot be guessed.
"""

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    millis = int(time.time() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_b32(millis, 10)}{_b32(rand, 16)}"


# byte → one base32 character from its low 5 bits (256 = 8 × 32: each equally likely).
_RANDOM_CHARS = bytes(_ALPHABET[b & 31].encode()[0] for b in range(256))


def new_ids(prefix: str, n: int) -> list[str]:
    """``n`` ids of the same millisecond, sorted (so they read back in the order they are
    handed out): ``new_id``'s format, 16 random characters of 5 random bits each, made in
    one pass for the set-based inserts of thousands of rows."""
    head = f"{prefix}_{_b32(int(time.time() * 1000) & ((1 << 48) - 1), 10)}"
    chars = os.urandom(16 * n).translate(_RANDOM_CHARS).decode()
    return sorted(head + chars[i : i + 16] for i in range(0, 16 * n, 16))
