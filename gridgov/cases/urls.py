from django.urls import path

from gridgov.cases import views, views_public

app_name = "cases"

urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("all/", views.case_list, name="list"),
    path("new/", views.new, name="new"),
    path("new/fields/", views.matter_fields, name="matter_fields"),
    path("board/", views.board, name="board"),
    path("policy/", views.policy, name="policy"),
    path("attachments/<str:token>/", views.attachment, name="attachment"),
    path("supervision/<str:number>/", views.supervision_order, name="supervision_order"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:name>/", views.act, name="act"),
    path("<str:number>/reveal/", views.reveal_contact, name="reveal"),
]

# Mounted at /public/cases/ under the namespace "public_cases": no login.
public_urlpatterns = [
    path("new/", views_public.report, name="new"),
    path("new/fields/", views_public.matter_fields, name="matter_fields"),
    path("villages/", views_public.villages, name="villages"),
    path("thanks/<str:code>/", views_public.thanks, name="thanks"),
    path("track/", views_public.track_search, name="track_search"),
    path("track/<str:code>/", views_public.track, name="track"),
    path("track/<str:code>/rate/", views_public.rate, name="rate"),
    path("track/<str:code>/files/<str:token>/", views_public.attachment, name="attachment"),
]
