"""Open311 GeoReport v2 endpoints. Each parses, calls citizens.open311.services, and renders
XML or JSON as the URL's extension asks; errors are the spec's list of {code, description}.

Not in the OpenAPI schema of /api/: the GeoReport v2 specification documents them, and
docs/open311.md walks through them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cases.api.throttles import PerClientRate, default_rate
from citizens.open311 import services
from citizens.open311.render import render, render_errors
from config.api import ServiceError


class Open311ClientThrottle(PerClientRate):
    """Posts per client key, at the client's own rate (Open311Client.rate) or the default
    (API_RATE_OPEN311_POST); per address when no key is sent."""

    scope = "open311_post"

    def rate_for(self, request: Request) -> str | None:
        api_key = str(request.data.get("api_key", "") or "")
        rate = services.open311_client_rate(api_key) if api_key else ""
        return rate or default_rate(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        api_key = str(request.data.get("api_key", "") or "")
        ident = services._hash(api_key) if api_key else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class Open311View(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "open311"
    parser_classes = [FormParser, MultiPartParser]
    schema = None  # not part of /api/schema/

    def fmt(self) -> str:
        return str(self.kwargs.get("fmt", "xml"))

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple:
        # The format is the URL's extension, whatever the Accept header says (XML clients
        # often send text/xml, which DRF's negotiation would refuse).
        return (JSONRenderer(), "application/json")

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, ServiceError):
            status = services.error_status(exc)
            # One error per message, naming the fields it is about.
            fields_by_message: dict[str, list[str]] = {}
            for name, messages in exc.field_errors.items():
                for message in messages:
                    fields_by_message.setdefault(str(message), []).append(name)
            errors: list[tuple[int | str, str]] = [
                (status, f"{', '.join(names)}: {message}")
                for message, names in fields_by_message.items()
            ] or [(status, exc.message)]
            return render_errors(self.fmt(), errors, status=status)
        if isinstance(exc, exceptions.Throttled):
            description = _("Too many requests; try again in %(n)d seconds.") % {
                "n": int(exc.wait or 1)
            }
            response = render_errors(self.fmt(), [(429, description)], status=429)
            response["Retry-After"] = str(int(exc.wait or 1))
            return response
        if isinstance(exc, exceptions.APIException):
            status = exc.status_code if exc.status_code in (403, 404, 405) else 400
            return render_errors(self.fmt(), [(status, str(exc.detail))], status=status)
        raise exc

    def check_jurisdiction(self, request: Request) -> None:
        source = request.data if request.method == "POST" else request.query_params
        services.check_jurisdiction(source.get("jurisdiction_id"))


class ServiceListView(Open311View):
    def get(self, request: Request, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        return render(fmt, "services", services.services_list())


class ServiceDefinitionView(Open311View):
    def get(self, request: Request, service_code: str, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        item = services.service_get(service_code)
        return render(fmt, "service_definition", services.service_definition(item))


class RequestsView(Open311View):
    def get_throttles(self) -> list:
        if self.request.method == "POST":
            return [Open311ClientThrottle()]
        return super().get_throttles()

    def get(self, request: Request, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        return render(fmt, "service_requests", services.requests_query(request.query_params))

    def post(self, request: Request, fmt: str) -> HttpResponse:
        form = request.data
        client = services.open311_client_for_key(str(form.get("api_key", "")))
        self.check_jurisdiction(request)

        def text(name: str) -> str:
            return str(form.get(name, "") or "")

        posted = services.PostedRequest(
            service_code=text("service_code"),
            lat=text("lat"),
            long=text("long"),
            address_string=text("address_string"),
            address_id=text("address_id"),
            description=text("description"),
            media_url=text("media_url"),
            first_name=text("first_name"),
            last_name=text("last_name"),
            phone=text("phone"),
            email=text("email"),
            account_id=text("account_id"),
            device_id=text("device_id"),
            attributes=services.parse_attributes(
                {key: form.getlist(key) for key in form} if hasattr(form, "getlist") else {}
            ),
        )
        outcome = services.open311_request_post(client=client, posted=posted)
        return render(fmt, "service_requests", [services.post_response(outcome)], status=201)


class RequestDetailView(Open311View):
    def get(self, request: Request, service_request_id: str, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        return render(fmt, "service_requests", [services.request_get(service_request_id)])


class TokenView(Open311View):
    def get(self, request: Request, token: str, fmt: str) -> HttpResponse:
        self.check_jurisdiction(request)
        return render(fmt, "service_requests", [services.token_get(token)])


class DiscoveryView(Open311View):
    def get(self, request: Request, fmt: str) -> HttpResponse:
        base = request.build_absolute_uri(reverse("open311-root"))
        return render(fmt, "discovery", services.discovery(base.rstrip("/")))


class NotFoundView(Open311View):
    """Anything else under /open311/: the spec's 404 body (XML unless the path ends in .json)."""

    def fmt(self) -> str:
        return "json" if str(self.kwargs.get("rest", "")).endswith(".json") else "xml"

    def dispatch_not_found(self) -> HttpResponse:
        return render_errors(self.fmt(), [(404, _("No such Open311 resource."))], status=404)

    def get(self, request: Request, rest: str) -> HttpResponse:
        return self.dispatch_not_found()

    def post(self, request: Request, rest: str) -> HttpResponse:
        return self.dispatch_not_found()
