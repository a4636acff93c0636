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
