"""{% load evaluation %}: whether the user may open the evaluation and supervision pages and
the intake desk (for the nav)."""

from __future__ import annotations

from django import template
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from cases.intake import may_take_calls
from dispatch.evaluation.reports import may_evaluate
from dispatch.supervisions import may_see_supervisions

register = template.Library()


@register.filter(name="may_evaluate")
def may_evaluate_filter(user: AbstractBaseUser | AnonymousUser) -> bool:
    return may_evaluate(user)


@register.filter(name="may_see_supervisions")
def may_see_supervisions_filter(user: AbstractBaseUser | AnonymousUser) -> bool:
    return may_see_supervisions(user)


@register.filter(name="may_take_calls")
def may_take_calls_filter(user: AbstractBaseUser | AnonymousUser) -> bool:
    return may_take_calls(user)
