"""Moved to config.api (one module for the API's plumbing); kept so old imports still work."""

from config.api import _field_errors, api_exception_handler, error_body

__all__ = ["_field_errors", "api_exception_handler", "error_body"]
