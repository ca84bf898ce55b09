from django.urls import path

from citizens.api import registry_places as places
from citizens.api import registry_views as views

urlpatterns = [
    path("registry/search/", places.PlaceSearchView.as_view(), name="api-registry-search"),
    path("registry/at/", places.PlaceAtView.as_view(), name="api-registry-at"),
    path("registry/parcels/", places.ParcelsLayerView.as_view(), name="api-registry-parcels"),
    path("registry/buildings/", places.BuildingsLayerView.as_view(), name="api-registry-buildings"),
    path(
        "registry/parcels/<int:parcel_id>/totals/",
        places.ParcelTotalsView.as_view(),
        name="api-parcel-totals",
    ),
    path(
        "registry/buildings/<int:building_id>/cases/",
        places.BuildingCasesView.as_view(),
        name="api-building-cases",
    ),
    path(
        "registry/buildings/<int:building_id>/residents/export/",
        places.BuildingResidentsExportView.as_view(),
        name="api-building-residents-export",
    ),
    path(
        "registry/grids/<str:code>/stats/",
        places.RegionStatsView.as_view(),
        name="api-region-stats",
    ),
    path("registry/parcels/<int:parcel_id>/", views.ParcelDetailView.as_view(), name="api-parcel"),
    path(
        "registry/parcels/<int:parcel_id>/residents/",
        views.ParcelResidentsView.as_view(),
        name="api-parcel-residents",
    ),
    path(
        "registry/buildings/<int:building_id>/",
        views.BuildingDetailView.as_view(),
        name="api-building",
    ),
    path(
        "registry/buildings/<int:building_id>/residents/",
        views.BuildingResidentsView.as_view(),
        name="api-building-residents",
    ),
    path(
        "registry/dwellings/<int:dwelling_id>/",
        views.DwellingDetailView.as_view(),
        name="api-dwelling",
    ),
    path("registry/persons/lookup/", views.PersonLookupView.as_view(), name="api-person-lookup"),
    path("registry/persons/<int:person_id>/", views.PersonDetailView.as_view(), name="api-person"),
    path(
        "registry/grids/<str:grid_code>/key-groups/",
        views.GridKeyGroupsView.as_view(),
        name="api-grid-key-groups",
    ),
    path(
        "registry/grids/<str:grid_code>/key-groups/<slug:group_code>/",
        views.GridKeyGroupMembersView.as_view(),
        name="api-grid-key-group-members",
    ),
    path("registry/access-log/", views.AccessLogView.as_view(), name="api-access-log"),
]
