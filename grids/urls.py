from django.urls import include, path
from rest_framework.routers import DefaultRouter

from grids.api import InspectorPositionsView, LocateView, RegionViewSet

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
]
