from django.urls import path

from layers.api import LayerDetailView, LayerFeatureDetailView, LayerFeaturesView, LayerListView

urlpatterns = [
    path("layers/", LayerListView.as_view(), name="api-layers"),
    path("layers/<slug:code>/", LayerDetailView.as_view(), name="api-layer"),
    path("layers/<slug:code>/features/", LayerFeaturesView.as_view(), name="api-layer-features"),
    path(
        "layers/<slug:code>/features/<int:feature_id>/",
        LayerFeatureDetailView.as_view(),
        name="api-layer-feature",
    ),
]
