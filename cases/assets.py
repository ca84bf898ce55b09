"""A case about a city component (部件): which asset a report may name, and whose it is.

A report may name the asset it is about (a broken street lamp, a missing manhole cover). The
asset must exist, stand in the case's district and near the reported point, and, for a
component item, be of the item's class: a report filed as "路灯" (B011801, major 01, minor 18)
names a street lamp (asset class 0118), not a manhole cover. Routing then prefers the asset's
maintenance unit (养护单位) to the item's responsible unit.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cases.errors import CaseNotFound, InvalidInput
from cases.models import Case, Family, Item
from cases.selectors import case_qs_for_user
from grids.assets import ASSET_CODE, assets_for_user_qs, with_asset_refs
from grids.geo import distance_m
from grids.models import Asset, Unit


def asset_max_distance_m() -> float:
    """How far from the reported point the named asset may stand (GPS error and a step back
    to photograph it)."""
    return float(settings.CASE_ASSET_MAX_DISTANCE_M)


def item_asset_class(item: Item) -> str | None:
    """The 4-digit asset class (major + minor) of a component item; None for events."""
    if item.family != Family.COMPONENT:
        return None
    return f"{item.major_class}{item.minor_class}"


def asset_for_report(*, asset_id: int, item: Item, point: Point, district_code: str) -> Asset:
    """The asset a report names, checked against its item, place and district."""

    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, field_errors={"asset_id": [message]})

    asset = (
        Asset.objects.filter(pk=asset_id).select_related("grid", "maintenance_unit").first()
        if 0 < asset_id < 2**63
        else None
    )
    if asset is None:
        raise refuse(_("Unknown asset."))
    if not asset.grid.code.startswith(district_code):
        raise refuse(_("The asset %(code)s is not in this district.") % {"code": asset.code})
    wanted = item_asset_class(item)
    if wanted is not None and f"{asset.major_class}{asset.minor_class}" != wanted:
        raise refuse(
            _("The asset %(code)s is a %(name)s, not of the item's class (%(item)s).")
            % {"code": asset.code, "name": asset.name, "item": item.name}
        )
    away = distance_m(asset.point, point)
    if away > asset_max_distance_m():
        raise refuse(
            _("The asset %(code)s stands %(away)d m from the reported point; at most %(max)d m.")
            % {"code": asset.code, "away": round(away), "max": round(asset_max_distance_m())}
        )
    return asset


def asset_maintenance_unit(case: Case) -> Unit | None:
    """The active maintenance unit of the asset the case is about, if it names one: the unit a
    broken lamp goes to, before the catalogue item's responsible unit."""
    if case.asset_id is None:
        return None
    unit = Unit.objects.filter(assets_maintained__pk=case.asset_id, is_active=True).first()
    return unit


# --- reading --------------------------------------------------------------------------------


def asset_get_for_user(user: AbstractBaseUser | AnonymousUser, code: str) -> Asset:
    """The asset with this 16-digit code in the regions the user sees; CaseNotFound (a 404)
    otherwise."""
    asset = None
    if ASSET_CODE.match(code or ""):
        asset = (
            with_asset_refs(assets_for_user_qs(user))
            .select_related("in_charge_unit", "owner_unit")
            .filter(code=code)
            .first()
        )
    if asset is None:
        raise CaseNotFound(_("No asset %(code)s that you may see.") % {"code": code})
    return asset


def asset_cases_for_user(user: AbstractBaseUser | AnonymousUser, asset: Asset) -> QuerySet[Case]:
    """The cases about the asset that the user may see, newest first."""
    return (
        case_qs_for_user(user)
        .filter(asset=asset)
        .select_related("item", "handling_unit")
        .order_by("-reported_at", "-pk")
    )
