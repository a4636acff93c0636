"""国密 primitives for personal data and audit integrity: SM4-GCM, SM3, HMAC-SM3.

Ciphertexts are text tokens ``s4g1:<kid>:<base64url(nonce | ciphertext | tag)>``:

* ``s4g1`` names the format (SM4-GCM, version 1), so a later format can live beside it;
* ``kid`` is the data key's id, so a token decrypts after the current key changed;
* the 12-byte nonce is random for every encryption (never reuse a nonce with GCM);
* the additional authenticated data is the *context* (``"accounts.User.phone"``), so a
  ciphertext copied into another column or table does not decrypt.

Blind indexes are HMAC-SM3 over ``context + "\\x00" + normalised value``: equal values in
one column give equal indexes (exact search), the same value in two columns does not
(no linking across tables), and without the index key they cannot be brute-forced.
"""

import base64
import binascii
import hmac as std_hmac
import os
import unicodedata
from collections.abc import Callable

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

from gridgov.core import keys

TOKEN_PREFIX = "s4g1"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    """A token is malformed, was changed, or belongs to another context."""


class SelfTestError(ImproperlyConfigured):
    """The cryptographic library does not produce the standard test vectors."""


# --- SM3 and HMAC-SM3 -------------------------------------------------------------------


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


# --- SM4-GCM ----------------------------------------------------------------------------


def _gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return body + encryptor.tag


def _gcm_decrypt(key: bytes, nonce: bytes, body_and_tag: bytes, aad: bytes) -> bytes:
    body, tag = body_and_tag[:-TAG_BYTES], body_and_tag[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(body) + decryptor.finalize()


def encrypt(plaintext: str, *, context: str, kid: str | None = None) -> str:
    """Encrypt with the current data key (or the key ``kid``) and return a text token."""
    if kid is None:
        kid, key = keys.current_data_key()
    else:
        key = keys.data_key(kid)
    nonce = os.urandom(NONCE_BYTES)
    sealed = _gcm_encrypt(key, nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{TOKEN_PREFIX}:{kid}:{payload}"


def parse_token(token: str) -> tuple[str, bytes]:
    """Split a token into (kid, nonce|ciphertext|tag); DecryptionError if malformed."""
    parts = token.split(":") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1]:
        raise DecryptionError("不是有效的密文（格式错误）")
    payload = parts[2]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("不是有效的密文（编码错误）") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("不是有效的密文（长度不足）")
    return parts[1], raw


def is_token(value) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX + ":")


def token_kid(token: str) -> str:
    return parse_token(token)[0]


def decrypt(token: str, *, context: str) -> str:
    """The plaintext of ``token``; DecryptionError if it was changed or moved."""
    kid, raw = parse_token(token)
    key = keys.data_key(kid)
    try:
        plain = _gcm_decrypt(key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
    except InvalidTag:
        raise DecryptionError(
            f"密文校验失败：数据被篡改，或不属于 {context}（密钥 {kid}）"
        ) from None
    return plain.decode("utf-8")


# --- Blind index ------------------------------------------------------------------------


def normalise_text(value: str) -> str:
    """The base normalisation of every indexed value: Unicode NFKC (full-width digits and
    letters become ASCII) and no surrounding space."""
    return unicodedata.normalize("NFKC", value).strip()


def blind_index(value: str, *, context: str, normalise: Callable[[str], str] | None = None) -> str:
    """Hex HMAC-SM3 of ``context + "\\x00" + normalised value`` with the index key."""
    normalised = normalise_text(value)
    if normalise is not None:
        normalised = normalise(normalised)
    message = (context + "\x00" + normalised).encode("utf-8")
    return hmac_sm3(keys.index_key(), message).hex()


# --- Start-up self-test -----------------------------------------------------------------

# GB/T 32905-2016 (SM3) appendix A.
_SM3_VECTORS = (
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
)
# GB/T 32907-2016 (SM4) appendix A.1: key = plaintext, one block.
_SM4_VECTOR = (
    "0123456789abcdeffedcba9876543210",
    "0123456789abcdeffedcba9876543210",
    "681edf34d206965e86b3e94f536e4246",
)


def _check_hmac_construction() -> None:
    """HMAC-SM3 from the library equals RFC 2104 built on the (checked) SM3."""
    key, message = b"k" * 20, b"gridgov"
    block = key.ljust(64, b"\x00")
    inner = bytes.fromhex(sm3_hex(bytes(b ^ 0x36 for b in block) + message))
    expected = sm3_hex(bytes(b ^ 0x5C for b in block) + inner)
    if hmac_sm3(key, message).hex() != expected:
        raise SelfTestError("HMAC-SM3 自检失败")


def self_test() -> None:
    """Check SM3, SM4, HMAC-SM3 and SM4-GCM against the national standards' vectors.

    Called at start-up: a library built without SM4, or one that computes it wrongly,
    must stop the system rather than write personal data nobody can read later.
    """
    try:
        for message, digest in _SM3_VECTORS:
            if sm3_hex(message) != digest:
                raise SelfTestError("SM3 自检失败：与 GB/T 32905 测试向量不符")
        key_hex, plain_hex, cipher_hex = _SM4_VECTOR
        key = bytes.fromhex(key_hex)
        encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
        block = encryptor.update(bytes.fromhex(plain_hex)) + encryptor.finalize()
        if block.hex() != cipher_hex:
            raise SelfTestError("SM4 自检失败：与 GB/T 32907 测试向量不符")
        _check_hmac_construction()
        nonce = bytes(NONCE_BYTES)
        sealed = _gcm_encrypt(key, nonce, b"gridgov self-test", b"aad")
        if _gcm_decrypt(key, nonce, sealed, b"aad") != b"gridgov self-test":
            raise SelfTestError("SM4-GCM 自检失败：加解密结果不一致")
        tampered = bytes([sealed[0] ^ 1]) + sealed[1:]
        try:
            _gcm_decrypt(key, nonce, tampered, b"aad")
        except InvalidTag:
            pass
        else:
            raise SelfTestError("SM4-GCM 自检失败：篡改的密文未被发现")
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise SelfTestError(f"国密算法不可用（cryptography/OpenSSL 缺少 SM3/SM4）：{exc}") from exc


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())
