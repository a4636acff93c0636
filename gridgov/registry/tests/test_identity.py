"""ID numbers, credit codes and phones (python-stdnum), and free-text address parsing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric, uscc

from gridgov.registry import identity
from gridgov.registry.addressing import normalise_part, parse, village_aliases
from gridgov.registry.testing import assert_no_plain_personal_data, id_number


def test_fictitious_numbers_are_valid_for_stdnum():
    number = id_number(7, date(1995, 3, 8))
    assert number.startswith("45070219950308007")
    assert ric.is_valid(number)
    assert uscc.is_valid(identity.make_credit_code(42))


def test_bad_check_digit_is_named_in_chinese():
    good = id_number(3)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        identity.check_resident_id(bad)
    assert exc.value.message_dict == {"id_number": ["身份证号码校验位错误，请核对后重新输入"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4507021995", "身份证号码应为18位（当前10位）"),
        ("45070219950308A071", "身份证号码格式错误：前17位应为数字，末位为数字或X"),
    ],
)
def test_malformed_numbers(value, message):
    with pytest.raises(ValidationError) as exc:
        identity.check_resident_id(value)
    assert exc.value.message_dict["id_number"] == [message]


def test_impossible_birth_date_and_unknown_area():
    body = "45070219951332001"  # month 13
    with pytest.raises(ValidationError, match="出生日期无效"):
        identity.check_resident_id(body + ric.calc_check_digit(body + "0"))
    body = "99999919950101001"
    with pytest.raises(ValidationError, match="地区代码无效"):
        identity.check_resident_id(body + ric.calc_check_digit(body + "0"))


def test_area_code_created_after_birth_is_accepted():
    # 450702 (钦南区) exists since 1994; a resident born in 1960 may well hold such a number.
    number = identity.make_resident_id(date(1960, 5, 6), 12)
    assert not ric.is_valid(number)  # stdnum's own check refuses it …
    assert identity.check_resident_id(number) == number  # … we accept it on purpose


def test_gender_and_birth_date_from_the_number():
    number = id_number(1, date(2001, 2, 3))  # sequence 001: odd → male
    assert identity.gender_of(number) == "1"
    assert identity.birth_date_of(number) == date(2001, 2, 3)
    assert identity.gender_of(id_number(2)) == "2"


def test_lower_case_x_and_spaces_are_normalised():
    number = next(id_number(n) for n in range(1, 200) if id_number(n).endswith("X"))
    spaced = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    assert identity.check_resident_id(spaced) == number


def test_credit_code_and_phone():
    code = identity.make_credit_code(7)
    assert identity.check_credit_code(code.lower()) == code
    with pytest.raises(ValidationError) as exc:
        identity.check_credit_code(code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert exc.value.message_dict == {
        "credit_code": ["统一社会信用代码校验位错误，请核对后重新输入"]
    }
    assert identity.check_phone("+86 138-1234-5678") == "13812345678"
    assert identity.check_phone("0777-2812345") == "07772812345"
    with pytest.raises(ValidationError, match="电话号码格式错误"):
        identity.check_phone("12345")


def test_other_documents():
    assert identity.check_document("passport", "e 1234 5678") == "E12345678"
    with pytest.raises(ValidationError, match="5至20位字母或数字"):
        identity.check_document("passport", "护照")


def test_leak_detector_finds_id_numbers_and_mobiles_only():
    number = id_number(5)
    with pytest.raises(AssertionError, match="ID number"):
        assert_no_plain_personal_data(f'{{"id_number": "{number}"}}')
    with pytest.raises(AssertionError, match="mobile"):
        assert_no_plain_personal_data("电话 13812345678")
    assert_no_plain_personal_data("450***********0050 138****5678")
    # An 18-digit run that is not a valid ID number (bad check digit) is not a leak.
    assert_no_plain_personal_data(number[:-1] + ("0" if number[-1] != "0" else "1"))


def test_address_detail_normaliser():
    parsed = parse("人民路１２号3幢二单元301", use_areas=False)
    assert (parsed.road, parsed.door, parsed.building, parsed.unit, parsed.room) == (
        "人民路",
        "12号",
        "3栋",
        "2单元",
        "301室",
    )
    assert normalise_part("door", "12") == "12号"
    assert normalise_part("unit", "02") == "2单元"
    assert normalise_part("building", "a座") == "A栋"
    assert village_aliases("沙角村委会") == ["沙角村委会", "沙角村"]
    assert village_aliases("甲社区居民委员会") == ["甲社区居民委员会", "甲社区"]


def test_jionlp_recognises_the_administrative_part():
    parsed = parse("广西钦州钦南犀牛脚镇沙角村委会人民路12号", use_areas=False)
    assert (parsed.province, parsed.city, parsed.county) == ("广西壮族自治区", "钦州市", "钦南区")
    assert parsed.door == "12号"


@pytest.mark.django_db
def test_our_areas_are_matched_below_the_county(territory):
    parsed = parse("测试区测试街道甲社区人民路12号3栋2单元301室")
    assert parsed.area_codes == ["990101", "990101001", "990101001001"]
    assert parsed.village == "甲社区居民委员会"
    assert parsed.road == "人民路"
    assert parsed.room == "301室"
