"""Evaluation periods: a day, an ISO week, a calendar month or a custom range of days."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.errors import InvalidInput

PERIOD_KINDS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "custom": gettext_lazy("Custom range"),
}
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_CUSTOM_DAYS = 366


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def calendar_month(self) -> bool:
        return self.kind == "month"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.start - timedelta(days=1)
            return month_of(last)
        return Period(
            self.kind, self.start - timedelta(days=self.days), self.start - timedelta(days=1)
        )

    def query(self) -> dict[str, str]:
        """The query parameters that name this period (links, exports)."""
        if self.kind == "custom":
            return {
                "period": "custom",
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            }
        return {"period": self.kind, "date": self.start.isoformat()}


def month_of(day: date) -> Period:
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def period_containing(kind: str, day: date) -> Period:
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    return month_of(day)


def _parse_day(value: str, name: str, errors: dict[str, list[str]]) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("A date as YYYY-MM-DD.")]
        return None
    if not EARLIEST <= day <= LATEST:
        errors[name] = [
            _("A date from %(first)s to %(last)s.")
            % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
        ]
        return None
    return day


def parse_period(params: Mapping[str, str], *, today: date | None = None) -> Period:
    """The period named by query parameters: period=day|week|month (default month) with
    date=YYYY-MM-DD (a day inside it; default: yesterday), or period=custom with start and end.
    Raises InvalidInput with field errors."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    kind = params.get("period") or "month"
    if kind not in PERIOD_KINDS:
        raise InvalidInput(
            _("Unknown period."), field_errors={"period": [_("day, week, month or custom.")]}
        )
    if kind == "custom":
        start = _parse_day(params.get("start") or "", "start", errors)
        end = _parse_day(params.get("end") or "", "end", errors)
        if start and end:
            if end < start:
                errors["end"] = [_("The end is before the start.")]
            elif (end - start).days + 1 > MAX_CUSTOM_DAYS:
                errors["end"] = [_("At most %(n)d days.") % {"n": MAX_CUSTOM_DAYS}]
        if errors or start is None or end is None:
            raise InvalidInput(_("The period has errors."), field_errors=errors)
        return Period("custom", start, end)
    raw = params.get("date") or ""
    day = _parse_day(raw, "date", errors) if raw else today - timedelta(days=1)
    if errors or day is None:
        raise InvalidInput(_("The period has errors."), field_errors=errors)
    period = period_containing(kind, day)
    if period.start - timedelta(days=period.days) < EARLIEST:
        raise InvalidInput(_("The period has errors."), field_errors={"date": [_("Too early.")]})
    return period
