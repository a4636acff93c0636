from django.apps import AppConfig


class CoreTestsConfig(AppConfig):
    """Test-only models (installed by settings_test.py; no migrations, tables made by the
    test runner)."""

    name = "gridgov.core.tests.app"
    label = "coretests"
