"""The staffing report page (网格力量配备, 第十一至十三条) for agency and zone staff.

The counting lives in :mod:`gridgov.orgs.staffing`; this view only picks the list and
the area and pages through it. For anyone without an agency or zone post the page does
not exist (404).
"""

from collections import defaultdict

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import NOTHING, subtree
from gridgov.areas.choices import AreaLevel
from gridgov.areas.models import Area
from gridgov.orgs import staffing
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Post
from gridgov.orgs.staffing import Gap

PAGE_SIZE = 50


class StaffingFilterForm(forms.Form):
    gap = forms.ChoiceField(
        label=_("缺配岗位"), required=False, choices=Gap.CHOICES, widget=forms.HiddenInput
    )
    within = forms.ChoiceField(
        label=_("范围"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        # The counties and towns of the viewer's area (about 75 for the city).
        codes = staffing.region_codes(user)
        areas = (
            Area.objects.restrict(user, "view")
            .filter(subtree("code", codes) if codes else NOTHING)
            .filter(level__in=(AreaLevel.COUNTY, AreaLevel.TOWN))
            .only("code", "name", "level")
            .order_by("code")
        )
        choices = [("", _("全部"))]
        for area in areas:
            indent = "\u3000" if area.level == AreaLevel.TOWN else ""
            choices.append((area.code, f"{indent}{area.name}"))
        self.fields["within"].choices = choices

    def value(self, name, default=""):
        """A valid choice, or the default (a stale link is not an error)."""
        self.is_valid()
        return self.cleaned_data.get(name) or default


def _chief_names(user, villages) -> dict[int, list[str]]:
    """The current 总网格长 of the villages on the page (for villages with several)."""
    ids = [v.pk for v in villages if v.chiefs > 1]
    names = defaultdict(list)
    if ids:
        chiefs = (
            Post.objects.restrict(user, "view")
            .current()
            .filter(role=Role.CHIEF, area_id__in=ids)
            .select_related("user")
            .order_by("user__username")
        )
        for post in chiefs:
            names[post.area_id].append(post.user.get_full_name())
    return names


@login_required
def staffing_report(request):
    if not staffing.may_view(request.user):
        raise Http404
    filters = StaffingFilterForm(request.GET, user=request.user)
    gap = filters.value("gap", Gap.VILLAGES)
    within = filters.value("within")
    summary = staffing.summary(request.user, within=within)
    rows = staffing.gaps(request.user, gap, within=within)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if gap == Gap.VILLAGES:
        names = _chief_names(request.user, page.object_list)
        for village in page.object_list:
            village.chief_names = names.get(village.pk, [])
    tabs = [
        {"gap": key, "label": label, "count": summary.count_of(key), "active": key == gap}
        for key, label in Gap.CHOICES
    ]
    context = {
        "filters": filters,
        "summary": summary,
        "gap": gap,
        "within": within,
        "tabs": tabs,
        "page": page,
    }
    return render(request, "orgs/staffing.html", context)
