"""Periodic jobs for the worker: due jobs are enqueued as Django tasks.

Jobs are configuration (``settings.PERIODIC_JOBS``: name → task path and interval in
seconds). Any number of workers may run the scheduler: a job is claimed by moving its
``next_run_at`` forward with a conditional UPDATE, which only one of them wins.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from gridgov.core.models import PeriodicRun

log = logging.getLogger(__name__)


def claim(name: str, every: int, now=None) -> bool:
    """True if this process won the right to run ``name`` now."""
    now = now or timezone.now()
    PeriodicRun.objects.get_or_create(name=name, defaults={"next_run_at": now})
    won = PeriodicRun.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + timedelta(seconds=every), last_run_at=now
    )
    return won == 1


def run_due(now=None) -> list[str]:
    """Enqueue every job that is due; returns their names."""
    started = []
    for name, job in settings.PERIODIC_JOBS.items():
        if claim(name, int(job["every"]), now):
            import_string(job["task"]).enqueue()
            started.append(name)
            log.info("periodic job enqueued", extra={"job": name})
    return started


class Scheduler(threading.Thread):
    """Checks for due jobs every ``interval`` seconds until stopped."""

    def __init__(self, interval: float = 30.0):
        super().__init__(name="gridgov-scheduler", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                run_due()
            except Exception:  # a bad job must not stop the others or the worker
                log.exception("periodic scheduler failed")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self):
        self.stopped.set()
