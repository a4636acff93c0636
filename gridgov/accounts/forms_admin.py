"""Forms of the account and post pages (三员分立) and of the holder's own account page.

Forms only turn what was typed into the arguments of the actions
(:mod:`gridgov.accounts.actions`, :mod:`gridgov.orgs.actions`); the rules (who may, which
place fits which role, 三员分立) live in the actions, whose ``ValidationError`` messages
are attached back to the fields with :func:`add_action_errors`. Objects named by code
(an account, an area, a grid) are looked up in the actor's restricted querysets.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Grid
from gridgov.core.fields import blind_lookup, normalise_id_number, normalise_phone
from gridgov.orgs.choices import (
    ADMIN_ROLES,
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
    ZONE_ROLES,
    AgencyKind,
)
from gridgov.orgs.models import Agency, Department, Post

# Something that could be a phone number: searched through the blind index, exactly.
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-()]{7,20}$")
# A mobile number, or a landline with its area code.
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11})$")

ROLE_GROUPS = [
    (_("网格化服务管理机构"), [*AREA_ROLES, *ZONE_ROLES]),
    (_("联动部门"), list(DEPARTMENT_ROLES)),
    (_("村（社区）"), list(VILLAGE_ROLES)),
    (_("网格"), [*GRID_ROLES, *EXCLUSIVE_GRID_ROLES]),
    (_("系统管理（三员）"), list(ADMIN_ROLES)),
]


def grouped_role_choices(empty=None):
    choices = [("", empty)] if empty is not None else []
    for label, roles in ROLE_GROUPS:
        choices.append((label, [(role.value, role.label) for role in roles]))
    return choices


def add_action_errors(form: forms.Form, exc: ValidationError, aliases=None) -> None:
    """Attach an action's ValidationError to the form: by field where it names one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        field = (aliases or {}).get(key, key)
        form.add_error(field if field in form.fields else None, messages)


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _small_select():
    return forms.Select(attrs={"class": "form-select form-select-sm"})


# Accounts ---------------------------------------------------------------------------


class UserFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("用户名、姓名或完整手机号码"),
                "type": "search",
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("active", _("启用")), ("disabled", _("停用"))],
        widget=_small_select(),
    )
    role = forms.ChoiceField(
        label=_("现任岗位"),
        required=False,
        choices=grouped_role_choices(_("全部岗位")),
        widget=_small_select(),
    )

    def filter(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        q = data["q"].strip()
        if q:
            condition = Q(username__icontains=q) | Q(full_name__icontains=q)
            if _PHONE_LIKE.match(q):
                # Phones are encrypted: only an exact number is found, through its index.
                condition |= Q(**blind_lookup(User, "phone", q))
            qs = qs.filter(condition)
        if data["status"] == "active":
            qs = qs.filter(is_active=True)
        elif data["status"] == "disabled":
            qs = qs.filter(is_active=False)
        if data["role"]:
            holders = Post.objects.current().filter(user=OuterRef("pk"), role=data["role"])
            qs = qs.filter(Exists(holders))
        return qs


class UserCreateForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=_text(autocomplete="off", autocapitalize="none"),
        help_text=_("登录用，字母、数字和 @ . + - _"),
    )
    full_name = forms.CharField(label=_("姓名"), max_length=50, widget=_text(autocomplete="off"))
    phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=20,
        widget=_text(inputmode="tel", autocomplete="off"),
    )
    id_number = forms.CharField(
        label=_("身份证号"), required=False, max_length=18, widget=_text(autocomplete="off")
    )

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone and not _PHONE.match(phone):
            raise ValidationError(_("请输入 11 位手机号码或带区号的固定电话"))
        return phone

    def clean_id_number(self):
        value = normalise_id_number(self.cleaned_data["id_number"])
        if value and not ric.is_valid(value):
            raise ValidationError(_("身份证号不正确（位数或校验位有误）"))
        return value


class DisableForm(forms.Form):
    reason = forms.CharField(
        label=_("停用原因"),
        max_length=200,
        required=False,  # the action says "请填写停用原因"
        widget=_text(placeholder=_("如：调离、离职")),
    )


# Posts --------------------------------------------------------------------------------


class GrantForm(forms.Form):
    """A post for an account: who, which role, where (by code), from when.

    Only the place that fits the role is used; the action says which one is missing or
    of the wrong kind.
    """

    username = forms.CharField(
        label=_("账户（用户名）"), max_length=150, widget=_text(autocapitalize="none")
    )
    role = forms.ChoiceField(
        label=_("岗位"),
        choices=grouped_role_choices(_("请选择岗位")),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    area = forms.CharField(
        label=_("区划代码"),
        required=False,
        max_length=12,
        widget=_text(inputmode="numeric", placeholder="450702101"),
        help_text=_(
            "网格化服务管理机构岗位填市、县（区）或镇（街道）代码；网格指导员、总网格长填村（社区）代码"
        ),
    )
    grid = forms.CharField(
        label=_("网格编码"),
        required=False,
        max_length=15,
        widget=_text(inputmode="numeric", placeholder="450702101201001"),
        help_text=_("网格长、专职和兼职网格员、专属网格长和网格员填 15 位网格编码"),
    )
    department = forms.ModelChoiceField(
        label=_("部门"),
        required=False,
        queryset=Department.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("联动部门岗位必填；网格指导员由部门下派时填写派出部门"),
    )
    zone = forms.ModelChoiceField(
        label=_("管理区机构"),
        required=False,
        queryset=Agency.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("管理区工作人员必填"),
    )
    start_date = forms.DateField(
        label=_("任职日期"),
        required=False,
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}),
        help_text=_("不填为今天"),
    )
    end_date = forms.DateField(
        label=_("离任日期"),
        required=False,
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}),
        help_text=_("有任期的岗位填写；不填为长期"),
    )
    note = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=200,
        widget=_text(placeholder=_("如：任职文件文号")),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["department"].queryset = (
            Department.objects.restrict(actor, "view")
            .filter(is_active=True)
            .select_related("area")
            .order_by("area__code", "name")
        )
        self.fields["department"].label_from_instance = lambda d: f"{d.area.name} · {d.name}"
        self.fields["zone"].queryset = (
            Agency.objects.restrict(actor, "view")
            .filter(kind=AgencyKind.ZONE, is_active=True)
            .order_by("area__code", "name")
        )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = User.objects.restrict(self.actor, "view").filter(username=username).first()
        if user is None:
            raise ValidationError(_("找不到账户“%(name)s”") % {"name": username})
        return user

    def clean_area(self):
        code = self.cleaned_data["area"].strip()
        if not code:
            return None
        area = Area.objects.restrict(self.actor, "view").filter(code=code).first()
        if area is None:
            raise ValidationError(_("找不到区划代码 %(code)s") % {"code": code})
        return area

    def clean_grid(self):
        code = self.cleaned_data["grid"].strip()
        if not code:
            return None
        grid = Grid.objects.restrict(self.actor, "view").filter(code=code).first()
        if grid is None:
            raise ValidationError(_("找不到网格编码 %(code)s") % {"code": code})
        return grid

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "area": data["area"],
            "grid": data["grid"],
            "department": data["department"],
            "zone": data["zone"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "note": data["note"],
        }


class EndPostForm(forms.Form):
    end_date = forms.DateField(
        label=_("离任日期"),
        required=False,
        widget=forms.DateInput(attrs={"class": "form-control form-control-sm", "type": "date"}),
        help_text=_("不填为今天"),
    )
    note = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("如：免职文件文号")}
        ),
    )


class PostFilterForm(forms.Form):
    q = forms.CharField(
        label=_("账户"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("用户名或姓名"),
                "type": "search",
            }
        ),
    )
    role = forms.ChoiceField(
        label=_("岗位"),
        required=False,
        choices=grouped_role_choices(_("全部岗位")),
        widget=_small_select(),
    )
    place = forms.CharField(
        label=_("地点"),
        required=False,
        max_length=15,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("区划代码或网格编码开头"),
                "inputmode": "numeric",
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("current", _("现任")), ("ended", _("已离任")), ("all", _("全部"))],
        widget=_small_select(),
    )

    def filter(self, qs):
        from django.utils import timezone

        if not self.is_valid():
            return qs.current()
        data = self.cleaned_data
        if data["q"].strip():
            q = data["q"].strip()
            qs = qs.filter(Q(user__username__icontains=q) | Q(user__full_name__icontains=q))
        if data["role"]:
            qs = qs.filter(role=data["role"])
        if data["place"].strip():
            code = data["place"].strip()
            qs = qs.filter(
                Q(area__code__startswith=code)
                | Q(grid__code__startswith=code)
                | Q(department__area__code__startswith=code)
                | Q(zone__area__code__startswith=code)
            )
        status = data["status"] or "current"
        if status == "current":
            qs = qs.current()
        elif status == "ended":
            qs = qs.filter(end_date__lt=timezone.localdate())
        return qs


# API tokens ---------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("用途"),
        max_length=100,
        required=False,  # the action says "请说明令牌用途"
        widget=_text(placeholder=_("如：与12345热线系统对接")),
    )
