from django.urls import path

from gridgov.orgs import views

app_name = "orgs"

urlpatterns = [
    path("staffing/", views.staffing_report, name="staffing"),
]
