"""Masking of personal data, applied on the server before anything reaches a page, an
export, an API answer or the audit log (条例 第十九、二十条; docs/security.md).

The rules: ID numbers keep the first 3 and last 4 characters (``450***********123X``),
phone numbers the first 3 and last 4 (``138****5678``), names the surname (``张*``,
``欧阳**``). The length is kept so that a reader can tell an ID number from a passport
number. Values too short for the rule are masked harder, never less.

``reveal()`` is the one way to see a plaintext in full: it checks the ``unmask`` right,
requires a stated purpose and writes a ``pii_unmasked`` audit event.
"""

import math

from django.conf import settings

FILL = "*"
HIDDEN = "******"

# Common two-character (复姓) surnames; a name starting with one keeps both characters.
COMPOUND_SURNAMES = frozenset(
    """
    欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离
    端木 独孤 南宫 西门 百里 呼延 闻人 东郭 南门 羊舌 微生 左丘 东门 公冶 太叔 申屠
    濮阳 淳于 单于 太史 万俟 澹台 公羊 赫连 拓跋 段干 司空 司寇 亓官 仲孙 鲜于 闾丘
    子车 颛孙 巫马 公西 漆雕 乐正 壤驷 公良 谷梁 宰父 梁丘 第五 东宫 夹谷
    """.split()  # noqa: SIM905 (a block of names reads better than a column of literals)
)
_NAME_SEPARATORS = frozenset(" ·•・.-")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def mask_middle(value, keep_start: int, keep_end: int) -> str:
    """Keep ``keep_start`` leading and ``keep_end`` trailing characters, star the rest.

    At least a third of the characters are always hidden (``12345678`` → ``12***678``),
    and a value too short for the rule keeps at most a quarter at each end
    (``12345`` → ``1***5``, ``123`` → ``***``).
    """
    text = _text(value)
    n = len(text)
    if n <= keep_start + keep_end:
        keep_start = keep_end = n // 4
    while n - keep_start - keep_end < math.ceil(n / 3):
        if keep_end > keep_start:
            keep_end -= 1
        else:
            keep_start -= 1
    hidden = n - keep_start - keep_end
    return text[:keep_start] + FILL * hidden + text[n - keep_end :]


def mask_id_number(value) -> str:
    """``45070219900101123X`` → ``450***********123X``."""
    return mask_middle(value, 3, 4)


def mask_phone(value) -> str:
    """``13812345678`` → ``138****5678``."""
    return mask_middle(value, 3, 4)


def surname_of(name: str) -> str:
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def mask_name(value) -> str:
    """``张三`` → ``张*``, ``欧阳修文`` → ``欧阳**``, ``李`` → ``*``.

    Separators of transliterated names (``·``, spaces) stay, so ``买买提·艾力`` →
    ``买**·**``.
    """
    name = _text(value)
    if len(name) <= 1:
        return FILL * len(name)
    keep = surname_of(name)
    rest = "".join(ch if ch in _NAME_SEPARATORS else FILL for ch in name[len(keep) :])
    return keep + rest


def mask_all(value) -> str:
    """Hide everything, even the length (flags such as special-group membership)."""
    return HIDDEN if _text(value) else ""


def mask_text(value) -> str:
    """A generic rule for other short personal values: first and last character."""
    return mask_middle(value, 1, 1)


def unmasked_today(actor) -> int:
    """How many unmasked reads ``actor`` made since local midnight."""
    from datetime import datetime, time

    from django.utils import timezone

    from gridgov.core.audit import AuditKind
    from gridgov.core.models import AuditEvent

    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return AuditEvent.objects.filter(
        kind=AuditKind.PII_UNMASKED, actor=actor, at__gte=midnight
    ).count()


def reveal(obj, field_name: str, *, actor, purpose: str) -> str:
    """The plaintext of ``obj.<field_name>`` for ``actor``, audited as ``pii_unmasked``.

    Refused (``NotPermitted``) unless the actor holds the ``unmask`` right on the object
    and states a purpose of at least 4 characters. Call it inside the request's
    transaction: the audit event and the read succeed or fail together.
    """
    from django.utils.translation import gettext as _

    from gridgov.accounts.scope import can
    from gridgov.core import audit
    from gridgov.core.exceptions import NotPermitted

    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        raise NotPermitted(_("查看完整信息须说明用途（至少 4 个字）"), code="purpose_required")
    if not can(actor, "unmask", obj):
        raise NotPermitted(_("无权查看完整信息"))
    if unmasked_today(actor) >= settings.UNMASK_DAILY_LIMIT:
        raise NotPermitted(
            _("今日查看完整信息已达 %(n)d 次上限，请明日再试或联系安全管理员")
            % {"n": settings.UNMASK_DAILY_LIMIT},
            code="unmask_limit",
        )
    field = obj._meta.get_field(field_name)
    value = getattr(obj, field.attname)
    audit.record(
        audit.AuditKind.PII_UNMASKED,
        actor=actor,
        target=obj,
        purpose=purpose,
        detail={"field": field_name},
    )
    return value
