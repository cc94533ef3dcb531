"""Tag conditions of a targeted draw (定向抽查), validated against the enterprise registry's tags.

A condition is a JSON object ``{tag: [values]}`` (``{tag: true|false}`` for the yes/no tags): an
enterprise matches when, for every tag given, it has one of the values — AND across tags, OR within
a tag. The filter itself is the registry's ``Enterprise.objects.tagged()``. An empty object is an
untargeted draw.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enterprises.enums import (
    POLLUTION_TYPES,
    ConstructionStatus,
    CreditRating,
    MonitoringType,
    PerformanceGrade,
    PermitCategory,
    ProductionCycle,
    Scale,
)
from enterprises.models import Division, Enterprise, Industry

CHOICE_TAGS = {
    "construction_status": (gettext_lazy("Construction status"), ConstructionStatus),
    "scale": (gettext_lazy("Production scale"), Scale),
    "production_cycle": (gettext_lazy("Production cycle"), ProductionCycle),
    "monitoring_type": (gettext_lazy("Monitoring type"), MonitoringType),
    "performance_grade": (gettext_lazy("Performance grade"), PerformanceGrade),
    "permit_category": (gettext_lazy("Permit category"), PermitCategory),
    "credit_rating": (gettext_lazy("Credit rating"), CreditRating),
}
CODE_TAGS = {
    "division": (gettext_lazy("Administrative division"), Division),
    "industry": (gettext_lazy("Industry (GB/T 4754)"), Industry),
}
POLLUTION_LABEL = gettext_lazy("Pollution type")
BOOL_TAGS = {
    "positive_list": gettext_lazy("On the positive list"),
    "city_controlled_key": gettext_lazy("City-controlled or higher key emitter"),
}
TAGS = ("division", "industry", "pollution", *CHOICE_TAGS, *BOOL_TAGS)


def validate_conditions(data) -> dict:
    """Return the cleaned conditions (values sorted, de-duplicated) or raise ValidationError naming the fault."""
    if data in (None, ""):
        return {}
    if not isinstance(data, dict):
        raise ValidationError(_("Tag conditions must be an object of tag: [values]."))
    cleaned: dict = {}
    for tag, raw in data.items():
        if tag not in TAGS:
            raise ValidationError(_("Unknown tag %(tag)s.") % {"tag": tag})
        if tag in BOOL_TAGS:
            if not isinstance(raw, bool):
                raise ValidationError(_("Tag %(tag)s must be true or false.") % {"tag": tag})
            cleaned[tag] = raw
            continue
        if not isinstance(raw, list) or not raw or not all(isinstance(v, str) and v.strip() for v in raw):
            raise ValidationError(_("Tag %(tag)s needs a non-empty list of values.") % {"tag": tag})
        values = sorted({v.strip().upper() if tag == "industry" else v.strip() for v in raw})
        if tag in CHOICE_TAGS:
            allowed = set(CHOICE_TAGS[tag][1].values)
        elif tag == "pollution":
            allowed = {code for code, _label in POLLUTION_TYPES}
        else:
            model = CODE_TAGS[tag][1]
            allowed = set(model.objects.filter(code__in=values).values_list("code", flat=True))
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValidationError(
                _("Unknown value(s) for %(tag)s: %(values)s.") % {"tag": tag, "values": ", ".join(unknown)}
            )
        cleaned[tag] = values
    return dict(sorted(cleaned.items()))


def matching(queryset, conditions: dict):
    """``queryset`` (of Enterprise) narrowed to the enterprises matching the validated ``conditions``."""
    for tag, values in conditions.items():
        if tag in BOOL_TAGS:
            queryset = queryset & Enterprise.objects.tagged(**{tag: values})
            continue
        any_of = None
        for value in values:
            part = Enterprise.objects.tagged(**{tag: value})
            any_of = part if any_of is None else any_of | part
        queryset = queryset & any_of
    return queryset


def describe_conditions(conditions: dict) -> list[tuple[str, str]]:
    """``[(tag label, values as text)]`` for the page and the PDF."""
    rows = []
    for tag, values in conditions.items():
        if tag in BOOL_TAGS:
            rows.append((str(BOOL_TAGS[tag]), _("yes") if values else _("no")))
        elif tag == "pollution":
            labels = dict(POLLUTION_TYPES)
            rows.append((str(POLLUTION_LABEL), "、".join(str(labels.get(v, v)) for v in values)))
        elif tag in CHOICE_TAGS:
            label, enum = CHOICE_TAGS[tag]
            names = dict(enum.choices)
            rows.append((str(label), "、".join(str(names.get(v, v)) for v in values)))
        else:
            label, model = CODE_TAGS[tag]
            names = dict(model.objects.filter(code__in=values).values_list("code", "name"))
            rows.append((str(label), "、".join(f"{v} {names.get(v, '')}".strip() for v in values)))
    return rows
