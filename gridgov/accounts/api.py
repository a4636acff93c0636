"""Accounts API (三员分立): me, accounts (system administrator), own API tokens; and the
audit search (audit administrator).

Rows come from ``Model.objects.restrict(user, action)``; an account or event out of
scope answers 404 like a missing one, and an endpoint whose model the caller has no
rule for answers 404 too. Changes go through :mod:`gridgov.accounts.actions`; refusals
come back as ``{"detail", "code"}`` (403, 409) or field errors (422). Phone and ID
numbers are masked in every answer.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts import actions
from gridgov.accounts.forms_admin import UserCreateForm, UserFilterForm
from gridgov.accounts.models import User
from gridgov.accounts.views_admin import POST_RELATED, post_state, scoped
from gridgov.areas.api import ErrorOut
from gridgov.core.masking import mask_id_number, mask_phone
from gridgov.core.models import AuditEvent
from gridgov.core.views_audit import search_events
from gridgov.orgs.models import Post

router = Router()
audit_router = Router()

REFUSALS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# Schemas ------------------------------------------------------------------------------


class PlaceOut(Schema):
    type: str = Field(description="area、grid、department、zone 或 system")
    code: str = Field("", description="区划代码、网格编码；部门、管理区为编号")
    name: str


def place_of(post) -> dict:
    if post.grid_id:
        return {"type": "grid", "code": post.grid.code, "name": post.grid.name}
    if post.area_id:
        return {"type": "area", "code": post.area.code, "name": post.area.name}
    if post.department_id:
        return {"type": "department", "code": str(post.department_id), "name": post.department.name}
    if post.zone_id:
        return {"type": "zone", "code": str(post.zone_id), "name": post.zone.name}
    return {"type": "system", "code": "", "name": str(post.place)}


class PostOut(Schema):
    id: int
    username: str = Field(..., alias="user.username")
    full_name: str = Field(..., alias="user.full_name")
    role: str
    role_label: str
    place: PlaceOut
    start_date: date
    end_date: date | None
    state: str = Field(description="current 现任、future 待到任、ended 已离任")
    granted_by: str | None = Field(None, alias="granted_by.username")
    note: str

    @staticmethod
    def resolve_role_label(obj):
        return str(obj.get_role_display())

    @staticmethod
    def resolve_place(obj):
        return place_of(obj)

    @staticmethod
    def resolve_state(obj):
        return post_state(obj, timezone.localdate())


class UserOut(Schema):
    username: str
    full_name: str
    phone: str = Field(description="手机号码（脱敏）")
    is_active: bool
    disabled_reason: str
    last_login: datetime | None
    date_joined: datetime
    password_changed_at: datetime | None
    totp_enabled: bool

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone) if obj.phone else ""

    @staticmethod
    def resolve_totp_enabled(obj):
        return obj.totp_confirmed_at is not None


class UserDetailOut(UserOut):
    id_number: str = Field(description="身份证号（脱敏）")
    posts: list[PostOut]

    @staticmethod
    def resolve_id_number(obj):
        return mask_id_number(obj.id_number) if obj.id_number else ""

    @staticmethod
    def resolve_posts(obj):
        return obj.visible_posts


class MeOut(UserOut):
    posts: list[PostOut] = Field(description="我的岗位（含已离任）")

    @staticmethod
    def resolve_posts(obj):
        return list(
            Post.objects.filter(user=obj)
            .select_related("user", "granted_by", *POST_RELATED)
            .order_by("-start_date", "-id")
        )


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    full_name: str = Field(..., min_length=1, max_length=50)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=18)


class CreatedOut(Schema):
    user: UserOut
    password: str = Field(description="一次性初始密码：只返回这一次，首次登录须修改")


class ResetOut(Schema):
    username: str
    password: str = Field(description="一次性密码：只返回这一次，登录后须修改")


class DisableIn(Schema):
    reason: str = Field(..., max_length=200)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="令牌开头（gg_ 之后 8 个字符），用于辨认")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., max_length=100, description="用途")


class TokenCreatedOut(TokenOut):
    token: str = Field(description="令牌全文：只返回这一次，系统只保存其摘要")


# Me -----------------------------------------------------------------------------------


@router.get("/me", response=MeOut, summary="我的账户与岗位", operation_id="accounts_me")
def me(request):
    return request.user


# Accounts (system administrator; the other two administrators see them) ----------------


def _users(request, action="view"):
    return scoped(request.user, User, action)


def _detail(request, user):
    user.visible_posts = list(
        Post.objects.restrict(request.user, "view")
        .filter(user=user)
        .select_related("user", "granted_by", *POST_RELATED)
        .order_by("-start_date", "-id")
    )
    return user


@router.get("/users", response=list[UserOut], summary="账户列表", operation_id="list_users")
@paginate(LimitOffsetPagination)
def list_users(
    request,
    q: str = Query("", description="用户名、姓名（包含）或完整手机号码"),
    status: str = Query("", description="active 启用、disabled 停用；空为全部"),
    role: str = Query("", description="现任岗位"),
):
    users = _users(request)
    filters = UserFilterForm({"q": q, "status": status, "role": role})
    if not filters.is_valid():
        raise ValidationError(dict(filters.errors))
    return filters.filter(users).defer("id_number", "totp_secret", "password").order_by("username")


@router.get(
    "/users/{username}", response=UserDetailOut, summary="账户详情", operation_id="get_user"
)
def get_user(request, username: str):
    return _detail(request, get_object_or_404(_users(request), username=username))


@router.post(
    "/users",
    response={201: CreatedOut, **REFUSALS},
    summary="创建账户（系统管理员）",
    operation_id="create_user",
)
def create_user(request, payload: UserIn):
    _users(request, "add")
    form = UserCreateForm(payload.dict())  # the page's checks of phone and ID number
    if not form.is_valid():
        raise ValidationError(dict(form.errors))
    user, password = actions.do_create_user(**form.cleaned_data, actor=request.user)
    return Status(201, {"user": user, "password": password})


@router.post(
    "/users/{username}/disable",
    response={200: UserOut, **REFUSALS},
    summary="停用账户",
    operation_id="disable_user",
)
def disable_user(request, username: str, payload: DisableIn):
    user = get_object_or_404(_users(request, "change"), username=username)
    return actions.do_disable_user(user, actor=request.user, reason=payload.reason)


@router.post(
    "/users/{username}/enable",
    response={200: UserOut, **REFUSALS},
    summary="启用账户",
    operation_id="enable_user",
)
def enable_user(request, username: str):
    user = get_object_or_404(_users(request, "change"), username=username)
    return actions.do_enable_user(user, actor=request.user)


@router.post(
    "/users/{username}/reset-password",
    response={200: ResetOut, **REFUSALS},
    summary="重置密码（返回一次性密码）",
    operation_id="reset_user_password",
)
def reset_password(request, username: str):
    user = get_object_or_404(_users(request, "change"), username=username)
    password = actions.do_reset_password(user, actor=request.user)
    return {"username": user.username, "password": password}


@router.post(
    "/users/{username}/reset-totp",
    response={200: UserOut, **REFUSALS},
    summary="重置动态口令",
    operation_id="reset_user_totp",
)
def reset_totp(request, username: str):
    user = get_object_or_404(_users(request, "change"), username=username)
    actions.do_reset_totp(user, actor=request.user)
    return user


# Own API tokens -------------------------------------------------------------------------


@router.get("/tokens", response=list[TokenOut], summary="我的接口令牌", operation_id="list_tokens")
def list_tokens(request):
    # The caller's own tokens: their scope is themselves.
    return list(request.user.api_tokens.order_by("-created_at"))


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, **REFUSALS},
    summary="创建接口令牌（令牌全文只返回这一次）",
    operation_id="create_token",
)
def create_token(request, payload: TokenIn):
    row, token = actions.do_issue_token(request.user, name=payload.name, actor=request.user)
    row.token = token
    return Status(201, row)


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: TokenOut, **REFUSALS},
    summary="吊销接口令牌",
    operation_id="revoke_token",
)
def revoke_token(request, token_id: int):
    row = get_object_or_404(request.user.api_tokens, pk=token_id)
    if row.revoked_at is None:
        actions.do_revoke_token(row, actor=request.user)
        row.refresh_from_db()
    return row


# Audit search (audit administrator) ------------------------------------------------------


class AuditEventOut(Schema):
    sequence: int
    at: datetime
    kind: str
    kind_label: str
    actor: str = Field(..., alias="actor_username")
    target_type: str
    target_id: str
    target: str = Field(..., alias="target_repr")
    before: dict | list | None
    after: dict | list | None
    detail: dict | list | None
    purpose: str
    request_id: str
    ip: str | None

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())


@audit_router.get(
    "/events",
    response=list[AuditEventOut],
    summary="审计记录查询（审计管理员），按时间倒序",
    operation_id="search_audit_events",
)
@paginate(LimitOffsetPagination)
def search_audit_events(
    request,
    kind: str = Query("", description="类型，如 login、role_granted"),
    actor: str = Query("", description="操作人账号（精确）"),
    target: str = Query("", description="对象编码（精确）或对象名称（包含）"),
    since: date | None = Query(None, description="起始日期（含）"),
    until: date | None = Query(None, description="截止日期（含）"),
    q: str = Query("", description="请求编号（精确）或关键词"),
):
    events = scoped(request.user, AuditEvent, "view")
    return search_events(
        events, kind=kind, actor=actor, target=target, since=since, until=until, text=q
    )
