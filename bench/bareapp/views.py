import json

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.bareapp.models import Row


@csrf_exempt
@require_POST
def insert(request):
    """Parse the same JSON body a case submission sends, insert one row, answer 201."""
    data = json.loads(request.body)
    row = Row.objects.create(
        text=str(data.get("description", ""))[:2000], created_at=timezone.now()
    )
    return JsonResponse({"id": row.pk}, status=201)
