from django.urls import include, path

from dispatch import views

app_name = "dispatch"

urlpatterns = [
    path("", views.root, name="root"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("home/", views.home, name="home"),
    path("home/overview.json", views.overview, name="overview"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("map/", views.live_map, name="map"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox-read"),
    path("evaluation/", include("dispatch.evaluation.urls")),
]
