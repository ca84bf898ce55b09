"""{% load evaluation %}: whether the user may open the evaluation pages (for the nav)."""

from __future__ import annotations

from django import template
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from dispatch.evaluation.reports import may_evaluate

register = template.Library()


@register.filter(name="may_evaluate")
def may_evaluate_filter(user: AbstractBaseUser | AnonymousUser) -> bool:
    return may_evaluate(user)
