"""System checks of the security configuration (run by every command that checks, by
``gridgov start`` through migrate, and by ``gridgov check --deploy``)."""

from django.conf import settings
from django.core import checks

from gridgov.core import keys
from gridgov.core.audit import MIN_RETENTION_DAYS


@checks.register(checks.Tags.security)
def check_keys(app_configs=None, **kwargs):
    if not keys.configured():
        message = (
            "GRIDGOV_KEYS (or GRIDGOV_KEYS_FILE) is not set: personal data cannot be encrypted."
        )
        hint = (
            "Generate a key set with `gridgov keys generate` and pass it through the "
            "environment or a secret file; see docs/security.md."
        )
        if settings.DEBUG:
            return [checks.Warning(message, hint=hint, id="core.W001")]
        return [checks.Error(message, hint=hint, id="core.E001")]
    try:
        keys.keyring()
    except keys.KeyConfigError as exc:
        return [checks.Error(str(exc), id="core.E002")]
    return []


@checks.register(checks.Tags.security)
def check_audit_retention(app_configs=None, **kwargs):
    days = getattr(settings, "AUDIT_RETENTION_DAYS", 365)
    if days < MIN_RETENTION_DAYS:
        return [
            checks.Error(
                f"GRIDGOV_AUDIT_RETENTION_DAYS is {days}; audit logs must be kept at least "
                f"{MIN_RETENTION_DAYS} days (six months).",
                id="core.E003",
            )
        ]
    return []
