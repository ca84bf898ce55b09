"""/api/v1/analysis/…"""

from django.urls import path

from analysis import api, patrol_api

urlpatterns = [
    path("hotspots/", api.HotspotListView.as_view(), name="api-analysis-hotspots"),
    path(
        "hotspots/<int:hotspot_id>/",
        api.HotspotDetailView.as_view(),
        name="api-analysis-hotspot",
    ),
    path("alarms/", api.AlarmListView.as_view(), name="api-analysis-alarms"),
    path(
        "alarms/<int:alarm_id>/acknowledge/",
        api.AlarmAcknowledgeView.as_view(),
        name="api-analysis-alarm-acknowledge",
    ),
    path(
        "alarms/<int:alarm_id>/handle/",
        api.AlarmHandleView.as_view(),
        name="api-analysis-alarm-handle",
    ),
    path("trends/", api.TrendFlagListView.as_view(), name="api-analysis-trends"),
    path("trends/series/", api.TrendSeriesView.as_view(), name="api-analysis-series"),
    path("repeat-places/", api.RepeatPlaceListView.as_view(), name="api-analysis-repeats"),
    path(
        "repeat-places/<int:place_id>/",
        api.RepeatPlaceDetailView.as_view(),
        name="api-analysis-repeat",
    ),
    path("heat/", api.HeatView.as_view(), name="api-analysis-heat"),
]

# Patrols: /api/v1/patrol/… (the handheld uploads fixes to /api/v1/patrol/).
patrol_urlpatterns = [
    path("tracks/", patrol_api.PatrolTrackView.as_view(), name="api-patrol-track"),
    path("days/", patrol_api.PatrolDaysView.as_view(), name="api-patrol-days"),
]
