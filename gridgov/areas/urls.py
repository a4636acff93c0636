from django.urls import path

from gridgov.areas import views

app_name = "areas"

urlpatterns = [
    path("map/", views.grid_map, name="map"),
    path("tree/", views.area_tree, name="tree"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
    path("adjustments/", views.adjustment_list, name="adjustment_list"),
    path("adjustments/new/", views.adjustment_create, name="adjustment_create"),
    path("adjustments/<str:number>/", views.adjustment_detail, name="adjustment_detail"),
]
