"""Pages for accounts and posts (三员分立), and the holder's own account page.

- everyone: 我的账户 (``/account/``) — name, masked phone, own posts, own API tokens;
- system administrator: accounts — list, create, disable, enable, reset the password or
  the second factor;
- security administrator: grants and ends posts;
- all three administrators: see accounts and posts.

Who may use a page follows the scope rules of :mod:`gridgov.accounts.scope`: a page for
a model on which none of the user's posts has a rule answers 404, as a missing page
does, and every row comes from ``Model.objects.restrict(user, action)``. The holder's
own posts and tokens are reached through ``request.user`` (they are theirs by
definition). Every change goes through an action; refusals become form errors or a
message, and change nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from gridgov.accounts import actions
from gridgov.accounts.forms_admin import (
    DisableForm,
    EndPostForm,
    GrantForm,
    PostFilterForm,
    TokenForm,
    UserCreateForm,
    UserFilterForm,
    add_action_errors,
)
from gridgov.accounts.models import User
from gridgov.accounts.scope import can, has_role, scope_filter
from gridgov.core.exceptions import ActionError
from gridgov.orgs import actions as org_actions
from gridgov.orgs.choices import ADMIN_ROLES
from gridgov.orgs.models import Post

PAGE_SIZE = 50
POST_RELATED = ("area", "grid", "department__area", "zone")


def scoped(user, model, action: str = "view"):
    """``model``'s rows that ``user`` may ``action``; 404 when no post of theirs has a
    rule for it at all (the page is not theirs, and does not say it exists)."""
    if scope_filter(user, model, action) is None:
        raise Http404
    return model.objects.restrict(user, action)


def may_see_accounts(user) -> bool:
    return scope_filter(user, User, "view") is not None


def may_see_posts(user) -> bool:
    """The post list is an administrators' page (agencies see staffing in their report)."""
    return has_role(user, *ADMIN_ROLES) and scope_filter(user, Post, "view") is not None


def may_grant(user) -> bool:
    return scope_filter(user, Post, "grant") is not None


def post_state(post, today) -> str:
    if post.start_date > today:
        return "future"
    if post.end_date is not None and post.end_date < today:
        return "ended"
    return "current"


def _with_state(posts) -> list:
    today = timezone.localdate()
    posts = list(posts)
    for post in posts:
        post.state = post_state(post, today)
    return posts


# My account ---------------------------------------------------------------------------


def _account_page(request, *, token_form=None, new_token=None, status=200):
    user = request.user
    posts = Post.objects.filter(user=user).select_related(*POST_RELATED, "granted_by")
    context = {
        "account": user,
        "posts": _with_state(posts.order_by("-start_date", "-id")),
        "tokens": list(user.api_tokens.order_by("-created_at")),
        "token_form": token_form or TokenForm(),
        "new_token": new_token,
        "now": timezone.now(),
        "password_expired": actions.password_expired(user),
    }
    return render(request, "accounts/account.html", context, status=status)


@login_required
@never_cache
def my_account(request):
    return _account_page(request)


@login_required
@require_POST
@never_cache
@sensitive_variables("token")
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            _row, token = actions.do_issue_token(
                request.user, name=form.cleaned_data["name"], actor=request.user
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            # Shown in this answer only: the token is kept as a hash.
            return _account_page(request, new_token=token)
    return _account_page(request, token_form=form)


@login_required
@require_POST
def token_revoke(request, pk):
    row = get_object_or_404(request.user.api_tokens, pk=pk)
    if row.revoked_at is not None:
        messages.info(request, _("该令牌已吊销"))
    else:
        actions.do_revoke_token(row, actor=request.user)
        messages.success(request, _("已吊销令牌 %(prefix)s…") % {"prefix": row.prefix})
    return redirect("account")


# Accounts -----------------------------------------------------------------------------


@login_required
def user_list(request):
    users = scoped(request.user, User, "view")
    filters = UserFilterForm(request.GET)
    posts_now = Post.objects.restrict(request.user, "view").current().select_related(*POST_RELATED)
    qs = (
        filters.filter(users)
        .defer("id_number", "totp_secret", "password")
        .prefetch_related(Prefetch("posts", queryset=posts_now, to_attr="posts_now"))
        .order_by("username")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "can_add": scope_filter(request.user, User, "add") is not None,
    }
    return render(request, "accounts/user_list.html", context)


@login_required
@never_cache
@sensitive_variables("password")
def user_create(request):
    scoped(request.user, User, "add")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = actions.do_create_user(**form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已创建账户 %(name)s") % {"name": user.username})
            return _one_time_password(request, user, password, created=True)
    return render(request, "accounts/user_form.html", {"form": form})


def _one_time_password(request, user, password, *, created: bool):
    """The initial or reset password, shown in this one answer and never again."""
    context = {"target": user, "password": password, "created": created}
    return render(request, "accounts/one_time_password.html", context)


def _user_page(request, target, *, disable_form=None, end_form=None, end_post=None):
    me = request.user
    posts = (
        Post.objects.restrict(me, "view")
        .filter(user=target)
        .select_related(*POST_RELATED, "granted_by", "ended_by")
        .order_by("-start_date", "-id")
    )
    is_self = target.pk == me.pk
    context = {
        "target": target,
        "is_self": is_self,
        "posts": _with_state(posts),
        "can_change": can(me, "change", target),
        "can_end_posts": scope_filter(me, Post, "change") is not None and not is_self,
        "can_grant": may_grant(me) and not is_self and target.is_active,
        "disable_form": disable_form or DisableForm(),
        "end_form": end_form,
        "end_post": end_post,
        "password_expired": actions.password_expired(target),
    }
    return render(request, "accounts/user_detail.html", context)


@login_required
def user_detail(request, username):
    target = get_object_or_404(scoped(request.user, User, "view"), username=username)
    return _user_page(request, target)


def _changeable(request, username):
    return get_object_or_404(scoped(request.user, User, "change"), username=username)


@login_required
@require_POST
def user_disable(request, username):
    target = _changeable(request, username)
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            actions.do_disable_user(target, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("admin_user_detail", username=target.username)
        else:
            messages.success(request, _("已停用账户 %(name)s") % {"name": target.username})
            return redirect("admin_user_detail", username=target.username)
    target.refresh_from_db()
    return _user_page(request, target, disable_form=form)


def _simple_action(request, username, action, success):
    """Run an account action without input; a refusal is shown as a message."""
    target = _changeable(request, username)
    try:
        action(target)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success % {"name": target.username})
    return redirect("admin_user_detail", username=target.username)


@login_required
@require_POST
def user_enable(request, username):
    return _simple_action(
        request,
        username,
        lambda target: actions.do_enable_user(target, actor=request.user),
        _("已启用账户 %(name)s"),
    )


@login_required
@require_POST
def user_reset_totp(request, username):
    return _simple_action(
        request,
        username,
        lambda target: actions.do_reset_totp(target, actor=request.user),
        _("已重置 %(name)s 的动态口令，其下次登录时须重新绑定验证器"),
    )


@login_required
@require_POST
@never_cache
@sensitive_variables("password")
def user_reset_password(request, username):
    target = _changeable(request, username)
    try:
        password = actions.do_reset_password(target, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        return _one_time_password(request, target, password, created=False)
    return redirect("admin_user_detail", username=target.username)


# Posts --------------------------------------------------------------------------------


@login_required
def post_list(request):
    if not may_see_posts(request.user):
        raise Http404
    filters = PostFilterForm(request.GET)
    posts = filters.filter(scoped(request.user, Post, "view")).select_related("user", *POST_RELATED)
    page = Paginator(posts.order_by("-start_date", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = _with_state(page.object_list)
    context = {"filters": filters, "page": page, "can_grant": may_grant(request.user)}
    return render(request, "accounts/post_list.html", context)


@login_required
def post_grant(request):
    scoped(request.user, Post, "grant")
    initial = {"username": request.GET.get("user", "")}
    form = GrantForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data["username"]
        try:
            post = org_actions.do_grant_post(
                user, form.cleaned_data["role"], actor=request.user, **form.action_kwargs()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已授予 %(name)s %(role)s岗位（%(place)s）")
                % {"name": user.username, "role": post.get_role_display(), "place": post.place},
            )
            return redirect("admin_user_detail", username=user.username)
    return render(request, "accounts/post_form.html", {"form": form})


@login_required
@require_POST
def post_end(request, pk):
    post = get_object_or_404(scoped(request.user, Post, "change").select_related("user"), pk=pk)
    target = get_object_or_404(scoped(request.user, User, "view"), pk=post.user_id)
    form = EndPostForm(request.POST)
    if form.is_valid():
        try:
            org_actions.do_end_post(
                post,
                actor=request.user,
                end_date=form.cleaned_data["end_date"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("admin_user_detail", username=target.username)
        else:
            messages.success(
                request,
                _("已免除 %(name)s 的%(role)s岗位")
                % {"name": target.username, "role": post.get_role_display()},
            )
            return redirect("admin_user_detail", username=target.username)
    return _user_page(request, target, end_form=form, end_post=post)
