"""The clock in a queue row: "剩余 21 分钟" / "已超时 1 天 6 小时", coloured by its card."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from dispatch.queues import Row, duration_words

register = template.Library()


@register.simple_tag
def time_left(row: Row) -> str:
    if row.case.status == "suspended":
        return format_html('<span class="left-none">{}</span>', gettext("clock stopped"))
    if row.left is None:
        return format_html('<span class="left-none">—</span>')
    due = timezone.localtime(row.case.stage_due_at)
    due_text = f"{due:%m-%d %H:%M}"
    overdue = row.left.total_seconds() < 0 or row.card == "overdue"
    if abs(row.left.total_seconds()) < 60:
        # Outside working hours the working clock stands still: "0 minutes left" says nothing,
        # the wall-clock due time does.
        text = (gettext("overdue, due %(due)s") if overdue else gettext("due %(due)s")) % {
            "due": due_text
        }
    elif overdue:
        text = gettext("overdue by %(time)s") % {"time": duration_words(row.left)}
    else:
        text = gettext("%(time)s left") % {"time": duration_words(row.left)}
    return format_html(
        '<span class="left left-{}" title="{}">{}</span>',
        row.card or "ok",
        gettext("Stage due %(due)s (working time)") % {"due": due_text},
        text,
    )
