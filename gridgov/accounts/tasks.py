from django_tasks import task


@task()
def disable_inactive_accounts() -> int:
    """Disable accounts unused for ACCOUNT_INACTIVE_DAYS (90 by default)."""
    from gridgov.accounts.actions import disable_inactive_accounts as disable

    return disable()
