"""Import and export API (mounted under /api/registry). Jobs and requests through
``restrict()``; changes through :mod:`gridgov.registry.actions_import`. Import reports
and export metadata hold no personal data; the export file itself is downloaded by the
requester only, audited."""

from datetime import datetime

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.areas.models import Area
from gridgov.core.exceptions import NotPermitted
from gridgov.orgs.models import Department
from gridgov.registry import actions_import, importing
from gridgov.registry.models_import import ExportRequest, ImportJob

router = Router()


class ErrorOut(Schema):
    detail: str
    code: str = ""
    errors: dict[str, list[str]] = Field(default_factory=dict)


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ColumnOut(Schema):
    key: str
    header: str
    aliases: list[str]
    required: bool
    example: str
    note: str


class FormatOut(Schema):
    kind: str
    title: str
    source: str
    natural_key: str
    note: str
    sample: str
    columns: list[ColumnOut]


class JobOut(Schema):
    id: str = Field(..., alias="public_id")
    kind: str
    status: str
    status_label: str = Field(..., alias="get_status_display")
    area: str = Field(..., alias="area.code")
    department: str | None = None
    file_name: str
    file_format: str
    encoding: str
    total: int
    done: int
    percent: int
    bad_rows: int
    created: int = Field(..., alias="created_count")
    updated: int = Field(..., alias="updated_count")
    unchanged: int = Field(..., alias="unchanged_count")
    conflicts: int = Field(..., alias="conflict_count")
    failure: str
    created_at: datetime
    checked_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_department(job):
        return job.department.name if job.department_id else None


class JobDetailOut(JobOut):
    errors: list[tuple[int, str, str]]


class ExportIn(Schema):
    kind: str
    file_format: str = "xlsx"
    filters: dict = Field(default_factory=dict)
    unmasked: bool = False
    purpose: str = ""


class NoteIn(Schema):
    note: str = ""


class ExportOut(Schema):
    id: str = Field(..., alias="public_id")
    kind: str
    file_format: str
    filters: dict
    scope: str = Field(..., alias="scope_code")
    unmasked: bool
    purpose: str
    status: str
    status_label: str = Field(..., alias="get_status_display")
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None
    row_count: int
    ready_at: datetime | None
    expires_at: datetime | None
    downloads: int

    @staticmethod
    def resolve_requested_by(export):
        return export.requested_by.get_full_name()

    @staticmethod
    def resolve_decided_by(export):
        return export.decided_by.get_full_name() if export.decided_by_id else None


# Import ----------------------------------------------------------------------------------


@router.get("/import-formats", response=list[FormatOut])
def import_formats(request):
    """The file types and their columns (Chinese headers)."""
    return [
        {
            "kind": fmt.kind,
            "title": str(fmt.title),
            "source": str(fmt.source),
            "natural_key": str(fmt.natural_key),
            "note": str(fmt.note),
            "sample": fmt.sample,
            "columns": [
                {
                    "key": c.key,
                    "header": c.header,
                    "aliases": list(c.aliases),
                    "required": c.required,
                    "example": c.example,
                    "note": str(c.note),
                }
                for c in fmt.columns
            ],
        }
        for fmt in importing.FORMATS.values()
    ]


@router.get("/imports", response=list[JobOut])
@paginate(LimitOffsetPagination)
def list_imports(request):
    return ImportJob.objects.restrict(request.user, "view").select_related("area", "department")


def _job(request, public_id) -> ImportJob:
    return get_object_or_404(
        ImportJob.objects.restrict(request.user, "view").select_related("area", "department"),
        public_id=public_id,
    )


@router.post("/imports", response={201: JobDetailOut, **ERRORS})
def upload_import(
    request,
    kind: Form[str],
    area: Form[str],
    file: File[UploadedFile],
    department: Form[int | None] = None,
    note: Form[str] = "",
):
    """Upload a file: it is checked (dry run) in the background; poll the job."""
    target = Area.objects.filter(code=area).first()
    if target is None or not actions_import.may_import_into(request.user, target):
        raise NotPermitted(
            "只有市、县（区）、镇（街道）网格化服务管理机构工作人员可以导入本辖区的数据"
        )
    source = Department.objects.filter(pk=department).first() if department else None
    if file.size > importing.MAX_FILE_BYTES:
        from django.core.exceptions import ValidationError

        raise ValidationError({"file": ["文件过大，请按乡镇（街道）拆分后分别导入"]})
    job = actions_import.do_upload_import(
        kind=kind,
        data=file.read(),
        file_name=file.name,
        area=target,
        department=source,
        note=note,
        actor=request.user,
    )
    job.refresh_from_db()
    return Status(201, job)


@router.get("/imports/{public_id}", response={200: JobDetailOut, **ERRORS})
def get_import(request, public_id: str):
    return _job(request, public_id)


@router.post("/imports/{public_id}/start", response={200: JobOut, **ERRORS})
def start_import(request, public_id: str):
    job = actions_import.do_start_import(_job(request, public_id), actor=request.user)
    job.refresh_from_db()
    return job


@router.post("/imports/{public_id}/cancel", response={200: JobOut, **ERRORS})
def cancel_import(request, public_id: str):
    job = actions_import.do_cancel_import(_job(request, public_id), actor=request.user)
    job.refresh_from_db()
    return job


# Export ----------------------------------------------------------------------------------


def _export(request, public_id) -> ExportRequest:
    return get_object_or_404(
        ExportRequest.objects.restrict(request.user, "view").select_related(
            "requested_by", "decided_by"
        ),
        public_id=public_id,
    )


@router.get("/exports", response=list[ExportOut])
@paginate(LimitOffsetPagination)
def list_exports(request):
    """My requests and those I may approve."""
    return ExportRequest.objects.restrict(request.user, "view").select_related(
        "requested_by", "decided_by"
    )


@router.post("/exports", response={201: ExportOut, **ERRORS})
def request_export(request, payload: ExportIn):
    export = actions_import.do_request_export(
        kind=payload.kind,
        filters=payload.filters,
        unmasked=payload.unmasked,
        purpose=payload.purpose,
        file_format=payload.file_format,
        actor=request.user,
    )
    export.refresh_from_db()
    return Status(201, export)


@router.get("/exports/{public_id}", response={200: ExportOut, **ERRORS})
def get_export(request, public_id: str):
    return _export(request, public_id)


@router.post("/exports/{public_id}/approve", response={200: ExportOut, **ERRORS})
def approve_export(request, public_id: str, payload: NoteIn):
    export = actions_import.do_approve_export(
        _export(request, public_id), actor=request.user, note=payload.note
    )
    export.refresh_from_db()
    return export


@router.post("/exports/{public_id}/reject", response={200: ExportOut, **ERRORS})
def reject_export(request, public_id: str, payload: NoteIn):
    export = actions_import.do_reject_export(
        _export(request, public_id), actor=request.user, note=payload.note
    )
    export.refresh_from_db()
    return export


@router.get("/exports/{public_id}/download", response={200: None, **ERRORS})
def download_export(request, public_id: str):
    """The file (requester only, within 24 hours); every download is audited."""
    export, handle = actions_import.do_download_export(
        _export(request, public_id), actor=request.user
    )
    response = FileResponse(handle, as_attachment=True, filename=export.download_name)
    response["Cache-Control"] = "no-store"
    return response
