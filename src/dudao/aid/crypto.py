"""Encryption at rest of names and ID numbers, and the keyed hash used to match ID numbers without decrypting.

Keys come from the environment:

* ``DUDAO_AID_KEYS``: one or more Fernet keys (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package),
  comma-separated, newest first. New values are encrypted with the first; any of them decrypts
  (``MultiFernet``). Rotation: put a new key first, keep the old ones, run ``dudao aid rotate-keys``
  (re-encrypts every stored value with the first key), then drop the old keys.
* ``DUDAO_AID_HASH_KEY``: the HMAC-SHA256 key of the ID-number hash (any text of ≥ 32 characters). Changing it
  needs ``dudao aid rotate-keys --rehash`` (decrypts each ID number and hashes it again).

Outside production, missing keys are derived from ``DUDAO_SECRET_KEY`` so that a laptop demo works; in
production they are required (``InsecureSettingsError``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from dudao.settings import InsecureSettingsError, load_settings

KEYS_ENV, HASH_ENV = "DUDAO_AID_KEYS", "DUDAO_AID_HASH_KEY"


def _derived(label: str) -> bytes:
    secret = load_settings().secret_key.encode()
    return hashlib.sha256(label.encode() + b"\0" + secret).digest()


@cache
def _fernet() -> MultiFernet:
    raw = os.environ.get(KEYS_ENV, "").strip()
    if raw:
        keys = [Fernet(k.strip().encode()) for k in raw.split(",") if k.strip()]
    elif load_settings().environment == "production":
        raise InsecureSettingsError(f"生产环境必须设置 {KEYS_ENV} / set {KEYS_ENV} in production")
    else:
        keys = [Fernet(base64.urlsafe_b64encode(_derived("dudao-aid-fernet")))]
    return MultiFernet(keys)


@cache
def hash_key() -> bytes:
    raw = os.environ.get(HASH_ENV, "")
    if raw:
        if len(raw) < 32:
            raise InsecureSettingsError(f"{HASH_ENV} 至少 32 个字符 / {HASH_ENV} needs at least 32 characters")
        return raw.encode()
    if load_settings().environment == "production":
        raise InsecureSettingsError(f"生产环境必须设置 {HASH_ENV} / set {HASH_ENV} in production")
    return _derived("dudao-aid-hmac")


def reset_keys() -> None:
    """Forgets the cached keys (after the environment changed: tests, key rotation)."""
    _fernet.cache_clear()
    hash_key.cache_clear()


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise InsecureSettingsError("无法解密：密钥不匹配 / cannot decrypt: no matching key in DUDAO_AID_KEYS") from None


def rotate(token: str) -> str:
    """The same value encrypted with the first (newest) key."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def id_hash(id_number: str) -> str:
    """HMAC-SHA256 of a (normalised) ID number, 64 hex digits; equal to the engine's ``keyed_hash``."""
    return hmac.new(hash_key(), id_number.encode("utf-8"), hashlib.sha256).hexdigest()


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
