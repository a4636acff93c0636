"""The key ring: data keys (SM4), the blind-index key and the audit key.

Keys come from ``GRIDGOV_KEYS`` (JSON) or ``GRIDGOV_KEYS_FILE`` (a file holding the same
JSON), never from settings.py or the database, so that a database dump and the code
together still hold no key::

    {
      "data": {"current": "2", "keys": {"1": "<base64, 16 bytes>", "2": "<base64, 16 bytes>"}},
      "index": "<base64, 32 bytes>",
      "audit": "<base64, 32 bytes>"
    }

Data keys carry an id (``kid``) that is written into every ciphertext, so old keys keep
decrypting after a new one becomes current (see ``gridgov rotate-keys``). The index and
audit keys have no versions: changing the index key requires ``rotate-keys`` at once
(exact search misses rows until it finishes); the audit key must never change, or the
existing chain no longer verifies.

This module needs no Django settings, so ``gridgov/__main__.py`` can use it before
Django starts.
"""

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ImproperlyConfigured

from gridgov.conf import env

DATA_KEY_BYTES = 16  # SM4 has 128-bit keys
INDEX_KEY_BYTES = 32
AUDIT_KEY_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class KeyConfigError(ImproperlyConfigured):
    """The keys are missing or malformed; the message says what to fix."""


@dataclass(frozen=True)
class KeyRing:
    current_kid: str
    data_keys: dict[str, bytes]
    index_key: bytes
    audit_key: bytes


def _decode(value, *, what: str, length: int) -> bytes:
    if not isinstance(value, str) or not value:
        raise KeyConfigError(f"GRIDGOV_KEYS: {what} is missing")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigError(f"GRIDGOV_KEYS: {what} is not valid base64") from exc
    if len(raw) != length:
        raise KeyConfigError(
            f"GRIDGOV_KEYS: {what} must be {length} bytes (base64 of {length} random bytes), "
            f"not {len(raw)}"
        )
    return raw


def parse(text: str) -> KeyRing:
    """Validate the JSON key configuration and return the key ring."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyConfigError(f"GRIDGOV_KEYS is not valid JSON: {exc.msg}") from exc
    if not isinstance(config, dict):
        raise KeyConfigError("GRIDGOV_KEYS must be a JSON object")
    data = config.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict) or not data["keys"]:
        raise KeyConfigError('GRIDGOV_KEYS: "data" must hold "current" and a non-empty "keys"')
    data_keys = {}
    for kid, value in data["keys"].items():
        if not _KID.match(kid):
            raise KeyConfigError(
                f"GRIDGOV_KEYS: data key id {kid!r} must be 1–16 letters, digits, _ or -"
            )
        data_keys[kid] = _decode(value, what=f"data key {kid!r}", length=DATA_KEY_BYTES)
    current = data.get("current")
    if not isinstance(current, str) or current not in data_keys:
        raise KeyConfigError(
            f"GRIDGOV_KEYS: the current data key {current!r} is not among the data keys "
            f"({', '.join(sorted(data_keys))})"
        )
    return KeyRing(
        current_kid=current,
        data_keys=data_keys,
        index_key=_decode(config.get("index"), what='"index"', length=INDEX_KEY_BYTES),
        audit_key=_decode(config.get("audit"), what='"audit"', length=AUDIT_KEY_BYTES),
    )


def configured() -> bool:
    """Whether any key configuration is given (valid or not)."""
    return bool(env("KEYS"))


@cache
def keyring() -> KeyRing:
    """The key ring, read once per process. Fails with a clear message when missing."""
    text = env("KEYS")
    if not text:
        raise KeyConfigError(
            "GRIDGOV_KEYS (or GRIDGOV_KEYS_FILE) must be set: personal data is encrypted with "
            "these keys. `gridgov keys generate` prints a new set; `gridgov start` with "
            "GRIDGOV_DEBUG=true keeps a development set in var/keys.json."
        )
    return parse(text)


def reset() -> None:
    """Forget the cached keys (tests, or after changing the environment)."""
    keyring.cache_clear()


def current_data_key() -> tuple[str, bytes]:
    ring = keyring()
    return ring.current_kid, ring.data_keys[ring.current_kid]


def data_key(kid: str) -> bytes:
    try:
        return keyring().data_keys[kid]
    except KeyError:
        raise KeyConfigError(
            f"GRIDGOV_KEYS: no data key {kid!r}; it is still used by stored data. Put it back "
            "(keep old keys until `gridgov rotate-keys` has finished)."
        ) from None


def index_key() -> bytes:
    return keyring().index_key


def audit_key() -> bytes:
    return keyring().audit_key


def _random_b64(length: int) -> str:
    return base64.b64encode(secrets.token_bytes(length)).decode("ascii")


def generate_config() -> dict:
    """A fresh key configuration (as a dict ready for json.dumps)."""
    return {
        "data": {"current": "1", "keys": {"1": _random_b64(DATA_KEY_BYTES)}},
        "index": _random_b64(INDEX_KEY_BYTES),
        "audit": _random_b64(AUDIT_KEY_BYTES),
    }


def add_data_key(config: dict, *, make_current: bool) -> str:
    """Add a new random data key to ``config`` (in place); return its id."""
    keys = config["data"]["keys"]
    numeric = [int(kid) for kid in keys if kid.isdigit()]
    kid = str(max(numeric, default=0) + 1)
    while kid in keys:  # non-numeric ids mixed in: keep counting
        kid = str(int(kid) + 1)
    keys[kid] = _random_b64(DATA_KEY_BYTES)
    if make_current:
        config["data"]["current"] = kid
    return kid
