"""Working-day API (``/api/workdays``): the calendar and deadlines for anyone signed in;
the settings (overrides, year confirmations) changed by the system administrator only —
for anyone else the write endpoints answer 404 like missing ones. Changes go through
:mod:`gridgov.core.actions_workdays`; refusals are field errors in Chinese (422)."""

import re
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Field, Router, Schema, Status

from gridgov.accounts.views_admin import scoped
from gridgov.areas.api import ErrorOut
from gridgov.core import actions_workdays as actions
from gridgov.core import workdays
from gridgov.core.models import CalendarYear, WorkdayOverride

router = Router()

REFUSALS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# A place as an area or grid code (prefixes allowed), "" for the whole country.
PLACE = re.compile(r"^\d{0,15}$")


# Schemas -------------------------------------------------------------------------------


class DayOut(Schema):
    date: date
    workday: bool
    source: str = Field(description="national 国家日历、override 本地设置、weekday 按周末推定")
    source_label: str
    name: str = Field(description="节假日或设置的名称，普通日期为空")
    override_region: str | None = Field(None, description="所用本地设置的地区（区划代码前缀）")


class CalendarOut(Schema):
    year: int
    region: str
    library_has_year: bool = Field(description="内置国家日历是否包含该年度")
    confirmed: bool = Field(description="管理员是否已确认该年度（对该地区）节假日已录入")
    days: list[DayOut]


class DeadlineOut(Schema):
    start: datetime
    days: int
    region: str
    deadline: datetime = Field(description="第 days 个工作日结束时（本地时区 23:59:59.999）")


class OverrideIn(Schema):
    day: str = Field(..., description="日期，如 2027-01-01")
    region: str = Field("", description="区划代码前缀；空为全国，如 45 广西、4507 钦州市")
    kind: str = Field(..., description="holiday 休息日，workday 工作日（调休上班）")
    name: str = Field(..., description="名称，如 壮族三月三")
    note: str = ""


class OverrideOut(Schema):
    id: int
    day: date
    region: str
    region_label: str
    kind: str
    kind_label: str
    name: str
    note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_region_label(obj):
        return actions.region_label(obj.region)

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())


class YearIn(Schema):
    year: int | str = Field(..., description="年度，如 2027")
    region: str = Field("", description="区划代码前缀；空为全国")
    note: str = ""


class YearOut(Schema):
    year: int
    region: str
    region_label: str
    confirmed_at: datetime
    note: str

    @staticmethod
    def resolve_region_label(obj):
        return actions.region_label(obj.region)


class WarningsOut(Schema):
    years: list[int]
    warnings: list[str]


# Input parsing (Chinese field errors) ------------------------------------------------------


def _place(region: str, field: str = "region") -> str:
    region = (region or "").strip()
    if not PLACE.match(region):
        raise ValidationError({field: ["地区应为区划或网格代码（数字），空为全国"]})
    return region


def _year(value, field: str = "year") -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: ["请填写年度，如 2027"]}) from None
    if not 1900 <= year <= 2100:
        raise ValidationError({field: ["年度应在 1900 至 2100 之间"]})
    return year


def _day(value: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({"day": ["请填写有效日期，如 2027-01-01"]}) from None


def _moment(text: str) -> datetime | None:
    """An ISO date-time (or a date: its midnight), local time when no offset is given."""
    text = text.strip()
    try:
        moment = parse_datetime(text) or datetime.combine(date.fromisoformat(text), time.min)
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# Reading ---------------------------------------------------------------------------------


@router.get(
    "/calendar",
    response={200: CalendarOut, 422: ErrorOut},
    summary="某年度每天是否为工作日及其依据",
    operation_id="workday_calendar",
)
def calendar(request, year: str = "", region: str = ""):
    year_value = _year(year) if year else timezone.localdate().year
    region = _place(region)
    days = [
        {
            "date": info.day,
            "workday": info.workday,
            "source": info.source,
            "source_label": info.source_label,
            "name": info.name,
            "override_region": info.region,
        }
        for info in workdays.year_days(year_value, region)
    ]
    return {
        "year": year_value,
        "region": region,
        "library_has_year": workdays.library_has(year_value),
        "confirmed": workdays.is_confirmed(year_value, region),
        "days": days,
    }


@router.get(
    "/add",
    response={200: DeadlineOut, 422: ErrorOut},
    summary="办理期限：自 start 所在日期的次日起第 days 个工作日结束时",
    operation_id="workday_deadline",
)
def add(request, start: str, days: str = "5", region: str = ""):
    errors = {}
    moment = _moment(start)
    if moment is None:
        errors["start"] = ["请填写有效的开始时间，如 2026-09-30T18:00:00+08:00"]
    try:
        count = int(days)
    except ValueError:
        count = 0
    if not 1 <= count <= workdays.MAX_WORKDAYS:
        errors["days"] = [f"工作日数应为 1 至 {workdays.MAX_WORKDAYS} 的整数"]
    try:
        region = _place(region)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    deadline = workdays.add_workdays(moment, count, region)
    return {"start": moment, "days": count, "region": region, "deadline": deadline}


@router.get(
    "/warnings",
    response={200: WarningsOut, 422: ErrorOut},
    summary="尚未配置节假日的年度（按周一至周五推定）",
    operation_id="workday_warnings",
)
def warnings(request, region: str | None = None):
    region = _place(region) if region is not None else None
    years = workdays.warning_years(region=region)
    return {"years": years, "warnings": [workdays.warning_text(year) for year in years]}


@router.get(
    "/overrides",
    response={200: list[OverrideOut], 422: ErrorOut},
    summary="本地设置（地区性节假日、调休上班日、内置日历缺少年度的节假日）",
    operation_id="list_workday_overrides",
)
def list_overrides(request, year: str = "", region: str | None = None):
    qs = WorkdayOverride.objects.restrict(request.user, "view")
    if year:
        qs = qs.filter(day__year=_year(year))
    if region is not None:
        qs = qs.filter(region=_place(region))
    return qs.order_by("day", "region")


# Changes (system administrator) ------------------------------------------------------------


@router.post(
    "/overrides",
    response={201: OverrideOut, **REFUSALS},
    summary="新增本地设置（系统管理员）",
    operation_id="add_workday_override",
)
def add_override(request, payload: OverrideIn):
    scoped(request.user, WorkdayOverride, "add")
    override = actions.do_set_override(
        _day(payload.day),
        payload.region,
        payload.kind,
        payload.name,
        payload.note,
        actor=request.user,
    )
    return Status(201, override)


@router.delete(
    "/overrides/{override_id}",
    response={204: None, **REFUSALS},
    summary="删除本地设置（系统管理员）",
    operation_id="remove_workday_override",
)
def remove_override(request, override_id: int):
    override = get_object_or_404(scoped(request.user, WorkdayOverride, "delete"), pk=override_id)
    actions.do_remove_override(override, actor=request.user)
    return Status(204, None)


@router.post(
    "/years",
    response={201: YearOut, **REFUSALS},
    summary="确认某年度（某地区）节假日和调休已录入（系统管理员）",
    operation_id="confirm_workday_year",
)
def confirm_year(request, payload: YearIn):
    scoped(request.user, CalendarYear, "add")
    confirmation = actions.do_confirm_year(
        _year(payload.year), payload.region, payload.note, actor=request.user
    )
    return Status(201, confirmation)
