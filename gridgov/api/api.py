"""The REST API root (django-ninja). OpenAPI at /api/openapi.json, docs at /api/docs."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.security import django_auth

from gridgov.areas.api import router as areas_router

api = NinjaAPI(
    title="gridgov API",
    version="1",
    description="城乡网格化服务管理信息系统接口。需要登录（会话）；程序访问的令牌认证随权限管理提供。",
    auth=django_auth,
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "未找到"}, status=404)


api.add_router("/areas", areas_router, tags=["areas"])
