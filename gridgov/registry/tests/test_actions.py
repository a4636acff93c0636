"""Collection (采集) and verification (核实): pending until verified, the old version in
force meanwhile, every version kept, conflicts flagged, bad input refused in Chinese."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from gridgov.core.exceptions import Conflict as ConflictError
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.registry import actions
from gridgov.registry.choices import ConflictKind, SubmissionStatus
from gridgov.registry.models import Address, House, Household, Person, PersonEvent, Submission
from gridgov.registry.testing import (
    GRID_A1,
    GRID_B1,
    id_number,
    make_address,
    make_credit_code,
    make_maritime_grid,
)


def _person_data(door, n=10, **extra):
    return {
        "name": "王芳",
        "id_number": id_number(n),
        "residence": door.code,
        "phone": "13900001111",
        **extra,
    }


def test_a_collected_household_waits_for_the_grid_leader(people, door):
    sub = actions.do_submit(
        "household",
        {
            "address": door.code,
            "members": [
                {"name": "张伟", "id_number": id_number(1), "relation": "head"},
                {"name": "李娜", "id_number": id_number(2), "relation": "spouse"},
            ],
        },
        actor=people["worker"],
    )
    assert sub.status == SubmissionStatus.PENDING
    assert sub.grid.code == GRID_A1
    assert sub.summary == "张* 等2人"
    assert not Person.objects.exists()  # nothing in force before verification

    with pytest.raises(NotPermitted, match="网格长"):
        actions.do_verify(sub, actor=people["worker"])
    with pytest.raises(NotPermitted):
        actions.do_verify(sub, actor=people["leader_b"])
    household = actions.do_verify(sub, actor=people["leader"], note="入户核实")

    members = {p.name: p for p in household.members.all()}
    assert set(members) == {"张伟", "李娜"}
    head = members["张伟"]
    assert (head.gender, head.birth_date) == ("1", date(1995, 3, 8))  # from the ID number
    assert head.grid.code == GRID_A1 and head.version == 1 and head.relation == "head"
    assert list(head.events.values_list("kind", flat=True)) == ["move_in"]
    sub.refresh_from_db()
    assert (sub.status, sub.version, sub.decision_note) == ("verified", 1, "入户核实")
    with pytest.raises(IllegalTransition):
        actions.do_verify(sub, actor=people["leader"])


def test_the_town_agency_verifies_too(people, door):
    sub = actions.do_submit("person", _person_data(door), actor=people["worker"])
    person = actions.do_verify(sub, actor=people["town"])
    assert person.name == "王芳" and person.phone == "13900001111"


def test_a_bad_check_digit_names_the_member_field_and_changes_nothing(people, door):
    good = id_number(3)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "household",
            {
                "address": door.code,
                "members": [
                    {"name": "张伟", "id_number": id_number(1), "relation": "head"},
                    {"name": "张小明", "id_number": bad, "relation": "child"},
                ],
            },
            actor=people["worker"],
        )
    assert exc.value.message_dict == {
        "members-1-id_number": ["身份证号码校验位错误，请核对后重新输入"]
    }
    assert not Submission.objects.filter(record_kind="household").exists()


def test_input_errors_are_collected_per_field(people, door):
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "person",
            {
                "name": "",
                "id_number": id_number(5),
                "gender": "2",  # the number says male
                "residence": "NO-SUCH-CODE",
                "phone": "123",
                "ethnicity": "火星族",
                "category": "overseas",
            },
            actor=people["worker"],
        )
    errors = exc.value.message_dict
    assert errors["name"] == ["请填写姓名"]
    assert errors["gender"] == ["性别与身份证号码不符"]
    assert errors["residence"] == ["未找到标准地址“NO-SUCH-CODE”"]
    assert errors["phone"] == ["电话号码格式错误：应为11位手机号或带区号的固定电话"]
    assert errors["ethnicity"] == ["未知的民族“火星族”"]
    assert errors["id_type"] == ["境外人员须登记护照或其他出入境证件"]


def test_an_address_of_another_grid_reads_as_unknown(people, door_b):
    with pytest.raises(ValidationError) as exc:
        actions.do_submit("person", _person_data(door_b), actor=people["worker"])
    assert exc.value.message_dict == {"residence": [f"未找到标准地址“{door_b.code}”"]}


def test_a_household_needs_exactly_one_head_and_distinct_numbers(people, door):
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "household",
            {
                "address": door.code,
                "members": [
                    {"name": "甲", "id_number": id_number(1), "relation": "spouse"},
                    {"name": "乙", "id_number": id_number(1), "relation": "child"},
                ],
            },
            actor=people["worker"],
        )
    assert exc.value.message_dict == {"members-1-id_number": ["与第1人的证件号码重复"]}
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "household",
            {"address": door.code, "members": [{"name": "甲", "id_number": id_number(1)}]},
            actor=people["worker"],
        )
    assert exc.value.message_dict == {"members": ["家庭户须有且只有一名户主"]}


def test_a_person_already_registered_here_is_a_duplicate(people, household, door):
    with pytest.raises(ValidationError) as exc:
        actions.do_submit("person", _person_data(door, n=1, name="张伟"), actor=people["worker"])
    (message,) = exc.value.message_dict["id_number"]
    assert message.startswith("该人员已登记在此地址")
    assert not Submission.objects.filter(record_kind="person", status="pending").exists()


def test_one_id_number_in_two_places_is_flagged_and_resolved_as_a_move(
    people, household, door, door_b
):
    zhang = Person.objects.get(name="张伟")
    sub = actions.do_submit(
        "person", _person_data(door_b, n=1, name="张伟"), actor=people["worker_b"]
    )
    (conflict,) = sub.conflicts.all()
    assert conflict.kind == ConflictKind.PERSON_TWO_PLACES
    assert "已登记在其他地址" in conflict.description
    assert door.full_name not in conflict.description  # the other place is not told
    with pytest.raises(IllegalTransition, match="冲突"):
        actions.do_verify(sub, actor=people["leader_b"])
    zhang.refresh_from_db()
    assert zhang.grid.code == GRID_A1  # still in force where it was

    with pytest.raises(ValidationError):
        actions.do_resolve_conflict(conflict, accept=True, note="", actor=people["leader_b"])
    with pytest.raises(NotPermitted):
        actions.do_resolve_conflict(conflict, accept=True, note="已搬家", actor=people["worker_b"])
    actions.do_resolve_conflict(conflict, accept=True, note="本人已搬来", actor=people["leader_b"])
    moved = actions.do_verify(sub, actor=people["leader_b"])

    assert moved.pk == zhang.pk and moved.version == 2
    assert moved.grid.code == GRID_B1 and moved.residence == door_b
    assert Person.objects.filter(id_number_index=zhang.id_number_index).count() == 1
    kinds = list(moved.events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["move_in", "move_out", "move_in"]
    assert not Person.objects.restrict(people["worker"]).filter(pk=zhang.pk).exists()
    assert Person.objects.restrict(people["worker_b"]).filter(pk=zhang.pk).exists()


def test_rejecting_a_conflict_rejects_the_submission(people, household, door_b):
    sub = actions.do_submit(
        "person", _person_data(door_b, n=1, name="张伟"), actor=people["worker_b"]
    )
    conflict = sub.conflicts.get()
    actions.do_resolve_conflict(conflict, accept=False, note="号码录错", actor=people["town"])
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.REJECTED
    assert Person.objects.get(name="张伟").grid.code == GRID_A1


def test_two_pending_submissions_about_one_person_are_flagged(people, door):
    first = actions.do_submit("person", _person_data(door), actor=people["worker"])
    second = actions.do_submit("person", _person_data(door), actor=people["parttime"])
    assert not first.conflicts.exists()
    (conflict,) = second.conflicts.all()
    assert conflict.kind == ConflictKind.DUPLICATE_PENDING
    assert conflict.other_submission == first


def test_a_change_keeps_the_old_version_in_force_until_verified(people, household, door):
    zhang = Person.objects.get(name="张伟")
    room = make_address(GRID_A1, room="301")
    change = actions.do_submit(
        "person",
        {
            "name": "张伟",
            "id_number": zhang.id_number,
            "residence": room.code,
            "phone": "13700002222",
            "household": household.public_id,
            "relation": "head",
        },
        actor=people["worker"],
        record=zhang,
    )
    zhang.refresh_from_db()
    assert (zhang.phone, zhang.residence, zhang.version) == ("13812345678", door, 1)
    assert list(actions.pending_for(zhang)) == [change]

    actions.do_verify(change, actor=people["leader"])
    zhang.refresh_from_db()
    assert (zhang.phone, zhang.residence, zhang.version) == ("13700002222", room, 2)
    versions = list(actions.versions(zhang))
    assert [v.version for v in versions] == [1, 2]  # version 1 came with the household
    assert actions.versions(household).get().version == 1
    # Every version's data is kept.
    assert [v.data["phone"] for v in versions] == ["13812345678", "13700002222"]


def test_a_stale_change_cannot_be_verified(people, household, door):
    zhang = Person.objects.get(name="张伟")
    data = {"name": "张伟", "id_number": zhang.id_number, "residence": door.code}
    first = actions.do_submit(
        "person", {**data, "phone": "13700000001"}, actor=people["worker"], record=zhang
    )
    second = actions.do_submit(
        "person", {**data, "phone": "13700000002"}, actor=people["worker"], record=zhang
    )
    assert second.conflicts.get().kind == ConflictKind.DUPLICATE_PENDING
    actions.do_verify(first, actor=people["leader"])
    conflict = second.conflicts.get()
    actions.do_resolve_conflict(conflict, accept=True, note="以后一条为准", actor=people["leader"])
    with pytest.raises(ConflictError, match="已更新为第2版"):
        actions.do_verify(second, actor=people["leader"])


def test_reject_and_withdraw(people, door):
    sub = actions.do_submit("person", _person_data(door), actor=people["worker"])
    with pytest.raises(ValidationError) as exc:
        actions.do_reject(sub, actor=people["leader"], note="")
    assert exc.value.message_dict == {"note": ["请填写退回理由"]}
    actions.do_reject(sub, actor=people["leader"], note="证件号码需核对")
    sub.refresh_from_db()
    assert sub.status == "rejected" and not Person.objects.exists()

    other = actions.do_submit("person", _person_data(door, n=11), actor=people["worker"])
    with pytest.raises(NotPermitted, match="采集人本人"):
        actions.do_withdraw(other, actor=people["parttime"])
    actions.do_withdraw(other, actor=people["worker"])
    other.refresh_from_db()
    assert other.status == "withdrawn"


def test_parttime_staff_collect_but_do_not_verify(people, door):
    sub = actions.do_submit("person", _person_data(door), actor=people["parttime"])
    with pytest.raises(NotPermitted):
        actions.do_verify(sub, actor=people["parttime"])
    with pytest.raises(NotPermitted):
        actions.do_verify(sub, actor=people["county"])  # the county sees, the town verifies


def test_departments_and_administrators_cannot_collect(people, door):
    for name in ("police", "sysadmin", "county"):
        with pytest.raises((NotPermitted, ValidationError)):
            actions.do_submit("person", _person_data(door), actor=people[name])
    assert not Submission.objects.filter(record_kind="person").exists()


# Houses -------------------------------------------------------------------------------


def test_a_house_with_two_owners_is_flagged(people, household, door):
    zhang = Person.objects.get(name="张伟")
    li = Person.objects.get(name="李娜")
    first = actions.do_submit(
        "house",
        {"address": door.code, "use": "own", "owner": zhang.public_id},
        actor=people["worker"],
    )
    house = actions.do_verify(first, actor=people["leader"])
    assert house.owner == zhang and house.grid.code == GRID_A1

    again = actions.do_submit(
        "house",
        {"address": door.code, "use": "rented", "owner": li.public_id},
        actor=people["worker"],
    )
    (conflict,) = again.conflicts.all()
    assert conflict.kind == ConflictKind.HOUSE_TWO_OWNERS
    with pytest.raises(ValidationError) as exc:
        actions.do_submit("house", {"address": door.code, "use": "own"}, actor=people["worker"])
    assert "该地址已登记房屋" in exc.value.message_dict["address"][0]
    actions.do_resolve_conflict(conflict, accept=True, note="已过户", actor=people["leader"])
    house = actions.do_verify(again, actor=people["leader"])
    assert (house.owner, house.use, house.version) == (li, "rented", 2)
    assert House.objects.count() == 1


def test_rental_with_landlord_and_tenants(people, household, door):
    zhang = Person.objects.get(name="张伟")
    li = Person.objects.get(name="李娜")
    house = actions.do_verify(
        actions.do_submit(
            "house",
            {"address": door.code, "use": "rented", "owner": zhang.public_id},
            actor=people["worker"],
        ),
        actor=people["leader"],
    )
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "rental",
            {
                "house": house.public_id,
                "landlord": zhang.public_id,
                "start_date": "2024-05-01",
                "end_date": "2024-01-01",
            },
            actor=people["worker"],
        )
    assert exc.value.message_dict == {"end_date": ["租赁终止日期不能早于起始日期"]}
    rental = actions.do_verify(
        actions.do_submit(
            "rental",
            {
                "house": house.public_id,
                "landlord": zhang.public_id,
                "tenants": [li.public_id],
                "start_date": "2024-05-01",
            },
            actor=people["worker"],
        ),
        actor=people["leader"],
    )
    assert list(rental.tenants.all()) == [li] and rental.grid.code == GRID_A1


# Addresses, units, vessels --------------------------------------------------------------


def test_addresses_get_hierarchical_codes_and_a_grid_from_their_point(people, territory):
    room = make_address(GRID_A1, road="人民路", door="12", room="301")
    door = room.parent
    road = door.parent
    assert road.code == f"{territory['village_a'].code}L001"
    assert door.code == f"{road.code}M0001" and door.name == "12号"
    assert room.code == f"{door.code}H0001" and room.name == "301室"
    assert room.grid.code == GRID_A1 and room.full_name == "甲社区居民委员会人民路12号301室"
    assert road.grid is None


def test_address_points_are_checked(people, territory):
    road = make_address(GRID_A1).parent
    with pytest.raises(ValidationError) as exc:
        actions.do_import_record(
            "address",
            {"level": "door", "name": "99", "parent": road.code, "lon": 108.005, "lat": 21.015},
            actor=None,
        )
    assert "不在甲社区居民委员会范围内" in exc.value.message_dict["lon"][0]
    with pytest.raises(ValidationError) as exc:
        actions.do_import_record(
            "address",
            {"level": "door", "name": "98", "parent": road.code, "lon": 110.0, "lat": 25.0},
            actor=None,
        )
    assert exc.value.message_dict == {"lon": ["该位置不在任何网格内，请核对经纬度"]}
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "address", {"level": "door", "name": "97", "parent": road.code}, actor=people["worker"]
        )
    assert exc.value.message_dict == {"lon": ["门牌、楼栋须标注位置（经纬度），以确定所属网格"]}
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "address", {"level": "unit", "name": "1", "parent": road.code}, actor=people["worker"]
        )
    assert exc.value.message_dict == {"parent": ["单元不能设在街路巷之下"]}
    with pytest.raises(ValidationError) as exc:
        actions.do_import_record(
            "address",
            {"level": "door", "name": "12", "parent": road.code, "lon": 108.005, "lat": 21.005},
            actor=None,
        )
    assert exc.value.message_dict == {"name": ["上级地址下已有同名地址“12号”"]}
    assert Address.objects.count() == 2


def test_moving_a_door_moves_what_is_registered_under_it(people, household, door):
    change = actions.do_submit(
        "address",
        {
            "level": "door",
            "name": "12号",
            "parent": door.parent.code,
            "lon": 108.015,
            "lat": 21.005,
        },
        actor=None,
        record=door,
    )
    actions.do_verify(change, actor=None)
    assert set(Person.objects.values_list("grid__code", flat=True)) == {"990101001001002"}
    assert Household.objects.get().grid.code == "990101001001002"


def test_units_credit_codes_and_key_places(people, door):
    code = make_credit_code(5)
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "unit",
            {
                "name": "甲小学",
                "credit_code": code[:-1] + ("0" if code[-1] != "0" else "1"),
                "kind": "institution",
                "address": door.code,
                "key_place_kind": "school",
            },
            actor=people["worker"],
        )
    assert exc.value.message_dict == {
        "credit_code": ["统一社会信用代码校验位错误，请核对后重新输入"],
        "patrol_frequency": ["重点单位须设定巡查频次"],
    }
    unit = actions.do_verify(
        actions.do_submit(
            "unit",
            {
                "name": "甲小学",
                "credit_code": code,
                "kind": "institution",
                "address": door.code,
                "key_place_kind": "school",
                "patrol_frequency": "weekly",
                "contact_phone": "13600001111",
            },
            actor=people["worker"],
        ),
        actor=people["leader"],
    )
    assert unit.is_key_unit and unit.grid.code == GRID_A1 and unit.contact_phone == "13600001111"
    with pytest.raises(ValidationError) as exc:
        actions.do_submit(
            "unit",
            {"name": "乙", "credit_code": code, "kind": "enterprise", "address": door.code},
            actor=people["worker"],
        )
    assert exc.value.message_dict == {"credit_code": ["该统一社会信用代码已登记"]}


def test_vessels_belong_to_a_maritime_grid(people, territory, door):
    sea = make_maritime_grid(territory)
    with pytest.raises(ValidationError) as exc:
        actions.do_import_record(
            "vessel",
            {"name": "桂钦渔1号", "registration_number": "x1", "grid": GRID_A1},
            actor=None,
        )
    assert exc.value.message_dict == {"grid": ["船舶须登记在海上专属网格"]}
    _, vessel = actions.do_import_record(
        "vessel",
        {
            "name": "桂钦渔1号",
            "registration_number": "gxqz-001",
            "grid": sea.code,
            "vessel_group": "第一编组",
        },
        actor=None,
    )
    assert vessel.registration_number == "GXQZ-001" and vessel.grid == sea
    with pytest.raises(ValidationError) as exc:
        actions.do_import_record(
            "vessel",
            {"name": "另一船", "registration_number": "GXQZ-001", "grid": sea.code},
            actor=None,
        )
    assert exc.value.message_dict == {"registration_number": ["该船舶登记号已登记"]}
    # Grid staff of land grids do not see vessels; the town does.
    from gridgov.registry.models import Vessel

    assert not Vessel.objects.restrict(people["worker"]).exists()
    assert Vessel.objects.restrict(people["town"]).get() == vessel


def test_events_birth_and_death(people, household, door):
    zhang = Person.objects.get(name="张伟")
    baby = actions.do_verify(
        actions.do_submit(
            "person",
            {
                "name": "张小宝",
                "id_number": id_number(21, date(2025, 1, 2)),
                "residence": door.code,
                "household": household.public_id,
                "relation": "child",
                "event": {"kind": "birth", "date": "2025-01-02"},
            },
            actor=people["worker"],
        ),
        actor=people["leader"],
    )
    assert list(baby.events.values_list("kind", "date")) == [("birth", date(2025, 1, 2))]
    died = actions.do_verify(
        actions.do_submit(
            "person",
            {
                "name": "张伟",
                "id_number": zhang.id_number,
                "residence": door.code,
                "household": household.public_id,
                "relation": "head",
                "status": "deceased",
            },
            actor=people["worker"],
            record=zhang,
        ),
        actor=people["leader"],
    )
    assert died.status == "deceased"
    assert PersonEvent.objects.filter(person=died, kind="death").exists()
