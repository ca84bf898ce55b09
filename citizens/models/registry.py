"""Land → building → dwelling → person (地-楼-房-人), and the organisations in the buildings.

Every row that can be read through the API carries the code of the unit grid it lies in
(`grid`, a foreign key to the region's code, like Case). A grid code starts with its
community's, street's and district's codes, so a jurisdiction (a set of region-code roots) is
a prefix filter on that one indexed column, and the chain up is the code's prefixes.

A person's `grid` is where they actually live (the dwelling of their current residence);
their other dwelling links (a flat they own and let) carry their own grid, so the staff of
either grid see them. ID numbers are never stored in the clear: see citizens.idnumbers.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from grids.models import Level

__all__ = [
    "Building",
    "BuildingUse",
    "Dwelling",
    "DwellingUse",
    "KeyGroup",
    "Occupancy",
    "OccupancyRole",
    "Organisation",
    "Parcel",
    "Person",
    "PersonKeyGroup",
    "Sex",
]


def _grid_fk(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="grid_code",
        on_delete=models.PROTECT,
        related_name=related_name,
        limit_choices_to={"level": Level.GRID},
        verbose_name=_("grid"),
    )


class Parcel(models.Model):
    """A land parcel (地块). Its grid is the one under its centre."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    geom = models.MultiPolygonField(_("boundary"), srid=4326)
    grid = _grid_fk("parcels")

    class Meta:
        ordering = ["code"]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class BuildingUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    MIXED = "mixed", _("Mixed use")
    PUBLIC = "public", _("Public")
    INDUSTRIAL = "industrial", _("Industrial")


class Building(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200)
    parcel = models.ForeignKey(
        Parcel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="buildings",
        verbose_name=_("parcel"),
    )
    footprint = models.PolygonField(_("footprint"), srid=4326)
    floors = models.PositiveSmallIntegerField(_("floors above ground"))
    underground_floors = models.PositiveSmallIntegerField(_("floors below ground"), default=0)
    use = models.CharField(
        _("use"), max_length=20, choices=BuildingUse.choices, default=BuildingUse.RESIDENTIAL
    )
    grid = _grid_fk("buildings")

    class Meta:
        ordering = ["code"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.CheckConstraint(condition=Q(floors__gte=1), name="building_has_a_floor"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.address}"


class DwellingUse(models.TextChoices):
    HOME = "home", _("Residence")
    SHOP = "shop", _("Shop")
    OFFICE = "office", _("Office")
    STORAGE = "storage", _("Storage")
    OTHER = "other", _("Other")


class Dwelling(models.Model):
    """A room (房): building, entrance unit (单元), floor, room number."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="dwellings", verbose_name=_("building")
    )
    unit = models.CharField(_("entrance unit"), max_length=10, blank=True)
    floor = models.SmallIntegerField(_("floor"))
    room = models.CharField(_("room"), max_length=20)
    use = models.CharField(_("use"), max_length=20, choices=DwellingUse.choices)
    area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    # The building's grid, copied so that dwellings are scoped without a join.
    grid = _grid_fk("dwellings")

    class Meta:
        ordering = ["building", "unit", "floor", "room"]
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="dwelling_unique_room_in_building"
            ),
        ]

    def __str__(self) -> str:
        unit = f"{self.unit}-" if self.unit else ""
        return f"{self.building_id}/{unit}{self.room}"


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """A resident's record (人口信息). Personal data: read it through citizens.access only.

    The ID number is kept twice, neither readable from a dump: Fernet-encrypted with the
    personal-data key (to show it), and as an HMAC-SHA256 under a separate key (to find the
    person by it). Both are written by citizens.idnumbers.
    """

    name = models.CharField(_("name"), max_length=50)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    id_number_hash = models.CharField(
        _("ID number (keyed hash)"), max_length=64, blank=True, editable=False
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    registered_address = models.CharField(
        _("registered residence (户籍地)"), max_length=200, blank=True
    )
    actual_address = models.CharField(_("actual residence"), max_length=200, blank=True)
    # Where the person actually lives; null until they are linked to a dwelling.
    grid = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="grid_code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        limit_choices_to={"level": Level.GRID},
        verbose_name=_("grid"),
    )
    key_groups = models.ManyToManyField(  # type: ignore[var-annotated]
        "KeyGroup",
        through="PersonKeyGroup",
        related_name="persons",
        blank=True,
        verbose_name=_("key groups"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        permissions = [
            ("view_full_id_number", _("Can see ID numbers and phones whole")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="person_unique_id_number",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class OccupancyRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    RESIDENT = "resident", _("Resident")


class Occupancy(models.Model):
    """A person's link to a dwelling, in a role, from `since` until `until` (open: current)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="occupancies",
        verbose_name=_("person"),
        db_index=False,  # (person, until) below
    )
    dwelling = models.ForeignKey(
        Dwelling,
        on_delete=models.PROTECT,
        related_name="occupancies",
        verbose_name=_("dwelling"),
        db_index=False,  # (dwelling, until) below
    )
    role = models.CharField(_("role"), max_length=10, choices=OccupancyRole.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    # The dwelling's grid and building, copied: a building's residents are one index range.
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("building"),
        db_index=False,  # (building, until) below
    )
    grid = _grid_fk("+")

    class Meta:
        ordering = ["dwelling", "role", "person"]
        verbose_name = _("dwelling link")
        verbose_name_plural = _("dwelling links")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "dwelling", "role"],
                condition=Q(until__isnull=True),
                name="occupancy_one_current_link_per_role",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=F("since")),
                name="occupancy_until_after_since",
            ),
        ]
        indexes = [
            models.Index(fields=["dwelling", "until"], name="occupancy_dwelling"),
            models.Index(fields=["building", "until"], name="occupancy_building"),
            models.Index(fields=["person", "until"], name="occupancy_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role} {self.dwelling_id}"


class KeyGroup(models.Model):
    """A key group (重点人群): elderly living alone, disabled, under care… Data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("key group")
        verbose_name_plural = _("key groups")

    def __str__(self) -> str:
        return self.name


class PersonKeyGroup(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, verbose_name=_("person"))
    group = models.ForeignKey(KeyGroup, on_delete=models.PROTECT, verbose_name=_("key group"))
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("key group membership")
        verbose_name_plural = _("key group memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="personkeygroup_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.group_id}"


class Organisation(models.Model):
    """A legal entity (法人/组织) in a building, by its unified social credit code."""

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=50, blank=True)
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("building"),
    )
    dwelling = models.ForeignKey(
        Dwelling,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("premises"),
    )
    representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    grid = _grid_fk("organisations")

    class Meta:
        ordering = ["credit_code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name
