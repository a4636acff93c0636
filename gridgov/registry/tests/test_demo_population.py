"""The demo's synthetic population, generated through the import path."""

from collections import Counter
from datetime import date

import pytest

from gridgov.areas.models import Grid
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.registry.demo import ensure_population
from gridgov.registry.identity import birth_date_of, gender_of, is_resident_id
from gridgov.registry.models import (
    Address,
    CareTag,
    House,
    Household,
    Person,
    Rental,
    Submission,
    Unit,
)
from gridgov.registry.testing import GRID_B1

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(territory):
    Grid.objects.filter(code=GRID_B1).update(kind="rural")
    return ensure_population(seed=7, scale=0.0003, counties=[territory["county"].code])


def test_a_plausible_population(population):
    assert population.bad_rows == 0
    persons = list(Person.objects.select_related("ethnicity", "residence", "household"))
    assert 800 <= len(persons) <= 1_300
    assert population.counts["persons"] == len(persons)
    # Valid, unique, fictitious ID numbers of 钦州's counties (renters from elsewhere in
    # Guangxi), consistent with gender and birth date.
    numbers = [p.id_number for p in persons]
    assert len(set(numbers)) == len(numbers)
    assert all(is_resident_id(n) for n in numbers)
    assert all(gender_of(p.id_number) == p.gender for p in persons)
    assert all(birth_date_of(p.id_number) == p.birth_date for p in persons)
    registered = [p for p in persons if p.category == "registered"]
    assert all(p.id_number[:6] in ("450702", "450703", "450721", "450722") for p in registered)
    # Mostly Han and Zhuang; Zhuang surnames among the common ones.
    ethnicities = Counter(p.ethnicity.name for p in persons)
    assert ethnicities["汉族"] > ethnicities["壮族"] > 0
    assert ethnicities["汉族"] + ethnicities["壮族"] >= 0.95 * len(persons)
    surnames = Counter(p.name[0] for p in persons)
    assert {"黄", "韦", "覃"} <= set(surnames)
    # Households with one head each, living at one address.
    households = Household.objects.all()
    assert households.count() >= len(persons) / 5
    for household in households[:50]:
        members = [p for p in persons if p.household_id == household.pk]
        assert [m.relation for m in members].count("head") == 1
        assert {m.residence_id for m in members} == {household.address_id}
    # Renters in rental houses, with their landlord.
    rentals = list(Rental.objects.select_related("house", "landlord"))
    assert rentals and all(r.house.use == "rented" for r in rentals)
    tenants = Person.objects.filter(rentals__isnull=False).distinct()
    assert tenants.exists() and all(t.category == "floating" for t in tenants)
    # Care tags where they belong.
    tags = Counter()
    for tag in CareTag.objects.select_related("person"):
        tags[tag.kind_code] += 1
        age = date.today().year - tag.person.birth_date.year
        if tag.kind_code == "elderly_alone":
            assert age >= 65
            assert Person.objects.filter(household=tag.person.household_id).count() == 1
        if tag.kind_code == "left_behind_child":
            assert age <= 16
    assert tags["elderly_alone"] and tags["left_behind_child"]
    # Units with valid credit codes; houses and addresses in the grids of the county.
    assert Unit.objects.filter(is_key_unit=True).exists()
    assert House.objects.count() >= households.count()
    assert not Address.objects.filter(level__in=("door", "building", "room"), grid=None).exists()
    assert set(Person.objects.values_list("grid__code", flat=True)) == set(
        Grid.objects.filter(kind__in=("urban", "rural")).values_list("code", flat=True)
    )
    # Every record has its first version, and one audit event tells the counts.
    assert Submission.objects.filter(record_kind="person").count() == len(persons)
    event = AuditEvent.objects.get(kind=AuditKind.IMPORT, target_type="registry.demo")
    assert event.detail["persons"] == len(persons)


def test_running_again_changes_nothing(population, territory):
    before = (Person.objects.count(), Address.objects.count(), Submission.objects.count())
    again = ensure_population(seed=7, scale=0.0003, counties=[territory["county"].code])
    assert not again.changed and again.skipped == ["测试区"]
    assert (Person.objects.count(), Address.objects.count(), Submission.objects.count()) == before
    assert "未作改动" in again.summary()
