from django.urls import include, path

from gridgov.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/<str:public_id>/", views.person_detail, name="person_detail"),
    path("persons/<str:public_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("persons/<str:public_id>/tags/", views.person_tag_add, name="person_tag_add"),
    path(
        "persons/<str:public_id>/tags/<slug:kind>/remove/",
        views.person_tag_remove,
        name="person_tag_remove",
    ),
    path("collect/household/", views.collect_household, name="collect_household"),
    path("collect/<slug:kind>/", views.collect, name="collect"),
    path("collect/<slug:kind>/<str:key>/", views.collect, name="change"),
    path("submissions/", views.submission_list, name="submission_list"),
    path("submissions/<str:public_id>/", views.submission_detail, name="submission_detail"),
    path("submissions/<str:public_id>/verify/", views.submission_verify, name="verify"),
    path("submissions/<str:public_id>/reject/", views.submission_reject, name="reject"),
    path("submissions/<str:public_id>/withdraw/", views.submission_withdraw, name="withdraw"),
    path("conflicts/<str:public_id>/resolve/", views.conflict_resolve, name="resolve_conflict"),
    path("list/<slug:kind>/", views.record_list, name="record_list"),
    path("list/<slug:kind>/<str:key>/", views.record_detail, name="record_detail"),
    path("", include("gridgov.registry.urls_import")),  # imports and exports
]
