from __future__ import annotations

from typing import Any

from django import template

from citizens.views import may_use_registry

register = template.Library()


@register.filter(name="may_use_registry")
def may_use_registry_filter(user: Any) -> bool:
    return may_use_registry(user)
