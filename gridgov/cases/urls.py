from django.urls import path

from gridgov.cases import views

app_name = "cases"

urlpatterns = [
    path("<str:number>/", views.detail, name="detail"),
]
