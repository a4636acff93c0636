from django_tasks import task


@task()
def retire_expired_temporary_matters() -> int:
    """Announce the end of temporary matters whose period ran out (daily)."""
    from gridgov.matters.actions import retire_expired_temporary

    return retire_expired_temporary()
