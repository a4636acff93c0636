"""Forms for the matter list, applications, rectification and tasks.

Forms only turn what the user typed into the arguments of :mod:`gridgov.matters.actions`;
the rules live there and their ValidationError messages come back as field errors.
"""

import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.matters.choices import (
    ApplicationKind,
    RectificationGround,
    RefusalGround,
    StaffDuty,
    WorkKind,
)

MAX_PHOTO_BYTES = 5 * 1024 * 1024
_SEPARATORS = re.compile(r"[\s,，;；、]+")
_TEXT = {"class": "form-control"}
_DATE = {"class": "form-control", "type": "date"}


def add_action_errors(form: forms.Form, exc: ValidationError, aliases=None) -> None:
    """Attach an action's ValidationError to the form: by field where it names one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    aliases = aliases or {}
    for key, messages in exc.message_dict.items():
        field = aliases.get(key, key)
        form.add_error(field if field in form.fields else None, messages)


def check_photo(upload):
    """Images only (JPEG or PNG by their first bytes), at most 5 MB."""
    if not upload:
        return None
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(_("照片不能超过 5 MB"))
    head = upload.read(8)
    upload.seek(0)
    kind = photo_kind(head)
    if kind is None:
        raise ValidationError(_("只能上传 JPEG 或 PNG 格式的照片"))
    # The stored name says what the bytes are, whatever the uploader called the file.
    upload.name = f"photo.{kind}"
    return upload


def photo_kind(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG"):
        return "png"
    return None


class ApplicationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("申请类型"),
        choices=ApplicationKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    matter_code = forms.CharField(
        label=_("事项编码"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"class": "form-control font-monospace"}),
        help_text=_("调整、退出时填写清单中的 7 位事项编码"),
    )
    name = forms.CharField(
        label=_("事项名称"), required=False, max_length=100, widget=forms.TextInput(attrs=_TEXT)
    )
    work_kind = forms.ChoiceField(
        label=_("工作类别"),
        required=False,
        choices=[("", "—"), *list(WorkKind.choices)],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    subcategory = forms.CharField(
        label=_("小类"),
        required=False,
        initial="01",
        max_length=2,
        widget=forms.TextInput(attrs=_TEXT),
    )
    description = forms.CharField(
        label=_("事项内容"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 3})
    )
    duties = forms.MultipleChoiceField(
        label=_("网格员职责"),
        required=False,
        choices=StaffDuty.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    deadline_workdays = forms.IntegerField(
        label=_("办理时限（工作日）"),
        required=False,
        initial=5,
        widget=forms.NumberInput(attrs=_TEXT),
    )
    legal_deadline_workdays = forms.IntegerField(
        label=_("法定办理时限（工作日）"), required=False, widget=forms.NumberInput(attrs=_TEXT)
    )
    legal_basis = forms.CharField(
        label=_("法定时限依据"), required=False, max_length=200, widget=forms.TextInput(attrs=_TEXT)
    )
    attributes = forms.CharField(
        label=_("上报字段（JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 4}),
        help_text=_(
            '例：[{"code": "visit_date", "label": "走访日期", "type": "date", "required": true}]；'
            "类型 text、number、date、single、multiple，单选、多选写 choices"
        ),
    )
    resident_reportable = forms.BooleanField(label=_("群众可直接上报"), required=False)
    anonymous_allowed = forms.BooleanField(label=_("允许匿名上报"), required=False)
    reason = forms.CharField(
        label=_("申请理由"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )
    staff_provided = forms.CharField(
        label=_("配置到网格的人员"),
        required=False,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 2}),
    )
    funds_provided = forms.CharField(
        label=_("配置到网格的经费"),
        required=False,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 2}),
    )
    training_provided = forms.CharField(
        label=_("业务指导和技能培训"),
        required=False,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 2}),
    )
    effective_date = forms.DateField(label=_("拟施行日期"), widget=forms.DateInput(attrs=_DATE))
    end_date = forms.DateField(
        label=_("纳入期限截止"),
        required=False,
        widget=forms.DateInput(attrs=_DATE),
        help_text=_("仅临时纳入填写"),
    )

    def clean_attributes(self):
        text = (self.cleaned_data.get("attributes") or "").strip()
        if not text:
            return []
        try:
            value = json.loads(text)
        except ValueError:
            raise ValidationError(_("上报字段应为 JSON 数组")) from None
        if not isinstance(value, list):
            raise ValidationError(_("上报字段应为 JSON 数组"))
        return value

    def action_kwargs(self) -> dict:
        d = self.cleaned_data
        proposed = {
            key: d.get(key)
            for key in (
                "name",
                "work_kind",
                "subcategory",
                "description",
                "duties",
                "deadline_workdays",
                "legal_deadline_workdays",
                "legal_basis",
                "attributes",
                "resident_reportable",
                "anonymous_allowed",
            )
        }
        if proposed["deadline_workdays"] is None:
            proposed["deadline_workdays"] = 5
        return {
            "kind": d["kind"],
            "matter_code": (d.get("matter_code") or "").strip(),
            "proposed": proposed,
            "reason": d.get("reason") or "",
            "staff_provided": d.get("staff_provided") or "",
            "funds_provided": d.get("funds_provided") or "",
            "training_provided": d.get("training_provided") or "",
            "effective_date": d["effective_date"],
            "end_date": d.get("end_date"),
        }


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("审核意见"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )


class RectificationForm(forms.Form):
    matter_code = forms.CharField(
        label=_("事项编码"),
        max_length=7,
        widget=forms.TextInput(attrs={"class": "form-control font-monospace"}),
    )
    grounds = forms.MultipleChoiceField(
        label=_("未履行的职责"),
        required=False,
        choices=RectificationGround.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    findings = forms.CharField(
        label=_("情况说明"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 3})
    )
    deadline = forms.DateField(label=_("整改期限"), widget=forms.DateInput(attrs=_DATE))


class CloseRectificationForm(forms.Form):
    note = forms.CharField(
        label=_("整改情况"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )


class ExitRectificationForm(forms.Form):
    effective_date = forms.DateField(label=_("退出施行日期"), widget=forms.DateInput(attrs=_DATE))
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )


class TaskForm(forms.Form):
    matter_code = forms.CharField(
        label=_("清单事项"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"class": "form-control font-monospace", "list": "matter-codes"}
        ),
        help_text=_("只能依据现行清单中的事项下派（第七条）"),
    )
    title = forms.CharField(
        label=_("任务名称"), required=False, max_length=100, widget=forms.TextInput(attrs=_TEXT)
    )
    instructions = forms.CharField(
        label=_("工作要求"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 3})
    )
    due_date = forms.DateField(label=_("完成期限"), widget=forms.DateInput(attrs=_DATE))
    area_code = forms.CharField(
        label=_("区划代码"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"class": "form-control font-monospace"}),
        help_text=_("下派给该区划内的全部网格；或在下面填写网格编码"),
    )
    grid_codes = forms.CharField(
        label=_("网格编码"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 2}),
        help_text=_("每行一个或用逗号分隔"),
    )

    def clean(self):
        data = super().clean()
        if not data.get("area_code") and not data.get("grid_codes"):
            self.add_error("area_code", _("请填写区划代码或网格编码"))
        return data

    def action_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "matter_code": d["matter_code"].strip(),
            "title": d.get("title") or "",
            "instructions": d.get("instructions") or "",
            "due_date": d["due_date"],
            "area_code": (d.get("area_code") or "").strip(),
            "grid_codes": [c for c in _SEPARATORS.split(d.get("grid_codes") or "") if c],
        }


class PhotoField(forms.FileField):
    def clean(self, data, initial=None):
        return check_photo(super().clean(data, initial))


class ProgressForm(forms.Form):
    progress = forms.IntegerField(
        label=_("进度（%）"),
        min_value=0,
        max_value=99,
        widget=forms.NumberInput(attrs=_TEXT),
        error_messages={
            "max_value": _("进度应为 0–99；已经办完请使用“完成”"),
            "min_value": _("进度应为 0–99"),
        },
    )
    note = forms.CharField(
        label=_("进展说明"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )
    photo = PhotoField(
        label=_("照片"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "image/jpeg,image/png"}
        ),
    )


class CompleteForm(forms.Form):
    result = forms.CharField(
        label=_("办理结果"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )
    photo = PhotoField(
        label=_("照片"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "image/jpeg,image/png"}
        ),
    )


class RefuseForm(forms.Form):
    ground = forms.ChoiceField(
        label=_("拒绝理由（第十四条）"),
        choices=[("", "—"), *list(RefusalGround.choices)],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        label=_("拒绝说明"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )
