from django.urls import include, path

from dispatch import asset_views, intake_desk, map_views, queue_views, screen_views, views

app_name = "dispatch"

urlpatterns = [
    path("", views.root, name="root"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("home/", views.home, name="home"),
    path("home/overview.json", views.overview, name="overview"),
    path("intake/new/", intake_desk.intake_new, name="intake-new"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("map/", views.live_map, name="map"),
    path("map/cases.json", map_views.map_cases, name="map-cases"),
    path("map/grid.json", map_views.grid_card, name="map-grid"),
    path("queues/<slug:key>/", queue_views.queue_page, name="queue"),
    path("queues/<slug:key>/bulk/", queue_views.queue_bulk, name="queue-bulk"),
    path("queues/<slug:key>/next/", queue_views.next_case, name="queue-next"),
    path("queues/<slug:key>/views/", queue_views.queue_view_save, name="queue-view-save"),
    path(
        "queue-views/<int:view_id>/delete/", queue_views.queue_view_delete, name="queue-view-delete"
    ),
    path("assets/<str:code>/", asset_views.asset_page, name="asset"),
    path("screen/", screen_views.screen, name="screen"),
    path("screen/data.json", screen_views.screen_data, name="screen-data"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox-read"),
    path("supervisions/", views.supervisions, name="supervisions"),
    path("evaluation/", include("dispatch.evaluation.urls")),
]
