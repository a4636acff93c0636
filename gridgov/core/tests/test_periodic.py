"""Periodic jobs: each due job runs once however many workers look."""

from datetime import timedelta

from django.utils import timezone

from gridgov.core import periodic
from gridgov.core.models import PeriodicRun


def test_a_job_is_claimed_once_per_interval(db):
    now = timezone.now()
    assert periodic.claim("job", 60, now)
    assert not periodic.claim("job", 60, now)  # a second worker at the same moment
    assert not periodic.claim("job", 60, now + timedelta(seconds=59))
    assert periodic.claim("job", 60, now + timedelta(seconds=61))
    assert PeriodicRun.objects.get(name="job").last_run_at == now + timedelta(seconds=61)


def test_due_jobs_are_enqueued_and_run(db, settings, django_user_model):
    settings.PERIODIC_JOBS = {
        "disable_inactive_accounts": {
            "task": "gridgov.accounts.tasks.disable_inactive_accounts",
            "every": 3600,
        }
    }
    stale = django_user_model.objects.create_user("stale", password="x")
    django_user_model.objects.filter(pk=stale.pk).update(
        last_login=timezone.now() - timedelta(days=120)
    )
    assert periodic.run_due() == ["disable_inactive_accounts"]
    stale.refresh_from_db()
    assert not stale.is_active
    assert periodic.run_due() == []  # not due again for an hour
