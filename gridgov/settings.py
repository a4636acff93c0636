"""Django settings for gridgov, read from the environment (see docs/configuration.md)."""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from gridgov.conf import env, env_bool, env_float, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "GRIDGOV_SECRET_KEY (or GRIDGOV_SECRET_KEY_FILE) must be set when GRIDGOV_DEBUG "
            "is off. `make run` sets a development key; a production server needs its own."
        )
    SECRET_KEY = "development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "gridgov.core",
    "gridgov.accounts",
    "gridgov.orgs",
    "gridgov.areas",
    "gridgov.matters",
    "gridgov.notifications",
    "gridgov.cases",
    "gridgov.registry",
    "gridgov.api",
    "gridgov.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.core.locale.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridgov.accounts.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gridgov" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "gridgov.core.context_processors.site",
            ],
        },
    },
]

# Database: embedded SQLite under var/ unless GRIDGOV_DATABASE_URL says otherwise.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'gridgov.sqlite3'}")


def database_config(url: str) -> dict:
    """Turn a database URL into Django's settings, with the SQLite tuning we rely on."""
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at the
        # start of a transaction so concurrent writers wait (busy timeout) instead of
        # failing with "database is locked" half-way through.
        # Connections are kept like PostgreSQL's (GRIDGOV_DB_CONN_MAX_AGE): opening one
        # reads the whole schema and runs the pragmas, about 2 ms a request.
        config["CONN_HEALTH_CHECKS"] = True
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 30),
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
            ),
        }
    return config


DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "gridgov.accounts.passwords.LengthValidator"},
    {"NAME": "gridgov.accounts.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "gridgov.accounts.passwords.HistoryValidator"},
]

# Language and time: the UI speaks 简体中文 first; times are stored in UTC and shown
# in China Standard Time.
LANGUAGE_CODE = env("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "gridgov" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# The project's own and vendored assets (gridgov/static is not inside an app).
STATICFILES_DIRS = [BASE_DIR / "gridgov" / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))

# Background work: the Django Tasks API on the database backend (no broker needed).
TASKS = {
    "default": {
        "BACKEND": env("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Sessions and cookies.
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content security policy: nothing from other origins except an optional tile server.
MAP_TILE_URL = env("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", "")
_tile_origins = []
if MAP_TILE_URL:
    from urllib.parse import urlsplit

    _parts = urlsplit(MAP_TILE_URL.replace("{s}", "a"))
    if _parts.scheme and _parts.netloc:
        _tile_origins = [f"{_parts.scheme}://{_parts.netloc.replace('a.', '*.', 1)}"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *_tile_origins],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Geography.
# Grids of one town may touch but not overlap; an overlap smaller than this (in m²)
# is treated as drawing noise.
GRID_OVERLAP_TOLERANCE_M2 = env_float("GRID_OVERLAP_TOLERANCE_M2", 50.0)
# A non-maritime grid may stick out of its county by at most this much (m²).
GRID_BOUNDARY_TOLERANCE_M2 = env_float("GRID_BOUNDARY_TOLERANCE_M2", 500.0)
# The city whose areas this installation serves (materialised-path code).
CITY_CODE = env("CITY_CODE", "4507")
SITE_NAME = env("SITE_NAME", "城乡网格化服务管理信息系统")

# Audit log (docs/security.md): kept at least six months (网络安全法 第二十一条), then purged.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < 184:
    raise ImproperlyConfigured(
        f"GRIDGOV_AUDIT_RETENTION_DAYS must be at least 184 (six months), not {AUDIT_RETENTION_DAYS}"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "gridgov.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# Login security (MLPS level 3 defaults; docs/security.md).
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
PASSWORD_MIN_CLASSES = env_int("PASSWORD_MIN_CLASSES", 3)
PASSWORD_HISTORY = env_int("PASSWORD_HISTORY", 5)
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 30)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
ACCOUNT_INACTIVE_DAYS = env_int("ACCOUNT_INACTIVE_DAYS", 90)
TOTP_REQUIRED = env_bool("TOTP_REQUIRED", True)
TOTP_ISSUER = env("TOTP_ISSUER", "gridgov")
UNMASK_DAILY_LIMIT = env_int("UNMASK_DAILY_LIMIT", 50)
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 365)

# Periodic jobs run by the worker (name → task and interval in seconds).
PERIODIC_JOBS = {
    "disable_inactive_accounts": {
        "task": "gridgov.accounts.tasks.disable_inactive_accounts",
        "every": 3600,
    },
    "purge_audit_log": {"task": "gridgov.core.tasks.purge_audit_log", "every": 24 * 3600},
    "retire_expired_temporary_matters": {
        "task": "gridgov.matters.tasks.retire_expired_temporary_matters",
        "every": 3600,
    },
    "retry_sms": {"task": "gridgov.notifications.tasks.retry_sms", "every": 60},
    "sweep_cases": {"task": "gridgov.cases.tasks.sweep_cases", "every": 60},
    "purge_expired_exports": {
        "task": "gridgov.registry.tasks.purge_expired_exports",
        "every": 3600,
    },
}

# Text messages (docs/notifications.md): "log" sends nothing, "http" posts to a JSON
# gateway, or the dotted path of an SmsBackend class. Checked at start.
SMS_BACKEND = env("SMS_BACKEND", "log")
SMS_HTTP_URL = env("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", "")
SMS_HTTP_TIMEOUT = env_float("SMS_HTTP_TIMEOUT", 5.0)
SMS_SIGNATURE = env("SMS_SIGNATURE", "")
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 5)
