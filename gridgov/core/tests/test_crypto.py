"""Keys, SM4-GCM tokens, blind indexes, SM3 and the start-up self-test."""

import base64
import json
import os
import stat
import subprocess
import sys
import time

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from gridgov.core import crypto, keys


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key_config(current="1", kids=("1",), index=b"i" * 32, audit=b"a" * 32) -> dict:
    return {
        "data": {
            "current": current,
            "keys": {kid: b64(kid.encode().ljust(16, b"k")) for kid in kids},
        },
        "index": b64(index),
        "audit": b64(audit),
    }


@pytest.fixture
def use_keys(monkeypatch):
    """Switch the process to another key configuration for one test."""

    def apply(config: dict) -> None:
        monkeypatch.setenv("GRIDGOV_KEYS", json.dumps(config))
        keys.reset()

    yield apply
    keys.reset()


# --- keys ---


def test_key_config_is_validated_with_clear_messages():
    good = key_config()
    assert keys.parse(json.dumps(good)).current_kid == "1"
    missing_index = {**good, "index": ""}
    with pytest.raises(keys.KeyConfigError, match='"index" is missing'):
        keys.parse(json.dumps(missing_index))
    short = {**good, "audit": b64(b"x" * 16)}
    with pytest.raises(keys.KeyConfigError, match=r'"audit" must be 32 bytes.*not 16'):
        keys.parse(json.dumps(short))
    absent = key_config(current="9")
    with pytest.raises(keys.KeyConfigError, match="current data key '9' is not among"):
        keys.parse(json.dumps(absent))
    with pytest.raises(keys.KeyConfigError, match="not valid base64"):
        keys.parse(json.dumps({**good, "index": "%%%"}))
    with pytest.raises(keys.KeyConfigError, match="not valid JSON"):
        keys.parse("{")
    bad_kid = {**good, "data": {"current": "a:b", "keys": {"a:b": b64(b"k" * 16)}}}
    with pytest.raises(keys.KeyConfigError, match="key id"):
        keys.parse(json.dumps(bad_kid))


def test_keys_may_come_from_a_file(tmp_path, monkeypatch):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(key_config(current="2", kids=("1", "2"))), encoding="utf-8")
    monkeypatch.delenv("GRIDGOV_KEYS")
    monkeypatch.setenv("GRIDGOV_KEYS_FILE", str(path))
    keys.reset()
    try:
        assert keys.current_data_key()[0] == "2"
        assert set(keys.keyring().data_keys) == {"1", "2"}
    finally:
        keys.reset()


def test_missing_keys_fail_at_first_use_with_a_clear_message(monkeypatch):
    monkeypatch.delenv("GRIDGOV_KEYS")
    keys.reset()
    try:
        with pytest.raises(ImproperlyConfigured, match="GRIDGOV_KEYS"):
            crypto.encrypt("x", context="t.T.f")
    finally:
        keys.reset()


def test_a_generated_key_set_is_valid_and_a_data_key_can_be_added():
    config = keys.generate_config()
    ring = keys.parse(json.dumps(config))
    assert len(ring.data_keys["1"]) == 16
    assert keys.add_data_key(config, make_current=True) == "2"
    assert keys.parse(json.dumps(config)).current_kid == "2"


# --- tokens ---


def test_encrypt_gives_a_compact_token_that_decrypts():
    token = crypto.encrypt("广西钦州 13812345678", context="accounts.User.phone")
    assert token.startswith("s4g1:1:")
    assert "1381234" not in token
    assert crypto.decrypt(token, context="accounts.User.phone") == "广西钦州 13812345678"
    # A fresh nonce every time: equal plaintexts give different tokens.
    assert token != crypto.encrypt("广西钦州 13812345678", context="accounts.User.phone")


def test_a_token_does_not_decrypt_in_another_context():
    token = crypto.encrypt("13812345678", context="accounts.User.phone")
    with pytest.raises(crypto.DecryptionError, match="篡改"):
        crypto.decrypt(token, context="registry.Person.phone")


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_a_changed_token_is_refused(position):
    token = crypto.encrypt("45070219900101123X", context="c.M.f")
    prefix, payload = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[position] ^= 0x01
    forged = prefix + ":" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(forged, context="c.M.f")


@pytest.mark.parametrize("bad", ["", "plain", "s4g1:1", "s4g1::abc", "xxxx:1:abc", "s4g1:1:@@"])
def test_malformed_tokens_are_refused(bad):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bad, context="c.M.f")


def test_old_keys_keep_decrypting_after_the_current_key_changes(use_keys):
    use_keys(key_config(current="1", kids=("1",)))
    old = crypto.encrypt("张三", context="c.M.f")
    use_keys(key_config(current="2", kids=("1", "2")))
    assert crypto.token_kid(crypto.encrypt("李四", context="c.M.f")) == "2"
    assert crypto.decrypt(old, context="c.M.f") == "张三"
    use_keys(key_config(current="2", kids=("2",)))
    with pytest.raises(keys.KeyConfigError, match="no data key '1'"):
        crypto.decrypt(old, context="c.M.f")


# --- blind index ---


def test_blind_index_is_deterministic_per_context_and_normalised():
    first = crypto.blind_index("13812345678", context="a.B.phone")
    assert first == crypto.blind_index(" １３８１２３４５６７８ ", context="a.B.phone")  # NFKC
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != crypto.blind_index("13812345678", context="x.Y.phone")
    upper = crypto.blind_index("11010519491231002x", context="a.B.id", normalise=str.upper)
    assert upper == crypto.blind_index("11010519491231002X", context="a.B.id")


def test_blind_index_depends_on_the_index_key(use_keys):
    before = crypto.blind_index("13812345678", context="a.B.phone")
    use_keys(key_config(index=b"z" * 32))
    assert crypto.blind_index("13812345678", context="a.B.phone") != before


# --- SM3 and the self-test ---


def test_sm3_matches_the_national_standard():
    assert sm3("abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3("abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def sm3(text: str) -> str:
    return crypto.sm3_hex(text.encode())


def test_self_test_passes_quickly():
    crypto.self_test()
    best = min(_timed(crypto.self_test) for _ in range(5))
    assert best < 0.005, f"self-test took {best * 1000:.1f} ms"


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def test_self_test_fails_on_a_wrong_sm3_vector(monkeypatch):
    monkeypatch.setattr(crypto, "_SM3_VECTORS", ((b"abc", "00" * 32),))
    with pytest.raises(crypto.SelfTestError, match="SM3"):
        crypto.self_test()


def test_self_test_fails_on_a_wrong_sm4_vector_and_the_app_refuses_to_start(monkeypatch):
    key, plain, _cipher = crypto._SM4_VECTOR
    monkeypatch.setattr(crypto, "_SM4_VECTOR", (key, plain, "00" * 16))
    with pytest.raises(crypto.SelfTestError, match="SM4"):
        crypto.self_test()
    with pytest.raises(ImproperlyConfigured, match="SM4"):
        apps.get_app_config("core").ready()


def test_self_test_fails_when_gcm_misses_tampering(monkeypatch):
    real = crypto._gcm_decrypt

    def lenient(key, nonce, sealed, aad):
        try:
            return real(key, nonce, sealed, aad)
        except crypto.InvalidTag:
            return b""

    monkeypatch.setattr(crypto, "_gcm_decrypt", lenient)
    with pytest.raises(crypto.SelfTestError, match="篡改"):
        crypto.self_test()


# --- start-up ---


def _gridgov(*args, **environ) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.update(environ)
    return subprocess.run(
        [sys.executable, "-m", "gridgov", *args],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_production_without_keys_fails_the_deploy_check(tmp_path):
    result = _gridgov(
        "check",
        "--deploy",
        GRIDGOV_DEBUG="false",
        GRIDGOV_SECRET_KEY="x" * 60,
        GRIDGOV_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "core.E001" in result.stderr and "GRIDGOV_KEYS" in result.stderr
    assert not (tmp_path / "keys.json").exists()


def test_a_malformed_key_set_fails_the_check(tmp_path):
    result = _gridgov(
        "check",
        GRIDGOV_DEBUG="false",
        GRIDGOV_SECRET_KEY="x" * 60,
        GRIDGOV_VAR_DIR=str(tmp_path),
        GRIDGOV_KEYS=json.dumps(key_config(current="7")),
    )
    assert result.returncode != 0
    assert "core.E002" in result.stderr


def test_development_start_keeps_generated_keys_in_var(tmp_path, monkeypatch):
    from gridgov import __main__ as entry

    monkeypatch.setenv("GRIDGOV_SECRET_KEY", "test")
    monkeypatch.delenv("GRIDGOV_KEYS")
    monkeypatch.delenv("GRIDGOV_KEYS_FILE", raising=False)
    monkeypatch.setenv("GRIDGOV_DEBUG", "true")
    monkeypatch.setenv("GRIDGOV_VAR_DIR", str(tmp_path))
    entry._local_secrets(create=False)
    assert "GRIDGOV_KEYS_FILE" not in os.environ  # other commands never create keys
    entry._local_secrets(create=True)
    path = tmp_path / "keys.json"
    assert os.environ["GRIDGOV_KEYS_FILE"] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text(encoding="utf-8")
    keys.parse(first)
    entry._local_secrets(create=True)
    assert path.read_text(encoding="utf-8") == first  # generated once


def test_production_start_never_generates_keys(tmp_path, monkeypatch):
    from gridgov import __main__ as entry

    monkeypatch.delenv("GRIDGOV_SECRET_KEY", raising=False)
    monkeypatch.delenv("GRIDGOV_SECRET_KEY_FILE", raising=False)
    monkeypatch.delenv("GRIDGOV_KEYS")
    monkeypatch.delenv("GRIDGOV_KEYS_FILE", raising=False)
    monkeypatch.setenv("GRIDGOV_DEBUG", "false")
    monkeypatch.setenv("GRIDGOV_VAR_DIR", str(tmp_path))
    entry._local_secrets(create=True)
    assert not (tmp_path / "keys.json").exists()
    assert not (tmp_path / "secret_key").exists()
    assert "GRIDGOV_KEYS_FILE" not in os.environ
    assert "GRIDGOV_SECRET_KEY_FILE" not in os.environ


def test_a_workstation_command_uses_the_files_that_make_run_left(tmp_path, monkeypatch):
    from gridgov import __main__ as entry

    for name in (
        "GRIDGOV_SECRET_KEY",
        "GRIDGOV_SECRET_KEY_FILE",
        "GRIDGOV_KEYS",
        "GRIDGOV_KEYS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRIDGOV_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GRIDGOV_DEBUG", "true")
    entry._local_secrets(create=True)  # make run
    for name in ("GRIDGOV_SECRET_KEY_FILE", "GRIDGOV_KEYS_FILE"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("GRIDGOV_DEBUG", "false")
    entry._local_secrets(create=False)  # gridgov locate, in another terminal
    assert os.environ["GRIDGOV_SECRET_KEY_FILE"] == str(tmp_path / "secret_key")
    assert os.environ["GRIDGOV_KEYS_FILE"] == str(tmp_path / "keys.json")
