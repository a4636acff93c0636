"""`gridgov sweep [--now 2026-11-26T09:00]`: one pass of the deadline sweeper.

The worker runs the same sweep every minute (periodic job ``sweep_cases``); this command
is for cron-only deployments and for operators checking what is due. It may run on
several machines at once: each colour change, reminder and closing happens once.
``--now`` sweeps as if it were that moment (for trying deadlines out; it acts on the
real data, so use it on a test copy).
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.sweep import sweep


def parse_moment(value: str) -> datetime:
    """An ISO date-time ("2026-11-26T09:00", "2026-11-26 09:00+08:00", "2026-11-26");
    without an offset it is local time (TIME_ZONE)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            _("--now 的时间格式不正确：%(value)s（示例：2026-11-26T09:00）") % {"value": value}
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "扫描办理期限：临期、超期提醒，缓办到期恢复，逾期未评价自动结案，督办单逾期提醒"

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            metavar="ISO时间",
            help="按此时间扫描（如 2026-11-26T09:00，缺省时区为本地时间），用于测试期限",
        )

    def handle(self, *args, now=None, verbosity=1, **options):
        moment = parse_moment(now) if now else None
        result = sweep(now=moment)
        if verbosity >= 2:
            shown = timezone.localtime(moment or timezone.now())
            self.stdout.write(_("扫描时间：%(t)s") % {"t": f"{shown:%Y-%m-%d %H:%M}"})
        self.stdout.write(result.summary())
