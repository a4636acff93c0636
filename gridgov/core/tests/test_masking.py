"""Masking rules for ID numbers, phones and names, and the audited reveal()."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.core import masking
from gridgov.core.exceptions import NotPermitted
from gridgov.core.masking import mask_all, mask_id_number, mask_name, mask_phone


def test_id_number_keeps_first_three_and_last_four():
    assert mask_id_number("45070219900101123X") == "450***********123X"
    assert mask_id_number(" 450702199001011234 ") == "450***********1234"
    assert mask_id_number("450702900101123") == "450********1123"  # 15-digit old format


def test_phone_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("07772345678") == "077****5678"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳修文", "欧阳**"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),  # two characters: surname 欧, given name 阳
        ("李", "*"),
        ("买买提·艾力", "买**·**"),
    ],
)
def test_names_keep_the_surname(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("func", [mask_id_number, mask_phone, mask_name, mask_all])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_values_mask_to_empty(func, empty):
    assert func(empty) == ""


@pytest.mark.parametrize(
    ("value", "masked"),
    [("1", "*"), ("12", "**"), ("123", "***"), ("1234567", "1*****7"), ("12345678", "12***678")],
)
def test_short_values_are_masked_harder_never_less(value, masked):
    assert mask_id_number(value) == masked
    assert mask_phone(value) == masked


def test_mask_all_hides_even_the_length():
    assert mask_all("吸毒人员") == mask_all("x") == "******"


id_numbers = st.text(alphabet="0123456789", min_size=17, max_size=17).flatmap(
    lambda body: st.sampled_from("0123456789Xx").map(lambda check: body + check)
)


@given(id_numbers)
def test_a_masked_id_never_shows_the_middle_digits(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked[:3] == value[:3] and masked[-4:] == value[-4:]
    for position in range(3, len(value) - 4):
        assert masked[position] == "*"


@given(st.text(max_size=30))
def test_masking_any_text_keeps_the_length_and_hides_at_least_a_third(value):
    n = len(value.strip())
    for func in (mask_id_number, mask_phone):
        masked = func(value)
        assert len(masked) == n
        shown = [i for i, ch in enumerate(masked) if ch != "*"]
        assert len(shown) <= min(7, n - math.ceil(n / 3))
        assert all(masked[i] == value.strip()[i] for i in shown)


# --- reveal ---


@pytest.fixture
def resident(db):
    from gridgov.core.tests.app.models import Resident

    return Resident.objects.create(code="R1", name="张三", phone="13812345678")


@pytest.fixture
def staff_user(django_user_model, monkeypatch):
    """A user who may unmask (the scope rules of real models live in accounts.scope)."""
    from gridgov.accounts import scope

    user = django_user_model.objects.create_user(username="checker", password="x")
    monkeypatch.setattr(scope, "can", lambda who, action, obj: who == user and action == "unmask")
    return user


def test_reveal_gives_the_plaintext_and_audits_it(resident, staff_user):
    from gridgov.core.models import AuditEvent

    assert masking.reveal(resident, "phone", actor=staff_user, purpose="电话回访核实") == (
        "13812345678"
    )
    event = AuditEvent.objects.get()
    assert event.kind == "pii_unmasked"
    assert event.purpose == "电话回访核实"
    assert event.detail == {"field": "phone"}
    assert (event.target_type, event.target_id) == ("coretests.resident", "R1")
    assert event.actor == staff_user
    assert "13812345678" not in str(event.__dict__)


def test_reveal_requires_a_purpose_and_the_right(resident, staff_user, django_user_model):
    from gridgov.core.models import AuditEvent

    with pytest.raises(NotPermitted, match="用途"):
        masking.reveal(resident, "phone", actor=staff_user, purpose=" 看看 ")
    clerk = django_user_model.objects.create_user(username="clerk", password="x")
    with pytest.raises(NotPermitted, match="无权"):
        masking.reveal(resident, "phone", actor=clerk, purpose="电话回访核实")
    assert not AuditEvent.objects.exists()


def test_unmasking_is_limited_per_user_per_day(resident, staff_user, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.UNMASK_DAILY_LIMIT = 3
    for _ in range(3):
        masking.reveal(resident, "phone", actor=staff_user, purpose="电话回访核实")
    with pytest.raises(NotPermitted, match="上限"):
        masking.reveal(resident, "phone", actor=staff_user, purpose="电话回访核实")
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert masking.reveal(resident, "phone", actor=staff_user, purpose="电话回访核实")
