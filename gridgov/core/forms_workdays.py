"""Forms of the working-day settings page. The actions validate again (and say why in
Chinese); these forms only turn the posted text into values."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.actions_workdays import region_choices
from gridgov.core.models import WorkdayKind


def _select():
    return forms.Select(attrs={"class": "form-select"})


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class OverrideForm(forms.Form):
    day = forms.DateField(
        label=_("日期"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写日期"), "invalid": _("请填写有效日期")},
    )
    region = forms.ChoiceField(
        label=_("适用地区"),
        required=False,
        widget=_select(),
        error_messages={"invalid_choice": _("请选择适用地区")},
    )
    kind = forms.ChoiceField(
        label=_("类别"),
        choices=WorkdayKind.choices,
        widget=_select(),
        error_messages={"required": _("请选择类别"), "invalid_choice": _("请选择类别")},
    )
    name = forms.CharField(
        label=_("名称"),
        max_length=50,
        widget=_text(placeholder=_("如：壮族三月三、国庆节调休")),
        error_messages={"required": _("请填写名称")},
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False, widget=_text())

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions if regions is not None else region_choices()

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "day": data["day"],
            "region": data["region"],
            "kind": data["kind"],
            "name": data["name"],
            "note": data["note"],
        }


class ConfirmYearForm(forms.Form):
    year = forms.IntegerField(
        label=_("年度"),
        widget=forms.HiddenInput,
        error_messages={"required": _("请填写年度"), "invalid": _("请填写年度")},
    )
    region = forms.ChoiceField(
        label=_("适用地区"),
        required=False,
        widget=_select(),
        error_messages={"invalid_choice": _("请选择适用地区")},
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=200,
        required=False,
        widget=_text(placeholder=_("如：依据国务院办公厅通知录入")),
    )

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions if regions is not None else region_choices()

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"year": data["year"], "region": data["region"], "note": data["note"]}


class CalendarFilterForm(forms.Form):
    """Which year and place the settings page shows (GET)."""

    year = forms.IntegerField(
        label=_("年度"),
        required=False,
        min_value=2004,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 2004, "max": 2100}),
    )
    region = forms.ChoiceField(label=_("查看地区"), required=False, widget=_select())

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions if regions is not None else region_choices()

    def year_or_default(self) -> int:
        if self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return timezone.localdate().year
