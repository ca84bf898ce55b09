from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analysis.api_urls import patrol_urlpatterns
from config import pwa
from config.health import healthz
from config.metrics import metrics


class AppKeyConverter:
    regex = "m|c"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AppKeyConverter, "app")

admin.site.site_header = _("Wangge grid governance")
admin.site.site_title = _("Wangge")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("grids.urls")),
    path("api/v1/", include("layers.urls")),
    path("api/v1/", include("cases.api.urls")),
    path("api/v1/", include("dispatch.api_urls")),
    path("api/v1/citizen/", include("citizens.api.urls")),
    path("api/v1/citizen/", include("dispatch.citizen_urls")),
    path("open311/", include("citizens.open311.urls")),
    path("api/v1/evaluation/", include("dispatch.evaluation.api_urls")),
    path("api/v1/", include("citizens.api.registry_urls")),
    path("api/v1/analysis/", include("analysis.api_urls")),
    path("api/v1/", include("exchange.urls")),
    path("api/v1/patrol/", include(patrol_urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    # The handheld apps: the inspector's (m) and the citizens' (c), each with its manifest and
    # its service worker under its own path (the worker's scope).
    path("<app:key>/", pwa.app_page, name="pwa-app"),
    path("<app:key>/manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("<app:key>/sw.js", pwa.service_worker, name="pwa-sw"),
    path("datacentre/", include("layers.page_urls")),
    path("", include("citizens.urls")),
    path("analysis/", include("analysis.urls")),
    path("", include("dispatch.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)


def _not_found(request, exception=None):  # noqa: ANN001 - Django's handler signature
    """JSON 404s under /api/ (the one error body), Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "message": str(_("Not found.")), "errors": {}}, status=404
        )
    return page_not_found(request, exception)


handler404 = _not_found
