from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts import actions

# One message for a wrong password, an unknown user name and a disabled account, so the
# answer never tells which accounts exist.
INVALID_LOGIN = _("用户名或密码不正确")


def locked_message(until) -> str:
    minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
    return _("登录失败次数过多，账户已锁定，请 %(m)d 分钟后再试") % {"m": minutes}


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        until = actions.locked_until(username)
        if until is not None:
            raise forms.ValidationError(locked_message(until), code="locked")
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            existing = get_user_model().objects.filter(username__iexact=username).first()
            if actions.do_record_login_failure(username, user=existing):
                raise forms.ValidationError(
                    locked_message(actions.locked_until(username)), code="locked"
                )
            raise forms.ValidationError(INVALID_LOGIN, code="invalid_login")
        self.user = user
        return self.cleaned_data

    def get_user(self):
        return self.user


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("动态口令"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class PasswordChangeForm(SetPasswordForm):
    """Current password, then the new one twice (rules checked by the validators)."""

    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise forms.ValidationError(_("当前密码不正确"), code="password_incorrect")
        return old
