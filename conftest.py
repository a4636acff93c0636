import pytest


@pytest.fixture
def territory(db):
    from gridgov.core.testing import make_territory

    return make_territory()


@pytest.fixture
def staff_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="operator", password="Grid-test-2024!", full_name="测试操作员", is_staff=True
    )


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
