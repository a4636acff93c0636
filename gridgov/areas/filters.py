"""Filters for the grid and adjustment lists.

The filters narrow a queryset that has already been restricted to the user's scope; the
choices they offer come from the same restricted querysets, so a user is never offered
an area they cannot see.
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.areas.choices import AdjustmentStatus, AreaLevel, GridKind, GridStatus
from gridgov.areas.models import Area


def _select(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"}), **kwargs
    )


class GridFilterForm(forms.Form):
    county = _select(label=_("县（区）"))
    town = _select(label=_("镇（街道）"))
    village = _select(label=_("村（社区）"))
    kind = _select(label=_("网格类别"), choices=[("", _("全部类别")), *GridKind.choices])
    status = _select(label=_("状态"), choices=[("", _("全部状态")), *GridStatus.choices])
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("网格编码或名称")}
        ),
    )

    def __init__(self, data, *, user):
        data = data.copy()
        # Active grids are what people look for; "全部状态" sends an empty value explicitly.
        data.setdefault("status", GridStatus.ACTIVE)
        # A town left over from another county (the form re-submits on change) is dropped
        # rather than reported as an error.
        county, town = data.get("county", ""), data.get("town", "")
        if town and county and not town.startswith(county):
            data["town"] = town = ""
        village = data.get("village", "")
        if village and not (town and village.startswith(town)):
            data["village"] = ""
        super().__init__(data)

        areas = Area.objects.restrict(user, "view").only("code", "name")
        self.fields["county"].choices = self._choices(
            areas.filter(level=AreaLevel.COUNTY), _("全部县（区）")
        )
        towns = areas.filter(level=AreaLevel.TOWN)
        if county:
            towns = towns.filter(code__startswith=county)
        self.fields["town"].choices = self._choices(towns, _("全部镇（街道）"))
        # Villages only once a town is chosen: a city has about a thousand of them.
        villages = areas.filter(level=AreaLevel.VILLAGE, code__startswith=town) if town else []
        self.fields["village"].choices = self._choices(villages, _("全部村（社区）"))

    @staticmethod
    def _choices(areas, empty_label):
        return [("", empty_label), *((a.code, a.name) for a in areas)]

    def filter(self, queryset):
        """Apply the valid filters to an already restricted grid queryset."""
        self.is_valid()  # an invalid field is simply not applied
        data = self.cleaned_data
        # The deepest chosen area wins; grid codes extend area codes.
        area = data.get("village") or data.get("town") or data.get("county")
        if area:
            queryset = queryset.filter(code__startswith=area)
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        text = (data.get("q") or "").strip()
        if text:
            queryset = queryset.filter(Q(code__startswith=text) | Q(name__icontains=text))
        return queryset


class AdjustmentFilterForm(forms.Form):
    status = _select(label=_("状态"), choices=[("", _("全部状态")), *AdjustmentStatus.choices])
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("调整编号或镇（街道）"),
            }
        ),
    )

    def filter(self, queryset):
        self.is_valid()
        data = self.cleaned_data
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        text = (data.get("q") or "").strip()
        if text:
            queryset = queryset.filter(
                Q(number__icontains=text) | Q(town__name__icontains=text) | Q(town__code=text)
            )
        return queryset
