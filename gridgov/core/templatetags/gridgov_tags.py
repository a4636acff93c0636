"""Small template helpers shared by the pages."""

from django import template

register = template.Library()

# Django's message level names → Bootstrap alert colours.
_ALERT = {"error": "danger", "debug": "secondary"}


@register.filter
def alert_class(message) -> str:
    level = getattr(message, "level_tag", "") or "info"
    return _ALERT.get(level, level)


@register.filter
def km2(square_metres) -> str:
    """Square metres shown as square kilometres with two decimals."""
    if square_metres in (None, ""):
        return ""
    return f"{float(square_metres) / 1_000_000:,.2f}"
