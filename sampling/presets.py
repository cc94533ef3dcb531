"""Quota presets taken from the seed documents (shared/seeds/, DESIGN §3 rule 5).

Ratios are percentages of the eligible population per quarter. ``None`` means "no such rule".
Applying a preset copies these values into the bureau's :class:`~sampling.models.QuotaPolicy`
for a year; the bureau may then change any of them.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .enums import QuotaPreset

#: Fields a preset sets on a QuotaPolicy (every other field keeps its value).
PRESET_FIELDS = (
    "key_ratio",
    "special_ratio",
    "general_ratio",
    "general_per_inspector_per_year",
    "key_once_a_year",
    "special_once_a_year",
    "special_every_quarter",
    "yearly_cap",
    "exclude_positive_list",
    "use_risk_weights",
)

PRESETS: dict[str, dict] = {
    # 001 新县 2021 plan, 三(五): key ≥30% a quarter; general: inspected units a year ≥ 1:10 of the
    # on-duty enforcement staff (10 units per officer).
    QuotaPreset.XINXIAN: {
        "key_ratio": Decimal("30"),
        "special_ratio": Decimal("0"),
        "general_ratio": Decimal("0"),
        "general_per_inspector_per_year": 10,
        "key_once_a_year": False,
        "special_once_a_year": False,
        "special_every_quarter": False,
        "yearly_cap": None,
        "exclude_positive_list": False,
        "use_risk_weights": False,
    },
    # 003 西平 2024 system, 一(四): key ≥20% a quarter and every key unit once a year; general 1:10 a
    # year; special units at least once every quarter.
    QuotaPreset.XIPING: {
        "key_ratio": Decimal("20"),
        "special_ratio": Decimal("0"),
        "general_ratio": Decimal("0"),
        "general_per_inspector_per_year": 10,
        "key_once_a_year": True,
        "special_once_a_year": False,
        "special_every_quarter": True,
        "yearly_cap": None,
        "exclude_positive_list": False,
        "use_risk_weights": False,
    },
    # 004 保定 2024 plan, 二(四), county level: key ≥25% and special ≥50% a quarter; general units off
    # the positive list ≥3% a quarter; positive-list units are supervised off-site (not drawn on site).
    QuotaPreset.BAODING_COUNTY: {
        "key_ratio": Decimal("25"),
        "special_ratio": Decimal("50"),
        "general_ratio": Decimal("3"),
        "general_per_inspector_per_year": None,
        "key_once_a_year": False,
        "special_once_a_year": False,
        "special_every_quarter": False,
        "yearly_cap": None,
        "exclude_positive_list": True,
        "use_risk_weights": False,
    },
    # 000 建安 2026 plan, 三(五): key and special units at least once a year; at most 2 routine
    # inspections of one enterprise a year; ratios set per tier per quarter by the bureau (these are
    # starting values); violators, complaints and low credit are drawn more often (risk weights).
    QuotaPreset.JIANAN: {
        "key_ratio": Decimal("25"),
        "special_ratio": Decimal("25"),
        "general_ratio": Decimal("5"),
        "general_per_inspector_per_year": None,
        "key_once_a_year": True,
        "special_once_a_year": True,
        "special_every_quarter": False,
        "yearly_cap": 2,
        "exclude_positive_list": False,
        "use_risk_weights": True,
    },
}

PRESET_SOURCES = {
    QuotaPreset.XINXIAN: _("新县 2021 plan (seed 001), section 三(五)"),
    QuotaPreset.XIPING: _("西平 2024 random-inspection system (seed 003), section 一(四)"),
    QuotaPreset.BAODING_COUNTY: _("保定 2024 implementation plan (seed 004), section 二(四), county level"),
    QuotaPreset.JIANAN: _("建安 2026 implementation plan (seed 000), section 三(五)"),
}
