"""Working days (工作日): deadlines counted as the regulation counts them (第十七条).

Whether a day is a working day, for a place given as an area code (``region``):

1. an override entered by the system administrator (:class:`WorkdayOverride`) for the
   longest region code that is a prefix of ``region`` ("" — the whole country — last);
2. the national calendar of the ``chinesecalendar`` package (法定节假日 and 调休);
3. for a year that package lacks: Monday to Friday are working days (按周末推定).

The overrides are read from the database at most once per :data:`CACHE_SECONDS` per
process and kept in memory, so the functions here are cheap enough to call on every
case submission. The actions in :mod:`gridgov.core.actions_workdays` clear the cache
at once (and again when their transaction commits).

A year the package lacks is reported by :func:`missing_years` and
:func:`calendar_warnings` until the administrator has entered its days and confirmed it
(:class:`CalendarYear`).
"""

import logging
import threading
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30.0
# add_workdays never looks further than this many calendar days beyond ``days``.
SCAN_MARGIN_DAYS = 370
MAX_WORKDAYS = 1000
# The first year an override may be entered for (the package starts there too).
FIRST_YEAR = 2004
# How far ahead a lacking year met by a calculation is still worth a warning.
WARN_YEARS_AHEAD = 5

_HOLIDAYS: dict = chinese_calendar.holidays
_WORKDAYS: dict = chinese_calendar.workdays
LIBRARY_FIRST_YEAR = min(_HOLIDAYS).year
LIBRARY_LAST_YEAR = max(_HOLIDAYS).year
_CHINESE_NAMES = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}

NATIONAL, OVERRIDE, WEEKDAY = "national", "override", "weekday"
SOURCE_LABELS = {
    NATIONAL: gettext_lazy("国家日历"),
    OVERRIDE: gettext_lazy("本地设置"),
    WEEKDAY: gettext_lazy("按周末推定"),
}


@dataclass(frozen=True)
class DayInfo:
    day: date
    workday: bool
    source: str  # NATIONAL, OVERRIDE or WEEKDAY
    name: str = ""
    region: str | None = None  # the override's region, when source is OVERRIDE

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def is_special(self) -> bool:
        """Differs from the plain weekday rule, or has a name or an override."""
        return self.workday == self.is_weekend or bool(self.name) or self.source == OVERRIDE


@dataclass(frozen=True)
class _Calendar:
    overrides: dict  # date -> {region: (workday, name)}
    confirmed: dict  # year -> frozenset of regions
    loaded_at: float


_state: _Calendar | None = None
_lock = threading.Lock()
# Lacking years that a calculation had to count by the weekday rule (this process).
_fallback_years: set[int] = set()


# The in-process cache -------------------------------------------------------------------


def clear_cache() -> None:
    """Forget the overrides; the next call reads them again."""
    global _state
    _state = None


def reset() -> None:
    """Forget the overrides and the lacking years met so far (between tests)."""
    clear_cache()
    _fallback_years.clear()


def _fresh(state: _Calendar | None) -> bool:
    return state is not None and clock.monotonic() - state.loaded_at < CACHE_SECONDS


def _calendar() -> _Calendar:
    state = _state
    if _fresh(state):
        return state
    return _reload()


def _reload() -> _Calendar:
    global _state
    with _lock:
        previous = _state
        if _fresh(previous):
            return previous
        try:
            overrides, confirmed = _load()
        except Exception:
            # Never let a deadline fail over the calendar: keep what we had (or the
            # national calendar alone) and try again after CACHE_SECONDS.
            logger.exception("workday overrides could not be read; using the previous ones")
            overrides = previous.overrides if previous else {}
            confirmed = previous.confirmed if previous else {}
        _state = _Calendar(overrides, confirmed, clock.monotonic())
        return _state


def _load() -> tuple[dict, dict]:
    from django.db import transaction

    from gridgov.core.models import CalendarYear, WorkdayKind, WorkdayOverride

    # A savepoint, so that a failed read leaves the caller's transaction usable.
    with transaction.atomic():
        rows = list(WorkdayOverride.objects.values_list("day", "region", "kind", "name"))
        years = list(CalendarYear.objects.values_list("year", "region"))
    overrides: dict = {}
    for day, region, kind, name in rows:
        overrides.setdefault(day, {})[region] = (kind == WorkdayKind.WORKDAY, name)
    confirmed: dict = {}
    for year, region in years:
        confirmed.setdefault(year, set()).add(region)
    return overrides, {year: frozenset(regions) for year, regions in confirmed.items()}


# Days ----------------------------------------------------------------------------------


def library_has(year: int) -> bool:
    """Whether the built-in national calendar covers ``year``."""
    return LIBRARY_FIRST_YEAR <= year <= LIBRARY_LAST_YEAR


def _local_date(value) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.get_default_timezone())
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def _status(day: date, region: str, cal: _Calendar, record: bool) -> DayInfo:
    by_region = cal.overrides.get(day)
    if by_region:
        best = None
        for prefix in by_region:
            if region.startswith(prefix) and (best is None or len(prefix) > len(best)):
                best = prefix
        if best is not None:
            workday, name = by_region[best]
            return DayInfo(day, workday, OVERRIDE, name, best)
    if LIBRARY_FIRST_YEAR <= day.year <= LIBRARY_LAST_YEAR:
        name = _WORKDAYS.get(day)
        if name is not None:
            return DayInfo(day, True, NATIONAL, _CHINESE_NAMES.get(name, name))
        name = _HOLIDAYS.get(day)
        if name is not None:
            return DayInfo(day, False, NATIONAL, _CHINESE_NAMES.get(name, name))
        return DayInfo(day, day.weekday() < 5, NATIONAL)
    if record:
        _fallback_years.add(day.year)
    return DayInfo(day, day.weekday() < 5, WEEKDAY)


def _is_workday(day: date, region: str, cal: _Calendar) -> bool:
    # The hot path of add_workdays: _status without building a DayInfo.
    by_region = cal.overrides.get(day)
    if by_region:
        best = None
        for prefix in by_region:
            if region.startswith(prefix) and (best is None or len(prefix) > len(best)):
                best = prefix
        if best is not None:
            return by_region[best][0]
    if LIBRARY_FIRST_YEAR <= day.year <= LIBRARY_LAST_YEAR:
        if day in _WORKDAYS:
            return True
        return day.weekday() < 5 and day not in _HOLIDAYS
    _fallback_years.add(day.year)
    return day.weekday() < 5


def is_workday(day: date, region: str = "") -> bool:
    """Whether ``day`` is a working day in ``region`` (an area or grid code; "" national)."""
    return _is_workday(_local_date(day), region or "", _calendar())


def day_info(day: date, region: str = "") -> DayInfo:
    """What :func:`is_workday` decides, with its source and the day's name (for pages)."""
    return _status(_local_date(day), region or "", _calendar(), record=False)


def year_days(year: int, region: str = "") -> list[DayInfo]:
    """Every day of ``year`` for ``region`` (for the settings page and the API)."""
    cal = _calendar()
    day = date(year, 1, 1)
    days = []
    while day.year == year:
        days.append(_status(day, region or "", cal, record=False))
        day += timedelta(days=1)
    return days


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in the system's time zone (TIME_ZONE), aware."""
    return datetime.combine(day, time.max, tzinfo=timezone.get_default_timezone())


def add_workdays(start: datetime, days: int, region: str = "") -> datetime:
    """The deadline of ``days`` working days from ``start``: the end of the ``days``-th
    working day after the local date of ``start`` (the day of ``start`` itself never
    counts, whether or not it is a working day)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_WORKDAYS:
        raise ValueError(f"days must be an integer from 1 to {MAX_WORKDAYS}, got {days!r}")
    cal = _calendar()
    region = region or ""
    day = _local_date(start)
    counted = 0
    for _step in range(days * 2 + SCAN_MARGIN_DAYS):
        day += timedelta(days=1)
        if _is_workday(day, region, cal):
            counted += 1
            if counted == days:
                return end_of_day(day)
    logger.error(
        "no %d working days within %d days after %s in region %r; check the overrides",
        days,
        days * 2 + SCAN_MARGIN_DAYS,
        start,
        region,
    )
    return end_of_day(day)


def workdays_between(start: date, end: date, region: str = "") -> int:
    """The number of working days in (start, end]: 0 when ``end`` is not after ``start``."""
    cal = _calendar()
    region = region or ""
    day, last = _local_date(start), _local_date(end)
    count = 0
    while day < last:
        day += timedelta(days=1)
        count += _is_workday(day, region, cal)
    return count


# Years the national calendar lacks ---------------------------------------------------------


def is_confirmed(year: int, region: str = "") -> bool:
    """Whether the administrator confirmed ``year`` for ``region`` or a region above it."""
    regions = _calendar().confirmed.get(year, ())
    region = region or ""
    return any(region.startswith(prefix) for prefix in regions)


def missing_years(region: str = "", today: date | None = None) -> list[int]:
    """Years that deadlines are being counted for by the weekday rule, unconfirmed:
    this year and next year when the package lacks them, and any later lacking year a
    calculation of this process reached."""
    today = today or timezone.localdate()
    candidates = {today.year, today.year + 1}
    candidates |= {
        year for year in set(_fallback_years) if today.year <= year <= today.year + WARN_YEARS_AHEAD
    }
    return sorted(
        year for year in candidates if not library_has(year) and not is_confirmed(year, region)
    )


def deployment_regions() -> list[str]:
    """The cities this system serves (its top-level areas); [""] before any is loaded."""
    from gridgov.areas.choices import AreaLevel
    from gridgov.areas.models import Area

    codes = list(Area.objects.filter(level=AreaLevel.CITY).values_list("code", flat=True))
    return sorted(codes) or [""]


def warning_years(today: date | None = None, region: str | None = None) -> list[int]:
    """The years :func:`calendar_warnings` speaks of, for ``region`` (default: any city
    the system serves)."""
    regions = deployment_regions() if region is None else [region]
    return sorted({year for code in regions for year in missing_years(code, today)})


def warning_text(year: int) -> str:
    return _(
        "%(year)s 年的法定节假日和调休尚未配置：系统暂按周一至周五为工作日计算期限，"
        "请在「工作日设置」中录入并确认。"
    ) % {"year": year}


def calendar_warnings(today: date | None = None, region: str | None = None) -> list[str]:
    """Sentences for the dashboard: one for each year still counted by the weekday rule
    for ``region`` (default: any city the system serves)."""
    return [warning_text(year) for year in warning_years(today, region)]
