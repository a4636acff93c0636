from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from gridgov.api.api import api
from gridgov.cases.urls import public_urlpatterns as public_case_urls
from gridgov.core import views as core_views
from gridgov.core import views_audit, views_workdays
from gridgov.matters.urls import public_urlpatterns as public_matter_urls

urlpatterns = [
    path("", core_views.home, name="home"),
    path("", include("gridgov.accounts.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("areas/", include("gridgov.areas.urls")),
    path("orgs/", include("gridgov.orgs.urls")),
    path("matters/", include("gridgov.matters.urls")),
    path("public/matters/", include((public_matter_urls, "public"))),
    path("cases/", include("gridgov.cases.urls")),
    path("public/cases/", include((public_case_urls, "public_cases"))),
    path("registry/", include("gridgov.registry.urls")),
    path("notifications/", include("gridgov.notifications.urls")),
    path("audit/", views_audit.audit_search, name="audit_search"),
    path("workdays/", views_workdays.settings_page, name="workdays"),
    path("workdays/overrides/", views_workdays.override_add, name="workday_override_add"),
    path(
        "workdays/overrides/<int:pk>/remove/",
        views_workdays.override_remove,
        name="workday_override_remove",
    ),
    path("workdays/years/", views_workdays.year_confirm, name="workday_year_confirm"),
    path("api/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
