"""The responsibility catalogue (责任清单, DOMAIN.md §3): what can be filed, who handles it, how
fast.

Domain (领域, the district's 12 areas) → Item (事项, 99 of them) → FilingCondition (立案条件, each
with its closing condition and time limit). Items are classified by the national scheme: a family
(component 部件 / event 事件), a major class (大类, 01–06 in both families) and a minor class
(小类, two digits).

Item codes are readable and carry the national class: family letter + major + minor + a 2-digit
sequence within that minor class, 7 characters in all — ``B010101`` is the first component item
in 01 public facilities / 0101 water-supply manhole cover (B for 部件 bùjiàn), ``S010201`` the
first event item in 01 city appearance / 0102 exposed rubbish (S for 事件 shìjiàn). The sequence
lets the district split one national minor class into several local items. The database checks
the scheme row by row.

The responsible unit is kept twice on purpose: ``default_unit_code`` is the code as the catalogue
data names it (so the catalogue can be loaded before the units exist), ``default_unit`` the link,
set whenever a unit with that code exists (see cases.catalogue.catalogue_link_units).

Urgency shortens limits by a factor that is data (UrgencyFactor), not code.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat, Length, Substr
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from cases.models.calendar import LimitUnit

__all__ = [
    "DEFAULT_URGENCY_FACTORS",
    "ENTRY_LEVELS_UP",
    "FAMILY_CODE_LETTER",
    "NATIONAL_MAJOR_CLASSES",
    "Domain",
    "EntryLevel",
    "Family",
    "FilingCondition",
    "Item",
    "Urgency",
    "UrgencyFactor",
]


class Family(models.TextChoices):
    COMPONENT = "component", _("Component")
    EVENT = "event", _("Event")


# The first letter of an item code: 部件 bùjiàn, 事件 shìjiàn.
FAMILY_CODE_LETTER: dict[str, str] = {Family.COMPONENT: "B", Family.EVENT: "S"}

# National major classes (GB/T 30428.2), DOMAIN.md §3. Fixed by the standard, so code, not data.
NATIONAL_MAJOR_CLASSES: dict[str, dict[str, str]] = {
    Family.COMPONENT: {
        "01": "公用设施",
        "02": "道路交通",
        "03": "市容环境",
        "04": "园林绿化",
        "05": "房屋土地",
        "06": "其他设施",
    },
    Family.EVENT: {
        "01": "市容环境",
        "02": "宣传广告",
        "03": "施工管理",
        "04": "突发事件",
        "05": "街面秩序",
        "06": "扩展事件",
    },
}
_MAJOR_CODES = sorted(set(NATIONAL_MAJOR_CLASSES[Family.COMPONENT]))


class EntryLevel(models.TextChoices):
    """Where a catalogue item's cases start their loop (DOMAIN.md §5): the lowest level that
    can handle them. The same codes as cases.HandlingLevel, without the grid (self-handling)."""

    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District")


# Lowest first, as cases.LEVELS_UP.
ENTRY_LEVELS_UP: list[str] = [EntryLevel.COMMUNITY, EntryLevel.STREET, EntryLevel.DISTRICT]


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    VERY_URGENT = "very_urgent", _("Very urgent")


# What the seed writes (local practice); the table is then edited in the admin.
DEFAULT_URGENCY_FACTORS: dict[str, float] = {
    Urgency.NORMAL: 1.0,
    Urgency.URGENT: 0.5,
    Urgency.VERY_URGENT: 0.25,
}

two_digits = RegexValidator(r"^[0-9]{2}$", _("Use exactly two digits."))
item_code_format = RegexValidator(
    r"^[BS][0-9]{6}$",
    _("Use B (component) or S (event), then major, minor and sequence, two digits each."),
)


class UrgencyFactor(models.Model):
    """How much of the normal limit an urgency level leaves: limits are multiplied by it."""

    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices, unique=True)
    factor = models.FloatField(
        _("factor"), help_text=_("Greater than 0 and at most 1; limits are multiplied by it.")
    )

    class Meta:
        ordering = ["-factor"]
        verbose_name = _("urgency factor")
        verbose_name_plural = _("urgency factors")
        constraints = [
            models.CheckConstraint(
                condition=Q(factor__gt=0) & Q(factor__lte=1),
                name="urgencyfactor_factor_in_0_1",
                violation_error_message=_("The factor must be greater than 0 and at most 1."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_urgency_display()} × {self.factor:g}"


class Domain(models.Model):
    """One of the district's areas of responsibility (领域), e.g. 市容环境."""

    code = models.CharField(_("code"), max_length=2, unique=True, validators=[two_digits])
    name = models.CharField(_("name"), max_length=50)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        ordering = ["ordering", "code"]
        verbose_name = _("catalogue domain")
        verbose_name_plural = _("catalogue domains")
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("code"), 2),
                name="catalogue_domain_code_2_digits",
                violation_error_message=_("A domain code has two digits."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Item(models.Model):
    """A catalogue item (事项): what the case is about, who handles it, under which law."""

    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, related_name="items", verbose_name=_("domain")
    )
    code = models.CharField(_("code"), max_length=8, unique=True, validators=[item_code_format])
    name = models.CharField(_("name"), max_length=100)
    family = models.CharField(_("family"), max_length=10, choices=Family.choices)
    major_class = models.CharField(_("major class"), max_length=2, validators=[two_digits])
    minor_class = models.CharField(_("minor class"), max_length=2, validators=[two_digits])
    default_unit = models.ForeignKey(
        "grids.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="catalogue_items",
        verbose_name=_("responsible unit"),
    )
    default_unit_code = models.CharField(
        _("responsible unit code"),
        max_length=32,
        blank=True,
        help_text=_(
            "The unit's code as the catalogue data names it; the link above is set from it "
            "once the unit exists."
        ),
    )
    legal_basis = models.TextField(_("legal basis"))
    handling_standard = models.TextField(_("handling standard"))
    entry_level = models.CharField(
        _("entry level"),
        max_length=10,
        choices=EntryLevel.choices,
        default=EntryLevel.DISTRICT,
        help_text=_(
            "Where a report of this item starts its loop: the community's or street's own "
            "micro-loop, or the district. Urgent reports always start at the district; a "
            "street or community may override the level for its area (entry level rules)."
        ),
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("duplicate radius (m)"),
        default=50,
        validators=[MinValueValidator(1)],
        help_text=_("Open cases of this item this close are listed as likely duplicates."),
    )
    duplicate_window_hours = models.PositiveIntegerField(
        _("duplicate window (hours)"),
        default=72,
        validators=[MinValueValidator(1)],
        help_text=_("…and reported within this many hours."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        indexes = [models.Index(fields=["family", "major_class", "minor_class"], name="item_class")]
        constraints = [
            models.CheckConstraint(
                condition=Q(major_class__in=_MAJOR_CODES) & Q(Exact(Length("minor_class"), 2)),
                name="catalogue_item_national_class",
                violation_error_message=_(
                    "The major class is 01–06 and the minor class has two digits."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    (Q(family=Family.COMPONENT) & Q(code__startswith="B"))
                    | (Q(family=Family.EVENT) & Q(code__startswith="S"))
                )
                & Q(Exact(Length("code"), 7))
                & Q(Exact(Substr("code", 2, 4), Concat("major_class", "minor_class"))),
                name="catalogue_item_code_scheme",
                violation_error_message=_(
                    "The code is the family letter (B component, S event), the major and minor "
                    "class and a two-digit sequence, e.g. B010101."
                ),
            ),
            models.CheckConstraint(
                condition=Q(duplicate_radius_m__gt=0) & Q(duplicate_window_hours__gt=0),
                name="catalogue_item_duplicate_search_positive",
            ),
            models.CheckConstraint(
                condition=Q(entry_level__in=EntryLevel.values),
                name="catalogue_item_entry_level_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        # The link wins over the stored code when someone picks a unit in the admin.
        unit = self.default_unit
        if unit is not None:
            self.default_unit_code = unit.code


class FilingCondition(models.Model):
    """When a case of the item is filed (立案条件), when it closes, and its time limit."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="conditions", verbose_name=_("item")
    )
    code = models.CharField(_("code"), max_length=2, validators=[two_digits])
    description = models.TextField(_("filing condition"))
    closing_condition = models.TextField(_("closing condition"))
    limit_value = models.DecimalField(_("time limit"), max_digits=6, decimal_places=2)
    limit_unit = models.CharField(_("limit unit"), max_length=20, choices=LimitUnit.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["item", "order", "code"]
        verbose_name = _("filing condition")
        verbose_name_plural = _("filing conditions")
        constraints = [
            models.UniqueConstraint(fields=["item", "code"], name="filingcondition_code_per_item"),
            models.CheckConstraint(
                condition=Q(limit_value__gt=0),
                name="filingcondition_limit_positive",
                violation_error_message=_("The time limit must be positive."),
            ),
            models.CheckConstraint(
                condition=Exact(Length("code"), 2),
                name="filingcondition_code_2_digits",
                violation_error_message=_("A condition code has two digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description[:40]}"
