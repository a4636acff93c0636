"""The one scope choke point: ``Model.objects.restrict(user, action)``.

Every queryset that reaches a user (page, API, export, search) starts here; views and
API routes never filter by hand. What a user may reach is decided in
:mod:`gridgov.accounts.scope` from their posts.
"""

from django.db import models


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """The rows of this queryset that ``user`` may ``action`` (view, add, change, …)."""
        from gridgov.accounts.scope import scope_filter

        condition = scope_filter(user, self.model, action)
        if condition is None:
            return self.none()
        return self.filter(condition)


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):
    pass


def recheck_scope(obj, actor, action: str = "view") -> None:
    """After a write, re-read ``obj`` through the writer's scope inside the transaction.

    A write that would move an object out of the writer's reach (say, into another
    town) raises NotPermitted, and the surrounding transaction rolls the write back.
    Writes by the system itself (``actor=None``) are not checked.
    """
    if actor is None:
        return
    if not type(obj).objects.filter(pk=obj.pk).restrict(actor, action).exists():
        from django.utils.translation import gettext as _

        from gridgov.core.exceptions import NotPermitted

        raise NotPermitted(_("此操作会使数据超出您的管辖范围，已撤销"))
