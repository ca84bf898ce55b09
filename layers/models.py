"""The layer catalogue of the district's data centre.

A layer is a named set of map features with an owner agency, a category (one of the base and
thematic databases, which are data), a geometry type, a source, a style, who may see it, and
how often it should be updated. Its features come from one of three sources:

- a table of ours (regions, assets, resources, cameras, buildings, parcels…): served straight
  from that table through a registered table source (layers.sources);
- an imported dataset (GeoJSON, CSV, Shapefile, GeoPackage): its rows live in `Feature`, with
  `FeatureCluster` holding the pre-counted clusters that serve it at low zoom;
- an external service (WMS, WMTS, XYZ tiles, a GeoJSON URL) that the browser asks directly.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import Region, Unit

MAX_ZOOM = 20


class CategoryKind(models.TextChoices):
    BASE = "base", _("Base database")
    THEMATIC = "thematic", _("Thematic database")


class LayerCategory(models.Model):
    """One of the data centre's databases (基础库 / 专题库); a layer belongs to one."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=10, choices=CategoryKind.choices)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        ordering = ["ordering", "code"]
        verbose_name = _("layer category")
        verbose_name_plural = _("layer categories")

    def __str__(self) -> str:
        return self.name


class GeometryType(models.TextChoices):
    POINT = "point", _("Points")
    LINE = "line", _("Lines")
    POLYGON = "polygon", _("Polygons")
    MIXED = "mixed", _("Mixed")


class SourceKind(models.TextChoices):
    TABLE = "table", _("A table of ours")
    DATASET = "dataset", _("Imported dataset")
    EXTERNAL = "external", _("External service")


class ExternalKind(models.TextChoices):
    WMS = "wms", "WMS"
    WMTS = "wmts", "WMTS"
    XYZ = "xyz", _("XYZ tiles")
    GEOJSON = "geojson", _("GeoJSON URL")


class UpdateFrequency(models.TextChoices):
    REALTIME = "realtime", _("Real time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    IRREGULAR = "irregular", _("When it changes")


class Layer(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=64,
        unique=True,
        help_text=_("Letters, digits, hyphens and underscores; used in the API's URLs."),
    )
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    owner = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="layers",
        verbose_name=_("owner agency"),
    )
    category = models.ForeignKey(
        LayerCategory, on_delete=models.PROTECT, related_name="layers", verbose_name=_("category")
    )
    geometry_type = models.CharField(
        _("geometry type"), max_length=10, choices=GeometryType.choices
    )
    source = models.CharField(_("source"), max_length=10, choices=SourceKind.choices)
    table = models.CharField(
        _("table"),
        max_length=40,
        blank=True,
        default="",
        help_text=_("For a table of ours: the registered table source (assets, cameras…)."),
    )
    external_kind = models.CharField(
        _("external service"), max_length=10, choices=ExternalKind.choices, blank=True, default=""
    )
    external_url = models.URLField(
        _("external URL"),
        max_length=1000,
        blank=True,
        default="",
        help_text=_(
            "WMS: the service URL; WMTS and XYZ: the tile template with {z}/{x}/{y}; "
            "GeoJSON: the document's URL. Its origin is allowed in the pages' security policy."
        ),
    )
    external_options = models.JSONField(
        _("external options"),
        default=dict,
        blank=True,
        help_text=_('WMS: {"layers": "…", "format": "image/png"}; any: {"attribution": "…"}.'),
    )
    style = models.JSONField(
        _("style"),
        default=dict,
        blank=True,
        help_text=_('{"color": "#2563eb", "fill": "#93c5fd", "weight": 2, "radius": 5}'),
    )
    roles = models.JSONField(
        _("visible to roles"),
        default=list,
        blank=True,
        help_text=_("Role codes that see the layer; empty: every role of the staff."),
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="+",
        verbose_name=_("visible in regions"),
        help_text=_("Staff posted in or above these regions see the layer; empty: everyone."),
    )
    min_zoom = models.PositiveSmallIntegerField(
        _("shown from zoom"), default=0, validators=[MaxValueValidator(MAX_ZOOM)]
    )
    update_frequency = models.CharField(
        _("update frequency"),
        max_length=10,
        choices=UpdateFrequency.choices,
        default=UpdateFrequency.IRREGULAR,
    )
    last_updated_at = models.DateTimeField(_("last update"), null=True, blank=True)
    # Kept by the import and the hourly statistics (layers.stats): the catalogue of 142 layers
    # is listed without counting 30 M rows.
    feature_count = models.PositiveIntegerField(_("features"), default=0)
    recent_feature_count = models.PositiveIntegerField(
        _("features updated in the past year"), null=True, blank=True
    )
    stats_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    extent = models.JSONField(_("extent"), null=True, blank=True)
    cluster_max_zoom = models.PositiveSmallIntegerField(
        _("clustered up to zoom"),
        null=True,
        blank=True,
        help_text=_("Imported datasets: up to this zoom the map gets counted clusters."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("layer")
        verbose_name_plural = _("layers")
        constraints = [
            models.CheckConstraint(
                condition=(Q(source=SourceKind.TABLE) & ~Q(table=""))
                | (Q(source=SourceKind.DATASET) & Q(table="") & Q(external_url=""))
                | (
                    Q(source=SourceKind.EXTERNAL)
                    & ~Q(external_kind="")
                    & ~Q(external_url="")
                    & Q(table="")
                ),
                name="layer_source_fields",
                violation_error_message=_(
                    "A table layer names its table; an external layer its service and URL; "
                    "an imported dataset neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(min_zoom__lte=MAX_ZOOM), name="layer_min_zoom_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Feature(models.Model):
    """One row of an imported dataset, in EPSG:4326, with its attributes as they came."""

    layer = models.ForeignKey(
        Layer,
        on_delete=models.CASCADE,
        related_name="features",
        verbose_name=_("layer"),
        db_index=False,  # the unique (layer, key) index leads with it
    )
    key = models.CharField(
        _("key"), max_length=100, help_text=_("The row's id in the source (or its position).")
    )
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    geom = models.GeometryField(_("geometry"), srid=4326)
    properties = models.JSONField(_("attributes"), default=dict, blank=True)
    # Of the geometry and attributes: a re-import leaves a row that did not change alone, so
    # updated_at says when the row last changed (the data centre's "updated in the past year").
    content_hash = models.CharField(_("content hash"), max_length=32)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("feature")
        verbose_name_plural = _("features")
        constraints = [
            models.UniqueConstraint(fields=["layer", "key"], name="feature_layer_key"),
        ]
        indexes = [models.Index(fields=["layer", "updated_at"], name="feature_layer_updated")]

    def __str__(self) -> str:
        return f"{self.layer_id}:{self.key}"


class FeatureCluster(models.Model):
    """The features of a dense dataset counted in the cells of one zoom's grid.

    Cells are 64 screen pixels wide at their zoom (90 / 2^zoom degrees); a cluster sits at the
    mean position of its features. Written by the import with the features, so a map at
    district zoom reads a few hundred rows instead of 200,000.
    """

    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("layer")
    )
    zoom = models.PositiveSmallIntegerField(_("zoom"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    count = models.PositiveIntegerField(_("features"))
    # The one feature, when the cell holds only one: a click opens it.
    feature_id = models.BigIntegerField(_("feature"), null=True, blank=True)

    class Meta:
        verbose_name = _("feature cluster")
        verbose_name_plural = _("feature clusters")
        indexes = [models.Index(fields=["layer", "zoom", "lon", "lat"], name="cluster_layer_zoom")]


class LayerImport(models.Model):
    """One import of a dataset into a layer: who, when, which file, what it changed."""

    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="imports", verbose_name=_("layer")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    file_name = models.CharField(_("file"), max_length=255)
    file_format = models.CharField(_("format"), max_length=20)
    imported_at = models.DateTimeField(_("imported at"))
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("layer import")
        verbose_name_plural = _("layer imports")

    def __str__(self) -> str:
        return f"{self.layer_id} {self.file_name} {self.imported_at:%Y-%m-%d %H:%M}"
