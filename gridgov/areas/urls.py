from django.urls import path

from gridgov.areas import views

app_name = "areas"

urlpatterns = [
    path("map/", views.grid_map, name="map"),
    path("outlines.json", views.area_outlines, name="outlines"),
    path("tree/", views.area_tree, name="tree"),
    path("tree/<str:code>/", views.tree_children, name="tree_children"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
    path("grids/<str:code>/panel/", views.grid_panel, name="grid_panel"),
    path("adjustments/", views.adjustment_list, name="adjustment_list"),
    path("adjustments/new/", views.adjustment_create, name="adjustment_create"),
    path("adjustments/<str:number>/", views.adjustment_detail, name="adjustment_detail"),
    path("adjustments/<str:number>/approve/", views.adjustment_approve, name="adjustment_approve"),
    path("adjustments/<str:number>/reject/", views.adjustment_reject, name="adjustment_reject"),
    path(
        "adjustments/<str:number>/withdraw/",
        views.adjustment_withdraw,
        name="adjustment_withdraw",
    ),
]
