"""Numbers stay out of URLs and error reports."""

from gridgov.registry.importing import echo
from gridgov.registry.search import classify


def test_a_mobile_number_with_the_country_code_is_searched_as_a_phone():
    for query in ("+86 139 0777 0001", "0086-13907770001", "8613907770001", "13907770001"):
        assert classify(query) == "phone", query


def test_an_error_report_never_quotes_a_long_number():
    assert echo("450702199001011234") == "（含长数字，不予显示）"
    assert echo("13907770001") == "（含长数字，不予显示）"
    assert echo("汉") == "汉"
    assert len(echo("很长的一段文字" * 10)) == 20
