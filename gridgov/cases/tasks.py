"""Background tasks of case handling (Django Tasks API)."""

from django_tasks import task


@task()
def sweep_cases() -> dict:
    """The deadline sweeper (periodic job, every minute; ``gridgov sweep`` does the same):
    colours, reminders, 缓办 expiry, unrated cases closed, overdue supervision orders.
    Returns the counts."""
    from gridgov.cases.sweep import sweep

    return sweep().as_dict()
