"""Secrets: API keys are stored as SHA-256 digests; secrets that must be read back (bucket
credentials) are encrypted with Fernet under ADMINAPP_ENCRYPTION_KEYS (first key encrypts,
all decrypt, so keys can be rotated: ``rotate`` re-encrypts a token under the first key)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import NamedTuple

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def random_secret(length: int = 40) -> str:
    """Base62 secret; 40 characters carry ~238 bits of entropy."""
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.ENCRYPTION_KEYS])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """``token`` encrypted under the first key (``cryptography.fernet.InvalidToken`` if no
    key of the list decrypts it)."""
    return _fernet().rotate(token.encode()).decode()


class MintedSecret(NamedTuple):
    value: str  # shown once, to its owner; never stored
    display_prefix: str  # its first characters, stored to recognise it
    digest: str  # what is stored and compared


def mint_secret(prefix: str) -> MintedSecret:
    """A new bearer secret ``<prefix>_<40 random base62 characters>`` (~238 bits)."""
    value = f"{prefix}_{random_secret(40)}"
    return MintedSecret(value=value, display_prefix=value[:12], digest=digest(value))
