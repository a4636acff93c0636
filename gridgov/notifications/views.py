"""The user's notification pages: the list, opening one, marking read.

Every page starts from ``Notification.objects.for_user(request.user)``: another user's
notification answers 404 exactly like a missing one. Changes go through
:mod:`gridgov.notifications.actions`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.notifications import actions
from gridgov.notifications.models import Notification
from gridgov.notifications.templatetags.notifications_tags import unread_count

PAGE_SIZE = 50


def _list_url(unread_only: bool = False, anchor: str = "") -> str:
    url = reverse("notifications:list")
    if unread_only:
        url += "?unread=1"
    return url + (f"#{anchor}" if anchor else "")


def _unread_only(data) -> bool:
    return data.get("unread", "") in ("1", "true", "on")


@login_required
def notification_list(request):
    unread_only = _unread_only(request.GET)
    qs = Notification.objects.for_user(request.user)
    if unread_only:
        qs = qs.unread()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread_only": unread_only, "unread_count": unread_count(request)}
    return render(request, "notifications/list.html", context)


@login_required
def notification_open(request, pk: int):
    """Mark the notification read and go where it points (a path of this site only)."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    actions.do_mark_read(notification, actor=request.user)
    link = notification.link
    # The link was checked when it was made; check again, so that a row written by other
    # means can never send anyone to another site.
    if (
        link
        and actions.is_site_path(link)
        and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()})
    ):
        return redirect(link)
    return redirect(_list_url(anchor=f"n{notification.pk}"))


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    actions.do_mark_read(notification, actor=request.user)
    return redirect(_list_url(_unread_only(request.POST)))


@login_required
@require_POST
def notification_read_all(request):
    count = actions.do_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("已将 %(n)d 条通知标为已读") % {"n": count})
    else:
        messages.info(request, _("没有未读通知"))
    return redirect(_list_url())
