"""Export: masked by default; unmasked only after a second person of the same agency
approves; watermarked; expires after 24 hours; every download audited."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.core.models import AuditEvent
from gridgov.core.testing import grant
from gridgov.orgs.choices import Role
from gridgov.registry import actions_import, importing
from gridgov.registry.models import Person
from gridgov.registry.models_import import ExportRequest, ExportStatus
from gridgov.registry.testing import assert_no_plain_personal_data, make_address
from gridgov.registry.tests.import_helpers import persons_table, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def persons(people, territory):
    rows, _planted = persons_table(12, [make_address().code])
    table = importing.read_table(to_csv(rows), "persons")
    importing.import_rows("persons", table.rows, actor=people["county"], area=territory["county"])
    return rows[1:]


@pytest.fixture
def colleague(people, territory):
    """A second staff member of the county agency (the approver)."""
    user = get_user_model().objects.create_user(
        "county_leader", full_name="区中心负责人", password_changed_at=timezone.now()
    )
    grant(user, Role.AGENCY_LEADER, area=territory["county"])
    return user


def request(actor, capture, **kwargs):
    kwargs = {"kind": "persons", "filters": {}, "unmasked": False} | kwargs
    with capture(execute=True):
        export = actions_import.do_request_export(actor=actor, **kwargs)
    export.refresh_from_db()
    return export


def approve(export, actor, capture):
    with capture(execute=True):
        actions_import.do_approve_export(export, actor=actor)
    export.refresh_from_db()
    return export


def text_of(export, content: bytes) -> str:
    if export.file_format == "csv":
        return content.decode("utf-8-sig")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    cells = [str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row if v]
    return "\n".join(cells)


def download(export, actor) -> bytes:
    export, handle = actions_import.do_download_export(export, actor=actor)
    with handle:
        return handle.read()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_masked_export_is_built_at_once_and_watermarked(
    people, persons, file_format, django_capture_on_commit_callbacks
):
    county = people["county"]
    export = request(county, django_capture_on_commit_callbacks, file_format=file_format)
    assert export.status == ExportStatus.READY and export.row_count == 12
    assert export.expires_at == export.ready_at + timedelta(hours=24)
    content = download(export, county)
    text = text_of(export, content)
    assert_no_plain_personal_data(text)
    first = persons[0]
    assert first[1][:3] + "*" * 11 + first[1][-4:] in text
    assert first[0] not in text  # names masked too
    lines = text.splitlines()
    assert "导出人：区中心操作员（county）" in lines[0] and "已脱敏" in lines[0]
    assert lines[-1].startswith("—— 共 12 条 ——") and "区中心操作员" in lines[-1]
    if file_format == "xlsx":
        from openpyxl import load_workbook

        props = load_workbook(io.BytesIO(content)).properties
        assert props.creator == "区中心操作员"
        assert "导出时间" in props.description and export.public_id in props.keywords
    else:
        header = next(csv.reader(io.StringIO(content.decode("utf-8-sig").splitlines()[1])))
        assert header[:4] == ["编号", "姓名", "证件类型", "证件号码"]


def test_unmasked_export_needs_a_second_person_of_the_same_agency(
    people, persons, colleague, django_capture_on_commit_callbacks
):
    county = people["county"]
    with pytest.raises(Exception) as caught:
        request(county, django_capture_on_commit_callbacks, unmasked=True, purpose="")
    assert "用途" in str(caught.value)
    export = request(
        county, django_capture_on_commit_callbacks, unmasked=True, purpose="低保年审入户核对"
    )
    assert export.status == ExportStatus.PENDING and not export.file
    with pytest.raises(IllegalTransition):
        download(export, county)
    # Not the requester, not grid staff, not another agency (the town below).
    for actor in (county, people["leader"], people["worker"], people["town"], people["police"]):
        with pytest.raises(NotPermitted):
            actions_import.do_approve_export(export, actor=actor)
    export.refresh_from_db()
    assert export.status == ExportStatus.PENDING

    export = approve(export, colleague, django_capture_on_commit_callbacks)
    assert export.status == ExportStatus.READY and export.decided_by == colleague
    # Only the requester downloads.
    with pytest.raises(NotPermitted):
        download(export, colleague)
    text = text_of(export, download(export, county))
    assert persons[0][1] in text and persons[0][0] in text
    assert "含完整个人信息" in text.splitlines()[0]
    download(export, county)
    downloads = AuditEvent.objects.filter(kind=AuditKind.EXPORT, target_id=export.public_id)
    phases = [e.detail["phase"] for e in downloads.order_by("sequence")]
    assert phases == ["requested", "approved", "downloaded", "downloaded"]
    assert downloads.filter(detail__phase="downloaded").first().actor == county


def test_rejected_export_is_never_built(
    people, persons, colleague, django_capture_on_commit_callbacks
):
    export = request(
        people["county"], django_capture_on_commit_callbacks, unmasked=True, purpose="核对名单"
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions_import.do_reject_export(export, actor=colleague, note="")
    actions_import.do_reject_export(export, actor=colleague, note="用途不明确")
    export.refresh_from_db()
    assert export.status == ExportStatus.REJECTED and not export.file
    with pytest.raises(IllegalTransition):
        actions_import.do_approve_export(export, actor=colleague)


def test_the_file_expires_after_24_hours(people, persons, django_capture_on_commit_callbacks):
    county = people["county"]
    export = request(county, django_capture_on_commit_callbacks)
    name, storage = export.file.name, export.file.storage
    assert storage.exists(name)
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert download(export, county)
    with (
        time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(IllegalTransition) as caught,
    ):
        download(export, county)
    assert "有效期" in caught.value.message
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and not storage.exists(name)


def test_the_periodic_job_deletes_expired_files(
    people, persons, django_capture_on_commit_callbacks
):
    from gridgov.registry.tasks import purge_expired_exports

    export = request(people["county"], django_capture_on_commit_callbacks)
    name, storage = export.file.name, export.file.storage
    assert actions_import.purge_expired_exports() == 0
    with (
        time_machine.travel(timezone.now() + timedelta(hours=25)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = purge_expired_exports.enqueue()
    assert result.return_value == 1
    assert not storage.exists(name)
    assert ExportRequest.objects.get(pk=export.pk).status == ExportStatus.EXPIRED


def test_scope_of_an_export(people, persons, django_capture_on_commit_callbacks):
    """A grid leader exports their grid; others of the town are not in it; grid
    workers and departments cannot export; filters outside the scope are refused."""
    from django.core.exceptions import ValidationError

    export = request(people["leader"], django_capture_on_commit_callbacks)
    assert export.status == ExportStatus.READY and export.row_count == 12
    assert export.agency_area.code == export.scope_code[:9]  # the town approves
    export = request(people["leader_b"], django_capture_on_commit_callbacks)
    assert export.row_count == 0
    for username in ("worker", "police", "sysadmin"):
        with pytest.raises(NotPermitted):
            request(people[username], django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        request(people["town"], django_capture_on_commit_callbacks, filters={"area": "4507"})
    with pytest.raises(ValidationError):
        request(people["town"], django_capture_on_commit_callbacks, filters={"id_number": "1"})
    export = request(
        people["town"],
        django_capture_on_commit_callbacks,
        filters={"name": "黄", "status": "present"},
    )
    assert export.row_count == Person.objects.filter(name__startswith="黄").count() > 0
