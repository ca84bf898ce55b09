"""The OpenAPI schema's view class: the 403 every staff endpoint answers is documented.

Every endpoint that needs a log-in documents its 401 too.

Staff endpoints need an active post (grids.permissions.IsStaff, the API's default): a citizen's
or an agency's account gets 403 with the error body there, and the schema says so, so that a
client (and schemathesis) expects it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        # Imported here: views are built while this module loads (DEFAULT_SCHEMA_CLASS).
        from rest_framework.permissions import AllowAny

        from config.api import ErrorSerializer
        from grids.permissions import IsStaff

        responses = super()._get_response_bodies(direction)
        permissions = self.view.get_permissions()
        if "403" not in responses and any(isinstance(p, IsStaff) for p in permissions):
            responses["403"] = self._get_response_for_code(ErrorSerializer, "403", None, direction)
        # Whatever needs a log-in answers 401 without one (or with a revoked token).
        if "401" not in responses and any(not isinstance(p, AllowAny) for p in permissions):
            responses["401"] = self._get_response_for_code(ErrorSerializer, "401", None, direction)
        return responses
