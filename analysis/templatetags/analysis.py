from __future__ import annotations

from django import template
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from analysis.selectors import may_analyse as _may_analyse

register = template.Library()


@register.filter
def may_analyse(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the top bar shows the analysis link."""
    return _may_analyse(user)
