"""The seed targets tracked against the data (issue 14 item 5; seeds 004, 003 and 000).

Each target is a :class:`Target`: its name (shown on the dashboard), its Chinese name (the quarterly
statistics sheet), the value computed from the data, the target and the gap (how far the value is below
the target; 0 when it is met). Shares are percentages of the year's inspections, where an inspection is
a counted task of a draw of the year (every state but cancelled).

* 内部联合 (internal joint: across the bureau's own units) ≥ 30 % of inspections (004); 部门联合
  (departmental joint, with other departments) is shown beside it, without a target.
* Risk-classified inspections ≥ 85 % (004). An inspection is *risk-classified* when its enterprise has a
  credit-risk classification (``credit_rating`` other than 未评级): that classification sets its risk
  weight in the draw (``enterprises.models.EnterpriseQuerySet.with_risk_weight``). An enterprise without
  a rating is drawn with the default weight, i.e. without using the classification.
* Positive-list units (正面清单) covered by an off-site check in the quarter: 100 % (004).
* Every active checklist item used at least once in the year (000).
* Next year's plan filed with the higher authority by 31 December (003).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enterprises.enums import CreditRating
from inspections.models import InspectionTask, OffsiteCheck
from inspections.queries import offsite_units
from sampling.enums import JointKind
from sampling.models import Plan

from .queries import checklist_coverage, percent

INTERNAL_JOINT_MIN = Decimal(30)
RISK_CLASSIFIED_MIN = Decimal(85)
FULL = Decimal(100)


@dataclass(frozen=True)
class Target:
    key: str
    name: str
    name_zh: str
    value: Decimal | None  # a percentage, or None when there is nothing to count
    target: Decimal | None  # None: shown, not targeted
    detail: str = ""  # e.g. "12 / 40"
    text: str = ""  # a value that is not a percentage (the plan filing)
    met: bool | None = None
    url: str = ""  # the page where the target's data is recorded (off-site checks, the plan filing)

    @property
    def gap(self) -> Decimal | None:
        if self.target is None or self.value is None:
            return None
        return max(Decimal(0), self.target - self.value)


def _share(key, name, name_zh, part, whole, target, url: str = "") -> Target:
    value = percent(part, whole)
    met = None if target is None or value is None else value >= target
    return Target(key, name, name_zh, value, target, detail=f"{part} / {whole}", met=met, url=url)


def seed_targets(bureau, year: int, quarter: int, today: date) -> list[Target]:
    tasks = InspectionTask.objects.filter(bureau=bureau, draw__year=year).counted()
    counts = tasks.aggregate(
        total=Count("pk"),
        internal=Count("pk", filter=Q(joint_kind=JointKind.INTERNAL)),
        department=Count("pk", filter=Q(joint_kind=JointKind.DEPARTMENT)),
        risk=Count("pk", filter=~Q(enterprise__credit_rating=CreditRating.NONE)),
    )
    total = counts["total"]
    positive = offsite_units(bureau)
    covered = (
        OffsiteCheck.objects.filter(bureau=bureau, year=year, quarter=quarter, enterprise__in=positive)
        .values("enterprise")
        .distinct()
        .count()
    )
    coverage = checklist_coverage(bureau, year)
    return [
        _share(
            "joint_internal",
            _("Internal joint inspections"),
            "内部联合抽查占比(%)",
            counts["internal"],
            total,
            INTERNAL_JOINT_MIN,
        ),
        _share(
            "joint_department",
            _("Departmental joint inspections"),
            "部门联合抽查占比(%)",
            counts["department"],
            total,
            None,
        ),
        _share(
            "risk_classified",
            _("Risk-classified inspections"),
            "运用信用风险分级分类抽查占比(%)",
            counts["risk"],
            total,
            RISK_CLASSIFIED_MIN,
        ),
        _share(
            "positive_list_offsite",
            _("Positive-list units checked off-site this quarter"),
            f"正面清单单位第{quarter}季度非现场检查覆盖率(%)",
            covered,
            positive.count(),
            FULL,
            url=reverse("inspections:offsite") + f"?year={year}&quarter={quarter}",
        ),
        _share(
            "checklist_items",
            _("Checklist items used this year"),
            "抽查事项清单年度覆盖率(%)",
            coverage["covered"],
            coverage["active"],
            FULL,
        ),
        plan_filing_target(bureau, year, today),
    ]


def plan_filing_target(bureau, year: int, today: date) -> Target:
    """Next year's plan filed with the higher authority by 31 December of ``year`` (seed 003)."""
    deadline = date(year, 12, 31)
    filed = Plan.objects.filter(bureau=bureau, year=year + 1, filed_on__isnull=False).order_by("filed_on").first()
    plan = filed or Plan.objects.filter(bureau=bureau, year=year + 1).order_by("seq").first()
    if plan is not None:  # the plan page's filing form
        url = reverse("sampling:plan-detail", args=[plan.pk]) + "#filing"
    else:
        url = reverse("sampling:plan-list") + f"?year={year + 1}"
    name = _("%(year)s plan filed with the higher authority by 31 December") % {"year": year + 1}
    name_zh = f"{year + 1}年度抽查计划报上级备案（{year}年12月31日前）"
    if filed is not None:
        on_time = filed.filed_on <= deadline
        return Target(
            "plan_filing",
            name,
            name_zh,
            None,
            None,
            text=filed.filed_on.isoformat(),
            met=on_time,
            detail=filed.number,
            url=url,
        )
    return Target("plan_filing", name, name_zh, None, None, text="—", met=False if today > deadline else None, url=url)
