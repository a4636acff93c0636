from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from gridgov.cases.models import Case


@login_required
def detail(request, number):
    case = get_object_or_404(Case.objects.restrict(request.user, "view"), number=number)
    return HttpResponse(case.number)
