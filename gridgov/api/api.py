"""The REST API root (django-ninja). OpenAPI at /api/openapi.json, docs at /api/docs."""

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from gridgov.accounts.api import audit_router
from gridgov.accounts.api import router as accounts_router
from gridgov.api.auth import api_auth
from gridgov.areas.api import router as areas_router
from gridgov.cases.api import router as cases_router
from gridgov.cases.api_public import router as public_cases_router
from gridgov.core.exceptions import ActionError
from gridgov.matters.api import public_router as public_matters_router
from gridgov.matters.api import router as matters_router
from gridgov.notifications.api import router as notifications_router
from gridgov.orgs.api import router as orgs_router
from gridgov.registry.api import router as registry_router

api = NinjaAPI(
    title="gridgov API",
    version="1",
    description="城乡网格化服务管理信息系统接口。认证：网站登录会话（写操作需 X-CSRFToken），或程序使用的接口令牌（Authorization: Bearer gg_…）。",
    auth=api_auth,
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "未找到"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "未登录或令牌无效"}, status=401)


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    """An action refused its input: field errors, in Chinese, nothing changed."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    body = {"detail": "输入有误", "code": "invalid", "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(ActionError)
def refused(request, exc: ActionError):
    body = {"detail": exc.message, "code": exc.code}
    return api.create_response(request, body, status=exc.status)


api.add_router("/areas", areas_router, tags=["areas"])
api.add_router("/accounts", accounts_router, tags=["accounts"])
api.add_router("/orgs", orgs_router, tags=["orgs"])
api.add_router("/audit", audit_router, tags=["audit"])
api.add_router("/matters", matters_router, tags=["matters"])
api.add_router("/cases", cases_router, tags=["cases"])
api.add_router("/registry", registry_router, tags=["registry"])
api.add_router("/registry", "gridgov.registry.api_import.router", tags=["registry"])
api.add_router("/notifications", notifications_router, tags=["notifications"])
api.add_router("/workdays", "gridgov.core.api_workdays.router", tags=["workdays"])
api.add_router("/public", public_matters_router, tags=["public"], auth=None)
api.add_router("/public/cases", public_cases_router, tags=["public"], auth=None)
