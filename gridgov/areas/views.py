"""Pages for areas and grids (filled in with the web shell)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def grid_map(request):
    return HttpResponse("map")


@login_required
def area_tree(request):
    return HttpResponse("tree")


@login_required
def grid_list(request):
    return HttpResponse("grids")


@login_required
def grid_detail(request, code):
    return HttpResponse(code)


@login_required
def adjustment_list(request):
    return HttpResponse("adjustments")


@login_required
def adjustment_create(request):
    return HttpResponse("new")


@login_required
def adjustment_detail(request, number):
    return HttpResponse(number)
