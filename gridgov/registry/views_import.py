"""Pages for importing department files and exporting registry lists.

Jobs and requests are found through ``restrict()`` (out of scope answers 404); every
change goes through :mod:`gridgov.registry.actions_import`. The import page polls its
progress with htmx while the background task runs.
"""

import csv
import io
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.exceptions import ActionError
from gridgov.orgs.models import Department
from gridgov.registry import actions_import, exporting, importing
from gridgov.registry.choices import HouseUse, PersonCategory, PersonStatus, UnitKind
from gridgov.registry.models_import import (
    ExportFormat,
    ExportKind,
    ExportRequest,
    ExportStatus,
    ImportJob,
    ImportKind,
)

SAMPLES = Path(__file__).resolve().parent / "samples"
ERRORS_PER_PAGE = 200
_SELECT = {"class": "form-select"}
_TEXT = {"class": "form-control"}


def _add_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


# Import ---------------------------------------------------------------------------------


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("数据类别"),
        choices=ImportKind.choices,
        widget=forms.Select(attrs=_SELECT),
    )
    area = forms.ChoiceField(
        label=gettext_lazy("导入辖区"),
        widget=forms.Select(attrs=_SELECT),
        help_text=gettext_lazy("文件中的记录须位于此辖区内，辖区外的行将报错"),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("数据来源部门"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    note = forms.CharField(
        label=gettext_lazy("数据说明"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=_TEXT),
        help_text=gettext_lazy("如 “2024年第三季度户籍人口数据”"),
    )
    file = forms.FileField(
        label=gettext_lazy("文件（CSV 或 XLSX）"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {area.code: area for area in areas}
        self.fields["area"].choices = [(a.code, f"{a.name}（{a.code}）") for a in areas]
        codes = [a.code for a in areas]
        departments = Department.objects.filter(is_active=True).select_related("area")
        self.fields["department"].queryset = departments.filter(
            importing.area_filter("area__code", codes)
            | importing.area_filter("area__code", [c[:4] for c in codes])
        ).order_by("area__code", "name")


@login_required
def import_list(request):
    jobs = ImportJob.objects.restrict(request.user, "view").select_related(
        "area", "department", "created_by"
    )
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "may_import": bool(actions_import.import_areas(request.user)),
        "formats": importing.FORMATS.values(),
    }
    return render(request, "registry/import_list.html", context)


@login_required
def import_create(request):
    areas = actions_import.import_areas(request.user)
    if not areas:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > importing.MAX_FILE_BYTES:
            form.add_error("file", _("文件过大，请按乡镇（街道）拆分后分别导入"))
        else:
            try:
                job = actions_import.do_upload_import(
                    kind=form.cleaned_data["kind"],
                    data=upload.read(),
                    file_name=upload.name,
                    area=form.areas[form.cleaned_data["area"]],
                    department=form.cleaned_data["department"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("文件已上传，正在校验（试导入，不写入数据）"))
                return redirect("registry:import_detail", public_id=job.public_id)
    context = {"form": form, "formats": importing.FORMATS.values()}
    return render(request, "registry/import_form.html", context)


def _get_job(request, public_id) -> ImportJob:
    return get_object_or_404(
        ImportJob.objects.restrict(request.user, "view").select_related(
            "area", "department", "created_by", "started_by"
        ),
        public_id=public_id,
    )


def _job_context(request, job):
    may_act = ImportJob.objects.restrict(request.user, "add").filter(pk=job.pk).exists()
    errors = [row for row in job.errors]
    page = Paginator(errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "job": job,
        "fmt": importing.FORMATS[job.kind],
        "may_start": may_act and job.status == "checked" and job.good_rows > 0,
        "may_cancel": may_act
        and job.status in ("uploaded", "checking", "checked", "queued", "running"),
        "errors": page,
        "page": page,
    }


@login_required
def import_detail(request, public_id):
    job = _get_job(request, public_id)
    return render(request, "registry/import_detail.html", _job_context(request, job))


@login_required
def import_progress(request, public_id):
    """The status block alone, polled by htmx while the job runs."""
    job = _get_job(request, public_id)
    response = render(request, "registry/import_progress.html", _job_context(request, job))
    if not job.is_active:
        # The job ended: have htmx reload the page for the report and the buttons.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_start(request, public_id):
    job = _get_job(request, public_id)
    try:
        actions_import.do_start_import(job, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已开始导入，可离开本页，导入在后台进行"))
    return redirect("registry:import_detail", public_id=public_id)


@login_required
@require_POST
def import_cancel(request, public_id):
    job = _get_job(request, public_id)
    try:
        actions_import.do_cancel_import(job, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消"))
    return redirect("registry:import_detail", public_id=public_id)


@login_required
def import_errors(request, public_id):
    """The error report as CSV (row, column, reason: no values from the file)."""
    job = _get_job(request, public_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("行号"), _("列"), _("原因")])
    writer.writerows(job.errors)
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{job.public_id}-errors.csv"'
    return response


@login_required
def import_template(request, kind, file_format):
    """An empty file with the headers and one example row (documentation in a file)."""
    if kind not in importing.FORMATS or file_format not in ("csv", "xlsx"):
        raise Http404
    rows = importing.sample_rows(kind)
    if file_format == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        body = ("\ufeff" + out.getvalue()).encode("utf-8")
        content_type = "text/csv"
    else:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = str(importing.FORMATS[kind].title)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.number_format = "@"
        for column in sheet.iter_cols(min_row=1, max_row=200):
            for cell in column:
                cell.number_format = "@"  # text: long numbers stay intact
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="template-{kind}.{file_format}"'
    return response


@login_required
def import_sample(request, name):
    """The synthetic sample files shipped in registry/samples/."""
    path = SAMPLES / name
    if "/" in name or not path.is_file() or path.suffix not in (".csv", ".xlsx"):
        raise Http404
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Export ---------------------------------------------------------------------------------


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("数据类别"),
        choices=ExportKind.choices,
        widget=forms.Select(attrs=_SELECT),
    )
    file_format = forms.ChoiceField(
        label=gettext_lazy("文件格式"),
        choices=ExportFormat.choices,
        initial=ExportFormat.XLSX,
        widget=forms.Select(attrs=_SELECT),
    )
    area = forms.CharField(
        label=gettext_lazy("区划或网格编码"),
        required=False,
        max_length=15,
        widget=forms.TextInput(attrs={"class": "form-control font-monospace"}),
        help_text=gettext_lazy("留空为您的全部范围"),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("人口类别（实有人口）"),
        choices=[("", "—"), *PersonCategory.choices],
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态（实有人口）"),
        choices=[("", "—"), *PersonStatus.choices],
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    name = forms.CharField(
        label=gettext_lazy("姓名前缀（实有人口）"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs=_TEXT),
    )
    unit_kind = forms.ChoiceField(
        label=gettext_lazy("单位类别（实有单位）"),
        choices=[("", "—"), *UnitKind.choices],
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    key_unit = forms.BooleanField(
        label=gettext_lazy("仅重点单位（实有单位）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    use = forms.ChoiceField(
        label=gettext_lazy("房屋用途（房屋）"),
        choices=[("", "—"), *HouseUse.choices],
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    unmasked = forms.BooleanField(
        label=gettext_lazy("导出完整的证件号码、电话和姓名（须本机构另一名工作人员审批）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    purpose = forms.CharField(
        label=gettext_lazy("用途"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=_TEXT),
        help_text=gettext_lazy("导出完整信息时必填，将写入审计日志和文件水印"),
    )

    def filters(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        wanted = {"area": data["area"]}
        if kind == ExportKind.PERSONS:
            wanted |= {"category": data["category"], "status": data["status"], "name": data["name"]}
        elif kind == ExportKind.UNITS:
            wanted |= {"kind": data["unit_kind"], "key_unit": data["key_unit"] or ""}
        else:
            wanted |= {"use": data["use"]}
        return {key: value for key, value in wanted.items() if value}


def _export_context(request):
    mine = ExportRequest.objects.filter(requested_by=request.user).select_related("decided_by")
    to_approve = (
        ExportRequest.objects.restrict(request.user, "approve")
        .filter(status=ExportStatus.PENDING)
        .select_related("requested_by")
    )
    return {"mine": mine[:100], "to_approve": to_approve[:100]}


@login_required
def export_list(request):
    context = _export_context(request)
    context["may_export"] = actions_import.export_place(request.user) is not None
    return render(request, "registry/export_list.html", context)


@login_required
def export_create(request):
    if actions_import.export_place(request.user) is None:
        raise Http404
    form = ExportForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        try:
            export = actions_import.do_request_export(
                kind=form.cleaned_data["kind"],
                filters=form.filters(),
                unmasked=form.cleaned_data["unmasked"],
                purpose=form.cleaned_data["purpose"],
                file_format=form.cleaned_data["file_format"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            if export.unmasked:
                messages.success(request, _("已提交导出申请，待本机构另一名工作人员审批"))
            else:
                messages.success(request, _("正在生成脱敏文件"))
            return redirect("registry:export_detail", public_id=export.public_id)
    return render(request, "registry/export_form.html", {"form": form})


def _get_export(request, public_id) -> ExportRequest:
    return get_object_or_404(
        ExportRequest.objects.restrict(request.user, "view").select_related(
            "requested_by", "decided_by", "agency_area"
        ),
        public_id=public_id,
    )


def _export_page(request, export, status=200):
    may_approve = (
        export.status == ExportStatus.PENDING
        and ExportRequest.objects.restrict(request.user, "approve").filter(pk=export.pk).exists()
    )
    context = {
        "export": export,
        "may_approve": may_approve,
        "is_requester": export.requested_by_id == request.user.pk,
        "building": export.status == ExportStatus.BUILDING,
        "filters": filter_labels(export),
    }
    return render(request, "registry/export_detail.html", context, status=status)


@login_required
def export_detail(request, public_id):
    export = _get_export(request, public_id)
    if export.status == ExportStatus.READY and export.is_expired:
        actions_import.purge_expired_exports()
        export.refresh_from_db()
    if request.headers.get("HX-Request") and export.status != ExportStatus.BUILDING:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return _export_page(request, export)


@login_required
@require_POST
def export_approve(request, public_id):
    export = _get_export(request, public_id)
    try:
        actions_import.do_approve_export(
            export, actor=request.user, note=request.POST.get("note", "")
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已批准，文件生成后申请人可下载（24 小时内有效）"))
    return redirect("registry:export_detail", public_id=public_id)


@login_required
@require_POST
def export_reject(request, public_id):
    export = _get_export(request, public_id)
    try:
        actions_import.do_reject_export(
            export, actor=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已不批准"))
    return redirect("registry:export_detail", public_id=public_id)


@login_required
def export_download(request, public_id):
    export = _get_export(request, public_id)
    try:
        export, handle = actions_import.do_download_export(export, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
        return _export_page(request, export, status=410 if exc.code == "expired" else 403)
    content_type = (
        "text/csv"
        if export.file_format == ExportFormat.CSV
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = FileResponse(
        handle, as_attachment=True, filename=export.download_name, content_type=content_type
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def filter_labels(export) -> list[tuple[str, str]]:
    """The request's filters in words (for the detail page)."""
    labels = {
        "area": _("区划或网格"),
        "category": _("人口类别"),
        "status": _("状态"),
        "name": _("姓名前缀"),
        "kind": _("单位类别"),
        "key_unit": _("仅重点单位"),
        "use": _("房屋用途"),
    }
    choices = exporting.FILTER_CHOICES.get(export.kind, {})
    out = []
    for key, value in (export.filters or {}).items():
        if key in choices:
            value = dict(choices[key].choices).get(value, value)
        out.append((labels.get(key, key), _("是") if value is True else str(value)))
    return out
