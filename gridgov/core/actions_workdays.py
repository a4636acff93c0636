"""Every change to the working-day settings (工作日设置), by the system administrator.

- :func:`do_set_override` — a regional holiday (壮族三月三), a 调休 working day, or a
  national day of a year the built-in calendar lacks;
- :func:`do_remove_override`;
- :func:`do_confirm_year` — "this year's holidays are fully entered" for a lacking year.

Each runs in one transaction, writes a ``config_changed`` audit row, and clears the
in-process calendar cache of :mod:`gridgov.core.workdays` at once and again on commit
(other processes see the change within ``CACHE_SECONDS``). ``actor=None`` is the system
itself (commands, demo data).
"""

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scope import has_role, rule
from gridgov.core import audit, workdays
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import Conflict, NotPermitted
from gridgov.core.models import CalendarYear, WorkdayKind, WorkdayOverride
from gridgov.orgs.choices import Role

AUDITED_FIELDS = ("day", "region", "kind", "name", "note")
REGION_CODE = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$")
# Provincial-level divisions (GB/T 2260), to name a 2-digit region.
PROVINCES = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}


# Who may see and change the settings (scope rules) ------------------------------------------


@rule("core.WorkdayOverride")
def _override_rule(post, action):
    # The calendar is not area data: anyone at work may read it; only the system
    # administrator changes it.
    if action == "view":
        return Q()
    if post.role == Role.SYSTEM_ADMIN and action in {"add", "change", "delete"}:
        return Q()
    return None


rule("core.CalendarYear")(_override_rule)


def may_manage(user) -> bool:
    return user is not None and user.is_authenticated and has_role(user, Role.SYSTEM_ADMIN)


def _require_admin(actor) -> None:
    if actor is not None and not may_manage(actor):
        raise NotPermitted(_("只有系统管理员可以修改工作日设置"))


# Regions ------------------------------------------------------------------------------------


def region_label(region: str) -> str:
    """全国, a province's name, or an area's name (with its code when unknown)."""
    from gridgov.areas.models import Area

    if not region:
        return _("全国")
    if len(region) == 2:
        return PROVINCES.get(region) or _("%(code)s 省级区划") % {"code": region}
    name = Area.objects.filter(code=region).values_list("name", flat=True).first()
    return name or region


def region_choices(extra=()) -> list[tuple[str, str]]:
    """全国, the provinces of the cities served, the cities and their counties, and any
    ``extra`` region already used by a setting."""
    from gridgov.areas.choices import AreaLevel
    from gridgov.areas.models import Area

    areas = list(
        Area.objects.filter(level__in=[AreaLevel.CITY, AreaLevel.COUNTY])
        .order_by("code")
        .values_list("code", "name", "level")
    )
    choices = [("", _("全国"))]
    for province in sorted({code[:2] for code, _name, _level in areas}):
        choices.append((province, region_label(province)))
    for code, name, level in areas:
        indent = "\u3000" if level == AreaLevel.COUNTY else ""
        choices.append((code, f"{indent}{name}（{code}）"))
    known = {code for code, _label in choices}
    for code in sorted(set(extra) - known):
        choices.append((code, f"{region_label(code)}（{code}）"))
    return choices


def region_error(region: str) -> str | None:
    """Why ``region`` cannot be used, or None: it must be "" (全国), an existing area's
    code, or the 2-digit province prefix of one."""
    from gridgov.areas.models import Area

    if region == "":
        return None
    if not REGION_CODE.match(region):
        return _("适用地区应为全国、省（2 位）或已有区划的代码")
    if len(region) == 2:
        if Area.objects.filter(code__startswith=region).exists():
            return None
        return _("系统中没有属于代码 %(code)s 的区划") % {"code": region}
    if Area.objects.filter(code=region).exists():
        return None
    return _("区划代码 %(code)s 不存在") % {"code": region}


def _clean_region(region, errors: dict) -> str:
    region = str(region or "").strip()
    message = region_error(region)
    if message:
        errors.setdefault("region", []).append(message)
    return region


def latest_day(today: date | None = None) -> date:
    """Settings may be entered up to five years ahead."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + 5)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 5, day=28)


# Cache ---------------------------------------------------------------------------------


def _changed() -> None:
    # At once, so the rest of this request (and this process's tests) sees the change;
    # and on commit, so a read by another thread during the transaction is forgotten.
    workdays.clear_cache()
    transaction.on_commit(workdays.clear_cache)


# Actions -------------------------------------------------------------------------------


@transaction.atomic
def do_set_override(
    day: date, region: str, kind: str, name: str, note: str = "", *, actor
) -> WorkdayOverride:
    """Make ``day`` a holiday or a working day in ``region`` ("" the whole country)."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        errors["day"] = [_("请填写日期")]
    elif day < date(workdays.FIRST_YEAR, 1, 1) or day > latest_day():
        errors["day"] = [
            _("日期应在 %(first)s 至 %(last)s 之间")
            % {"first": f"{workdays.FIRST_YEAR}-01-01", "last": latest_day().isoformat()}
        ]
    region = _clean_region(region, errors)
    if kind not in WorkdayKind.values:
        errors["kind"] = [_("请选择休息日或工作日（调休上班）")]
    name = str(name or "").strip()
    if not name:
        errors["name"] = [_("请填写名称，如“壮族三月三”或“国庆节调休”")]
    elif len(name) > 50:
        errors["name"] = [_("名称不超过 50 字")]
    note = str(note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("备注不超过 200 字")]
    if "day" not in errors and "region" not in errors:
        existing = WorkdayOverride.objects.filter(day=day, region=region).first()
        if existing is not None:
            errors["day"] = [_duplicate(existing)]
    if errors:
        raise ValidationError(errors)
    override = WorkdayOverride(
        day=day, region=region, kind=kind, name=name, note=note, created_by=actor
    )
    try:
        with transaction.atomic():
            override.save(force_insert=True)
    except IntegrityError:
        existing = WorkdayOverride.objects.filter(day=day, region=region).first()
        raise ValidationError(
            {"day": [_duplicate(existing) if existing else _("该地区的这一天已有设置")]}
        ) from None
    audit.record(
        AuditKind.CONFIG_CHANGED,
        actor=actor,
        target=override,
        after=audit.snapshot(override, fields=AUDITED_FIELDS),
    )
    _changed()
    return override


def _duplicate(existing: WorkdayOverride) -> str:
    return _("%(region)s 在 %(day)s 已有设置（%(name)s，%(kind)s），如需修改请先删除原设置") % {
        "region": region_label(existing.region),
        "day": existing.day.isoformat(),
        "name": existing.name,
        "kind": existing.get_kind_display(),
    }


@transaction.atomic
def do_remove_override(override: WorkdayOverride, *, actor) -> None:
    _require_admin(actor)
    locked = WorkdayOverride.objects.select_for_update().filter(pk=override.pk).first()
    if locked is None:
        raise Conflict(_("该设置已被删除"))
    before = audit.snapshot(locked, fields=AUDITED_FIELDS)
    audit.record(AuditKind.CONFIG_CHANGED, actor=actor, target=locked, before=before)
    locked.delete()
    _changed()


@transaction.atomic
def do_confirm_year(year: int, region: str, note: str = "", *, actor) -> CalendarYear:
    """State that ``year``'s holidays and 调休 for ``region`` are fully entered."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if isinstance(year, bool) or not isinstance(year, int):
        errors["year"] = [_("请填写年度")]
    elif not workdays.FIRST_YEAR <= year <= latest_day(today).year:
        errors["year"] = [
            _("年度应在 %(first)d 至 %(last)d 之间")
            % {"first": workdays.FIRST_YEAR, "last": latest_day(today).year}
        ]
    elif workdays.library_has(year):
        errors["year"] = [_("%(year)d 年的国家法定节假日和调休已内置，无需确认") % {"year": year}]
    region = _clean_region(region, errors)
    note = str(note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("备注不超过 200 字")]
    if not errors and CalendarYear.objects.filter(year=year, region=region).exists():
        errors["year"] = [
            _("%(region)s %(year)d 年已确认") % {"region": region_label(region), "year": year}
        ]
    if errors:
        raise ValidationError(errors)
    confirmation = CalendarYear(year=year, region=region, note=note, confirmed_by=actor)
    try:
        with transaction.atomic():
            confirmation.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(
            {
                "year": [
                    _("%(region)s %(year)d 年已确认")
                    % {"region": region_label(region), "year": year}
                ]
            }
        ) from None
    audit.record(
        AuditKind.CONFIG_CHANGED,
        actor=actor,
        target=confirmation,
        after={"year": year, "region": region, "note": note, "confirmed": True},
    )
    _changed()
    return confirmation
