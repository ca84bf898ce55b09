"""The Content-Security-Policy middleware: django-csp's, plus the outside origins that are data.

The fixed policy is `CONTENT_SECURITY_POLICY` in settings (our own origin, the map's tile
server). External layers (WMS/WMTS/XYZ tiles, GeoJSON) and camera streams and snapshots are
registered in the admin, so their origins come from the database (`layers.csp`, cached for a
few minutes) and are added to pages' policies here.
"""

from __future__ import annotations

from typing import Any

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        # Only documents load maps and players; API answers and files keep the fixed policy.
        if not response.get("Content-Type", "").startswith("text/html"):
            return parts
        from layers.csp import external_origins  # config wires the apps; layers loads late

        base: dict[str, Any] = parts.config or settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
        update = {key: list(value) for key, value in (parts.update or {}).items()}
        for directive, sources in external_origins().items():
            present = update.setdefault(directive, [])
            configured = base.get(directive) or []
            present += [s for s in sources if s not in present and s not in configured]
        parts.update = {key: value for key, value in update.items() if value}
        return parts
