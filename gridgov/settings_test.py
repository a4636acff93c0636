"""Settings for the test suite: the same as production, on a throw-away database.

``GRIDGOV_TEST_DATABASE_URL=postgres://…`` runs the suite on PostgreSQL; without it the
suite runs on SQLite.
"""

import os

os.environ.setdefault("GRIDGOV_DEBUG", "false")
os.environ.setdefault("GRIDGOV_SECRET_KEY", "test-only-secret-key-0123456789abcdef")
# Fixed, public test-only keys (data key "1", index key, audit key): never use elsewhere.
os.environ.setdefault(
    "GRIDGOV_KEYS",
    '{"data": {"current": "1", "keys": {"1": "AAECAwQFBgcICQoLDA0ODw=="}}, '
    '"index": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=", '
    '"audit": "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="}',
)

from gridgov.settings import *  # noqa: F403
from gridgov.settings import INSTALLED_APPS, VAR_DIR, database_config

# Models with encrypted fields for the core tests (tables made without migrations).
INSTALLED_APPS = [*INSTALLED_APPS, "gridgov.core.tests.app"]

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
