"""The data centre's pages: the layers by owner agency, with their rows and freshness."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from grids.models import Role
from grids.selectors import jurisdiction_for_user
from layers.api import localized
from layers.models import Layer, SourceKind, UpdateFrequency
from layers.selectors import Freshness, layer_freshness, layers_for_user, may_see_layers

LOGIN_URL = reverse_lazy("dispatch:login")


@dataclass
class LayerRow:
    layer: Layer
    label: str
    category: str
    freshness: str
    freshness_label: str
    recent_share: float | None


@dataclass
class OwnerGroup:
    name: str
    rows: list[LayerRow] = field(default_factory=list)
    features: int = 0
    recent: int = 0
    # Features of layers that know when their rows changed: the share's denominator.
    counted: int = 0
    stale: int = 0

    @property
    def recent_share(self) -> float | None:
        return self.recent / self.counted if self.counted else None


def _share(layer: Layer) -> float | None:
    if layer.recent_feature_count is None or not layer.feature_count:
        return None
    return layer.recent_feature_count / layer.feature_count


def owner_groups(layers: list[Layer]) -> list[OwnerGroup]:
    """The layers grouped by owner agency (no owner last), stale ones first in each group."""
    now = timezone.now()
    groups: dict[str, OwnerGroup] = {}
    labels = dict(Freshness.choices)
    for layer in layers:
        name = layer.owner.name if layer.owner else _("No owner agency")
        group = groups.setdefault(name, OwnerGroup(name=name))
        freshness = layer_freshness(layer, now)
        group.rows.append(
            LayerRow(
                layer=layer,
                label=localized(layer.name, layer.name_en),
                category=localized(layer.category.name, layer.category.name_en),
                freshness=freshness,
                freshness_label=str(labels[freshness]),
                recent_share=_share(layer),
            )
        )
        if layer.source != SourceKind.EXTERNAL:
            group.features += layer.feature_count
        if layer.recent_feature_count is not None:
            group.recent += layer.recent_feature_count
            group.counted += layer.feature_count
        if freshness == Freshness.STALE:
            group.stale += 1
    order: dict[str, int] = {Freshness.STALE: 0, Freshness.UNKNOWN: 1, Freshness.FRESH: 2}
    for group in groups.values():
        group.rows.sort(key=lambda row: (order[row.freshness], row.layer.code))
    return sorted(groups.values(), key=lambda g: (g.name == _("No owner agency"), g.name))


@require_GET
@login_required(login_url=LOGIN_URL)
def datacentre(request: HttpRequest) -> HttpResponse:
    jurisdiction = jurisdiction_for_user(request.user)
    if not may_see_layers(jurisdiction):
        raise Http404(_("The data centre is for staff."))
    layers = layers_for_user(request.user)
    groups = owner_groups(layers)
    features = sum(group.features for group in groups)
    counted = sum(group.counted for group in groups)
    recent = sum(group.recent for group in groups)
    context: dict[str, Any] = {
        "groups": groups,
        "layer_count": len(layers),
        "feature_count": features,
        "recent_share": recent / counted if counted else None,
        "counted": counted,
        "stale_count": sum(group.stale for group in groups),
        "frequencies": dict(UpdateFrequency.choices),
        "sources": dict(SourceKind.choices),
        "roles": [str(Role(role).label) for role in Role.values if role in jurisdiction.roles],
    }
    return render(request, "layers/datacentre.html", context)
