import pytest
from django.utils import timezone

from gridgov.notifications.sms import LogBackend

PASSWORD = "Notice-test-2025!"


@pytest.fixture
def make_user(django_user_model):
    def make(username, *, phone="", active=True, full_name=""):
        return django_user_model.objects.create_user(
            username=username,
            password=PASSWORD,
            full_name=full_name or username,
            phone=phone,
            is_active=active,
            password_changed_at=timezone.now(),
        )

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice", phone="138 0013 8000", full_name="王小丽")


@pytest.fixture
def bob(make_user):
    return make_user("bob", phone="13900139000", full_name="李大伟")


@pytest.fixture(autouse=True)
def outbox():
    """The messages the log backend "sent" during the test."""
    LogBackend.outbox.clear()
    yield LogBackend.outbox
    LogBackend.outbox.clear()
