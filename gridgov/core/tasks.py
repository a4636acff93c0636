"""Background tasks of the core app (Django Tasks API)."""

from django_tasks import task


@task()
def purge_audit_log() -> int:
    """Remove audit rows past the retention period (oldest first); returns how many.

    Enqueue it daily (cron or a systemd timer running ``gridgov audit purge`` does the
    same without the worker).
    """
    from gridgov.core import audit

    return audit.purge()
