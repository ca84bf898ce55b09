"""The API's plumbing, once: the error family, the one error body and its schema, the exception
handler, body limits, the client's address, a JSON parser that survives hostile nesting, and
the middleware that keeps every error under /api/ in the error body (never an HTML page).

Every error the API answers is {"code", "message", "errors": {field: [messages]}} (plus a few
documented extras such as current_version or retry_after_seconds).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.parsers import JSONParser

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"

__all__ = [
    "ApiErrorMiddleware",
    "BodyLimits",
    "BodyTooLarge",
    "ErrorSerializer",
    "FieldsOnce",
    "JSONParser",
    "ServiceError",
    "api_exception_handler",
    "client_ip",
    "error_body",
    "error_responses",
]


# --- serializers whose fields are built once --------------------------------------------------


def _fresh(field: serializers.Field) -> serializers.Field:
    """An unbound copy of an unbound field, as cheap as the field allows. A leaf field holds
    nothing that binding or use changes but its own attributes (name, parent, source, label),
    so a copy of its attributes is enough; a field holding other fields (a nested serializer,
    a list of a child) is deep-copied as DRF does, so that its children bind to the copy."""
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child"):
        return copy.deepcopy(field)
    fresh = object.__new__(type(field))
    fresh.__dict__.update(field.__dict__)
    return fresh


# A serializer that builds its fields once per class, not once per instance.
#
# DRF builds every serializer instance's fields anew: a ModelSerializer reads the model's
# fields and derives each field's arguments (`get_field_kwargs`), and any serializer
# deep-copies its declared fields, which re-runs every field's `__init__`. On the API's hot
# paths (a report's and an action's answer, their request bodies) that was a tenth to a
# quarter of the request's Python time by two profiles (docs/performance.md §16). Here the
# first instance of a class builds them as DRF does and keeps them unbound; every instance
# then binds cheap copies (`_fresh`). Only for serializers whose fields depend on the class
# alone (not on the instance, its context or the request), which is every serializer that
# does not override `get_fields`. (No docstring: the schema takes a serializer's description
# from the first docstring among its classes, which must stay the serializer's own.)
class FieldsOnce:
    _prototype_fields: ClassVar[dict[str, serializers.Field]]

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        prototype = cls.__dict__.get("_prototype_fields")
        if prototype is None:
            prototype = super().get_fields()  # type: ignore[misc]
            cls._prototype_fields = prototype
        return {name: _fresh(field) for name, field in prototype.items()}


# --- the error family -----------------------------------------------------------------------


class ServiceError(Exception):
    """An error a service raises on purpose: a stable code, a message for people, field
    errors, and the HTTP status the API answers with. Cases' CaseError and the citizens',
    dispatch's and the lockout's errors are its subclasses."""

    code = "error"
    http_status = 400

    def __init__(
        self, message: str, *, field_errors: dict[str, list[str]] | None = None, **extra: object
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        self.extra = extra


# --- the one error body ---------------------------------------------------------------------


def error_body(code: str, message: str, errors: dict[str, Any] | None = None, **extra: Any) -> dict:
    return {"code": code, "message": message, "errors": errors or {}, **extra}


class ErrorSerializer(serializers.Serializer):
    """The one error body (the schema's component "Error")."""

    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(help_text=gettext_lazy("Messages per field."))
    current_version = serializers.IntegerField(
        required=False, help_text=gettext_lazy("With version_conflict: the case's version now.")
    )


def error_responses(*codes: int, base: Iterable[int] = (401, 429)) -> dict[int, OpenApiResponse]:
    """The error responses an operation documents: the codes given, plus `base` (by default
    401 and 429, which every authenticated endpoint may answer)."""
    return {code: OpenApiResponse(ErrorSerializer) for code in sorted({*base, *codes})}


# --- the exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]) ------------------------------


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            key: value if isinstance(value, list | dict) else [value]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def service_error_response(exc: ServiceError) -> Response:
    extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool)}
    response = Response(
        error_body(exc.code, exc.message, exc.field_errors, **extra), status=exc.http_status
    )
    if "retry_after_seconds" in extra:  # a lockout or a per-phone limit: say when
        response["Retry-After"] = str(extra["retry_after_seconds"])
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        return service_error_response(exc)
    from rest_framework.views import exception_handler  # rest_framework.views imports us

    exc = _django_request_error(exc) or exc
    response = exception_handler(exc, context)
    if response is None:
        return None  # a server error: ApiErrorMiddleware answers it
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


# --- request limits -------------------------------------------------------------------------


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = gettext_lazy("The request body is too large.")


def _django_request_error(exc: BaseException) -> exceptions.APIException | None:
    """Django's own request limits and a JSON body nested past Python's recursion limit, as
    the API errors they are (Django would answer an HTML 400 or a 500)."""
    if isinstance(exc, RequestDataTooBig):
        return BodyTooLarge()
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return exceptions.ParseError(str(exc))
    if isinstance(exc, RecursionError):
        return exceptions.ParseError(_("The request body is nested too deeply."))
    return None


class BodyLimits:
    """A view mixin: refuse a body declared larger than max_body_bytes() before reading it
    (before authentication, whose CSRF check may parse a form, and before anything is spooled
    to disk), and answer Django's own body limits in the error body."""

    def max_body_bytes(self) -> int:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def body_too_large(self) -> exceptions.APIException:
        return BodyTooLarge()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > self.max_body_bytes():
            raise self.body_too_large()
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            exc = self.body_too_large()
        return super().handle_exception(exc)  # type: ignore[misc]


# --- the client's address -------------------------------------------------------------------


def client_ip(request: HttpRequest | Request) -> str | None:
    # REMOTE_ADDR, not X-Forwarded-For (which the client can forge): behind a proxy, have the
    # proxy pass the client's address through.
    return request.META.get("REMOTE_ADDR") or None


# --- never HTML under /api/ -----------------------------------------------------------------


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "")
    return content_type.startswith("application/") and "json" in content_type


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


class ApiErrorMiddleware:
    """Under /api/, an error is the error body whatever raised it: an exception no view
    handled (500, logged as Django logs it), Django's own 400/403/404 pages (a URL that
    does not exist, a failed CSRF check, a request limit hit outside a view). First in
    MIDDLEWARE, so it sees what every other layer answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.streaming
            and not _is_json(response)
        ):
            return self._json(response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exc, ServiceError):
            data = error_body(exc.code, exc.message, exc.field_errors)
            return JsonResponse(data, status=exc.http_status)
        api_error = _django_request_error(exc)
        if api_error is not None:
            return JsonResponse(
                error_body(str(api_error.default_code), str(api_error.detail)),
                status=api_error.status_code,
            )
        if isinstance(exc, Http404 | PermissionDenied | SuspiciousOperation):
            return None  # Django answers 404/403/400; __call__ turns the page into JSON
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        response = self._json(500)
        response._has_been_logged = True  # type: ignore[attr-defined]  # logged above, once
        return response

    @staticmethod
    def _json(status_code: int) -> JsonResponse:
        if status_code >= 500:
            code, message = "server_error", _("Server error; try again later.")
        else:
            code = _STATUS_CODES.get(status_code, "error")
            message = _("The request was refused (HTTP %(status)d).") % {"status": status_code}
        return JsonResponse(error_body(code, message), status=status_code)
