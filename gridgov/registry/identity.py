"""Identifiers of the registry, checked with python-stdnum: resident ID numbers (GB 11643,
``stdnum.cn.ric``), unified social credit codes (GB 32100, ``stdnum.cn.uscc``), and
phone numbers.

Each ``check_*`` returns the normalised value or raises
``ValidationError({field: [Chinese message]})`` naming the field.

One departure from ``stdnum.cn.ric.validate``: it refuses a number whose area code was
created after the birth year (450702 钦南区 exists since 1994, so a 1960-born resident of
钦南区 with a 450702… number would fail), but numbers are issued — and re-issued after a
move — long after birth. We accept any area code that stdnum knows, whatever the year.
"""

import functools
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc

from gridgov.core.fields import normalise_id_number, normalise_phone
from gridgov.registry.choices import DocumentType, Gender

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def ric_area_known(number: str) -> bool:
    return _area_known(number[:6])


@functools.lru_cache(maxsize=8192)
def _area_known(area: str) -> bool:
    # Cached: the numdb lookup is two thirds of the cost of checking an ID number, and
    # an import checks millions of numbers from a few hundred areas.
    results = numdb.get("cn/loc").info(area)
    return any("county" in props for _part, props in results)


def check_resident_id(value: str, field: str = "id_number") -> str:
    """A mainland resident ID number (居民身份证号码), normalised (upper-case X)."""
    number = normalise_id_number(value or "")
    if len(number) != 18:
        raise _error(field, _("身份证号码应为18位（当前%(n)d位）") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _error(field, _("身份证号码格式错误：前17位应为数字，末位为数字或X"))
    if number[-1] != ric.calc_check_digit(number):
        raise _error(field, _("身份证号码校验位错误，请核对后重新输入"))
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise _error(field, _("身份证号码中的出生日期无效")) from None
    if born > timezone.localdate() or born.year < 1880:
        raise _error(field, _("身份证号码中的出生日期无效"))
    if not ric_area_known(number):
        raise _error(field, _("身份证号码中的地区代码无效"))
    return number


def is_resident_id(value: str) -> bool:
    try:
        check_resident_id(value)
    except ValidationError:
        return False
    return True


def gender_of(number: str) -> str:
    """GB/T 2261.1 code from the 17th digit (odd: male)."""
    return Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def birth_date_of(number: str) -> date:
    return ric.get_birth_date(number)


def check_document(id_type: str, value: str, field: str = "id_number") -> str:
    """An ID document number of the given type."""
    if id_type == DocumentType.RESIDENT_ID:
        return check_resident_id(value, field)
    number = re.sub(r"[\s\-]", "", (value or "")).upper()
    if not OTHER_DOCUMENT.match(number):
        raise _error(field, _("证件号码格式错误：应为5至20位字母或数字"))
    return number


def check_phone(value: str, field: str = "phone") -> str:
    phone = normalise_phone(value or "")
    if not phone:
        return ""
    if MOBILE.match(phone) or LANDLINE.match(phone):
        return phone
    raise _error(field, _("电话号码格式错误：应为11位手机号或带区号的固定电话"))


def check_credit_code(value: str, field: str = "credit_code") -> str:
    """A unified social credit code (统一社会信用代码)."""
    code = uscc.compact(value or "")
    if not code:
        return ""
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength:
        raise _error(
            field, _("统一社会信用代码应为18位（当前%(n)d位）") % {"n": len(code)}
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise _error(field, _("统一社会信用代码校验位错误，请核对后重新输入")) from None
    except stdnum_errors.ValidationError:
        raise _error(field, _("统一社会信用代码格式错误")) from None


def make_resident_id(born: date, sequence: int, area: str = "450702") -> str:
    """A valid (fictitious) ID number: for tests and demo data only."""
    body = f"{area}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_credit_code(seed: int) -> str:
    """A valid (fictitious) unified social credit code: for tests and demo data only."""
    body = f"91450700MA{seed % 10**7:07d}"
    return body + uscc.calc_check_digit(body)
