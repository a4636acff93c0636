"""Scope: which rows a user may act on.

Models that users reach declare where their area code lives (``scope_area_field``)
so that a grant on an area covers its whole subtree with one ``startswith`` filter.
"""

from django.db.models import Q

ACTIONS = frozenset(
    {"view", "add", "change", "delete", "export", "unmask", "approve", "propose", "file"}
)


def scope_filter(user, model, action: str) -> Q | None:
    """A filter for ``model`` rows that ``user`` may ``action``, or None for nothing.

    Until posts exist every active staff account sees the whole city; anonymous and
    inactive users see nothing.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if action != "view" and not (user.is_staff or user.is_superuser):
        return None
    return Q()


def can(user, action: str, obj) -> bool:
    """Whether ``user`` may ``action`` this object (the same rule as restrict())."""
    return type(obj).objects.filter(pk=obj.pk).restrict(user, action).exists()
