"""The map and the org chart: regions, units, posts, assets.

Region codes nest: a street's 9-digit code starts with its district's 6, a community's 12 with
its street's 9, a grid's 15 with its community's 12. The parent foreign key therefore points
at the parent's *code*, and the level/parent rules are plain row checks the database enforces:
a region of level L has a code of L's length that starts with its parent's code, and the
parent's code has the length of the level above. A subtree is a code prefix.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.core.validators import RegexValidator
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

digits_only = RegexValidator(r"^[0-9]+$", _("Use digits only."))


class User(AbstractUser):
    """A staff member or a citizen. Roles come from posts, never from fields here."""

    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")  # type: ignore[assignment]  # lazy text: a stubs limitation
        verbose_name_plural = _("users")  # type: ignore[assignment]


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


CODE_LENGTH: dict[str, int] = {
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
}
PARENT_LEVEL: dict[str, str | None] = {
    Level.DISTRICT: None,
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
    Level.GRID: Level.COMMUNITY,
}
LEVEL_ORDER: list[str] = [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]


class GridKind(models.TextChoices):
    UNIT = "unit", _("Unit grid")
    EXTENDED = "extended", _("Extended grid")


def _level_rule(level: str) -> Q:
    """The row check for one level: code length, parent presence and length, code prefix."""
    rule = Q(level=level) & Exact(Length("code"), CODE_LENGTH[level])
    parent_level = PARENT_LEVEL[level]
    if parent_level is None:
        return rule & Q(parent__isnull=True)
    return (
        rule
        & Q(parent__isnull=False)
        & Exact(Length("parent"), CODE_LENGTH[parent_level])
        & Q(code__startswith=F("parent"))
    )


class Region(models.Model):
    code = models.CharField(_("code"), max_length=15, unique=True, validators=[digits_only])
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(
        _("grid kind"),
        max_length=10,
        choices=GridKind.choices,
        blank=True,
        default="",
        help_text=_("Only for grids: unit grid or extended grid."),
    )
    parent = models.ForeignKey(
        "self",
        to_field="code",
        db_column="parent_code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    geom = models.MultiPolygonField(_("boundary"), srid=4326)
    area_m2 = models.FloatField(_("area (m²)"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["level", "code"], name="region_level_code")]
        constraints = [
            models.CheckConstraint(
                condition=_level_rule(Level.DISTRICT)
                | _level_rule(Level.STREET)
                | _level_rule(Level.COMMUNITY)
                | _level_rule(Level.GRID),
                name="region_level_parent_rules",
                violation_error_message=_(
                    "The code length, parent and level do not agree (district 6 digits, "
                    "street 9, community 12, grid 15, each starting with its parent's code)."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(level=Level.GRID) & Q(kind__in=[GridKind.UNIT, GridKind.EXTENDED]))
                | (~Q(level=Level.GRID) & Q(kind="")),
                name="region_kind_only_for_grids",
                violation_error_message=_("Grids are unit or extended; other levels have no kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    STREET_OFFICE = "street_office", _("Street office")


class Unit(models.Model):
    """A department or street office that handles cases."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="units", verbose_name=_("region")
    )
    phone = models.CharField(_("duty phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    INSPECTOR = "inspector", _("Inspector")
    INTAKE_OPERATOR = "intake_operator", _("Intake operator")
    SHIFT_SUPERVISOR = "shift_supervisor", _("Shift supervisor")
    DISPATCHER = "dispatcher", _("Dispatcher")
    UNIT_HANDLER = "unit_handler", _("Unit handler")
    STREET_OFFICER = "street_officer", _("Street officer")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    DISTRICT_LEADER = "district_leader", _("District leader")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Reads the personal-data access logs of their region; handles no cases.
    AUDITOR = "auditor", _("Auditor")


class InspectorType(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PROFESSIONAL = "professional", _("Professional")
    PART_TIME = "part_time", _("Part-time")


class Post(models.Model):
    """A user holding a role for a region (or, for unit handlers, a unit)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="posts",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    inspector_type = models.CharField(
        _("inspector type"), max_length=20, choices=InspectorType.choices, blank=True, default=""
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        verbose_name=_("region"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        verbose_name=_("unit"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=Role.UNIT_HANDLER) & Q(unit__isnull=False))
                | (~Q(role=Role.UNIT_HANDLER) & Q(region__isnull=False)),
                name="post_unit_handler_has_unit_others_region",
                violation_error_message=_(
                    "A unit handler's post names a unit; every other post names a region."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(role=Role.INSPECTOR) & ~Q(inspector_type=""))
                | (~Q(role=Role.INSPECTOR) & Q(inspector_type="")),
                name="post_inspector_type_only_for_inspectors",
                violation_error_message=_("Only inspectors have an inspector type, and they must."),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region", "unit"], name="post_unique_user_role_place"
            ),
        ]

    def __str__(self) -> str:
        place = self.unit or self.region
        return f"{self.user} · {self.get_role_display()} · {place}"


class Asset(models.Model):
    """A city component (部件): 16-digit code = 6 admin + 2 major + 2 minor + 6 serial."""

    code = models.CharField(_("code"), max_length=16, unique=True, validators=[digits_only])
    name = models.CharField(_("name"), max_length=100)
    major_class = models.CharField(_("major class"), max_length=2)
    minor_class = models.CharField(_("minor class"), max_length=2)
    point = models.PointField(_("location"), srid=4326)
    grid = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="assets",
        limit_choices_to={"level": Level.GRID},
        verbose_name=_("grid"),
    )
    in_charge_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="assets_in_charge",
        verbose_name=_("unit in charge"),
    )
    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assets_owned", verbose_name=_("owner unit")
    )
    maintenance_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="assets_maintained",
        verbose_name=_("maintenance unit"),
    )
    status = models.CharField(_("status"), max_length=20, blank=True, default="in_use")

    class Meta:
        ordering = ["code"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        # The nearest assets of one class (a lamp's report offers the lamps around it).
        indexes = [models.Index(fields=["major_class", "minor_class"], name="asset_class")]
        constraints = [
            models.CheckConstraint(
                condition=Q(Exact(Length("code"), 16)),
                name="asset_code_16_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PatrolFix(models.Model):
    """One GPS fix from an inspector's handheld on patrol, at the device's time (WGS84).

    Handhelds upload fixes in batches and retry after a timeout, so a fix is identified by
    the device: (user, client_id) when the device names it, and (user, recorded_at) always
    (a receiver gives one fix per instant). Both are unique, which makes a replayed batch
    write nothing.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="patrol_fixes",
        verbose_name=_("user"),
        # The unique (user, recorded_at) index below starts with the user: a second index on
        # this hot, append-heavy table would only slow inserts down.
        db_index=False,
    )
    point = models.PointField(_("location"), srid=4326)
    recorded_at = models.DateTimeField(_("recorded at (device)"))
    received_at = models.DateTimeField(_("received at"))
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    speed_mps = models.FloatField(_("speed (m/s)"), null=True, blank=True)
    client_id = models.CharField(_("client id"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("patrol fix")
        verbose_name_plural = _("patrol fixes")
        constraints = [
            # Also the (user, recorded_at) index a track is read through.
            models.UniqueConstraint(
                fields=["user", "recorded_at"], name="patrolfix_user_recorded_at"
            ),
            models.UniqueConstraint(
                fields=["user", "client_id"],
                condition=~Q(client_id=""),
                name="patrolfix_user_client_id",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                name="patrolfix_accuracy_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(speed_mps__isnull=True) | Q(speed_mps__gte=0),
                name="patrolfix_speed_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class InspectorPosition(models.Model):
    """The latest known position of an inspector: the newest fix by device time.

    It only moves forward in recorded_at, so a late batch uploaded out of order does not put
    the inspector back where they were. Read by nearest-inspector queries (spatial index on
    point, index on recorded_at to keep only fresh positions).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="patrol_position",
        verbose_name=_("user"),
    )
    point = models.PointField(_("location"), srid=4326)
    recorded_at = models.DateTimeField(_("recorded at (device)"))
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("inspector position")
        verbose_name_plural = _("inspector positions")
        indexes = [models.Index(fields=["recorded_at"], name="inspectorposition_recorded")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class ResourceKind(models.TextChoices):
    SUPPLIES = "supplies", _("Emergency supplies")
    SHELTER = "shelter", _("Shelter")
    TEAM = "team", _("Emergency team")
    CAMERA = "camera", _("Camera")


class EmergencyResource(models.Model):
    """Something the command centre can send or look through in an emergency (DOMAIN.md §10).

    The grid it stands in is found by locating the point (grids.emergency.resource_save), not
    in save(): a point just outside the district (a neighbour's shelter) has no grid.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ResourceKind.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    point = models.PointField(_("location"), srid=4326)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emergency_resources",
        limit_choices_to={"level": Level.GRID},
        verbose_name=_("grid"),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("People a shelter takes, members of a team, units of supplies."),
    )
    contact = models.CharField(_("contact"), max_length=100, blank=True, default="")
    details = models.JSONField(_("details"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("emergency resource")
        verbose_name_plural = _("emergency resources")
        indexes = [models.Index(fields=["kind", "is_active"], name="emergencyresource_kind")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CameraState(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")
    NO_STREAM = "no_stream", _("No live stream")
    FAULT = "fault", _("Fault")


class Camera(models.Model):
    """A public video camera: an emergency resource of kind camera, with how to watch it.

    Browsers play `stream_url` (HLS, .m3u8) through hls.js; `rtsp_url` is kept for the
    operators' own video gateways and never handed to a browser. A camera without a stream
    (state no_stream) is still a place on the map with a direction and an owner.
    """

    resource = models.OneToOneField(
        EmergencyResource,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="camera",
        limit_choices_to={"kind": ResourceKind.CAMERA},
        verbose_name=_("resource"),
    )
    place = models.CharField(_("place"), max_length=200, blank=True, default="")
    direction_deg = models.PositiveSmallIntegerField(
        _("direction (degrees from north)"), null=True, blank=True
    )
    owner_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("owner"),
    )
    stream_url = models.URLField(
        _("HLS stream URL"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("An http(s) URL of an HLS playlist (.m3u8), played in the browser."),
    )
    rtsp_url = models.CharField(
        _("RTSP URL"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("For the operators' video gateways; never sent to browsers."),
    )
    snapshot_url = models.URLField(_("snapshot URL"), max_length=500, blank=True, default="")
    state = models.CharField(
        _("camera state"),
        max_length=20,
        choices=CameraState.choices,
        default=CameraState.NO_STREAM,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        constraints = [
            models.CheckConstraint(
                condition=Q(direction_deg__isnull=True) | Q(direction_deg__lte=359),
                name="camera_direction_0_359",
            ),
        ]

    def __str__(self) -> str:
        return str(self.resource)


class PatrolDay(models.Model):
    """One inspector's patrol on one local day, from their GPS fixes (grids.tracks).

    The track is the cleaned and simplified line (GPS jumps dropped, noise smoothed); the
    figures are measured on it. Rebuilt whole by grids.tracks.patrol_days_build, so a late
    batch of fixes is counted when the day is built again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="patrol_days",
        verbose_name=_("inspector"),
        db_index=False,  # the unique (user, day) below leads with it
    )
    day = models.DateField(_("day"))
    track = models.MultiLineStringField(_("track"), srid=4326, null=True, blank=True)
    distance_m = models.FloatField(_("distance walked (m)"))
    duty_seconds = models.PositiveIntegerField(_("time on duty (s)"))
    fixes_received = models.PositiveIntegerField(_("fixes received"))
    fixes_used = models.PositiveIntegerField(_("fixes used"))
    jumps_dropped = models.PositiveIntegerField(_("GPS jumps dropped"))
    first_fix_at = models.DateTimeField(_("first fix at"), null=True, blank=True)
    last_fix_at = models.DateTimeField(_("last fix at"), null=True, blank=True)
    # Of the grids the inspector is posted to (their union): the share within the covering
    # distance of the track. None without a grid post.
    covered_share = models.FloatField(_("share of own grids covered"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-day", "user"]
        verbose_name = _("patrol day")
        verbose_name_plural = _("patrol days")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="patrolday_user_day"),
            models.CheckConstraint(
                condition=Q(covered_share__isnull=True)
                | (Q(covered_share__gte=0) & Q(covered_share__lte=1)),
                name="patrolday_share_0_1",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="patrolday_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.distance_m:.0f} m"


class PatrolGridDay(models.Model):
    """An inspector's patrol day within one grid: their own grids, and any other they walked."""

    patrol_day = models.ForeignKey(
        PatrolDay,
        on_delete=models.CASCADE,
        related_name="grids",
        verbose_name=_("patrol day"),
        db_index=False,  # the unique (patrol_day, grid) below leads with it
    )
    grid = models.ForeignKey(
        Region,
        to_field="code",
        db_column="grid_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("grid"),
    )
    day = models.DateField(_("day"))
    is_own = models.BooleanField(_("own grid"))
    distance_m = models.FloatField(_("distance walked (m)"))
    duty_seconds = models.PositiveIntegerField(_("time on duty (s)"))
    covered_share = models.FloatField(_("share of the grid covered"))

    class Meta:
        ordering = ["day", "grid"]
        verbose_name = _("patrol day in a grid")
        verbose_name_plural = _("patrol days in grids")
        constraints = [
            models.UniqueConstraint(fields=["patrol_day", "grid"], name="patrolgridday_once"),
            models.CheckConstraint(
                condition=Q(covered_share__gte=0) & Q(covered_share__lte=1),
                name="patrolgridday_share_0_1",
            ),
        ]
        indexes = [models.Index(fields=["grid", "day"], name="patrolgridday_grid_day")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.day} {self.distance_m:.0f} m"
