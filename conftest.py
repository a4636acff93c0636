import pytest


@pytest.fixture
def territory(db):
    from gridgov.core.testing import make_territory

    return make_territory()


@pytest.fixture
def staff_user(territory):
    """An agency operator of the test city, its county and its town: sees and proposes
    everything in the test territory, and approves as the county."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridgov.core.testing import grant
    from gridgov.orgs.choices import Role

    user = get_user_model().objects.create_user(
        username="operator",
        password="Grid-test-2024!",
        full_name="测试操作员",
        password_changed_at=timezone.now(),
    )
    for level in ("city", "county", "town"):
        grant(user, Role.AGENCY_OPERATOR, area=territory[level])
    return user


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(autouse=True)
def _fresh_locate_index():
    """Each test sees the map of its own database, not the index of the previous test."""
    from gridgov.areas import locate

    locate.invalidate()
    yield
    locate.invalidate()


@pytest.fixture(autouse=True)
def _fresh_workday_calendar():
    """Each test counts working days with the overrides of its own database."""
    from gridgov.core import workdays

    workdays.reset()
    yield
    workdays.reset()


@pytest.fixture(autouse=True)
def _chinese():
    """Code outside a request (actions, commands) speaks the default language."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
