from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    path("", views.analysis_index, name="index"),
    path("export/<slug:table>.<slug:fmt>", views.analysis_export, name="export"),
]
