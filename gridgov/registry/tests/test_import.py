"""Import of department files: the 10,000-row file with 50 planted bad rows, the dry run
that writes nothing, the import in the background, idempotency and who may import."""

import pytest

from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import NotPermitted
from gridgov.core.models import AuditEvent
from gridgov.registry import actions_import
from gridgov.registry.models import Household, Person, PersonEvent, Submission
from gridgov.registry.models_import import ImportJob, ImportStatus
from gridgov.registry.testing import GRID_A1, GRID_A2, GRID_B1, make_address
from gridgov.registry.tests.import_helpers import persons_table, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def addresses(territory):
    return [
        make_address(grid, door=f"{n}号").code
        for grid in (GRID_A1, GRID_A2, GRID_B1)
        for n in range(1, 4)
    ]


def upload(data, *, actor, area, kind="persons", name="persons.csv", **extra):
    return actions_import.do_upload_import(
        kind=kind, data=data, file_name=name, area=area, actor=actor, **extra
    )


def checked(data, capture, **kwargs) -> ImportJob:
    with capture(execute=True):
        job = upload(data, **kwargs)
    job.refresh_from_db()
    return job


def imported(job, actor, capture) -> ImportJob:
    with capture(execute=True):
        actions_import.do_start_import(job, actor=actor)
    job.refresh_from_db()
    return job


def snapshot():
    return (
        Person.objects.count(),
        Submission.objects.count(),
        Household.objects.count(),
        PersonEvent.objects.count(),
        sorted(Person.objects.values_list("version", flat=True).distinct()),
    )


def test_ten_thousand_rows_with_fifty_planted_bad_ones(
    people, territory, addresses, django_capture_on_commit_callbacks
):
    rows, planted = persons_table(10_000, addresses, bad_every=200, bad_count=50)
    assert len(planted) == 50
    data = to_csv(rows)
    county = people["county"]
    before = snapshot()
    audits = AuditEvent.objects.count()

    job = checked(data, django_capture_on_commit_callbacks, actor=county, area=territory["county"])

    # The dry run lists exactly the planted rows, each with a Chinese reason, and
    # writes nothing to the registry (nor to the audit log).
    assert job.status == ImportStatus.CHECKED
    assert (job.total, job.bad_rows, job.created_count) == (10_000, 50, 9_950)
    assert sorted({row for row, _column, _reason in job.errors}) == planted
    reasons = " ".join(reason for _row, _column, reason in job.errors)
    for expected in (
        "身份证号码校验位错误",
        "缺少必填项",
        "日期格式错误",
        "地址不存在",
        "重复",
        "电话号码格式错误",
        "无法识别的民族",
        "性别与身份证号码不符",
        "身份证号码应为18位",
    ):
        assert expected in reasons
    assert snapshot() == before
    assert AuditEvent.objects.count() == audits

    # The import creates the 9,950 good rows, each with its first version.
    job = imported(job, county, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.bad_rows, job.done) == (9_950, 50, 10_000)
    assert Person.objects.count() == 9_950
    assert Submission.objects.filter(record_kind="person", status="verified").count() == 9_950
    person = Person.objects.select_related("household").first()
    assert person.verified_by == county and person.version == 1
    assert person.household is not None
    version = Submission.objects.get(record_kind="person", record_id=person.pk)
    assert version.data["id_number"] == person.id_number
    assert version.submitted_by == county and version.decided_by == county
    assert "批量导入" in version.decision_note
    event = AuditEvent.objects.get(kind=AuditKind.IMPORT, target_id=job.public_id)
    assert event.detail["created"] == 9_950 and event.detail["bad_rows"] == 50
    assert event.actor == county
    after_first = snapshot()

    # Importing the same file again changes nothing: no record, no version.
    again = imported(
        checked(data, django_capture_on_commit_callbacks, actor=county, area=territory["county"]),
        county,
        django_capture_on_commit_callbacks,
    )
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 9_950)
    assert snapshot() == after_first


def test_a_changed_phone_is_a_new_version_and_a_move_is_a_conflict(
    people, territory, addresses, django_capture_on_commit_callbacks
):
    rows, _planted = persons_table(6, addresses)
    county, area = people["county"], territory["county"]
    imported(
        checked(to_csv(rows), django_capture_on_commit_callbacks, actor=county, area=area),
        county,
        django_capture_on_commit_callbacks,
    )
    rows[1][4] = "13900009999"  # a new phone
    rows[2][6] = addresses[-1]  # lives elsewhere now
    job = imported(
        checked(to_csv(rows), django_capture_on_commit_callbacks, actor=county, area=area),
        county,
        django_capture_on_commit_callbacks,
    )
    assert (job.created_count, job.updated_count, job.conflict_count) == (0, 1, 1)
    changed = Person.objects.get(
        phone_index=Person._meta.get_field("phone").index_of("13900009999")
    )
    assert changed.version == 2
    assert changed_versions(changed) == [1, 2]
    # The move is not applied by the import: it waits as a pending, conflicting submission.
    pending = Submission.objects.get(status="pending")
    assert pending.conflicts.filter(kind="person_two_places").exists()
    assert pending.submitted_by == county
    # Importing it once more does not pile up another pending submission.
    imported(
        checked(to_csv(rows), django_capture_on_commit_callbacks, actor=county, area=area),
        county,
        django_capture_on_commit_callbacks,
    )
    assert Submission.objects.filter(status="pending").count() == 1


def test_rows_outside_the_importers_area_are_refused(
    people, territory, django_capture_on_commit_callbacks
):
    from gridgov.areas.models import Area

    rows, _planted = persons_table(3, [make_address(GRID_B1).code])
    # The town operator may import into a part of the town, say village A; the rows
    # living in village B (grid B1) are then outside the job's area.
    village_a = Area.objects.get(code=GRID_A1[:12])
    job = checked(
        to_csv(rows), django_capture_on_commit_callbacks, actor=people["town"], area=village_a
    )
    assert job.bad_rows == 3
    assert all("不在本次导入的辖区" in reason for _row, _column, reason in job.errors)
    job = checked(
        to_csv(rows),
        django_capture_on_commit_callbacks,
        actor=people["town"],
        area=territory["town"],
    )
    assert job.bad_rows == 0
    # Above their own area they may not import at all.
    with pytest.raises(NotPermitted):
        upload(to_csv(rows), actor=people["town"], area=territory["county"])


@pytest.mark.parametrize("username", ["worker", "leader", "police", "civil", "sysadmin"])
def test_who_may_not_import(people, territory, addresses, username):
    rows, _planted = persons_table(3, addresses)
    with pytest.raises(NotPermitted):
        upload(to_csv(rows), actor=people[username], area=territory["county"])
    assert ImportJob.objects.count() == 0


def test_a_job_of_another_area_cannot_be_started(
    people, territory, addresses, django_capture_on_commit_callbacks
):
    rows, _planted = persons_table(3, addresses)
    job = checked(
        to_csv(rows),
        django_capture_on_commit_callbacks,
        actor=people["county"],
        area=territory["county"],
    )
    # The town operator's area is below the job's: the county's job is not theirs.
    for username in ("town", "worker", "leader"):
        with pytest.raises(NotPermitted):
            actions_import.do_start_import(job, actor=people[username])
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert Person.objects.count() == 0


def test_cancelled_job_imports_nothing(
    people, territory, addresses, django_capture_on_commit_callbacks
):
    rows, _planted = persons_table(5, addresses)
    job = checked(
        to_csv(rows),
        django_capture_on_commit_callbacks,
        actor=people["county"],
        area=territory["county"],
    )
    actions_import.do_cancel_import(job, actor=people["county"])
    from gridgov.core.exceptions import IllegalTransition

    with pytest.raises(IllegalTransition):
        actions_import.do_start_import(job, actor=people["county"])
    assert Person.objects.count() == 0


def test_unreadable_files_are_refused_at_upload(people, territory):
    from django.core.exceptions import ValidationError

    cases = {
        b"": "文件是空的",
        "姓名,电话\n张三,1\n".encode(): "缺少必填列：证件号码",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old": "不支持旧版 Excel",
        b"PK\x03\x04broken": "Excel 文件已损坏",
    }
    for data, message in cases.items():
        with pytest.raises(ValidationError) as caught:
            upload(data, actor=people["county"], area=territory["county"])
        assert message in str(caught.value.message_dict["file"])
    assert ImportJob.objects.count() == 0


def changed_versions(person):
    return list(
        Submission.objects.filter(record_kind="person", record_id=person.pk, status="verified")
        .order_by("version")
        .values_list("version", flat=True)
    )
