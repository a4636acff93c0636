"""The working-day settings page (工作日设置), for the system administrator only.

Everybody else gets 404, as for a page that does not exist (the scope rule of
``core.WorkdayOverride`` gives "change" to the system administrator alone). Every change
goes through :mod:`gridgov.core.actions_workdays`; a refusal comes back as form errors
and changes nothing.
"""

import calendar
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.views_admin import scoped
from gridgov.core import actions_workdays as actions
from gridgov.core import workdays
from gridgov.core.exceptions import ActionError
from gridgov.core.forms_workdays import CalendarFilterForm, ConfirmYearForm, OverrideForm
from gridgov.core.models import CalendarYear, WorkdayOverride

WEEKDAY_NAMES = ("一", "二", "三", "四", "五", "六", "日")


def _months(year: int, region: str) -> list[dict]:
    days = {info.day: info for info in workdays.year_days(year, region)}
    months = []
    for month in range(1, 13):
        weeks = [
            [days[day] if day.month == month else None for day in week]
            for week in calendar.Calendar().monthdatescalendar(year, month)
        ]
        special = [info for info in days.values() if info.day.month == month and info.is_special]
        months.append({"number": month, "weeks": weeks, "special": special})
    return months


def _default_region() -> str:
    regions = workdays.deployment_regions()
    return regions[0] if len(regions) == 1 else ""


def _settings_url(year: int, region: str | None = None) -> str:
    query = {"year": year}
    if region is not None:
        query["region"] = region
    return f"{reverse('workdays')}?{urlencode(query)}"


def _page(request, *, year=None, override_form=None, confirm_form=None, status=200):
    overrides_qs = scoped(request.user, WorkdayOverride, "change")
    used = set(overrides_qs.order_by().values_list("region", flat=True).distinct())
    regions = actions.region_choices(extra=used)
    filters = CalendarFilterForm(request.GET or None, regions=regions)
    if year is None or not 2004 <= year <= 2100:
        year = filters.year_or_default()
    region = request.GET.get("region")
    if region is None or (filters.is_bound and "region" in filters.errors):
        region = _default_region()
    labels = dict(regions)
    overrides = list(
        overrides_qs.filter(day__year=year).select_related("created_by").order_by("day", "region")
    )
    for override in overrides:
        override.region_label = labels.get(override.region, override.region).strip()
    confirmations = list(
        CalendarYear.objects.restrict(request.user, "view")
        .filter(year=year)
        .select_related("confirmed_by")
    )
    for confirmation in confirmations:
        confirmation.region_label = labels.get(confirmation.region, confirmation.region).strip()
    today = timezone.localdate()
    first_day = today if year == today.year else date(year, 1, 1)
    context = {
        "year": year,
        "region": region,
        "region_label": labels.get(region, region).strip(),
        "filters": filters,
        "months": _months(year, region),
        "weekday_names": WEEKDAY_NAMES,
        "overrides": overrides,
        "confirmations": confirmations,
        "lacking": not workdays.library_has(year),
        "library_years": (workdays.LIBRARY_FIRST_YEAR, workdays.LIBRARY_LAST_YEAR),
        "warnings": workdays.calendar_warnings(),
        "override_form": override_form or OverrideForm(regions=regions, initial={"day": first_day}),
        "confirm_form": confirm_form
        or ConfirmYearForm(regions=regions, initial={"year": year, "region": ""}),
        "previous_year": year - 1,
        "next_year": year + 1,
    }
    return render(request, "core/workdays.html", context, status=status)


@login_required
def settings_page(request):
    return _page(request)


@login_required
@require_POST
def override_add(request):
    scoped(request.user, WorkdayOverride, "add")
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            override = actions.do_set_override(**form.action_kwargs(), actor=request.user)
        except ValidationError as exc:
            _attach(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已将 %(region)s %(day)s 设为%(kind)s（%(name)s）")
                % {
                    "region": actions.region_label(override.region),
                    "day": override.day.isoformat(),
                    "kind": override.get_kind_display(),
                    "name": override.name,
                },
            )
            return redirect(_settings_url(override.day.year, request.GET.get("region")))
    year = form.cleaned_data["day"].year if "day" in getattr(form, "cleaned_data", {}) else None
    return _page(request, year=year, override_form=form, status=400)


@login_required
@require_POST
def override_remove(request, pk: int):
    override = get_object_or_404(scoped(request.user, WorkdayOverride, "delete"), pk=pk)
    try:
        actions.do_remove_override(override, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已删除 %(region)s %(day)s 的设置（%(name)s）")
            % {
                "region": actions.region_label(override.region),
                "day": override.day.isoformat(),
                "name": override.name,
            },
        )
    return redirect(_settings_url(override.day.year, request.GET.get("region")))


@login_required
@require_POST
def year_confirm(request):
    scoped(request.user, CalendarYear, "add")
    form = ConfirmYearForm(request.POST)
    if form.is_valid():
        try:
            confirmation = actions.do_confirm_year(**form.action_kwargs(), actor=request.user)
        except ValidationError as exc:
            _attach(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已确认 %(region)s %(year)d 年的节假日和调休已录入")
                % {
                    "region": actions.region_label(confirmation.region),
                    "year": confirmation.year,
                },
            )
            return redirect(_settings_url(confirmation.year, request.GET.get("region")))
    year = form.cleaned_data.get("year") if hasattr(form, "cleaned_data") else None
    return _page(request, year=year, confirm_form=form, status=400)


def _attach(form, exc: ValidationError) -> None:
    """An action's field errors on the form's fields (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages_ in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)
