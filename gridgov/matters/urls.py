from django.urls import path

from gridgov.matters import views

app_name = "matters"

urlpatterns = [
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/", views.application_create, name="application_create"),
    path("applications/<str:number>/", views.application_detail, name="application_detail"),
    path(
        "applications/<str:number>/approve/",
        views.application_approve,
        name="application_approve",
    ),
    path("applications/<str:number>/reject/", views.application_reject, name="application_reject"),
    path(
        "applications/<str:number>/withdraw/",
        views.application_withdraw,
        name="application_withdraw",
    ),
    path("rectifications/", views.rectification_list, name="rectification_list"),
    path("rectifications/new/", views.rectification_create, name="rectification_create"),
    path("rectifications/<str:number>/", views.rectification_detail, name="rectification_detail"),
    path(
        "rectifications/<str:number>/close/",
        views.rectification_close,
        name="rectification_close",
    ),
    path("rectifications/<str:number>/exit/", views.rectification_exit, name="rectification_exit"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<str:number>/", views.task_detail, name="task_detail"),
    path("refusals/", views.refusal_list, name="refusal_list"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
    path("my-tasks/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("my-tasks/<int:pk>/accept/", views.assignment_accept, name="assignment_accept"),
    path("my-tasks/<int:pk>/progress/", views.assignment_progress, name="assignment_progress"),
    path("my-tasks/<int:pk>/complete/", views.assignment_complete, name="assignment_complete"),
    path("my-tasks/<int:pk>/refuse/", views.assignment_refuse, name="assignment_refuse"),
    path("photos/<int:pk>/", views.event_photo, name="event_photo"),
]

public_urlpatterns = [
    path("", views.public_list, name="public_list"),
    path("<str:code>/", views.public_matter, name="public_matter"),
]
