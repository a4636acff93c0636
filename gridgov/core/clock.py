"""The time actions see: ``timezone.now()`` unless a caller set it back on purpose.

Only the demo generator does that (``with clock.at(moment): ...``), so that cases spread
over the past year go through the same actions as today's. Audit rows keep the real time
of writing.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_fixed: ContextVar[datetime | None] = ContextVar("gridgov_clock", default=None)


def now() -> datetime:
    return _fixed.get() or timezone.now()


def today():
    return timezone.localdate(now())


@contextmanager
def at(moment: datetime):
    token = _fixed.set(moment)
    try:
        yield
    finally:
        _fixed.reset(token)
