"""Organisations API: posts (岗位) — list for the three administrators, grant and end
for the security administrator — and the staffing report for agency staff.

Rows come from ``Model.objects.restrict(user, action)``; out of scope is 404, like
missing. Grants and ends go through :mod:`gridgov.orgs.actions`, whose refusals come
back as ``{"detail", "code"}`` (403 self-grant, 409 disabled account …) or as field
errors (422: wrong kind of place, 三员分立).
"""

from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.api import REFUSALS, PostOut
from gridgov.accounts.forms_admin import GrantForm, PostFilterForm
from gridgov.accounts.views_admin import POST_RELATED, may_see_posts, scoped
from gridgov.orgs import actions, staffing
from gridgov.orgs.models import Post
from gridgov.orgs.staffing import Gap

router = Router()


def _invalid(form):
    return ValidationError(dict(form.errors))


# Posts --------------------------------------------------------------------------------


@router.get("/posts", response=list[PostOut], summary="岗位列表", operation_id="list_posts")
@paginate(LimitOffsetPagination)
def list_posts(
    request,
    q: str = Query("", description="账户用户名或姓名（包含）"),
    role: str = Query("", description="岗位"),
    place: str = Query("", description="区划代码或网格编码开头"),
    status: Literal["current", "ended", "all"] = Query("current"),
):
    if not may_see_posts(request.user):
        raise Http404
    filters = PostFilterForm({"q": q, "role": role, "place": place, "status": status})
    if not filters.is_valid():
        raise _invalid(filters)
    posts = filters.filter(scoped(request.user, Post, "view"))
    return posts.select_related("user", "granted_by", *POST_RELATED).order_by("-start_date", "-id")


class GrantIn(Schema):
    username: str = Field(..., max_length=150)
    role: str = Field(..., description="岗位，如 agency_operator、chief、leader、fulltime")
    area_code: str = Field("", max_length=12, description="机构、村级岗位：区划代码")
    grid_code: str = Field("", max_length=15, description="网格岗位：网格编码")
    department_id: int | None = Field(None, description="联动部门岗位：部门编号")
    zone_id: int | None = Field(None, description="管理区岗位：管理区机构编号")
    start_date: date | None = Field(None, description="任职日期，不填为今天")
    end_date: date | None = None
    note: str = Field("", max_length=200)


class EndIn(Schema):
    end_date: date | None = Field(None, description="离任日期，不填为今天")
    note: str = Field("", max_length=200)


@router.post(
    "/posts",
    response={201: PostOut, **REFUSALS},
    summary="授予岗位（安全管理员）",
    operation_id="grant_post",
)
def grant_post(request, payload: GrantIn):
    scoped(request.user, Post, "grant")
    form = GrantForm(
        {
            "username": payload.username,
            "role": payload.role,
            "area": payload.area_code,
            "grid": payload.grid_code,
            "department": payload.department_id or "",
            "zone": payload.zone_id or "",
            "start_date": payload.start_date or "",
            "end_date": payload.end_date or "",
            "note": payload.note,
        },
        actor=request.user,
    )
    if not form.is_valid():
        raise _invalid(form)
    post = actions.do_grant_post(
        form.cleaned_data["username"],
        form.cleaned_data["role"],
        actor=request.user,
        **form.action_kwargs(),
    )
    return Status(201, post)


@router.post(
    "/posts/{post_id}/end",
    response={200: PostOut, **REFUSALS},
    summary="免除岗位（安全管理员）",
    operation_id="end_post",
)
def end_post(request, post_id: int, payload: EndIn):
    post = get_object_or_404(scoped(request.user, Post, "change"), pk=post_id)
    ended = actions.do_end_post(
        post, actor=request.user, end_date=payload.end_date, note=payload.note
    )
    return Post.objects.select_related("user", "granted_by", *POST_RELATED).get(pk=ended.pk)


# Staffing report --------------------------------------------------------------------------


class StaffingOut(Schema):
    villages: int = Field(description="村（社区）数")
    villages_without_chief: int = Field(description="无总网格长的村（社区）")
    villages_with_several_chiefs: int = Field(description="总网格长多于一名的村（社区）")
    grids: int = Field(description="在用网格数")
    grids_without_leader: int = Field(description="无网格长（专属网格：无专属网格长）的网格")
    urban_grids: int = Field(description="城市社区网格数")
    urban_grids_without_fulltime: int = Field(description="无专职网格员的城市社区网格")


class VillageGapOut(Schema):
    code: str
    name: str
    town_code: str = Field(..., alias="parent.code")
    town_name: str = Field(..., alias="parent.name")
    chiefs: int = Field(description="现任总网格长人数（0 或多于 1）")


class GridGapOut(Schema):
    code: str
    name: str
    kind: str
    subject: str
    village_code: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    town_name: str = Field(..., alias="village.parent.name")
    leaders: int = Field(description="现任网格长（专属网格长）人数")
    fulltime: int = Field(description="现任专职网格员人数")


def _staff(request):
    if not staffing.may_view(request.user):
        raise Http404
    return request.user


WITHIN = Query("", description="只统计此区划代码（县、镇）之内")


@router.get(
    "/staffing",
    response=StaffingOut,
    summary="网格力量配备统计（网格化服务管理机构）",
    operation_id="staffing_summary",
)
def staffing_summary(request, within: str = WITHIN):
    return staffing.summary(_staff(request), within=within)


@router.get(
    "/staffing/villages",
    response=list[VillageGapOut],
    summary="总网格长缺配或多配的村（社区）",
    operation_id="staffing_villages",
)
@paginate(LimitOffsetPagination)
def staffing_villages(request, within: str = WITHIN):
    return staffing.gaps(_staff(request), Gap.VILLAGES, within=within)


@router.get(
    "/staffing/grids",
    response=list[GridGapOut],
    summary="缺网格长或专职网格员的网格",
    operation_id="staffing_grids",
)
@paginate(LimitOffsetPagination)
def staffing_grids(
    request,
    gap: Literal["leaders", "fulltime"] = Query(
        "leaders", description="leaders 无网格长；fulltime 城市社区网格无专职网格员"
    ),
    within: str = WITHIN,
):
    return staffing.gaps(_staff(request), gap, within=within)
