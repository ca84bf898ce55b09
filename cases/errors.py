"""Errors the services raise. Each carries a stable code, a message for people, and the HTTP
status the API maps it to."""

from __future__ import annotations

from config.api import ServiceError


class CaseError(ServiceError):
    """An error of the cases' services (the project's error family: config.api.ServiceError)."""

    code = "case_error"
    http_status = 400


class InvalidInput(CaseError):
    code = "invalid"
    http_status = 400


class OutsideDistrict(InvalidInput):
    code = "outside_district"
    http_status = 422


class CaseNotFound(CaseError):
    code = "not_found"
    http_status = 404


class NotPermitted(CaseError):
    code = "not_permitted"
    http_status = 403


class ActionNotAllowed(CaseError):
    """The action does not apply to the case as it stands (wrong state, pending request)."""

    code = "action_not_allowed"
    http_status = 409


class VersionConflict(CaseError):
    code = "version_conflict"
    http_status = 409

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message, current_version=current_version)
        self.current_version = current_version


class RequestIdReused(CaseError):
    code = "request_id_reused"
    http_status = 409
