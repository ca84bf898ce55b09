from django.urls import path

from citizens import views

app_name = "citizens"

urlpatterns = [
    path("registry/", views.registry_map, name="registry"),
    path("registry/grids/<str:code>/", views.population, name="population"),
    path(
        "registry/buildings/<int:building_id>/print/",
        views.residents_print,
        name="residents-print",
    ),
]
