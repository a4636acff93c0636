"""Forms of the registry pages. They only shape the input: every rule is checked by
:mod:`gridgov.registry.payloads` when the action runs, and its field errors come back to
the form (``attach_errors``), members of a household to their own card."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.registry import present
from gridgov.registry.choices import (
    AddressLevel,
    DocumentType,
    HouseholdKind,
    HouseUse,
    KeyPlaceKind,
    PatrolFrequency,
    PersonCategory,
    PersonEventKind,
    PersonStatus,
    Relation,
    UnitKind,
    VesselKind,
)
from gridgov.registry.models import Address, CareTagKind, Ethnicity

MAX_CHOICES = 2000
OTHER = "other"  # the choice "其他" of a select with a code typed beside it


def _blank(choices):
    return [("", "—"), *choices]


def address_choices(user, *, located=True):
    qs = Address.objects.restrict(user, "view").filter(is_active=True)
    if located:
        qs = qs.filter(grid__isnull=False)
    rows = qs.order_by("full_name").values_list("code", "full_name")[:MAX_CHOICES]
    return _blank(rows)


def ethnicity_choices():
    return _blank(Ethnicity.objects.values_list("code", "name"))


def _style(form):
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        widget.attrs.setdefault("class", css)


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def raw(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items()}


class MemberForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    id_type = forms.ChoiceField(
        label=_("证件类型"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID
    )
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    relation = forms.ChoiceField(
        label=_("与户主关系"), choices=_blank(Relation.choices), required=False
    )
    category = forms.ChoiceField(
        label=_("人口类别"), choices=PersonCategory.choices, initial=PersonCategory.REGISTERED
    )
    ethnicity = forms.ChoiceField(label=_("民族"), choices=(), required=False)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    nationality = forms.ChoiceField(
        label=_("国籍（地区）"), choices=(), initial="CHN", required=False
    )
    nationality_other = forms.CharField(
        label=_("其他国籍代码"),
        max_length=3,
        required=False,
        help_text=_("国籍选“其他”时填写三位字母代码（ISO 3166-1），如 FIN"),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    hukou_place = forms.CharField(label=_("户籍地"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ethnicity"].choices = ethnicity_choices()
        common = present.nationality_choices()
        self.fields["nationality"].choices = [*common, (OTHER, _("其他（填写代码）"))]
        current = (self.initial.get("nationality") or "").upper()
        if current and current not in dict(common):
            # A record of a nationality the list does not offer: 其他 + its code.
            self.initial["nationality"] = OTHER
            self.initial["nationality_other"] = current

    def clean(self):
        data = super().clean()
        if data.get("nationality") == OTHER:
            code = (data.get("nationality_other") or "").strip().upper()
            if not code:
                self.add_error("nationality_other", _("请填写国籍的三位字母代码"))
            data["nationality"] = code
        return data

    def raw(self) -> dict:
        data = super().raw()
        data.pop("nationality_other", None)
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("name") or data.get("id_number"))


MemberFormSet = forms.formset_factory(MemberForm, extra=3, max_num=30, absolute_max=30)


class HouseholdForm(StyledForm):
    address = forms.ChoiceField(label=_("住址（标准地址）"), choices=())
    number = forms.CharField(label=_("户号"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("户类型"), choices=HouseholdKind.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].choices = address_choices(user)


class PersonForm(MemberForm):
    residence = forms.ChoiceField(label=_("居住地址（标准地址）"), choices=())
    residence_start = forms.DateField(
        label=_("居住起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    residence_end = forms.DateField(
        label=_("居住终止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("状态"), choices=PersonStatus.choices)
    event_kind = forms.ChoiceField(
        label=_("人口变动"), choices=_blank(PersonEventKind.choices), required=False
    )
    event_date = forms.DateField(
        label=_("变动日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residence"].choices = address_choices(user)
        self.fields["name"].required = True
        self.fields["id_number"].required = True

    def raw(self) -> dict:
        data = super().raw()
        kind, when = data.pop("event_kind"), data.pop("event_date")
        if kind:
            data["event"] = {"kind": kind, "date": when}
        return data


class AddressForm(StyledForm):
    level = forms.ChoiceField(label=_("层级"), choices=AddressLevel.choices)
    name = forms.CharField(
        label=_("名称"), max_length=100, help_text=_("如 人民路、12号、3栋、2单元、301")
    )
    parent = forms.ChoiceField(label=_("上级地址"), choices=(), required=False)
    village = forms.ChoiceField(
        label=_("所属村（社区）（设在村社区下时）"), choices=(), required=False
    )
    lon = forms.FloatField(
        label=_("经度"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    lat = forms.FloatField(
        label=_("纬度"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )

    def __init__(self, *args, user, **kwargs):
        from gridgov.areas.choices import AreaLevel
        from gridgov.areas.models import Area

        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = address_choices(user, located=False)
        villages = Area.objects.restrict(user, "view").filter(level=AreaLevel.VILLAGE)
        self.fields["village"].choices = _blank(villages.values_list("code", "name")[:500])


class HouseForm(StyledForm):
    address = forms.ChoiceField(label=_("房屋地址"), choices=())
    use = forms.ChoiceField(label=_("用途"), choices=HouseUse.choices)
    owner = forms.CharField(label=_("产权人（人员编号）"), max_length=16, required=False)
    owner_unit = forms.CharField(
        label=_("产权单位（信用代码或编号）"), max_length=18, required=False
    )
    floor_area = forms.DecimalField(label=_("建筑面积（平方米）"), required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].choices = address_choices(user)


class RentalForm(StyledForm):
    house = forms.CharField(label=_("房屋编号"), max_length=16)
    landlord = forms.CharField(label=_("出租人（人员编号）"), max_length=16)
    tenants = forms.CharField(
        label=_("承租人（人员编号，多人用逗号分隔）"), max_length=500, required=False
    )
    start_date = forms.DateField(
        label=_("租赁起始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("租赁终止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)

    def raw(self) -> dict:
        data = super().raw()
        data["tenants"] = [
            t.strip() for t in data["tenants"].replace("，", ",").split(",") if t.strip()
        ]
        return data


class UnitForm(StyledForm):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("单位类别"), choices=UnitKind.choices)
    address = forms.ChoiceField(label=_("单位地址"), choices=())
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=60, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=60, required=False)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    staff_count = forms.IntegerField(label=_("从业人数"), required=False, min_value=0)
    is_key_unit = forms.BooleanField(label=_("重点单位"), required=False)
    key_place_kind = forms.ChoiceField(
        label=_("重点场所类别"), choices=_blank(KeyPlaceKind.choices), required=False
    )
    patrol_frequency = forms.ChoiceField(
        label=_("巡查频次"), choices=_blank(PatrolFrequency.choices), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].choices = address_choices(user)


class VesselForm(StyledForm):
    name = forms.CharField(label=_("船名"), max_length=100)
    registration_number = forms.CharField(label=_("船舶登记号"), max_length=40)
    kind = forms.ChoiceField(label=_("船舶类别"), choices=VesselKind.choices)
    grid = forms.ChoiceField(label=_("所属海上网格"), choices=())
    vessel_group = forms.CharField(label=_("船只编组"), max_length=100, required=False)
    home_port = forms.CharField(label=_("船籍港"), max_length=100, required=False)
    owner = forms.CharField(label=_("船舶所有人（人员编号）"), max_length=16, required=False)
    owner_unit = forms.CharField(
        label=_("所有单位（信用代码或编号）"), max_length=18, required=False
    )
    length_m = forms.DecimalField(label=_("船长（米）"), required=False)
    gross_tonnage = forms.DecimalField(label=_("总吨位"), required=False)

    def __init__(self, *args, user, **kwargs):
        from gridgov.areas.choices import ExclusiveSubject, GridStatus
        from gridgov.areas.models import Grid

        super().__init__(*args, **kwargs)
        grids = Grid.objects.restrict(user, "view").filter(
            subject=ExclusiveSubject.MARITIME, status=GridStatus.ACTIVE
        )
        self.fields["grid"].choices = _blank(grids.values_list("code", "name"))


class NoteForm(StyledForm):
    note = forms.CharField(label=_("意见"), max_length=300, required=False)


class RevealForm(StyledForm):
    field = forms.ChoiceField(
        choices=(("id_number", _("证件号码")), ("phone", _("联系电话")), ("name", _("姓名"))),
        widget=forms.HiddenInput,
    )
    purpose = forms.CharField(label=_("查看用途"), max_length=200)


class CareTagForm(StyledForm):
    kind = forms.ChoiceField(label=_("关爱对象类别"), choices=())
    note = forms.CharField(label=_("说明"), max_length=500, required=False)
    since = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        kinds = CareTagKind.objects.filter(is_active=True, code__in=list(codes))
        self.fields["kind"].choices = [(k.code, k.name) for k in kinds]


class SearchForm(StyledForm):
    q = forms.CharField(
        label=_("查询"),
        max_length=100,
        required=False,
        help_text=_("身份证号码、手机号（精确）、姓名（开头几个字）或地址"),
    )
    tag = forms.ChoiceField(label=_("关爱对象"), choices=(), required=False)
    grid = forms.CharField(label=_("网格编码"), max_length=15, required=False)

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        kinds = CareTagKind.objects.filter(is_active=True, code__in=list(codes))
        self.fields["tag"].choices = _blank((k.code, k.name) for k in kinds)


def attach_errors(form, exc: ValidationError, formset=None) -> None:
    """Put an action's field errors on the form (and household members on their card)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        if formset is not None and key.startswith("members-"):
            _prefix, index, field = key.split("-", 2)
            index = int(index)
            if index < len(formset.filled) and field in formset.filled[index].fields:
                target = formset.filled[index]
                target.add_error(_typed_in(target, field), messages)
                continue
            form.add_error(None, messages)
            continue
        if key == "event.kind":
            key = "event_kind"
        if key == "event.date":
            key = "event_date"
        form.add_error(_typed_in(form, key) if key in form.fields else None, messages)


def _typed_in(form, field: str) -> str:
    """The input the user typed a value in (a code typed beside a select's 其他)."""
    if field == "nationality" and form.data.get(form.add_prefix(field)) == OTHER:
        return "nationality_other"
    return field


def form_for(kind: str):
    return {
        "address": AddressForm,
        "house": HouseForm,
        "rental": RentalForm,
        "person": PersonForm,
        "unit": UnitForm,
        "vessel": VesselForm,
    }[kind]


# Numbers typed into a form that comes back with errors ---------------------------------
# A page must never hold a plaintext ID or phone number. When a form is shown again with
# errors, each valid number the user typed is sent back encrypted (an SM4 token only the
# server can read) beside an empty input that shows the masked value; an empty input with
# a token means "unchanged". A number that fails its check is not kept: the input comes
# back empty with the failed check named, so that a blank resubmit cannot repeat it.

SECRET_FIELDS = ("id_number", "phone", "contact_phone")
TOKEN_SUFFIX = "__token"
TOKEN_CONTEXT = "registry.form-secret"


def restore_secrets(data):
    """A copy of POST data with every blank secret input refilled from its token."""
    from gridgov.core import crypto

    data = data.copy()
    for key in list(data.keys()):
        if not key.endswith(TOKEN_SUFFIX):
            continue
        name = key[: -len(TOKEN_SUFFIX)]
        if data.get(name, "").strip() or not data.get(key):
            continue
        try:
            data[name] = crypto.decrypt(data[key], context=TOKEN_CONTEXT)
        except (crypto.DecryptionError, ValueError):
            continue
    return data


def check_secret(form, name: str, value: str) -> str:
    """Why a typed number is invalid ("" if it is valid), by the rules of identity.py."""
    from gridgov.registry import identity

    try:
        if name == "id_number":
            id_type = form.data.get(form.add_prefix("id_type")) or DocumentType.RESIDENT_ID
            identity.check_document(id_type, value, name)
        else:
            identity.check_phone(value, name)
    except ValidationError as exc:
        return exc.messages[0]
    return ""


def protect_secrets(*forms_) -> dict:
    """{html name: {masked, token}} for the valid secret values the bound forms hold, and
    {html name: {cleared: True}} for invalid ones — which get their check's error on the
    field (when it has none yet) and come back empty."""
    from gridgov.core import crypto
    from gridgov.core.masking import mask_middle

    secrets = {}
    for form in forms_:
        if not form.is_bound:
            continue
        for name in SECRET_FIELDS:
            if name not in form.fields:
                continue
            key = form.add_prefix(name)
            value = (form.data.get(key) or "").strip()
            if not value:
                continue
            problem = check_secret(form, name, value)
            if problem:
                if not form.errors.get(name):
                    form.add_error(name, problem)
                secrets[key] = {"cleared": True}
                continue
            secrets[key] = {
                "masked": mask_middle(value, 3, 4),
                "token": crypto.encrypt(value, context=TOKEN_CONTEXT),
            }
    return secrets
