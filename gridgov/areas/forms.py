"""Forms for grid adjustments.

Forms only turn what the user typed or uploaded into the arguments of the actions in
:mod:`gridgov.areas.actions`; every rule about grids (shape, overlap, codes, who may
approve) lives in the actions, whose ValidationError messages are attached back to the
form fields with :func:`add_action_errors`.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.areas.choices import AdjustmentKind, AdjustmentTrigger, AreaLevel
from gridgov.areas.geojson_io import proposed_grids_from_geojson
from gridgov.areas.models import Area

# A GeoJSON file of a town's new grids is small; anything bigger is a mistake.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_CODE_SEPARATORS = re.compile(r"[\s,，;；、]+")


class TownChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        county = obj.parent.name if obj.parent else ""
        return f"{county} {obj.name}（{obj.code}）".strip()


class AdjustmentForm(forms.Form):
    town = TownChoiceField(
        label=_("提出镇（街道）"),
        queryset=Area.objects.none(),
        empty_label=_("请选择镇（街道）"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label=_("调整类型"),
        choices=AdjustmentKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    trigger = forms.ChoiceField(
        label=_("调整情形"),
        choices=AdjustmentTrigger.choices,
        widget=forms.RadioSelect,
        help_text=_("《条例》第六条规定的三种情形之一"),
    )
    # Not required here: the action gives the more specific message ("其他情形须说明理由").
    reason = forms.CharField(
        label=_("调整理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    old_grids = forms.CharField(
        label=_("涉及原网格"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "class": "form-control font-monospace",
                "rows": 2,
                "placeholder": "450702101201001",
            }
        ),
        help_text=_("拆分、合并、边界调整、撤销时填写原网格编码，每行一个或用逗号分隔"),
    )
    file = forms.FileField(
        label=_("新网格边界（GeoJSON）"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".geojson,.json,application/geo+json"}
        ),
        help_text=_(
            "FeatureCollection，每个要素一个新网格，属性含 village_code（12位村级代码）、"
            "kind（urban/rural/exclusive），可选 name、subject、maritime_kind、department_id、"
            "redraw_of（边界调整时的原网格编码）。撤销时不需上传。"
        ),
    )
    crs = forms.ChoiceField(
        label=_("坐标系"),
        choices=[
            ("wgs84", _("WGS-84 / CGCS2000（天地图、GPS）")),
            ("gcj02", _("GCJ-02（高德、腾讯、微信）")),
        ],
        initial="wgs84",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        towns = (
            Area.objects.restrict(user, "propose")
            .filter(level=AreaLevel.TOWN)
            .select_related("parent")
            .order_by("code")
        )
        self.fields["town"].queryset = towns
        # A town's own operator proposes for that town only: choose it for them.
        if not self.is_bound and not self.initial.get("town"):
            only = list(towns[:2])
            if len(only) == 1:
                self.initial["town"] = only[0].pk

    def clean_old_grids(self) -> list[str]:
        codes = [c for c in _CODE_SEPARATORS.split(self.cleaned_data["old_grids"]) if c]
        bad = [c for c in codes if not (c.isdigit() and len(c) == 15)]
        if bad:
            raise ValidationError(
                _("网格编码应为15位数字：%(codes)s"), params={"codes": "、".join(bad)}
            )
        return list(dict.fromkeys(codes))  # keep the order, drop repeats

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件过大（最大 10 MB）"))
        return upload.read()

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("file")
        if raw is None:
            cleaned["items"] = []
            return cleaned
        try:
            cleaned["items"] = proposed_grids_from_geojson(raw, cleaned.get("crs") or "wgs84")
        except ValidationError as exc:
            add_action_errors(self, exc)
        return cleaned

    def action_kwargs(self) -> dict:
        """The arguments of ``do_propose_adjustment`` from a valid form."""
        data = self.cleaned_data
        return {
            "town": data["town"],
            "kind": data["kind"],
            "trigger": data["trigger"],
            "reason": data["reason"],
            "old_grid_codes": data["old_grids"],
            "items": data["items"],
        }


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("驳回理由"),
        required=False,  # the action says "驳回须说明理由" itself
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class ApproveForm(DecisionForm):
    effective_date = forms.DateField(
        label=_("生效日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        help_text=_("不填为今天"),
    )


# Where an action's error keys are shown on the adjustment form: the proposed items come
# from the uploaded file, so their errors sit next to the file field.
_FIELD_FOR_KEY = {"items": "file", "town_code": "town"}


def add_action_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach an action's ValidationError to the form: by field where it names one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        field = _FIELD_FOR_KEY.get(key, key)
        form.add_error(field if field in form.fields else None, messages)
