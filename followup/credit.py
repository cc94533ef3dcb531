"""The enterprise's credit record (issue 16): what the bureau found and decided about one enterprise, dated,
newest first, with the draws' risk weight of today and its terms (``enterprises.services.risk_weights``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from core.excel import write_xlsx
from enterprises.models import (
    Enterprise,
    EnterpriseRecord,
    InspectionRecord,
    RiskRule,
    months_before,
    risk_window_start,
)
from inspections.enums import Outcome
from inspections.models import Publication

from .enums import CaseStatus, RectificationStatus, TransferStatus
from .models import Case, Rectification, Transfer


@dataclass(frozen=True)
class Entry:
    day: date
    kind: str
    text: str
    reference: str = ""
    task_id: int | None = None


@dataclass(frozen=True)
class Weight:
    """weight = max(base + counted + credit, floor), where counted = min(records in the window, cap) and floor
    is the bureau's lowest weight after a penalty in the last months (1 when none applies); then at most the
    rule's ``clean_weight`` when the clean-inspection term applies (``clean``): the last ``clean_streak``
    published results found no problem and no penalty lies in the penalty window."""

    base: int
    records: int
    counted: int
    credit: int
    credit_rating: str
    window_start: date
    as_of: date
    rule: RiskRule
    penalties: int  # penalties on record after penalty_start
    penalty_start: date
    clean_run: int = 0  # the newest published results in a row that found no problem (up to as_of)
    last_problem: date | None = None  # the day of the newest published result that found a problem

    @property
    def summed(self) -> int:
        return self.base + self.counted + self.credit

    @property
    def floor(self) -> int:
        return self.rule.penalty_weight if self.rule.penalty_weight and self.penalties else 1

    @property
    def clean(self) -> bool:
        """The clean-inspection term applies (the rule has it, the run is long enough, no recent penalty)."""
        return bool(self.rule.clean_streak) and self.clean_run >= self.rule.clean_streak and not self.penalties

    @property
    def before_clean(self) -> int:
        return max(self.summed, self.floor)

    @property
    def total(self) -> int:
        return min(self.before_clean, self.rule.clean_weight) if self.clean else self.before_clean


def clean_run(records) -> tuple[int, date | None]:
    """(results in a row that found no problem, newest first; the day of the newest that found one) of
    ``records`` (``(inspected_on, clean)``, newest first), with the rule's order: on one day, a result with a
    problem counts as the later one."""
    problem_days = [day for day, clean in records if not clean]
    last_problem = max(problem_days) if problem_days else None
    run = 0
    for day, clean in records:
        if not clean or (last_problem is not None and day <= last_problem):
            break
        run += 1
    return run, last_problem


def weight_of(enterprise: Enterprise, as_of: date) -> Weight:
    """The risk weight of ``enterprise`` on ``as_of`` term by term, by its bureau's rule (three queries)."""
    rule = RiskRule.of(enterprise.bureau)
    run, last_problem = clean_run(
        InspectionRecord.objects.filter(enterprise=enterprise, published_on__lte=as_of)
        .order_by("-inspected_on", "-id")
        .values_list("inspected_on", "clean")
    )
    row = (
        Enterprise.objects.filter(pk=enterprise.pk)
        .with_risk_weight(as_of, rule=rule)
        .values("recent_records", "recent_penalties", "risk_weight", "credit_rating")
        .get()
    )
    weight = Weight(
        base=1,
        records=row["recent_records"],
        counted=min(row["recent_records"], rule.records_cap),
        credit=rule.credit_terms.get(row["credit_rating"], 0),
        credit_rating=enterprise.get_credit_rating_display(),
        window_start=risk_window_start(as_of, rule.window_years),
        as_of=as_of,
        rule=rule,
        penalties=row["recent_penalties"],
        penalty_start=months_before(as_of, rule.penalty_months),
        clean_run=run,
        last_problem=last_problem,
    )
    assert weight.total == row["risk_weight"], "the terms shown must add up to the weight the draws use"
    return weight


def entries(enterprise: Enterprise) -> list[Entry]:
    """Published results, rectifications and visits, cases, transfers and records, newest first (5 queries)."""
    found: list[Entry] = []
    for p in Publication.objects.filter(task__enterprise=enterprise).only(
        "task_id", "inspected_on", "outcome", "inspection_number"
    ):
        found.append(
            Entry(p.inspected_on, _("Published result"), p.get_outcome_display(), p.inspection_number, p.task_id)
        )
    for r in Rectification.objects.filter(task__enterprise=enterprise).select_related("task"):
        found.append(
            Entry(
                r.ordered_on,
                _("Rectification ordered"),
                _("Deadline %(day)s") % {"day": r.deadline.isoformat()},
                r.task.number,
                r.task_id,
            )
        )
        if r.status != RectificationStatus.OPEN:
            found.append(
                Entry(
                    r.visited_on,
                    _("Follow-up visit"),
                    f"{r.get_status_display()}：{r.findings}",
                    r.task.number,
                    r.task_id,
                )
            )
    for c in Case.objects.filter(task__enterprise=enterprise).select_related("task"):
        if c.filed_on:
            found.append(Entry(c.filed_on, _("Case filed"), c.violation_type, c.case_number, c.task_id))
        if c.decided_on:
            text = f"{c.get_penalty_category_display()}：{c.penalty_content}"
            found.append(Entry(c.decided_on, _("Penalty decided"), text, c.decision_number, c.task_id))
        if c.status == CaseStatus.CLOSED and c.closed_on:
            found.append(Entry(c.closed_on, _("Case closed"), c.get_conclusion_display(), c.case_number, c.task_id))
    for t in Transfer.objects.filter(task__enterprise=enterprise).select_related("task"):
        found.append(
            Entry(t.transferred_on, pgettext("credit record", "Transferred"), t.department, t.task.number, t.task_id)
        )
        if t.status == TransferStatus.CLOSED and t.concluded_on:
            text = (
                f"{t.get_conclusion_display()}：{t.conclusion_note}"
                if t.conclusion_note
                else t.get_conclusion_display()
            )
            found.append(Entry(t.concluded_on, _("Transfer concluded"), text, t.receipt_number, t.task_id))
    for rec in EnterpriseRecord.objects.filter(enterprise=enterprise):
        found.append(Entry(rec.date, rec.get_kind_display(), rec.description, rec.reference))
    # newest first; on one day in the order things happen (result, order, visit, case, transfer, record)
    ranked = sorted(enumerate(found), key=lambda pair: (pair[1].day, pair[0]), reverse=True)
    return [entry for _index, entry in ranked]


# --- 建议列入经营异常名录 ------------------------------------------------------------------------------------

ABNORMAL_HEADER = [
    pgettext_lazy("xlsx", "Enterprise"),
    pgettext_lazy("xlsx", "USCC"),
    pgettext_lazy("xlsx", "Registered address"),
    pgettext_lazy("xlsx", "Inspection number"),
    pgettext_lazy("xlsx", "Inspection completed"),
    pgettext_lazy("xlsx", "Inspection result"),
    pgettext_lazy("xlsx", "Publication date"),
]


def unreachable(bureau):
    """Published results of ``bureau`` whose outcome is 通过登记的住所（经营场所）无法联系, newest first: the
    enterprises the bureau suggests for the 经营异常名录 (one query)."""
    return (
        Publication.objects.filter(bureau=bureau, outcome=Outcome.UNREACHABLE)
        .select_related("task__enterprise")
        .order_by("-inspected_on", "-id")
    )


def abnormal_rows(bureau) -> list[list]:
    return [
        [
            p.enterprise_name,
            p.uscc,
            p.task.enterprise.address,
            p.inspection_number,
            p.inspected_on.isoformat(),
            p.get_outcome_display(),
            p.published_on.isoformat(),
        ]
        for p in unreachable(bureau)
    ]


def abnormal_xlsx(bureau) -> bytes:
    return write_xlsx([str(h) for h in ABNORMAL_HEADER], abnormal_rows(bureau), title="建议列入经营异常名录")
