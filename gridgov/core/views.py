from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from gridgov.core import workdays
from gridgov.core.actions_workdays import may_manage


@login_required
def home(request):
    """The dashboard: a row of cards (the map for everybody; calendar warnings for the
    system administrator)."""
    context = {"calendar_warnings": [], "calendar_warning_year": None}
    if may_manage(request.user):
        years = workdays.warning_years()
        context["calendar_warnings"] = [workdays.warning_text(year) for year in years]
        context["calendar_warning_year"] = years[0] if years else None
    return render(request, "core/home.html", context)


def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
