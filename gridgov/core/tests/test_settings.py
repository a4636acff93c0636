"""Settings come from the environment and the embedded database is tuned for concurrency."""

import os
import subprocess
import sys

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper

from gridgov.conf import env, env_bool
from gridgov.settings import database_config


def start_settings(**environ) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_")}
    clean.update(environ)
    return subprocess.run(
        [sys.executable, "-c", "import gridgov.settings"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = start_settings(GRIDGOV_DEBUG="false")
    assert result.returncode != 0
    assert "GRIDGOV_SECRET_KEY" in result.stderr


def test_secret_key_may_come_from_a_file(tmp_path):
    key = tmp_path / "key"
    key.write_text("a-secret-from-a-file\n", encoding="utf-8")
    result = start_settings(GRIDGOV_DEBUG="false", GRIDGOV_SECRET_KEY_FILE=str(key))
    assert result.returncode == 0, result.stderr


def test_env_reads_files_and_validates_booleans(tmp_path, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("GRIDGOV_DB_PASSWORD_FILE", str(secret))
    assert env("DB_PASSWORD") == "s3cret"
    monkeypatch.setenv("GRIDGOV_FLAG", "maybe")
    with pytest.raises(Exception, match="true or false"):
        env_bool("FLAG")


def test_sqlite_runs_in_wal_with_immediate_transactions_and_a_long_busy_timeout(
    tmp_path, django_db_blocker
):
    config = database_config(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    config.update(
        {
            "NAME": str(tmp_path / "db.sqlite3"),
            "TIME_ZONE": None,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "CONN_HEALTH_CHECKS": False,
            "TEST": {},
        }
    )
    wrapper = DatabaseWrapper(config, alias="probe")
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 20000
            assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()


def test_times_are_stored_in_utc_and_shown_in_shanghai(settings):
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
