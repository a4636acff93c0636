"""The public matter list (第七、九条): what is in force on a date, and the notices.

Shared by the public pages and the public API; no login, no scope: the list is public.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from gridgov.matters.choices import WorkKind
from gridgov.matters.models import Matter, MatterNotice


def parse_day(value: str | None) -> date:
    """``?date=YYYY-MM-DD`` or today; a Chinese ValidationError otherwise."""
    if not value:
        return timezone.localdate()
    try:
        day = parse_date(value.strip())
    except ValueError:
        day = None
    if day is None:
        raise ValidationError({"date": [_("日期格式应为 YYYY-MM-DD，例如 2026-01-31")]})
    return day


def matters_on(
    day: date, *, work_kind: str = "", department: str = "", level: str = "", area: str = ""
):
    qs = Matter.objects.in_force(day).select_related("department", "area")
    if work_kind:
        qs = qs.filter(work_kind=work_kind)
    if department:
        qs = (
            qs.filter(department_id=department)
            if department.isdigit()
            else qs.filter(department__name=department)
        )
    if level:
        qs = qs.filter(level=level)
    if area:
        qs = qs.filter(area__code=area)
    return qs.order_by("code", "area__code")


def grouped(matters) -> list[tuple[str, list[Matter]]]:
    """The matters by work kind, in the order of 第十条."""
    by_kind: dict[str, list[Matter]] = {}
    for matter in matters:
        by_kind.setdefault(matter.work_kind, []).append(matter)
    return [(label, by_kind[value]) for value, label in WorkKind.choices if value in by_kind]


def notices():
    return MatterNotice.objects.select_related("area").order_by("-published_at", "-id")
