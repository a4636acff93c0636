"""URLs of import and export (included from registry/urls.py, namespace ``registry``)."""

from django.urls import path

from gridgov.registry import views_import as views

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_create, name="import_create"),
    path(
        "imports/templates/<str:kind>.<str:file_format>",
        views.import_template,
        name="import_template",
    ),
    path("imports/samples/<str:name>", views.import_sample, name="import_sample"),
    path("imports/<str:public_id>/", views.import_detail, name="import_detail"),
    path("imports/<str:public_id>/progress/", views.import_progress, name="import_progress"),
    path("imports/<str:public_id>/start/", views.import_start, name="import_start"),
    path("imports/<str:public_id>/cancel/", views.import_cancel, name="import_cancel"),
    path("imports/<str:public_id>/errors.csv", views.import_errors, name="import_errors"),
    path("exports/", views.export_list, name="export_list"),
    path("exports/new/", views.export_create, name="export_create"),
    path("exports/<str:public_id>/", views.export_detail, name="export_detail"),
    path("exports/<str:public_id>/approve/", views.export_approve, name="export_approve"),
    path("exports/<str:public_id>/reject/", views.export_reject, name="export_reject"),
    path("exports/<str:public_id>/download/", views.export_download, name="export_download"),
]
