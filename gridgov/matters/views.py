"""Pages for the matter list (public), applications, rectification and tasks.

Every staff queryset starts from ``Model.objects.restrict(request.user, ...)``: an object
outside the user's scope answers 404 exactly like a missing one. Every change goes through
:mod:`gridgov.matters.actions`; the views only translate between HTTP and actions. The
public pages need no login: the list and its notices are public (第七、九条).
"""

import json
from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import current_posts
from gridgov.core.exceptions import ActionError
from gridgov.matters import actions, public
from gridgov.matters.choices import (
    ApplicationStatus,
    ListLevel,
    RectificationStatus,
    TaskStatus,
)
from gridgov.matters.forms import (
    ApplicationForm,
    CloseRectificationForm,
    CompleteForm,
    ExitRectificationForm,
    NoteForm,
    ProgressForm,
    RectificationForm,
    RefuseForm,
    TaskForm,
    add_action_errors,
    photo_kind,
)
from gridgov.matters.models import (
    Matter,
    MatterApplication,
    Rectification,
    Task,
    TaskAssignment,
    TaskEvent,
)
from gridgov.orgs.choices import AREA_ROLES, DEPARTMENT_ROLES
from gridgov.orgs.models import Department

PAGE_SIZE = 50


def _department_posts(user):
    return [p for p in current_posts(user) if p.role in DEPARTMENT_ROLES]


def _agency_posts(user):
    return [p for p in current_posts(user) if p.role in AREA_ROLES]


# The public list ------------------------------------------------------------------------


def public_list(request):
    error = ""
    try:
        day = public.parse_day(request.GET.get("date"))
    except ValidationError as exc:
        error = exc.message_dict["date"][0]
        day = timezone.localdate()
    filters = {
        "department": request.GET.get("department", "").strip(),
        "level": request.GET.get("level", "").strip(),
        "area": request.GET.get("area", "").strip(),
    }
    matters = list(public.matters_on(day, **filters))
    departments = (
        Department.objects.filter(matters__in=Matter.objects.in_force(day))
        .distinct()
        .order_by("level", "name")
    )
    context = {
        "day": day,
        "is_today": day == timezone.localdate(),
        "error": error,
        "groups": public.grouped(matters),
        "count": len(matters),
        "filters": filters,
        "departments": departments,
        "levels": ListLevel.choices,
        "notices": public.notices()[:50],
        "printed_at": timezone.localtime(),
    }
    return render(request, "matters/public_list.html", context, status=400 if error else 200)


def public_matter(request, code):
    # Public by 第七条: every version, past and future, so the history stays readable.
    versions = list(
        Matter.objects.filter(code=code).select_related("department", "area").order_by("-version")
    )
    if not versions:
        raise Http404
    today = timezone.localdate()
    current = next((v for v in versions if v.in_force_on(today)), None)
    own = request.user.is_authenticated and any(
        p.department_id == versions[0].department_id for p in _department_posts(request.user)
    )
    context = {
        "may_apply": own and versions[0].valid_to is None,
        "matter": current or versions[0],
        "current": current,
        "versions": versions,
        "notices": public.notices().filter(matter_code=code),
        "today": today,
    }
    return render(request, "matters/public_matter.html", context)


# Applications ---------------------------------------------------------------------------


def _get_application(request, number, action="view"):
    return get_object_or_404(
        MatterApplication.objects.restrict(request.user, action).select_related(
            "department", "area", "submitted_by", "decided_by"
        ),
        number=number,
    )


@login_required
def application_list(request):
    qs = MatterApplication.objects.restrict(request.user, "view").select_related(
        "department", "area"
    )
    status = request.GET.get("status", "")
    if status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": ApplicationStatus.choices,
        "can_apply": bool(_department_posts(request.user)),
    }
    return render(request, "matters/application_list.html", context)


@login_required
def application_create(request):
    posts = _department_posts(request.user)
    form = ApplicationForm(request.POST or None, initial=_application_initial(request, posts))
    if request.method == "POST" and posts and form.is_valid():
        try:
            application = actions.do_apply(
                **form.action_kwargs(), department=posts[0].department, actor=request.user
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已提交申请 %(number)s，待同级网格化服务管理机构审核")
                % {"number": application.number},
            )
            return redirect("matters:application_detail", number=application.number)
    context = {"form": form, "department": posts[0].department if posts else None}
    return render(request, "matters/application_form.html", context)


def _application_initial(request, posts) -> dict:
    """``?kind=adjustment&matter_code=…`` starts from the department's current version."""
    initial = {k: v for k, v in request.GET.items() if k in ("kind", "matter_code")}
    code = initial.get("matter_code")
    if not code or not posts:
        return initial
    matter = (
        Matter.objects.restrict(request.user, "view")
        .filter(code=code, department__in=[p.department_id for p in posts])
        .order_by("-version")
        .first()
    )
    if matter is not None:
        for field in ApplicationForm.base_fields:
            if hasattr(matter, field) and field not in ("matter_code",):
                initial[field] = getattr(matter, field)
        initial["subcategory"] = matter.code[2:4]
        initial["attributes"] = json.dumps(matter.attributes, ensure_ascii=False)
        initial.pop("kind", None)
        initial["kind"] = request.GET.get("kind", "adjustment")
    return initial


def _application_page(request, application, *, approve_form=None, reject_form=None):
    may_decide = (
        application.status == ApplicationStatus.SUBMITTED
        and MatterApplication.objects.restrict(request.user, "approve")
        .filter(pk=application.pk)
        .exists()
    )
    may_withdraw = application.status == ApplicationStatus.SUBMITTED and any(
        p.department_id == application.department_id for p in _department_posts(request.user)
    )
    current = None
    if application.matter_code:
        current = Matter.objects.filter(code=application.matter_code, area=application.area).last()
    context = {
        "application": application,
        "proposed": application.proposed,
        "current": current,
        "may_decide": may_decide,
        "may_withdraw": may_withdraw,
        "approve_form": approve_form or NoteForm(prefix="approve"),
        "reject_form": reject_form or NoteForm(prefix="reject"),
        "notices": application.notices.all(),
    }
    return render(request, "matters/application_detail.html", context)


@login_required
def application_detail(request, number):
    return _application_page(request, _get_application(request, number))


def _decide_application(request, number, decide, success, form_name):
    application = _get_application(request, number)
    form = NoteForm(request.POST, prefix=form_name.split("_")[0])
    if form.is_valid():
        try:
            decide(application, form.cleaned_data["note"])
        except ValidationError as exc:
            add_action_errors(form, exc)
            for field, errors in exc.message_dict.items():
                if field != "note":
                    messages.error(request, " ".join(errors))
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("matters:application_detail", number=number)
        else:
            messages.success(request, success % {"number": number})
            return redirect("matters:application_detail", number=number)
    return _application_page(request, application, **{form_name: form})


@login_required
@require_POST
def application_approve(request, number):
    return _decide_application(
        request,
        number,
        lambda a, note: actions.do_approve_application(a, actor=request.user, note=note),
        _("已同意申请 %(number)s，清单公告已发布"),
        "approve_form",
    )


@login_required
@require_POST
def application_reject(request, number):
    return _decide_application(
        request,
        number,
        lambda a, note: actions.do_reject_application(a, actor=request.user, note=note),
        _("已不同意申请 %(number)s"),
        "reject_form",
    )


@login_required
@require_POST
def application_withdraw(request, number):
    application = _get_application(request, number)
    try:
        actions.do_withdraw_application(application, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回申请 %(number)s") % {"number": number})
    return redirect("matters:application_detail", number=number)


# Rectification (第八条) -----------------------------------------------------------------


def _get_rectification(request, number):
    return get_object_or_404(
        Rectification.objects.restrict(request.user, "view").select_related("department", "area"),
        number=number,
    )


@login_required
def rectification_list(request):
    qs = Rectification.objects.restrict(request.user, "view").select_related("department", "area")
    status = request.GET.get("status", "")
    if status in RectificationStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": RectificationStatus.choices,
        "can_order": bool(_agency_posts(request.user)),
    }
    return render(request, "matters/rectification_list.html", context)


@login_required
def rectification_create(request):
    posts = _agency_posts(request.user)
    form = RectificationForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and posts and form.is_valid():
        data = form.cleaned_data
        try:
            rectification = actions.do_order_rectification(
                matter_code=data["matter_code"].strip(),
                area=posts[0].area,
                grounds=data["grounds"],
                findings=data["findings"],
                deadline=data["deadline"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已下达整改 %(number)s") % {"number": rectification.number})
            return redirect("matters:rectification_detail", number=rectification.number)
    return render(
        request, "matters/rectification_form.html", {"form": form, "can_order": bool(posts)}
    )


def _rectification_page(request, rectification, *, close_form=None, exit_form=None):
    may_decide = (
        rectification.status == RectificationStatus.OPEN
        and Rectification.objects.restrict(request.user, "approve")
        .filter(pk=rectification.pk)
        .exists()
    )
    context = {
        "rectification": rectification,
        "overdue": rectification.deadline < timezone.localdate(),
        "may_decide": may_decide,
        "close_form": close_form or CloseRectificationForm(prefix="close"),
        "exit_form": exit_form or ExitRectificationForm(prefix="exit"),
        "exit_application": MatterApplication.objects.filter(rectification=rectification).first(),
    }
    return render(request, "matters/rectification_detail.html", context)


@login_required
def rectification_detail(request, number):
    return _rectification_page(request, _get_rectification(request, number))


@login_required
@require_POST
def rectification_close(request, number):
    rectification = _get_rectification(request, number)
    form = CloseRectificationForm(request.POST, prefix="close")
    if form.is_valid():
        try:
            actions.do_close_rectification(
                rectification, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("matters:rectification_detail", number=number)
        else:
            messages.success(request, _("整改 %(number)s 已办结") % {"number": number})
            return redirect("matters:rectification_detail", number=number)
    return _rectification_page(request, rectification, close_form=form)


@login_required
@require_POST
def rectification_exit(request, number):
    rectification = _get_rectification(request, number)
    form = ExitRectificationForm(request.POST, prefix="exit")
    if form.is_valid():
        try:
            actions.do_exit_after_rectification(
                rectification,
                actor=request.user,
                effective_date=form.cleaned_data["effective_date"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("matters:rectification_detail", number=number)
        else:
            messages.success(request, _("已同意该事项退出清单，退出公告已发布"))
            return redirect("matters:rectification_detail", number=number)
    return _rectification_page(request, rectification, exit_form=form)


# Tasks ----------------------------------------------------------------------------------


def progress_by_area(assignments) -> list[dict]:
    """Counts of each status per town and village, for the assigner."""
    rows: dict[tuple, Counter] = defaultdict(Counter)
    names = {}
    for a in assignments:
        village = a.grid.village
        town = village.parent if village else None
        for area in (town, village):
            if area is None:
                continue
            names[area.code] = area
            rows[area.code][a.status] += 1
            rows[area.code]["total"] += 1
    result = []
    for code in sorted(rows):
        counts = rows[code]
        area = names[code]
        result.append(
            {
                "area": area,
                "is_town": area.code == code and len(code) == 9,
                "total": counts["total"],
                **{status: counts[status] for status in TaskStatus.values},
            }
        )
    return result


@login_required
def task_list(request):
    qs = Task.objects.restrict(request.user, "view").select_related(
        "matter", "assigner_area", "assigner_department"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    tasks = list(page)
    counts = defaultdict(Counter)
    for task_id, status in (
        TaskAssignment.objects.restrict(request.user, "view")
        .filter(task__in=tasks)
        .values_list("task_id", "status")
    ):
        counts[task_id][status] += 1
        counts[task_id]["total"] += 1
    for task in tasks:
        task.counts = counts[task.pk]
    context = {
        "page": page,
        "tasks": tasks,
        "can_assign": bool(_agency_posts(request.user) or _department_posts(request.user)),
    }
    return render(request, "matters/task_list.html", context)


@login_required
def task_create(request):
    may_assign = bool(_agency_posts(request.user) or _department_posts(request.user))
    form = TaskForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and may_assign and form.is_valid():
        try:
            task = actions.do_assign_task(**form.action_kwargs(), actor=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc, {"grids": "grid_codes"})
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已下派任务 %(number)s 至 %(n)d 个网格")
                % {"number": task.number, "n": task.assignments.count()},
            )
            return redirect("matters:task_detail", number=task.number)
    context = {
        "form": form,
        "may_assign": may_assign,
        "matters": Matter.objects.in_force().select_related("area").order_by("code"),
    }
    return render(request, "matters/task_form.html", context)


@login_required
def task_detail(request, number):
    task = get_object_or_404(
        Task.objects.restrict(request.user, "view").select_related(
            "matter", "assigned_by", "assigner_area", "assigner_department"
        ),
        number=number,
    )
    assignments = list(
        TaskAssignment.objects.restrict(request.user, "view")
        .filter(task=task)
        .select_related("grid__village__parent")
    )
    context = {
        "task": task,
        "assignments": assignments,
        "areas": progress_by_area(assignments),
        "refusals": [a for a in assignments if a.status == TaskStatus.REFUSED],
        "statuses": TaskStatus.choices,
    }
    return render(request, "matters/task_detail.html", context)


@login_required
def refusal_list(request):
    """Every refusal in the user's scope, whoever gave the task (第十四条: recorded, shown
    to the assigner and the agency, counted against no one)."""
    qs = (
        TaskAssignment.objects.restrict(request.user, "view")
        .filter(status=TaskStatus.REFUSED)
        .select_related("task__matter", "task__assigner_area", "task__assigner_department", "grid")
        .order_by("-updated_at", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "matters/refusal_list.html", {"page": page})


def _my_assignments(request):
    return TaskAssignment.objects.restrict(request.user, "change").select_related(
        "task__matter", "grid"
    )


@login_required
def my_tasks(request):
    assignments = _my_assignments(request).order_by("status", "task__due_date", "-id")
    open_statuses = {TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS}
    context = {
        "open": [a for a in assignments if a.status in open_statuses],
        "closed": [a for a in assignments if a.status not in open_statuses],
    }
    return render(request, "matters/my_tasks.html", context)


def _assignment_page(request, assignment, **forms):
    context = {
        "assignment": assignment,
        "task": assignment.task,
        "events": assignment.events.select_related("actor"),
        "progress_form": forms.get("progress_form") or ProgressForm(prefix="progress"),
        "complete_form": forms.get("complete_form") or CompleteForm(prefix="complete"),
        "refuse_form": forms.get("refuse_form") or RefuseForm(prefix="refuse"),
        "open": assignment.status
        in {TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS},
    }
    return render(request, "matters/assignment_detail.html", context)


@login_required
def assignment_detail(request, pk):
    return _assignment_page(request, get_object_or_404(_my_assignments(request), pk=pk))


def _act(request, pk, form_class, prefix, run, success):
    assignment = get_object_or_404(_my_assignments(request), pk=pk)
    form = form_class(request.POST, request.FILES, prefix=prefix) if form_class else None
    if form is None or form.is_valid():
        try:
            run(assignment, form.cleaned_data if form else {})
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return redirect("matters:assignment_detail", pk=pk)
            add_action_errors(form, exc)
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("matters:assignment_detail", pk=pk)
        else:
            messages.success(request, success)
            return redirect("matters:assignment_detail", pk=pk)
    return _assignment_page(request, assignment, **{f"{prefix}_form": form})


@login_required
@require_POST
def assignment_accept(request, pk):
    return _act(
        request,
        pk,
        None,
        "accept",
        lambda a, d: actions.do_accept_task(a, actor=request.user),
        _("已接收任务"),
    )


@login_required
@require_POST
def assignment_progress(request, pk):
    return _act(
        request,
        pk,
        ProgressForm,
        "progress",
        lambda a, d: actions.do_report_progress(
            a, actor=request.user, progress=d["progress"], note=d["note"], photo=d["photo"]
        ),
        _("已报告进展"),
    )


@login_required
@require_POST
def assignment_complete(request, pk):
    return _act(
        request,
        pk,
        CompleteForm,
        "complete",
        lambda a, d: actions.do_complete_task(
            a, actor=request.user, result=d["result"], photo=d["photo"]
        ),
        _("任务已完成"),
    )


@login_required
@require_POST
def assignment_refuse(request, pk):
    return _act(
        request,
        pk,
        RefuseForm,
        "refuse",
        lambda a, d: actions.do_refuse_task(
            a, actor=request.user, ground=d["ground"], note=d["note"]
        ),
        _("已拒绝该任务，拒绝已记录，不影响考核（第十四条）"),
    )


@login_required
def event_photo(request, pk):
    """A task photo, to those who may see the assignment."""
    event = get_object_or_404(
        TaskEvent.objects.filter(
            assignment__in=TaskAssignment.objects.restrict(request.user, "view")
        ).exclude(photo=""),
        pk=pk,
    )
    handle = event.photo.open("rb")
    kind = photo_kind(handle.read(8))
    handle.seek(0)
    content_type = {"jpg": "image/jpeg", "png": "image/png"}.get(kind, "application/octet-stream")
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
