"""The product's URLs plus the bare endpoint, served by one server with one settings module."""

from django.urls import include, path

from bench.bareapp import views

urlpatterns = [
    path("bench/bare", views.insert),
    path("", include("gridgov.urls")),
]
