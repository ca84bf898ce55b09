from django.urls import include, path
from rest_framework.routers import DefaultRouter

from grids.api import InspectorPositionsView, LocateView, RegionViewSet
from grids.camera_api import CamerasView
from grids.emergency_api import NearestView, ResourcesGeoJsonView

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")

urlpatterns = [
    path("", include(router.urls)),
    path("locate/", LocateView.as_view(), name="locate"),
    path(
        "inspectors/positions/",
        InspectorPositionsView.as_view(),
        name="inspector-positions",
    ),
    path("emergency/nearest/", NearestView.as_view(), name="emergency-nearest"),
    path("emergency/resources/", ResourcesGeoJsonView.as_view(), name="emergency-resources"),
    path("cameras/", CamerasView.as_view(), name="api-cameras"),
]
