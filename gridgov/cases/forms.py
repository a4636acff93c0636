"""Forms of the case pages: intake (staff and public), the action forms of the case page,
the list filters and the time-limit settings.

Forms only turn what the user typed into the arguments of :mod:`gridgov.cases.actions`;
the rules live there and their Chinese ValidationError messages come back as field
errors. Fields are therefore optional here (the action says what is missing, all at
once); a field the action requires is marked with :func:`wanted`: the HTML ``required``
attribute (a hint: the forms are ``novalidate``) and the red ``*`` of its label.
"""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.cases.choices import Flag, Rating, RejectGround, Status, Urgency
from gridgov.cases.models import CasePolicy
from gridgov.matters.choices import AttributeType, WorkKind

_TEXT = {"class": "form-control"}
_SELECT = {"class": "form-select"}
_DATE = {"class": "form-control", "type": "date"}
_ACCEPT = "image/*,application/pdf"


def _area(rows=2, **attrs):
    return forms.Textarea(attrs={**_TEXT, "rows": rows, **attrs})


def wanted(field: forms.Field) -> forms.Field:
    """Mark ``field`` as one the action requires (shown with ``*``; the server still
    decides, so the form field itself stays optional)."""
    field.wanted = True
    if not getattr(field.widget, "allow_multiple_selected", False):
        # (on a group of checkboxes ``required`` would demand every box)
        field.widget.attrs["required"] = True
    return field


def add_action_errors(form: forms.Form, exc: ValidationError, aliases=None) -> None:
    """Attach an action's ValidationError to the form: by field where it names one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    aliases = aliases or {}
    for key, messages in exc.message_dict.items():
        field = aliases.get(key, key)
        form.add_error(field if field in form.fields else None, messages)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several photos or PDFs in one input (checked by content in the action)."""

    def __init__(self, *, capture: bool = False, **kwargs):
        attrs = {"class": "form-control", "accept": _ACCEPT, "multiple": True}
        if capture:
            # On a phone: open the camera directly (the gallery stays available).
            attrs.update(accept="image/*", capture="environment")
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("照片或附件"))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


# Item-specific fields of a matter (事项要素) ------------------------------------------------

ATTRIBUTE_PREFIX = "attr_"


def attribute_fields(matter) -> dict[str, forms.Field]:
    """Form fields for ``matter.attributes`` (text, number, date, single, multiple)."""
    fields = {}
    for spec in (matter.attributes if matter else None) or []:
        label, required = spec["label"], bool(spec.get("required"))
        kind = spec.get("type")
        common = {"label": label, "required": False}
        if kind == AttributeType.NUMBER:
            field = forms.FloatField(
                **common, widget=forms.NumberInput(attrs={**_TEXT, "step": "any"})
            )
        elif kind == AttributeType.DATE:
            field = forms.DateField(**common, widget=forms.DateInput(attrs=_DATE))
        elif kind == AttributeType.SINGLE:
            choices = [("", "—"), *[(c, c) for c in spec.get("choices") or []]]
            field = forms.ChoiceField(**common, choices=choices, widget=forms.Select(attrs=_SELECT))
        elif kind == AttributeType.MULTIPLE:
            field = forms.MultipleChoiceField(
                **common,
                choices=[(c, c) for c in spec.get("choices") or []],
                widget=forms.CheckboxSelectMultiple,
            )
        else:
            field = forms.CharField(**common, max_length=200, widget=forms.TextInput(attrs=_TEXT))
        if required:
            wanted(field)
        fields[ATTRIBUTE_PREFIX + spec["code"]] = field
    return fields


class AttributesForm(forms.Form):
    """Only the item-specific fields (the htmx fragment when the matter changes)."""

    def __init__(self, *args, matter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(attribute_fields(matter))

    def attribute_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_PREFIX)]


def matter_choices(matters, *, with_code: bool = True) -> list:
    """Matters grouped by work kind (one entry per code), for a <select> with optgroups.
    Staff see the code before the name; residents only the name."""
    by_kind: dict[str, dict] = {}
    for matter in sorted(matters, key=lambda m: (m.code, len(m.area.code))):
        by_kind.setdefault(matter.work_kind, {}).setdefault(
            matter.code, f"{matter.code} {matter.name}" if with_code else matter.name
        )
    groups = [
        (str(label), sorted(by_kind[value].items()))
        for value, label in WorkKind.choices
        if value in by_kind
    ]
    return [("", _("请选择事项")), *groups]


# Intake --------------------------------------------------------------------------------


class CaseForm(forms.Form):
    """A new case: by a grid worker (``grid``), an operator taking a call (``phone``) or a
    resident on the public site (``resident``)."""

    matter = forms.ChoiceField(label=_("事项"), widget=forms.Select(attrs=_SELECT))
    description = wanted(
        forms.CharField(
            label=_("情况描述"),
            required=False,
            widget=_area(4, maxlength=2000),
            help_text=_("发生了什么、在什么位置、持续多久、影响到谁"),
        )
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    lon = forms.FloatField(
        label=_("经度"),
        required=False,
        widget=forms.NumberInput(attrs={**_TEXT, "step": "any", "inputmode": "decimal"}),
    )
    lat = forms.FloatField(
        label=_("纬度"),
        required=False,
        widget=forms.NumberInput(attrs={**_TEXT, "step": "any", "inputmode": "decimal"}),
    )
    town = forms.ChoiceField(
        label=_("镇（街道）"), required=False, widget=forms.Select(attrs=_SELECT)
    )
    village = forms.ChoiceField(
        label=_("村（社区）"), required=False, widget=forms.Select(attrs=_SELECT)
    )
    address = forms.CharField(
        label=_("详细地址"), required=False, max_length=200, widget=forms.TextInput(attrs=_TEXT)
    )
    # Required unless anonymous (the page drops the marks when 匿名 is ticked).
    reporter_name = wanted(
        forms.CharField(
            label=_("反映人姓名"),
            required=False,
            max_length=50,
            widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "name"}),
        )
    )
    reporter_phone = wanted(
        forms.CharField(
            label=_("联系电话"),
            required=False,
            max_length=20,
            widget=forms.TextInput(
                attrs={**_TEXT, "type": "tel", "inputmode": "tel", "autocomplete": "tel"}
            ),
        )
    )
    anonymous = forms.BooleanField(
        label=_("匿名反映（不留联系方式，将无法收到办理结果反馈）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    attachments = AttachmentsField(label=_("现场照片"), capture=True)
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    # Which fields each channel shows (the others are removed).
    CHANNEL_FIELDS = {
        "grid": {"reporter_name", "reporter_phone", "anonymous", "town", "village"},
        "phone": {"anonymous"},
        "resident": set(),
    }

    def __init__(self, *args, channel: str, matters, towns=(), villages=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("submission_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.channel = channel
        for name in self.CHANNEL_FIELDS[channel]:
            del self.fields[name]
        self.matters = {m.code: m for m in sorted(matters, key=lambda m: -len(m.area.code))}
        self.fields["matter"].choices = matter_choices(matters, with_code=channel != "resident")
        if "town" in self.fields:
            self.fields["town"].choices = [("", _("请选择")), *towns]
            self.fields["village"].choices = [("", _("全镇（街道）或不确定")), *villages]
        self.matter = self.matters.get(self.data.get(self.add_prefix("matter"), ""))
        if self.matter is None and not self.is_bound:
            self.matter = self.matters.get(self.initial.get("matter", ""))
        self.fields.update(attribute_fields(self.matter))
        # What the htmx-filled parts were drawn for: after the Back button the browser
        # restores the selects but not the fields loaded for them, and the page's script
        # loads them again when the two differ (static/js/cases.js).
        self.fields_for = self.matter.code if self.matter else ""
        if "village" in self.fields:
            town = self.data.get(self.add_prefix("town"), "")
            self.fields["village"].widget.attrs["data-for"] = town

    def attribute_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith(ATTRIBUTE_PREFIX)]

    def attribute_fields(self) -> list:
        return [self[name] for name in self.attribute_names()]

    def wire(self, *, fields_url: str, villages_url: str) -> "CaseForm":
        """htmx: the matter's own fields, and a town's villages, follow the selects."""
        self.fields["matter"].widget.attrs.update(
            {"hx-get": fields_url, "hx-target": "#matter-fields", "hx-trigger": "change"}
        )
        if "town" in self.fields:
            self.fields["town"].widget.attrs.update(
                {"hx-get": villages_url, "hx-target": "#id_village", "hx-trigger": "change"}
            )
        return self

    def clean_submission_key(self):
        return (self.cleaned_data.get("submission_key") or "").strip() or uuid.uuid4().hex

    def attributes(self) -> dict:
        values = {}
        for name in self.attribute_names():
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            code = name[len(ATTRIBUTE_PREFIX) :]
            values[code] = value.isoformat() if hasattr(value, "isoformat") else value
        return values

    def submit_kwargs(self) -> dict:
        """The arguments of :func:`gridgov.cases.actions.submit_case`."""
        d = self.cleaned_data
        return {
            "channel": self.channel,
            "matter_code": d["matter"],
            "description": d.get("description", ""),
            "attributes": self.attributes(),
            "urgency": d.get("urgency") or Urgency.NORMAL,
            "lon": d.get("lon"),
            "lat": d.get("lat"),
            "area_code": d.get("village") or d.get("town") or "",
            "address": d.get("address", ""),
            "reporter_name": d.get("reporter_name", ""),
            "reporter_phone": d.get("reporter_phone", ""),
            "anonymous": bool(d.get("anonymous")),
            "attachments": d.get("attachments") or [],
            "idempotency_key": d["submission_key"],
        }

    # Errors of submit_case that name no field of this form.
    ALIASES = {"location": "lon", "idempotency_key": None, "channel": None}

    def add_action_errors(self, exc: ValidationError) -> None:
        aliases = dict(self.ALIASES)
        if "lon" not in self.fields:
            aliases["location"] = None
        add_action_errors(self, exc, aliases)


# Action forms of the case page -----------------------------------------------------------


class ActionForm(forms.Form):
    """Every action form carries the case version the user saw (``expected_version``)."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("页面已过期，请刷新后重试"),
            "invalid": _("页面已过期，请刷新后重试"),
            "min_value": _("页面已过期，请刷新后重试"),
        },
    )

    def __init__(self, *args, case=None, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        for name, options in (choices or {}).items():
            if name in self.fields:
                self.fields[name].choices = options

    def text_values(self) -> dict:
        """What the user typed (kept and shown again when the action could not be done)."""
        values = {}
        for name, field in self.fields.items():
            if name == "version" or isinstance(field, forms.FileField):
                continue
            value = self.data.get(self.add_prefix(name), "")
            if (
                isinstance(value, str)
                and value.strip()
                and isinstance(field.widget, forms.Textarea)
            ):
                values[str(field.label)] = value
        return values


PUBLIC_HINT = _("此内容将在查询页面向反映人公开，请勿写入他人的姓名、电话等个人信息")


def _note(label, *, required=False, rows=2, help_text=""):
    field = forms.CharField(label=label, required=False, widget=_area(rows), help_text=help_text)
    return wanted(field) if required else field


class NoteForm(ActionForm):
    note = _note(_("意见（可选）"))


class EscalateForm(ActionForm):
    note = _note(_("上报理由"), required=True)


class ResultForm(ActionForm):
    result = _note(
        _("处理结果"),
        required=True,
        rows=3,
        help_text=_(
            "网格就地解决时，处理结果和现场照片将在查询页面向反映人公开，请勿写入他人个人信息"
        ),
    )
    attachments = AttachmentsField(label=_("现场照片"), capture=True)


class RejectForm(ActionForm):
    ground = wanted(
        forms.ChoiceField(
            label=_("不予受理的理由"),
            choices=[("", "—"), *RejectGround.choices],
            required=False,
            widget=forms.Select(attrs=_SELECT),
        )
    )
    reason = _note(_("说明"), required=True, help_text=PUBLIC_HINT)
    duplicate_of = forms.CharField(
        label=_("与之重复的事件编号"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={**_TEXT, "class": "form-control font-monospace"}),
        help_text=_("理由为“重复上报”时填写"),
    )


class MergeForm(ActionForm):
    duplicate_of = forms.CharField(widget=forms.HiddenInput, max_length=20)


class HandDownForm(ActionForm):
    target = wanted(
        forms.ChoiceField(label=_("交办给"), required=False, widget=forms.Select(attrs=_SELECT))
    )
    instructions = _note(_("交办意见"), required=True)


class DispatchForm(ActionForm):
    lead = wanted(
        forms.ChoiceField(label=_("主办部门"), required=False, widget=forms.Select(attrs=_SELECT))
    )
    assist = forms.MultipleChoiceField(
        label=_("协办部门"), required=False, widget=forms.CheckboxSelectMultiple
    )
    instructions = _note(_("流转意见"), required=True)


class PostponeForm(ActionForm):
    reason = _note(_("缓办理由"), required=True, help_text=PUBLIC_HINT)
    until = wanted(
        forms.DateField(
            label=_("缓办至"),
            required=False,
            widget=forms.DateInput(attrs=_DATE),
            error_messages={"invalid": _("日期格式应为 年-月-日")},
        )
    )


class ParkForm(ActionForm):
    reason = _note(_("挂账理由"), required=True)


class ReturnForm(ActionForm):
    reason = _note(_("退回理由（不属于本部门职责的依据）"), required=True)


class ExtensionForm(ActionForm):
    until = wanted(
        forms.DateField(
            label=_("申请延至"),
            required=False,
            widget=forms.DateInput(attrs=_DATE),
            error_messages={"invalid": _("日期格式应为 年-月-日")},
        )
    )
    reason = _note(_("延期理由"), required=True)


class DecideExtensionForm(ActionForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("同意")), ("reject", _("不同意"))],
        widget=forms.HiddenInput,
        required=False,
    )
    until = forms.DateField(
        label=_("同意延至（不填按申请）"),
        required=False,
        widget=forms.DateInput(attrs=_DATE),
        error_messages={"invalid": _("日期格式应为 年-月-日")},
    )
    note = _note(_("审批意见（不同意时必填）"))


class ReplyForm(ActionForm):
    reply = _note(_("答复内容（办理结果）"), required=True, rows=3)
    attachments = AttachmentsField(label=_("佐证材料"))


class ReworkForm(ActionForm):
    note = _note(_("返工意见"), required=True)


class FeedbackForm(ActionForm):
    feedback = _note(_("反馈内容（反映人可见）"), required=True, rows=3)


class UrgeForm(ActionForm):
    note = _note(_("催办意见（可选）"))


class SuperviseForm(ActionForm):
    demand = _note(_("督办要求"), required=True)
    workdays = wanted(
        forms.IntegerField(
            label=_("回复期限（工作日）"),
            required=False,
            initial=3,
            widget=forms.NumberInput(attrs={**_TEXT, "min": 1, "max": 20}),
            error_messages={"invalid": _("回复期限应为 1–20 个工作日")},
        )
    )


class AnswerForm(forms.Form):
    answer = wanted(forms.CharField(label=_("督办回复"), required=False, widget=_area(3)))


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label=_("查看用途"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("例如：电话回访反映人")}),
    )


# Lists ---------------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("open", _("未结案")), *Status.choices],
        widget=forms.Select(attrs={**_SELECT, "class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": _("没有“%(value)s”这种状态")},
    )
    matter = forms.ChoiceField(
        label=_("事项"),
        required=False,
        widget=forms.Select(attrs={**_SELECT, "class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": _("事项清单中没有编码为“%(value)s”的事项")},
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        required=False,
        choices=[("", _("全部")), *Urgency.choices],
        widget=forms.Select(attrs={**_SELECT, "class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": _("没有“%(value)s”这种紧急程度")},
    )
    flag = forms.ChoiceField(
        label=_("预警"),
        required=False,
        choices=[("", _("全部")), *Flag.choices],
        widget=forms.Select(attrs={**_SELECT, "class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": _("没有“%(value)s”这种预警")},
    )
    since = forms.DateField(
        label=_("上报自"),
        required=False,
        widget=forms.DateInput(attrs={**_DATE, "class": "form-control form-control-sm"}),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD，例如 2026-01-31")},
    )
    until = forms.DateField(
        label=_("上报至"),
        required=False,
        widget=forms.DateInput(attrs={**_DATE, "class": "form-control form-control-sm"}),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD，例如 2026-01-31")},
    )
    q = forms.CharField(
        label=_("事件编号或查询码"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={**_TEXT, "class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, matters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter"].choices = [
            ("", _("全部")),
            *sorted({(m.code, f"{m.code} {m.name}") for m in matters}),
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("结束日期不能早于开始日期"))
        return data


# The public site --------------------------------------------------------------------------


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg font-monospace text-uppercase",
                "autocomplete": "off",
                "autocapitalize": "characters",
            }
        ),
        error_messages={"required": _("请输入查询码")},
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


class RatingForm(forms.Form):
    rating = wanted(
        forms.ChoiceField(
            label=_("您对办理结果的评价"),
            choices=Rating.choices,
            required=False,
            widget=forms.RadioSelect,
        )
    )
    comment = forms.CharField(
        label=_("评价意见（不满意时请说明原因）"),
        required=False,
        widget=_area(3, maxlength=500),
    )


# Settings --------------------------------------------------------------------------------


POLICY_FIELDS = (
    "accept_workdays",
    "grid_workdays",
    "agency_workdays",
    "sign_workdays",
    "return_workdays",
    "verify_workdays",
    "feedback_workdays",
    "rework_workdays",
    "rating_days",
    "warn_percent",
    "urge_interval_minutes",
    "max_extension_workdays",
)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = CasePolicy
        fields = POLICY_FIELDS
        widgets = {name: forms.NumberInput(attrs={**_TEXT, "min": 1}) for name in POLICY_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["invalid"] = _("请输入整数")
            field.error_messages["required"] = _("请填写此项")
            field.error_messages["min_value"] = _("不能小于 %(limit_value)s")

    def _post_clean(self):
        # Range and consistency rules live in the action; the model's own validation
        # would report them twice.
        pass
