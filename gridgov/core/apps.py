from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self):
        from gridgov.core import checks, crypto  # noqa: F401 (checks register themselves)

        # Refuse to start on a cryptographic library that gets SM3/SM4 wrong (raises
        # ImproperlyConfigured): better no system than unreadable personal data.
        crypto.self_test()
