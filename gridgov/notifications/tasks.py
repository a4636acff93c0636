"""Background tasks of the notifications app (Django Tasks API)."""

from django_tasks import task


@task()
def deliver_sms(message_id: int) -> str:
    """One attempt at sending an SMS of the outbox (enqueued after the commit)."""
    from gridgov.notifications.delivery import deliver

    return deliver(message_id)


@task()
def retry_sms() -> int:
    """Hand due SMS retries to the workers again (periodic job, every minute)."""
    from gridgov.notifications.delivery import retry_due

    return retry_due()
