"""The audit search page (审计日志查询), for the audit administrator only.

Rows come from ``AuditEvent.objects.restrict(user, "view")``: for everybody else the page
does not exist (404). The same filters serve the API (``/api/audit/events``).
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import scope_filter
from gridgov.accounts.views_admin import scoped
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent

PAGE_SIZE = 50


def may_search(user) -> bool:
    return scope_filter(user, AuditEvent, "view") is not None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_events(
    qs,
    *,
    kind: str = "",
    actor: str = "",
    target: str = "",
    since: date | None = None,
    until: date | None = None,
    text: str = "",
):
    """Filter restricted audit events, newest first.

    ``actor`` is an account name (exact); ``target`` an object's code or part of its
    description; ``since``/``until`` whole local days (both included); ``text`` a request
    id (exact) or part of an object, its code or a stated purpose.
    """
    qs = audit.search(
        qs,
        kind=kind or None,
        actor=actor.strip() or None,
        since=_start_of(since) if since else None,
        until=_start_of(until + timedelta(days=1)) if until else None,
    )
    target = target.strip()
    if target:
        qs = qs.filter(Q(target_id=target) | Q(target_repr__icontains=target))
    text = text.strip()
    if text:
        qs = qs.filter(
            Q(request_id__iexact=text)
            | Q(target_id__icontains=text)
            | Q(target_repr__icontains=text)
            | Q(purpose__icontains=text)
        )
    return qs


def _input(**attrs):
    return forms.TextInput(attrs={"class": "form-control form-control-sm", **attrs})


def _date():
    return forms.DateInput(attrs={"class": "form-control form-control-sm", "type": "date"})


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        required=False,
        choices=[("", _("全部类型")), *AuditKind.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    actor = forms.CharField(
        label=_("操作人账号"),
        required=False,
        max_length=150,
        widget=_input(autocapitalize="none"),
    )
    target = forms.CharField(
        label=_("对象"),
        required=False,
        max_length=100,
        widget=_input(placeholder=_("编码、账号或名称")),
    )
    since = forms.DateField(label=_("起始日期"), required=False, widget=_date())
    until = forms.DateField(label=_("截止日期"), required=False, widget=_date())
    q = forms.CharField(
        label=_("请求编号或关键词"),
        required=False,
        max_length=100,
        widget=_input(type="search"),
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("截止日期不能早于起始日期"))
        return data

    def filter(self, qs):
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        return search_events(
            qs,
            kind=data["kind"],
            actor=data["actor"],
            target=data["target"],
            since=data["since"],
            until=data["until"],
            text=data["q"],
        )


@login_required
def audit_search(request):
    events = scoped(request.user, AuditEvent, "view")
    filters = AuditFilterForm(request.GET)
    page = Paginator(filters.filter(events), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/audit_search.html", {"filters": filters, "page": page})
