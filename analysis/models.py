"""Analysis and early warning (综合研判, 苗头预警): the settings as data, what the passes found
(hot spots, unusual rises, repeat places) and the alarms they raised.

The passes (analysis.hotspots, analysis.trends, analysis.repeats) write these tables; people
act on the alarms only (acknowledge, handle). A hot spot's state is its alarm's state until
it is gone, so there is one place that says whether someone has acted on it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Family

__all__ = [
    "Alarm",
    "AnalysisSettings",
    "Hotspot",
    "HotspotCase",
    "HotspotRule",
    "RepeatPlace",
    "RepeatPlaceCase",
    "TrendFlag",
]


class AlarmLevel(models.TextChoices):
    """The command level an alarm is for: the lowest that covers what it is about."""

    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District")


class AnalysisSettings(models.Model):
    """The single row of analysis settings (local practice, editable in the admin); read it
    with AnalysisSettings.current()."""

    SINGLETON_ID = 1

    # Hot spots of one item: at least N cases within R metres, reported within T hours.
    hotspot_min_cases = models.PositiveSmallIntegerField(
        _("hot spot: at least N cases"),
        default=10,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
        help_text=_("Default for items without a rule of their own."),
    )
    hotspot_radius_m = models.PositiveIntegerField(
        _("hot spot: within R metres"),
        default=100,
        validators=[MinValueValidator(5), MaxValueValidator(5000)],
    )
    hotspot_window_hours = models.PositiveIntegerField(
        _("hot spot: reported within T hours"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 31)],
    )
    # The same over a national major class (several items of one kind at one place).
    class_hotspots = models.BooleanField(
        _("hot spots of a major class"),
        default=True,
        help_text=_(
            "Also look for clusters of one major class (e.g. city appearance) that no single "
            "item's hot spot explains."
        ),
    )
    class_min_cases = models.PositiveSmallIntegerField(
        _("class hot spot: at least N cases"),
        default=15,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
    )
    class_radius_m = models.PositiveIntegerField(
        _("class hot spot: within R metres"),
        default=100,
        validators=[MinValueValidator(5), MaxValueValidator(5000)],
    )
    class_window_hours = models.PositiveIntegerField(
        _("class hot spot: reported within T hours"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 31)],
    )
    # Unusual rises: today's and this week's counts against the same weekday's baseline.
    trend_p_value = models.FloatField(
        _("unusual rise: tail probability below"),
        default=1e-6,
        validators=[MinValueValidator(1e-15), MaxValueValidator(0.05)],
        help_text=_(
            "A count is flagged when a count at least this high had less than this "
            "probability under the baseline (negative binomial). Thousands of item × area "
            "pairs are tested every run: keep it small."
        ),
    )
    trend_min_cases = models.PositiveSmallIntegerField(
        _("unusual rise: at least this many cases"),
        default=5,
        validators=[MinValueValidator(1)],
    )
    trend_baseline_weeks = models.PositiveSmallIntegerField(
        _("unusual rise: baseline weeks"),
        default=8,
        validators=[MinValueValidator(2), MaxValueValidator(26)],
        help_text=_("The same weekday (a working day or not, by the calendar) in this many weeks."),
    )
    # Repeat places: K closed cases of one class at one place within D days.
    repeat_min_cases = models.PositiveSmallIntegerField(
        _("repeat place: at least K closed cases"),
        default=5,
        validators=[MinValueValidator(2)],
    )
    repeat_days = models.PositiveSmallIntegerField(
        _("repeat place: closed within D days"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
    repeat_cell_m = models.PositiveSmallIntegerField(
        _("repeat place: cell size (m)"),
        default=50,
        validators=[MinValueValidator(10), MaxValueValidator(500)],
        help_text=_("Cases at no asset or building are grouped in square cells of this size."),
    )
    repeat_asset_m = models.PositiveSmallIntegerField(
        _("repeat place: asset within (m)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("A component case this close to an asset of its class is about that asset."),
    )
    repeat_alarms = models.BooleanField(
        _("raise an alarm for each new repeat place"),
        default=False,
        help_text=_(
            "Off: repeat places are listed for supervisors to order lasting fixes. A busy "
            "district has dozens by chance alone, too many to ring for."
        ),
    )
    repeat_supervise = models.BooleanField(
        _("file a supervision for each new repeat place"),
        default=False,
    )
    last_run_at = models.DateTimeField(_("last analysed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("analysis settings")
        verbose_name_plural = _("analysis settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="analysissettings_single_row"),
            models.CheckConstraint(
                condition=Q(hotspot_min_cases__gte=2) & Q(class_min_cases__gte=2),
                name="analysissettings_cluster_of_two_or_more",
            ),
            models.CheckConstraint(
                condition=Q(trend_p_value__gt=0) & Q(trend_p_value__lt=1),
                name="analysissettings_p_value_0_1",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Analysis settings"))

    @classmethod
    def current(cls) -> AnalysisSettings:
        row, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return row


class HotspotRule(models.Model):
    """N, R and T for one item, or for one major class; without a rule the defaults apply."""

    item = models.OneToOneField(
        "cases.Item",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="hotspot_rule",
        verbose_name=_("item"),
    )
    family = models.CharField(_("family"), max_length=10, choices=Family.choices, blank=True)
    major_class = models.CharField(_("major class"), max_length=2, blank=True)
    min_cases = models.PositiveSmallIntegerField(
        _("at least N cases"), validators=[MinValueValidator(2), MaxValueValidator(1000)]
    )
    radius_m = models.PositiveIntegerField(
        _("within R metres"), validators=[MinValueValidator(5), MaxValueValidator(5000)]
    )
    window_hours = models.PositiveIntegerField(
        _("reported within T hours"), validators=[MinValueValidator(1), MaxValueValidator(744)]
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Off: no hot spots for this item or class.")
    )

    class Meta:
        verbose_name = _("hot spot rule")
        verbose_name_plural = _("hot spot rules")
        constraints = [
            models.CheckConstraint(
                condition=(Q(item__isnull=False) & Q(family="") & Q(major_class=""))
                | (Q(item__isnull=True) & ~Q(family="") & ~Q(major_class="")),
                name="hotspotrule_item_or_class",
                violation_error_message=_("A rule is for one item, or for a family's major class."),
            ),
            models.UniqueConstraint(
                fields=["family", "major_class"],
                condition=Q(item__isnull=True),
                name="hotspotrule_one_per_class",
            ),
            models.CheckConstraint(
                condition=Q(min_cases__gte=2) & Q(radius_m__gt=0) & Q(window_hours__gt=0),
                name="hotspotrule_positive",
            ),
        ]

    def __str__(self) -> str:
        what = str(self.item) if self.item_id else f"{self.family} {self.major_class}"
        return f"{what}: ≥ {self.min_cases} / {self.radius_m} m / {self.window_hours} h"


class Alarm(models.Model):
    """Something the analysis asks a command level to look at, once.

    `key` names what it is about (a hot spot, an item's rise in an area in an ISO week, a
    repeat place); it is unique, so a rerun of a pass never raises the same alarm twice.
    """

    class Kind(models.TextChoices):
        HOTSPOT = "hotspot", _("Hot spot")
        TREND = "trend", _("Unusual rise")
        REPEAT_PLACE = "repeat_place", _("Repeat place")

    class State(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        HANDLED = "handled", _("Handled")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=120, unique=True)
    region = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="region_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
    )
    level = models.CharField(_("level"), max_length=10, choices=AlarmLevel.choices)
    item = models.ForeignKey(
        "cases.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    # What to say, rendered in the reader's language (analysis.alarms.MESSAGES): a message
    # key and its parameters (what, how many, where, when).
    message = models.CharField(_("message"), max_length=20)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    point = models.PointField(_("where"), srid=4326, null=True, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.NEW)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        indexes = [
            models.Index(fields=["-raised_at"], name="alarm_raised_desc"),
            models.Index(fields=["state", "-raised_at"], name="alarm_state_raised"),
            models.Index(fields=["region", "-raised_at"], name="alarm_region_raised"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="new")
                | (Q(state="acknowledged") & Q(acknowledged_at__isnull=False))
                | (Q(state="handled") & Q(handled_at__isnull=False)),
                name="alarm_state_has_its_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class Hotspot(models.Model):
    """A spatio-temporal cluster of cases of one item (or one major class), as last seen.

    Gone when a pass no longer finds it (its cases aged out of the window or were voided); a
    cluster found again within the window revives it instead of raising a new alarm.
    """

    class Scope(models.TextChoices):
        ITEM = "item", _("Item")
        CLASS = "class", _("Major class")

    class State(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        HANDLED = "handled", _("Handled")
        GONE = "gone", _("Gone")

    scope = models.CharField(_("scope"), max_length=5, choices=Scope.choices)
    item = models.ForeignKey(
        "cases.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hotspots",
        verbose_name=_("item"),
    )
    family = models.CharField(_("family"), max_length=10, choices=Family.choices)
    major_class = models.CharField(_("major class"), max_length=2)
    region = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="region_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("covering region"),
    )
    level = models.CharField(_("level"), max_length=10, choices=AlarmLevel.choices)
    alarm = models.OneToOneField(
        Alarm,
        on_delete=models.PROTECT,
        related_name="hotspot",
        verbose_name=_("alarm"),
    )
    cases = models.ManyToManyField(
        "cases.Case", through="HotspotCase", related_name="+", verbose_name=_("cases")
    )
    case_count = models.PositiveIntegerField(_("cases"))
    hull = models.PolygonField(_("hull"), srid=4326)
    centre = models.PointField(_("centre"), srid=4326)
    min_cases = models.PositiveSmallIntegerField(_("rule: at least N cases"))
    radius_m = models.PositiveIntegerField(_("rule: within R metres"))
    window_hours = models.PositiveIntegerField(_("rule: within T hours"))
    first_case_at = models.DateTimeField(_("first case reported at"))
    last_case_at = models.DateTimeField(_("last case reported at"))
    first_seen_at = models.DateTimeField(_("first seen at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    gone_at = models.DateTimeField(_("gone at"), null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        verbose_name = _("hot spot")
        verbose_name_plural = _("hot spots")
        indexes = [
            models.Index(fields=["scope", "gone_at"], name="hotspot_scope_gone"),
            models.Index(fields=["region"], name="hotspot_region"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="item") & Q(item__isnull=False))
                | (Q(scope="class") & Q(item__isnull=True)),
                name="hotspot_item_iff_item_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.item or self.major_class} ×{self.case_count}"


class HotspotCase(models.Model):
    hotspot = models.ForeignKey(Hotspot, on_delete=models.CASCADE, related_name="memberships")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("hot spot case")
        verbose_name_plural = _("hot spot cases")
        constraints = [
            models.UniqueConstraint(fields=["hotspot", "case"], name="hotspotcase_unique")
        ]


class TrendFlag(models.Model):
    """An item's count in an area that the baseline makes improbable, for a day or a week.

    One row per (item, area, period): later runs in the same period update the count and keep
    the first time it was flagged.
    """

    class Period(models.TextChoices):
        DAY = "day", _("Today so far")
        WEEK = "week", _("This week so far")

    item = models.ForeignKey(
        "cases.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    region = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="region_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
    )
    level = models.CharField(_("level"), max_length=10, choices=AlarmLevel.choices)
    period = models.CharField(_("period"), max_length=5, choices=Period.choices)
    period_start = models.DateField(_("period start"))
    count = models.PositiveIntegerField(_("count"))
    expected = models.FloatField(_("expected"))
    p_value = models.FloatField(_("tail probability"))
    baseline_days = models.PositiveSmallIntegerField(_("baseline days"))
    first_flagged_at = models.DateTimeField(_("first flagged at"))
    last_flagged_at = models.DateTimeField(_("last flagged at"))
    alarm = models.ForeignKey(
        Alarm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trend_flags",
        verbose_name=_("alarm"),
    )

    class Meta:
        ordering = ["-last_flagged_at", "-pk"]
        verbose_name = _("unusual rise")
        verbose_name_plural = _("unusual rises")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "region", "period", "period_start"], name="trendflag_once"
            )
        ]
        indexes = [models.Index(fields=["period_start", "period"], name="trendflag_period")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.region_id} {self.period} {self.count}/{self.expected:.1f}"


class RepeatPlace(models.Model):
    """A place (an asset, a building, or a square cell) where cases of one class keep being
    closed: K or more in D days. Listed with its history so a lasting fix can be ordered."""

    class PlaceKind(models.TextChoices):
        ASSET = "asset", _("Asset")
        BUILDING = "building", _("Building")
        CELL = "cell", _("Cell")

    place_kind = models.CharField(_("place kind"), max_length=10, choices=PlaceKind.choices)
    place_key = models.CharField(_("place"), max_length=60)
    # An asset's or building's name; for a cell, the address of its latest case (shown as
    # "near …").
    place_name = models.CharField(_("place name"), max_length=200, blank=True)
    family = models.CharField(_("family"), max_length=10, choices=Family.choices)
    major_class = models.CharField(_("major class"), max_length=2)
    minor_class = models.CharField(_("minor class"), max_length=2)
    region = models.ForeignKey(
        "grids.Region",
        to_field="code",
        db_column="region_code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("covering region"),
    )
    level = models.CharField(_("level"), max_length=10, choices=AlarmLevel.choices)
    point = models.PointField(_("where"), srid=4326)
    cases = models.ManyToManyField(
        "cases.Case", through="RepeatPlaceCase", related_name="+", verbose_name=_("cases")
    )
    case_count = models.PositiveIntegerField(_("closed cases"))
    first_closed_at = models.DateTimeField(_("first closed at"))
    last_closed_at = models.DateTimeField(_("last closed at"))
    first_seen_at = models.DateTimeField(_("first seen at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    gone_at = models.DateTimeField(_("gone at"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("supervision filed at"), null=True, blank=True)
    alarm = models.OneToOneField(
        Alarm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeat_place",
        verbose_name=_("alarm"),
    )

    class Meta:
        ordering = ["-case_count", "-last_closed_at", "pk"]
        verbose_name = _("repeat place")
        verbose_name_plural = _("repeat places")
        constraints = [
            models.UniqueConstraint(
                fields=["place_key", "family", "major_class", "minor_class"],
                name="repeatplace_once_per_class",
            )
        ]
        indexes = [models.Index(fields=["gone_at"], name="repeatplace_gone")]

    def __str__(self) -> str:
        return f"{self.place_key} {self.family} {self.major_class}{self.minor_class}"


class RepeatPlaceCase(models.Model):
    place = models.ForeignKey(RepeatPlace, on_delete=models.CASCADE, related_name="memberships")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("repeat place case")
        verbose_name_plural = _("repeat place cases")
        constraints = [
            models.UniqueConstraint(fields=["place", "case"], name="repeatplacecase_unique")
        ]
