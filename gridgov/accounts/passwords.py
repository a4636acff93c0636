"""Password rules beyond Django's own: character classes and history (MLPS level 3)."""

import string

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (
    ("lower", lambda c: c in string.ascii_lowercase),
    ("upper", lambda c: c in string.ascii_uppercase),
    ("digit", lambda c: c.isdigit()),
    ("other", lambda c: not c.isalnum() or not c.isascii()),
)


def character_classes(password: str) -> int:
    return sum(1 for _name, test in CLASSES if any(test(c) for c in password))


class LengthValidator:
    """At least PASSWORD_MIN_LENGTH characters."""

    def __init__(self, min_length: int | None = None):
        self.min_length = min_length or settings.PASSWORD_MIN_LENGTH

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短，至少需要 %(n)d 个字符") % {"n": self.min_length},
                code="password_too_short",
            )

    def get_help_text(self):
        return _("至少 %(n)d 个字符") % {"n": self.min_length}


class CharacterClassValidator:
    """At least N of: lower-case letters, capitals, digits, other characters."""

    def __init__(self, min_classes: int | None = None):
        self.min_classes = min_classes or settings.PASSWORD_MIN_CLASSES

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字、其他字符中的至少 %(n)d 类")
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("密码须包含小写字母、大写字母、数字、其他字符中的至少 %(n)d 类") % {
            "n": self.min_classes
        }


class HistoryValidator:
    """Not the current password nor one of the last N."""

    def __init__(self, history: int | None = None):
        self.history = history if history is not None else settings.PASSWORD_HISTORY

    def validate(self, password, user=None):
        if user is None or user.pk is None or self.history <= 0:
            return
        hashes = [user.password] if user.password else []
        hashes += list(user.password_history.values_list("password", flat=True)[: self.history])
        if any(check_password(password, encoded) for encoded in hashes[: self.history]):
            raise ValidationError(
                _("新密码不能与最近 %(n)d 次使用过的密码相同") % {"n": self.history},
                code="password_reused",
            )

    def get_help_text(self):
        return _("不能与最近 %(n)d 次使用过的密码相同") % {"n": self.history}
