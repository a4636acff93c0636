"""Settings for the test suite: the same as production, on a throw-away database.

``GRIDGOV_TEST_DATABASE_URL=postgres://…`` runs the suite on PostgreSQL; without it the
suite runs on SQLite.
"""

import os

os.environ.setdefault("GRIDGOV_DEBUG", "false")
os.environ.setdefault("GRIDGOV_SECRET_KEY", "test-only-secret-key-0123456789abcdef")

from gridgov.settings import *  # noqa: F403
from gridgov.settings import VAR_DIR, database_config

DATABASES = {
    "default": database_config(
        os.environ.get("GRIDGOV_TEST_DATABASE_URL", f"sqlite:///{VAR_DIR / 'test.sqlite3'}")
    )
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SECURE_COOKIES = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (WhiteNoise warns when it is missing)
