"""The API's JSON parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]; re-exported by config.api).
Its own module: DRF imports the parser setting while rest_framework.views loads."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than Python can decode ('[' * 50000) is a 400,
    not a RecursionError."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The request body is nested too deeply.")) from None
