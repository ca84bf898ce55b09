"""One error body everywhere: {"code", "message", "errors": {field: [messages]}}."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.errors import CaseError


def error_body(code: str, message: str, errors: dict[str, Any] | None = None, **extra: Any) -> dict:
    return {"code": code, "message": message, "errors": errors or {}, **extra}


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            key: value if isinstance(value, list | dict) else [value]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, CaseError):
        extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool)}
        return Response(
            error_body(exc.code, exc.message, exc.field_errors, **extra), status=exc.http_status
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "invalid", _("The request has errors."), _field_errors(exc.detail)
        )
        return response
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = error_body(str(code), str(detail))
        if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
            response.data["retry_after_seconds"] = int(exc.wait)  # type: ignore[attr-defined]
    return response
