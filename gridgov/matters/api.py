"""Matter list API: the public list and notices (no login), applications, rectification
and tasks (restricted; changes through :mod:`gridgov.matters.actions`)."""

from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.scope import current_posts
from gridgov.matters import actions, public
from gridgov.matters.forms import check_photo
from gridgov.matters.models import (
    Matter,
    MatterApplication,
    Rectification,
    Task,
    TaskAssignment,
)
from gridgov.orgs.choices import AREA_ROLES, DEPARTMENT_ROLES

public_router = Router(auth=None)
router = Router()


class ErrorOut(Schema):
    detail: str
    code: str = ""
    errors: dict[str, list[str]] = Field(default_factory=dict)


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# Public ---------------------------------------------------------------------------------


class MatterOut(Schema):
    code: str
    version: int
    name: str
    work_kind: str
    work_kind_label: str = Field(..., alias="get_work_kind_display")
    description: str
    level: str
    area_code: str = Field(..., alias="area.code")
    area_name: str = Field(..., alias="area.name")
    department: str = Field(..., alias="department.name")
    duties: list[str]
    deadline_workdays: int
    legal_deadline_workdays: int | None
    legal_basis: str
    handling_workdays: int
    attributes: list[dict]
    resident_reportable: bool
    anonymous_allowed: bool
    is_temporary: bool
    valid_from: date
    valid_to: date | None


class MatterDetailOut(Schema):
    code: str
    in_force: bool
    current: MatterOut | None
    versions: list[MatterOut]


class NoticeOut(Schema):
    number: str
    kind: str
    level: str
    area_code: str = Field(..., alias="area.code")
    matter_code: str
    matter_name: str
    title: str
    body: str
    published_at: str
    effective_date: date

    @staticmethod
    def resolve_published_at(obj):
        return obj.published_at.isoformat()


@public_router.get(
    "/matters",
    response={200: list[MatterOut], 422: ErrorOut},
    summary="现行事项清单（公开，可按日期重现）",
    operation_id="public_matters",
)
def public_matters(
    request,
    date: str | None = None,
    work_kind: str = "",
    department: str = "",
    level: str = "",
    area: str = "",
):
    day = public.parse_day(date)  # a bad date: 422 with the Chinese message
    return list(
        public.matters_on(day, work_kind=work_kind, department=department, level=level, area=area)
    )


@public_router.get(
    "/matters/{code}",
    response={200: MatterDetailOut, 404: ErrorOut},
    summary="清单事项及其历史版本（公开）",
    operation_id="public_matter",
)
def public_matter(request, code: str):
    versions = list(
        Matter.objects.filter(code=code).select_related("area", "department").order_by("-version")
    )
    if not versions:
        raise HttpError(404, "未找到")
    today = public.parse_day(None)
    current = next((v for v in versions if v.in_force_on(today)), None)
    return {"code": code, "in_force": current is not None, "current": current, "versions": versions}


@public_router.get(
    "/notices",
    response=list[NoticeOut],
    summary="清单公告（公开，新者在前）",
    operation_id="public_notices",
)
@paginate(LimitOffsetPagination)
def public_notices(request):
    return public.notices()


# Applications ---------------------------------------------------------------------------


class ApplicationIn(Schema):
    kind: Literal["admission", "temporary", "adjustment", "exit"]
    reason: str = Field(..., max_length=4000)
    effective_date: date
    end_date: date | None = None
    matter_code: str = ""
    proposed: dict = Field(default_factory=dict, description="事项内容（名称、类别、职责等）")
    staff_provided: str = ""
    funds_provided: str = ""
    training_provided: str = ""
    department_id: int | None = Field(None, description="有多个部门岗位时指定")


class ApplicationOut(Schema):
    number: str
    kind: str
    status: str
    department: str = Field(..., alias="department.name")
    level: str
    area_code: str = Field(..., alias="area.code")
    matter_code: str
    proposed: dict
    reason: str
    staff_provided: str
    funds_provided: str
    training_provided: str
    effective_date: date
    end_date: date | None
    submitted_at: str
    decided_at: str | None
    decision_note: str

    @staticmethod
    def resolve_submitted_at(obj):
        return obj.submitted_at.isoformat()

    @staticmethod
    def resolve_decided_at(obj):
        return obj.decided_at.isoformat() if obj.decided_at else None


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


def _application(request, number):
    return get_object_or_404(
        MatterApplication.objects.restrict(request.user, "view").select_related(
            "department", "area"
        ),
        number=number,
    )


@router.get(
    "/applications",
    response=list[ApplicationOut],
    summary="事项申请列表",
    operation_id="list_matter_applications",
)
@paginate(LimitOffsetPagination)
def list_applications(request, status: str | None = None):
    qs = MatterApplication.objects.restrict(request.user, "view").select_related(
        "department", "area"
    )
    return qs.filter(status=status) if status else qs


@router.get(
    "/applications/{number}",
    response={200: ApplicationOut, 404: ErrorOut},
    summary="事项申请详情",
    operation_id="get_matter_application",
)
def get_application(request, number: str):
    return _application(request, number)


@router.post(
    "/applications",
    response={201: ApplicationOut, **ERRORS},
    summary="申请纳入、临时纳入、调整或退出（业务主管部门）",
    operation_id="apply_matter",
)
def apply(request, payload: ApplicationIn):
    posts = [p for p in current_posts(request.user) if p.role in DEPARTMENT_ROLES]
    if payload.department_id is not None:
        posts = [p for p in posts if p.department_id == payload.department_id]
    if not posts:
        raise HttpError(403, "只有业务主管部门可以申请")
    data = payload.dict()
    data.pop("department_id")
    application = actions.do_apply(**data, department=posts[0].department, actor=request.user)
    return Status(201, application)


@router.post(
    "/applications/{number}/approve",
    response={200: ApplicationOut, **ERRORS},
    summary="同意申请（同级网格化服务管理机构）",
    operation_id="approve_matter_application",
)
def approve(request, number: str, payload: NoteIn):
    application = _application(request, number)
    actions.do_approve_application(application, actor=request.user, note=payload.note)
    application.refresh_from_db()
    return application


@router.post(
    "/applications/{number}/reject",
    response={200: ApplicationOut, **ERRORS},
    summary="不同意申请",
    operation_id="reject_matter_application",
)
def reject(request, number: str, payload: NoteIn):
    application = _application(request, number)
    actions.do_reject_application(application, actor=request.user, note=payload.note)
    application.refresh_from_db()
    return application


@router.post(
    "/applications/{number}/withdraw",
    response={200: ApplicationOut, **ERRORS},
    summary="撤回申请（申请部门）",
    operation_id="withdraw_matter_application",
)
def withdraw(request, number: str):
    application = _application(request, number)
    actions.do_withdraw_application(application, actor=request.user)
    application.refresh_from_db()
    return application


# Rectification --------------------------------------------------------------------------


class RectificationIn(Schema):
    matter_code: str = Field(..., max_length=7)
    grounds: list[str]
    findings: str = Field(..., max_length=4000)
    deadline: date


class RectificationOut(Schema):
    number: str
    matter_code: str
    department: str = Field(..., alias="department.name")
    area_code: str = Field(..., alias="area.code")
    grounds: list[str]
    findings: str
    deadline: date
    status: str
    closing_note: str


class ExitIn(Schema):
    effective_date: date
    note: str = Field("", max_length=2000)


def _rectification(request, number):
    return get_object_or_404(
        Rectification.objects.restrict(request.user, "view").select_related("department", "area"),
        number=number,
    )


@router.get(
    "/rectifications",
    response=list[RectificationOut],
    summary="整改列表",
    operation_id="list_rectifications",
)
@paginate(LimitOffsetPagination)
def list_rectifications(request, status: str | None = None):
    qs = Rectification.objects.restrict(request.user, "view").select_related("department", "area")
    return qs.filter(status=status) if status else qs


@router.get(
    "/rectifications/{number}",
    response={200: RectificationOut, 404: ErrorOut},
    summary="整改详情",
    operation_id="get_rectification",
)
def get_rectification(request, number: str):
    return _rectification(request, number)


@router.post(
    "/rectifications",
    response={201: RectificationOut, **ERRORS},
    summary="下达整改（网格化服务管理机构，第八条）",
    operation_id="order_rectification",
)
def order_rectification(request, payload: RectificationIn):
    posts = [p for p in current_posts(request.user) if p.role in AREA_ROLES]
    if not posts:
        raise HttpError(403, "只有网格化服务管理机构可以下达整改")
    rectification = actions.do_order_rectification(
        **payload.dict(), area=posts[0].area, actor=request.user
    )
    return Status(201, rectification)


@router.post(
    "/rectifications/{number}/close",
    response={200: RectificationOut, **ERRORS},
    summary="整改办结",
    operation_id="close_rectification",
)
def close_rectification(request, number: str, payload: NoteIn):
    rectification = _rectification(request, number)
    return actions.do_close_rectification(rectification, actor=request.user, note=payload.note)


@router.post(
    "/rectifications/{number}/exit",
    response={200: ApplicationOut, **ERRORS},
    summary="逾期未整改，同意事项退出清单",
    operation_id="exit_after_rectification",
)
def exit_after_rectification(request, number: str, payload: ExitIn):
    rectification = _rectification(request, number)
    return actions.do_exit_after_rectification(
        rectification, actor=request.user, effective_date=payload.effective_date, note=payload.note
    )


# Tasks ----------------------------------------------------------------------------------


class TaskIn(Schema):
    matter_code: str = Field(..., max_length=7)
    title: str = Field(..., max_length=100)
    instructions: str = Field(..., max_length=4000)
    due_date: date
    area_code: str = Field("", description="下派给该区划内的全部网格")
    grid_codes: list[str] = Field(default_factory=list)


class AssignmentOut(Schema):
    id: int
    task: str = Field(..., alias="task.number")
    title: str = Field(..., alias="task.title")
    matter_code: str = Field(..., alias="task.matter.code")
    due_date: date = Field(..., alias="task.due_date")
    grid: str = Field(..., alias="grid.code")
    status: str
    progress: int
    result: str
    refusal_ground: str
    refusal_note: str


class AreaProgressOut(Schema):
    code: str
    name: str
    total: int
    assigned: int
    accepted: int
    in_progress: int
    completed: int
    refused: int


class TaskOut(Schema):
    number: str
    matter_code: str = Field(..., alias="matter.code")
    title: str
    instructions: str
    due_date: date
    created_at: str

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()


class TaskDetailOut(Schema):
    number: str
    matter_code: str
    title: str
    instructions: str
    due_date: date
    created_at: str
    progress: list[AreaProgressOut]
    assignments: list[AssignmentOut]


class ProgressIn(Schema):
    progress: int
    note: str = ""


class CompleteIn(Schema):
    result: str = ""


class RefuseIn(Schema):
    ground: str
    note: str = ""


def _task_detail(request, task):
    from gridgov.matters.views import progress_by_area

    assignments = list(
        TaskAssignment.objects.restrict(request.user, "view")
        .filter(task=task)
        .select_related("grid__village__parent", "task__matter")
    )
    rows = progress_by_area(assignments)
    return {
        "number": task.number,
        "matter_code": task.matter.code,
        "title": task.title,
        "instructions": task.instructions,
        "due_date": task.due_date,
        "created_at": task.created_at.isoformat(),
        "progress": [{**row, "code": row["area"].code, "name": row["area"].name} for row in rows],
        "assignments": assignments,
    }


@router.get("/tasks", response=list[TaskOut], summary="任务列表", operation_id="list_tasks")
@paginate(LimitOffsetPagination)
def list_tasks(request):
    return Task.objects.restrict(request.user, "view").select_related("matter")


@router.get(
    "/tasks/{number}",
    response={200: TaskDetailOut, 404: ErrorOut},
    summary="任务详情与各地进度",
    operation_id="get_task",
)
def get_task(request, number: str):
    task = get_object_or_404(
        Task.objects.restrict(request.user, "view").select_related("matter"), number=number
    )
    return _task_detail(request, task)


@router.post(
    "/tasks",
    response={201: TaskDetailOut, **ERRORS},
    summary="下派任务（只能依据现行清单事项，第七条）",
    operation_id="assign_task",
)
def assign_task(request, payload: TaskIn):
    task = actions.do_assign_task(**payload.dict(), actor=request.user)
    return Status(201, _task_detail(request, task))


@router.get(
    "/refusals",
    response=list[AssignmentOut],
    summary="拒绝记录（第十四条，范围内全部）",
    operation_id="list_refusals",
)
@paginate(LimitOffsetPagination)
def list_refusals(request):
    return (
        TaskAssignment.objects.restrict(request.user, "view")
        .filter(status="refused")
        .select_related("task__matter", "grid")
        .order_by("-updated_at", "-id")
    )


def _assignment(request, pk):
    return get_object_or_404(
        TaskAssignment.objects.restrict(request.user, "change").select_related(
            "task__matter", "grid"
        ),
        pk=pk,
    )


def _photo(upload):
    try:
        return check_photo(upload)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from None


@router.get(
    "/my-assignments",
    response=list[AssignmentOut],
    summary="本网格的任务（网格员）",
    operation_id="my_assignments",
)
@paginate(LimitOffsetPagination)
def my_assignments(request, status: str | None = None):
    qs = TaskAssignment.objects.restrict(request.user, "change").select_related(
        "task__matter", "grid"
    )
    return qs.filter(status=status) if status else qs


@router.post(
    "/my-assignments/{pk}/accept",
    response={200: AssignmentOut, **ERRORS},
    summary="接收任务",
    operation_id="accept_assignment",
)
def accept(request, pk: int):
    return actions.do_accept_task(_assignment(request, pk), actor=request.user)


@router.post(
    "/my-assignments/{pk}/progress",
    response={200: AssignmentOut, **ERRORS},
    summary="报告进展（multipart，可附照片 JPEG/PNG ≤ 5 MB）",
    operation_id="report_assignment_progress",
)
def progress(request, pk: int, payload: Form[ProgressIn], photo: File[UploadedFile] = None):
    assignment = _assignment(request, pk)
    return actions.do_report_progress(
        assignment,
        actor=request.user,
        progress=payload.progress,
        note=payload.note,
        photo=_photo(photo),
    )


@router.post(
    "/my-assignments/{pk}/complete",
    response={200: AssignmentOut, **ERRORS},
    summary="完成任务（multipart，可附照片 JPEG/PNG ≤ 5 MB）",
    operation_id="complete_assignment",
)
def complete(request, pk: int, payload: Form[CompleteIn], photo: File[UploadedFile] = None):
    assignment = _assignment(request, pk)
    return actions.do_complete_task(
        assignment, actor=request.user, result=payload.result, photo=_photo(photo)
    )


@router.post(
    "/my-assignments/{pk}/refuse",
    response={200: AssignmentOut, **ERRORS},
    summary="拒绝任务（第十四条）",
    operation_id="refuse_assignment",
)
def refuse(request, pk: int, payload: RefuseIn):
    return actions.do_refuse_task(
        _assignment(request, pk), actor=request.user, ground=payload.ground, note=payload.note
    )
