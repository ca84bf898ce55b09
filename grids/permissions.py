"""Who may call the staff API: users holding an active post (or superusers).

Citizens hold no post: they use the citizen API (/api/v1/citizen/), which shows them their
reports with the public timeline and their own photos, never the staff timeline with names,
roles and internal notes. Other agencies' service accounts hold no post either: they may only
report through the one-window intake (cases.api). This is the API's default permission
(REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]); a view open to others says so itself.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from grids.selectors import holds_staff_post


class IsStaff(BasePermission):
    message = _("This is for staff with a post; citizens use /api/v1/citizen/.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and holds_staff_post(user)
