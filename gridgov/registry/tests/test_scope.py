"""Who sees what: grid staff their grid, agencies their subtree, departments only the
persons whose care tags name their kind, administrators nothing; care-tag reads audited;
search within scope only (an out-of-scope exact ID number finds nothing, like a missing one)."""

import pytest

from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import NotPermitted
from gridgov.core.models import AuditEvent
from gridgov.registry import actions, search
from gridgov.registry.models import CareTag, Person
from gridgov.registry.testing import id_number


@pytest.fixture
def zhang(household):
    return Person.objects.get(name="张伟")


def _visible(user):
    return set(Person.objects.restrict(user, "view").values_list("name", flat=True))


def test_who_sees_the_household(people, zhang):
    both = {"张伟", "李娜"}
    for name in ("worker", "parttime", "leader", "town", "town_leader", "county"):
        assert _visible(people[name]) == both, name
    for name in ("worker_b", "leader_b", "police", "justice", "civil", "sysadmin"):
        assert _visible(people[name]) == set(), name


def test_sensitive_care_tags_only_for_named_roles_and_departments(people, zhang):
    with pytest.raises(NotPermitted, match="社区矫正"):
        actions.do_add_care_tag(zhang, "community_correction", actor=people["worker"])
    assert not CareTag.objects.exists()
    actions.do_add_care_tag(zhang, "community_correction", actor=people["leader"], note="2024年起")
    actions.do_add_care_tag(zhang, "subsistence", actor=people["worker"])

    def seen(user):
        return {kind.code for kind, _tag in actions.read_care_tags(zhang, actor=user)}

    assert seen(people["leader"]) == {"community_correction", "subsistence"}
    assert seen(people["town_leader"]) == {"community_correction", "subsistence"}
    assert seen(people["worker"]) == {"subsistence"}
    assert seen(people["county"]) == {"subsistence"}  # an operator, not the 负责人
    assert seen(people["justice"]) == {"community_correction"}
    assert seen(people["civil"]) == {"subsistence"}
    assert seen(people["police"]) == set()
    assert seen(people["worker_b"]) == set()
    # The department reaches the tagged person, and nobody else of the household.
    assert _visible(people["justice"]) == {"张伟"}
    assert _visible(people["police"]) == set()
    # The kind is stored encrypted: the database row does not say 社区矫正.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT kind_code FROM registry_caretag")
        stored = [row[0] for row in cursor.fetchall()]
    assert all("community" not in value and "subsistence" not in value for value in stored)


def test_every_care_tag_read_is_audited(people, zhang):
    actions.do_add_care_tag(zhang, "severe_mental_disorder", actor=people["leader"])
    before = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count()
    actions.read_care_tags(zhang, actor=people["leader"])
    event = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).latest("sequence")
    assert AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count() == before + 1
    assert event.actor == people["leader"]
    assert event.target_id == zhang.public_id
    assert event.detail == {"care_tags": ["severe_mental_disorder"]}
    assert "张伟" not in event.target_repr  # the name is masked in the log


def test_removing_a_tag_needs_the_right_to_see_it(people, zhang):
    tag = actions.do_add_care_tag(zhang, "drug_rehabilitation", actor=people["leader"])
    with pytest.raises(NotPermitted):
        actions.do_remove_care_tag(tag, actor=people["worker"])
    actions.do_remove_care_tag(tag, actor=people["leader"])
    assert not CareTag.objects.exists()


def test_search_by_exact_id_number_and_phone_within_scope(people, zhang):
    number = id_number(1)
    assert list(search.persons(people["county"], q=number)) == [zhang]
    assert list(search.persons(people["county"], q=number.lower())) == [zhang]
    assert list(search.persons(people["worker"], phone="138 1234 5678")) == [zhang]
    # Out of scope: the same answer as a number nobody has.
    assert list(search.persons(people["worker_b"], q=number)) == []
    assert list(search.persons(people["worker_b"], q=id_number(99))) == []
    assert list(search.persons(people["police"], q=number)) == []
    assert list(search.persons(people["sysadmin"], q=number)) == []


def test_search_by_name_prefix_address_grid_and_tag(people, zhang, door):
    li = Person.objects.get(name="李娜")
    assert list(search.persons(people["town"], q="张")) == [zhang]
    assert list(search.persons(people["town"], name="李")) == [li]
    assert set(search.persons(people["town"], q="人民路12号")) == {zhang, li}
    assert set(search.persons(people["town"], address="测试街道甲社区人民路12号")) == {zhang, li}
    assert list(search.persons(people["town"], address="人民路99号")) == []
    assert set(search.persons(people["county"], grid="990101001001")) == {zhang, li}
    assert list(search.persons(people["county"], grid="990101001002")) == []

    actions.do_add_care_tag(zhang, "community_correction", actor=people["leader"])
    actions.do_add_care_tag(li, "elderly_alone", actor=people["leader"])
    assert list(search.persons(people["leader"], tag="community_correction")) == [zhang]
    assert list(search.persons(people["worker"], tag="community_correction")) == []
    assert list(search.persons(people["worker"], tag="elderly_alone")) == [li]
    assert list(search.persons(people["justice"], tag="community_correction")) == [zhang]
    audited = AuditEvent.objects.filter(
        kind=AuditKind.SENSITIVE_READ, target_id="community_correction"
    )
    assert audited.count() == 3


def test_classify_the_single_search_box():
    assert search.classify(id_number(1)) == "id_number"
    assert search.classify("13812345678") == "phone"
    assert search.classify("E12345678") == "id_number"
    assert search.classify("人民路12号") == "address"
    assert search.classify("张") == "name"
