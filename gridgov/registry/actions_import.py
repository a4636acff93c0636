"""State changes of imports and exports (docs/registry-import.md).

Import: :func:`do_upload_import` (the file is stored privately and checked in the
background: the dry run) → :func:`do_start_import` (the import, in the background) →
done, with a report; :func:`do_cancel_import` at any point before the end. The work
itself is :func:`run_check` and :func:`run_import`, called by the tasks of
``registry/tasks.py``.

Export: :func:`do_request_export` → (unmasked only) :func:`do_approve_export` or
:func:`do_reject_export` by another staff member of the same agency → the file is built
in the background (:func:`run_build_export`) → :func:`do_download_export` by the
requester, audited, until it expires 24 hours later (:func:`purge_expired_exports`).
"""

import hashlib
import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scope import current_posts
from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.core.masking import mask_name
from gridgov.orgs.choices import AREA_ROLES, Role
from gridgov.registry import importing
from gridgov.registry.models_import import (
    ExportFormat,
    ExportKind,
    ExportRequest,
    ExportStatus,
    ImportJob,
    ImportKind,
    ImportStatus,
)
from gridgov.registry.scope_import import may_import

log = logging.getLogger(__name__)

EXPORT_HOURS = 24
# How many error lines a job keeps (the counts are always complete).
MAX_STORED_ERRORS = 100_000


# Import ----------------------------------------------------------------------------------


def import_areas(user) -> list[Area]:
    """The areas ``user`` may import into (their agency posts of city, county, town)."""
    areas = {post.area.code: post.area for post in current_posts(user) if may_import(post)}
    return [areas[code] for code in sorted(areas)]


def may_import_into(user, area: Area) -> bool:
    return any(area.code.startswith(a.code) for a in import_areas(user))


def _lock_job(job: ImportJob) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=job.pk)


def do_upload_import(
    *, kind: str, data: bytes, file_name: str, area: Area, actor, department=None, note=""
) -> ImportJob:
    """Store an uploaded file and have it checked (dry run) in the background.

    Refuses at once a file that cannot be read (encoding, header, required columns).
    """
    if kind not in ImportKind.values:
        raise ValidationError({"kind": [_("请选择数据类别")]})
    if not may_import_into(actor, area):
        raise NotPermitted(
            _("只有市、县（区）、镇（街道）网格化服务管理机构工作人员可以导入本辖区的数据")
        )
    try:
        table = importing.read_table(data, kind, file_name)
    except importing.FileProblem as exc:
        raise ValidationError({"file": [exc.message]}) from None
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            area=area,
            department=department,
            source_note=(note or "").strip()[:200],
            file_name=(file_name or "upload")[-200:],
            file_format=table.file_format,
            encoding=table.encoding,
            sha256=hashlib.sha256(data).hexdigest(),
            created_by=actor,
            status=ImportStatus.CHECKING,
        )
        job.file.save(f"{job.public_id}.{table.file_format}", ContentFile(data), save=False)
        job.save()
        transaction.on_commit(lambda: _enqueue("check_import", job.pk), robust=True)
    return job


def _enqueue(name: str, pk: int) -> None:
    from gridgov.registry import tasks

    try:
        getattr(tasks, name).enqueue(pk)
    except Exception:  # the page shows the job waiting; an operator can rerun the task
        log.exception("registry task %s(%s) could not be enqueued", name, pk)


def _read(job: ImportJob):
    with job.file.open("rb") as handle:
        data = handle.read()
    return importing.read_table(data, job.kind, job.file_name)


def _errors(outcome: importing.Outcome, table) -> list:
    notes = [
        [table.header_row, name, _("未识别的列，已忽略（请核对列名）")] for name in table.unknown
    ]
    rows = [list(error) for error in outcome.errors[:MAX_STORED_ERRORS]]
    return notes + rows


def run_check(job_pk: int) -> ImportJob:
    """The dry run: read every row, report every bad one, write nothing to the registry."""
    job = ImportJob.objects.select_related("area", "department", "created_by").get(pk=job_pk)
    if job.status != ImportStatus.CHECKING:
        return job
    try:
        table = _read(job)
        total = sum(1 for _row in table.rows)
        ImportJob.objects.filter(pk=job.pk).update(total=total, done=0)
        table = _read(job)

        def progress(outcome):
            ImportJob.objects.filter(pk=job.pk).update(done=min(outcome.total, total))
            return ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).exists()

        importer = importing.importer_for(
            job.kind,
            actor=job.created_by,
            area=job.area,
            department=job.department,
            note=job.source_note,
            job=job,
        )
        outcome = importer.run(table.rows, dry_run=True, progress=progress)
    except importing.FileProblem as exc:
        return _fail(job, exc.message)
    except Exception:
        log.exception("import check %s failed", job.public_id)
        return _fail(job, _("校验时发生系统错误，请联系系统管理员"))
    with transaction.atomic():
        job = _lock_job(job)
        if job.status != ImportStatus.CHECKING:
            return job
        _store(job, outcome, table)
        job.done = job.total = outcome.total
        job.status = ImportStatus.CHECKED
        job.checked_at = timezone.now()
        job.save()
    return job


def _store(job: ImportJob, outcome, table) -> None:
    job.bad_rows = outcome.bad_rows
    job.created_count = outcome.created
    job.updated_count = outcome.updated
    job.unchanged_count = outcome.unchanged
    job.conflict_count = outcome.conflicts
    job.errors = _errors(outcome, table)


def _fail(job: ImportJob, message: str) -> ImportJob:
    with transaction.atomic():
        job = _lock_job(job)
        job.status = ImportStatus.FAILED
        job.failure = message[:500]
        job.finished_at = timezone.now()
        job.save()
        if job.started_at:
            _audit_import(job)
    return job


def do_start_import(job: ImportJob, *, actor) -> ImportJob:
    """开始导入: the checked file's good rows go in, in the background."""
    with transaction.atomic():
        job = _lock_job(job)
        if not ImportJob.objects.filter(pk=job.pk).restrict(actor, "add").exists():
            raise NotPermitted(_("无权导入此辖区的数据"))
        if job.status != ImportStatus.CHECKED:
            raise IllegalTransition(
                _("只能导入已校验的文件（当前状态：%(status)s）")
                % {"status": job.get_status_display()}
            )
        if job.good_rows == 0:
            raise IllegalTransition(_("文件中没有可以导入的行，请修改后重新上传"))
        job.status = ImportStatus.QUEUED
        job.started_by = actor
        job.started_at = timezone.now()
        job.done = 0
        job.save()
        transaction.on_commit(lambda: _enqueue("run_import", job.pk), robust=True)
    return job


def run_import(job_pk: int) -> ImportJob:
    """The import: each chunk of rows in its own transaction, ``done`` advancing with it."""
    with transaction.atomic():
        job = _lock_job(ImportJob(pk=job_pk))
        if job.status != ImportStatus.QUEUED:
            return job
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status"])
    job = ImportJob.objects.select_related("area", "department", "started_by").get(pk=job_pk)
    try:
        table = _read(job)

        def progress(outcome):
            ImportJob.objects.filter(pk=job.pk).update(
                done=min(outcome.total, job.total),
                created_count=outcome.created,
                updated_count=outcome.updated,
                unchanged_count=outcome.unchanged,
                conflict_count=outcome.conflicts,
                bad_rows=outcome.bad_rows,
            )
            return ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).exists()

        importer = importing.importer_for(
            job.kind,
            actor=job.started_by,
            area=job.area,
            department=job.department,
            note=job.source_note,
            job=job,
        )
        outcome = importer.run(table.rows, dry_run=False, progress=progress)
    except importing.FileProblem as exc:
        return _fail(job, exc.message)
    except Exception:
        log.exception("import %s failed", job.public_id)
        return _fail(
            job,
            _(
                "导入时发生系统错误，已导入的部分保留；请联系系统管理员，或稍后重新上传同一文件（已导入的行不会重复）"
            ),
        )
    with transaction.atomic():
        job = _lock_job(job)
        if job.status != ImportStatus.RUNNING:  # cancelled meanwhile
            _audit_import(job)
            return job
        _store(job, outcome, table)
        job.total = max(job.total, outcome.total)
        job.done = outcome.total
        job.status = ImportStatus.DONE
        job.finished_at = timezone.now()
        job.save()
        _audit_import(job)
        # The file holds personal data; the report stays, the file goes.
        name = job.file.name
        transaction.on_commit(lambda: job.file.storage.delete(name), robust=True)
    return job


def _audit_import(job: ImportJob) -> None:
    """One event per import, with counts only (no personal data)."""
    audit.record(
        AuditKind.IMPORT,
        actor=job.started_by,
        target=job,
        detail={
            "kind": job.kind,
            "status": job.status,
            "area": job.area.code,
            "department": job.department.name if job.department_id else "",
            "total": job.total,
            "done": job.done,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "conflicts": job.conflict_count,
            "bad_rows": job.bad_rows,
        },
    )


def do_cancel_import(job: ImportJob, *, actor) -> ImportJob:
    """取消: before or during the import (a running import stops after its current chunk;
    the rows already imported stay)."""
    with transaction.atomic():
        job = _lock_job(job)
        if not ImportJob.objects.filter(pk=job.pk).restrict(actor, "add").exists():
            raise NotPermitted(_("无权取消此导入"))
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
            raise IllegalTransition(_("该导入已结束，不能取消"))
        job.status = ImportStatus.CANCELLED
        job.finished_at = timezone.now()
        if job.started_by_id is None:
            job.started_by = actor
        job.save()
        name = job.file.name
        if name:
            transaction.on_commit(lambda: job.file.storage.delete(name), robust=True)
    return job


# Export ----------------------------------------------------------------------------------


def export_place(user):
    """(scope code, approving agency's area) of the user's export right, or None.

    Agency staff export their area and their own agency approves; a 网格长 exports their
    grid and the town (镇/街道) agency approves.
    """
    posts = current_posts(user)
    for post in sorted((p for p in posts if p.role in AREA_ROLES), key=lambda p: len(p.area.code)):
        return post.area.code, post.area
    for post in posts:
        if post.role in (Role.LEADER, Role.EXCLUSIVE_LEADER) and post.grid_id:
            town = Area.objects.filter(code=post.grid.code[:9]).first()
            if town is not None:
                return post.grid.code, town
    return None


def do_request_export(
    *,
    kind: str,
    filters: dict,
    unmasked: bool,
    purpose: str = "",
    file_format: str = ExportFormat.XLSX,
    actor,
) -> ExportRequest:
    """申请导出. A masked list is built at once; an unmasked one waits for approval."""
    from gridgov.registry import exporting

    if kind not in ExportKind.values:
        raise ValidationError({"kind": [_("请选择导出的数据类别")]})
    if file_format not in ExportFormat.values:
        raise ValidationError({"file_format": [_("请选择文件格式")]})
    place = export_place(actor)
    if place is None or not exporting.may_export(kind, actor, unmasked=False):
        raise NotPermitted(_("无权导出基础信息"))
    scope_code, agency_area = place
    purpose = (purpose or "").strip()
    if unmasked:
        if len(purpose) < 4:
            raise ValidationError({"purpose": [_("导出完整个人信息须说明用途（至少 4 个字）")]})
        if not exporting.may_export(kind, actor, unmasked=True):
            raise NotPermitted(_("无权导出完整个人信息"))
    cleaned = exporting.clean_filters(kind, filters or {}, scope_code)
    with transaction.atomic():
        request = ExportRequest.objects.create(
            kind=kind,
            file_format=file_format,
            filters=cleaned,
            scope_code=scope_code,
            agency_area=agency_area,
            unmasked=unmasked,
            purpose=purpose[:200],
            status=ExportStatus.PENDING if unmasked else ExportStatus.BUILDING,
            requested_by=actor,
        )
        audit.record(
            AuditKind.EXPORT,
            actor=actor,
            target=request,
            purpose=purpose,
            detail={
                "phase": "requested",
                "kind": kind,
                "unmasked": unmasked,
                "scope": scope_code,
                "filters": {k: mask_name(v) if k == "name" else v for k, v in cleaned.items()},
            },
        )
        if not unmasked:
            transaction.on_commit(lambda: _enqueue("build_export", request.pk), robust=True)
    return request


def _lock_export(request: ExportRequest) -> ExportRequest:
    return ExportRequest.objects.select_for_update().get(pk=request.pk)


def do_approve_export(request: ExportRequest, *, actor, note: str = "") -> ExportRequest:
    """批准: another staff member of the approving agency, never the requester."""
    with transaction.atomic():
        request = _lock_export(request)
        if request.requested_by_id == getattr(actor, "pk", None):
            raise NotPermitted(_("申请人不能审批自己的导出申请，须由本机构另一名工作人员审批"))
        if not ExportRequest.objects.filter(pk=request.pk).restrict(actor, "approve").exists():
            raise NotPermitted(_("只有本机构的其他工作人员可以审批此导出申请"))
        if request.status != ExportStatus.PENDING:
            raise IllegalTransition(
                _("该申请已是“%(status)s”状态，不能审批") % {"status": request.get_status_display()}
            )
        request.status = ExportStatus.BUILDING
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_note = (note or "").strip()[:300]
        request.save()
        audit.record(
            AuditKind.EXPORT,
            actor=actor,
            target=request,
            detail={"phase": "approved", "kind": request.kind, "unmasked": request.unmasked},
        )
        transaction.on_commit(lambda: _enqueue("build_export", request.pk), robust=True)
    return request


def do_reject_export(request: ExportRequest, *, actor, note: str) -> ExportRequest:
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": [_("请填写不批准的理由")]})
    with transaction.atomic():
        request = _lock_export(request)
        if request.requested_by_id == getattr(actor, "pk", None):
            raise NotPermitted(_("申请人不能审批自己的导出申请，须由本机构另一名工作人员审批"))
        if not ExportRequest.objects.filter(pk=request.pk).restrict(actor, "approve").exists():
            raise NotPermitted(_("只有本机构的其他工作人员可以审批此导出申请"))
        if request.status != ExportStatus.PENDING:
            raise IllegalTransition(_("只能审批待审批的申请"))
        request.status = ExportStatus.REJECTED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_note = note[:300]
        request.save()
        audit.record(
            AuditKind.EXPORT,
            actor=actor,
            target=request,
            detail={"phase": "rejected", "kind": request.kind, "unmasked": request.unmasked},
        )
    return request


def run_build_export(request_pk: int) -> ExportRequest:
    """Write the watermarked file (background task)."""
    from gridgov.registry import exporting

    request = ExportRequest.objects.select_related("requested_by").get(pk=request_pk)
    if request.status != ExportStatus.BUILDING:
        return request
    try:
        content, rows = exporting.build(request)
    except ValidationError as exc:
        return _export_failed(request, " ".join(exc.messages))
    except Exception:
        log.exception("export %s failed", request.public_id)
        return _export_failed(request, _("生成文件时发生系统错误，请联系系统管理员"))
    with transaction.atomic():
        request = _lock_export(request)
        if request.status != ExportStatus.BUILDING:
            return request
        request.file.save(
            f"{request.public_id}.{request.file_format}", ContentFile(content), save=False
        )
        request.row_count = rows
        request.ready_at = timezone.now()
        request.expires_at = request.ready_at + timedelta(hours=EXPORT_HOURS)
        request.status = ExportStatus.READY
        request.save()
    return request


def _export_failed(request, message):
    ExportRequest.objects.filter(pk=request.pk).update(
        status=ExportStatus.FAILED, failure=message[:300]
    )
    request.refresh_from_db()
    return request


def _expire(request: ExportRequest) -> None:
    name = request.file.name
    if name:
        storage = request.file.storage
        transaction.on_commit(lambda: storage.delete(name), robust=True)
    request.file = ""
    request.status = ExportStatus.EXPIRED
    request.save(update_fields=["file", "status"])


def do_download_export(request: ExportRequest, *, actor):
    """下载: the requester only, until it expires; every download is audited. Returns
    the request and its open file."""
    if request.requested_by_id != getattr(actor, "pk", None):
        raise NotPermitted(_("只有申请人本人可以下载导出文件"))
    with transaction.atomic():
        request = _lock_export(request)
        if request.status == ExportStatus.READY and request.is_expired:
            _expire(request)  # committed before the refusal below
    if request.status == ExportStatus.EXPIRED:
        raise IllegalTransition(
            _("导出文件已超过 %(h)d 小时有效期并已删除，请重新申请导出") % {"h": EXPORT_HOURS},
            code="expired",
        )
    with transaction.atomic():
        request = _lock_export(request)
        if request.status != ExportStatus.READY:
            raise IllegalTransition(
                _("导出文件尚不能下载（当前状态：%(status)s）")
                % {"status": request.get_status_display()}
            )
        request.downloads += 1
        request.save(update_fields=["downloads"])
        audit.record(
            AuditKind.EXPORT,
            actor=actor,
            target=request,
            purpose=request.purpose,
            detail={
                "phase": "downloaded",
                "kind": request.kind,
                "unmasked": request.unmasked,
                "rows": request.row_count,
                "download": request.downloads,
            },
        )
        handle = request.file.open("rb")
    return request, handle


def purge_expired_exports(now=None) -> int:
    """Delete the files of expired exports (periodic job); returns how many."""
    now = now or timezone.now()
    count = 0
    for request in ExportRequest.objects.filter(status=ExportStatus.READY, expires_at__lte=now):
        with transaction.atomic():
            locked = _lock_export(request)
            if locked.status == ExportStatus.READY:
                _expire(locked)
                count += 1
    return count
