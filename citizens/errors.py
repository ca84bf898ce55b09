"""The registry's errors are the closed loop's (one error body in the API): a record outside
the user's jurisdiction is a 404 like a case outside it."""

from __future__ import annotations

from cases.errors import CaseError, InvalidInput, NotPermitted

__all__ = ["InvalidInput", "NotPermitted", "RecordNotFound"]


class RecordNotFound(CaseError):
    code = "not_found"
    http_status = 404
