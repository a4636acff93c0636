from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "gridgov.notifications"
    label = "notifications"
    verbose_name = _("通知")

    def ready(self):
        from gridgov.notifications import scope, sms  # noqa: F401 (scope registers its rule)

        # A mistyped SMS gateway setting stops the start (ImproperlyConfigured) instead
        # of losing every text message later.
        sms.check_settings()
