"""The arithmetic of scores: pure functions over counts, no database.

Zero denominators (docs/evaluation.md): a rate over no cases is None ("no data"), never 0 and
never 100. A score leaves components without data out and divides by the weight of those
with data; `coverage` says how much of the full weight that was. With no data at all the
score and the grade are None ("not rated").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
_TENTH = Decimal("0.1")


def rate(hits: int, total: int) -> Decimal | None:
    """hits / total as a percentage, or None when there is nothing to divide by."""
    if total <= 0:
        return None
    return Decimal(hits) * HUNDRED / Decimal(total)


def inverse_rate(hits: int, total: int) -> Decimal | None:
    """(1 − hits / total) as a percentage, or None when total is 0."""
    value = rate(hits, total)
    return None if value is None else HUNDRED - value


def average(value_sum: int, count: int) -> Decimal | None:
    if count <= 0:
        return None
    return Decimal(value_sum) / Decimal(count)


def volume_basis(count: int, *, days: int, calendar_month: bool) -> Decimal:
    """The count the monthly volume steps are read with: as is for a calendar month,
    scaled to 30 days for any other period."""
    if calendar_month or days <= 0:
        return Decimal(count)
    return Decimal(count) * Decimal(30) / Decimal(days)


def volume_score(basis: Decimal, steps: Sequence[tuple[int | None, Decimal]]) -> Decimal:
    """The score of the first step (ascending up_to, None last) whose bound holds `basis`."""
    ordered = sorted(steps, key=lambda step: (step[0] is None, step[0] or 0))
    for up_to, score in ordered:
        if up_to is None or basis <= up_to:
            return score
    # No open-ended step configured: beyond the last bound scores like the last step.
    return ordered[-1][1] if ordered else Decimal(0)


@dataclass(frozen=True)
class Weighted:
    score: Decimal | None
    coverage: Decimal  # share (%) of the full weight the score rests on


def weighted_score(parts: Iterable[tuple[Decimal | None, Decimal]]) -> Weighted:
    """Σ weight × value / Σ weight over the parts that have a value (value on 0–100)."""
    full = Decimal(0)
    used = Decimal(0)
    points = Decimal(0)
    for value, weight in parts:
        full += weight
        if value is None:
            continue
        used += weight
        points += weight * value
    if used == 0:
        return Weighted(None, Decimal(0))
    coverage = used * HUNDRED / full if full else Decimal(0)
    return Weighted(points / used, coverage)


def grade(score: Decimal | None, bands: Sequence[tuple[str, Decimal]]) -> str | None:
    """The grade of the highest band whose lower bound the score reaches."""
    if score is None:
        return None
    for name, lower in sorted(bands, key=lambda band: band[1], reverse=True):
        if score >= lower:
            return name
    return None


def rounded(value: Decimal | None) -> Decimal | None:
    """One decimal place, half up: what pages, exports and the API show."""
    if value is None:
        return None
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)
