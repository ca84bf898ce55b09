"""/open311/discovery.{json,xml} and the GeoReport v2 endpoints under /open311/v2/."""

from django.urls import path, register_converter

from citizens.open311.views import (
    DiscoveryView,
    NotFoundView,
    RequestDetailView,
    RequestsView,
    ServiceDefinitionView,
    ServiceListView,
    TokenView,
)


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    """A service code, request id or token: no dots (the dot starts the format)."""

    regex = "[^/.]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "o311fmt")
register_converter(IdConverter, "o311id")

urlpatterns = [
    path("discovery.<o311fmt:fmt>", DiscoveryView.as_view(), name="open311-discovery"),
    path("v2/", NotFoundView.as_view(), {"rest": ""}, name="open311-root"),
    path("v2/services.<o311fmt:fmt>", ServiceListView.as_view(), name="open311-services"),
    path(
        "v2/services/<o311id:service_code>.<o311fmt:fmt>",
        ServiceDefinitionView.as_view(),
        name="open311-service",
    ),
    path("v2/requests.<o311fmt:fmt>", RequestsView.as_view(), name="open311-requests"),
    path(
        "v2/requests/<o311id:service_request_id>.<o311fmt:fmt>",
        RequestDetailView.as_view(),
        name="open311-request",
    ),
    path("v2/tokens/<o311id:token>.<o311fmt:fmt>", TokenView.as_view(), name="open311-token"),
    path("<path:rest>", NotFoundView.as_view(), name="open311-not-found"),
]
