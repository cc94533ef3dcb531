"""Gather from the database what :mod:`sampling.quota` decides on: one query per concern.

* the enterprises of the task's tiers matching its tag conditions (one query, plain tuples);
* inspections this year per enterprise (coverage and the yearly cap) and those already drawn for the
  task this quarter (one query each);
* for the 1:N rule, the on-duty enforcement officers and the general units inspected so far;
* risk weights, when the policy uses them (``enterprises.services.risk_weights``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import date

from django.db.models import Count

from enterprises.models import Enterprise, RiskRule
from enterprises.services import risk_weights
from inspectors.enums import InspectorKind
from inspectors.models import Inspector

from .conditions import matching
from .enums import DrawStatus
from .models import DrawEntry, PlanTask, QuotaPolicy
from .quota import Candidate, GeneralTarget, Population, QuotaRules, build_population
from .tasks import task_model

#: The policy's values the draw applies: the fields of QuotaRules but the task's own ratio.
POLICY_FIELDS = tuple(f.name for f in fields(QuotaRules) if f.name != "task_ratio")


def policy_snapshot(policy: QuotaPolicy, risk_rule: RiskRule | None = None) -> dict:
    """The policy as the draw applied it (JSON-ready), kept on the draw; with risk weights, the bureau's risk
    weight rule it applied (``risk_rule``: its parameters and when it was last changed), so that whoever
    reads the draw's record sees by which rule its weights were computed."""
    data = {name: getattr(policy, name) for name in POLICY_FIELDS}
    for name in ("key_ratio", "special_ratio", "general_ratio"):
        data[name] = str(data[name])
    data.update(
        year=policy.year,
        preset=policy.preset,
        use_risk_weights=policy.use_risk_weights,
        team_size=policy.team_size,
        max_per_inspector=policy.max_per_inspector,
    )
    if policy.use_risk_weights and risk_rule is not None:
        data["risk_rule"] = risk_rule.snapshot()
    return data


def rules_for(policy: QuotaPolicy, task: PlanTask) -> QuotaRules:
    return QuotaRules(
        **{name: getattr(policy, name) for name in POLICY_FIELDS},
        task_ratio=task.ratio_override,
    )


CANDIDATE_CHUNK = 5000


def candidates(task: PlanTask) -> Iterator[tuple]:
    """Enterprises of the task's bureau and tiers that match its tag conditions (one query).

    Plain tuples shaped like :class:`~sampling.quota.Candidate`, read in chunks (a province has 200,000 of
    them: :func:`~sampling.quota.build_population` keeps what it needs of each, not the rows).
    """
    queryset = Enterprise.objects.filter(bureau_id=task.plan.bureau_id, tier__in=task.tiers)
    if task.tag_conditions:
        queryset = matching(queryset, task.tag_conditions)
    return queryset.order_by().values_list(*Candidate._fields).iterator(chunk_size=CANDIDATE_CHUNK)


def inspections_this_year(bureau_id: int, year: int) -> dict[int, int]:
    """{enterprise id: inspection tasks this year that are not cancelled}."""
    rows = (
        task_model()
        .objects.filter(bureau_id=bureau_id, draw__year=year)
        .counted()
        .order_by()
        .values_list("enterprise_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def pending_this_year(bureau_id: int, year: int) -> dict[int, int]:
    """{enterprise id: times selected in the bureau's drawn draws of ``year`` awaiting approval}.

    They count against the yearly cap as pending inspections when a further draw is prepared. A draw
    awaiting its ceremony has selected nobody yet: its members are re-checked against the cap when it is
    approved (:func:`sampling.draws.draw_approve`), where one that reached the cap meanwhile is replaced
    from the draw's recorded reserve.
    """
    rows = (
        DrawEntry.objects.filter(
            draw__bureau_id=bureau_id, draw__year=year, draw__status=DrawStatus.DRAWN, selected=True
        )
        .order_by()
        .values_list("enterprise_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def drawn_for_task(task: PlanTask, quarter: int) -> dict[int, int]:
    """{enterprise id: draw id} of enterprises this task already drew this quarter (tasks not cancelled)."""
    rows = (
        task_model()
        .objects.filter(draw__task=task, draw__quarter=quarter)
        .counted()
        .values_list("enterprise_id", "draw_id")
    )
    return dict(rows)


def general_target(policy: QuotaPolicy, bureau_id: int, year: int) -> GeneralTarget | None:
    """The 1:N rule's inputs, or None when the policy has no such rule."""
    if not policy.general_per_inspector_per_year:
        return None
    officers = Inspector.objects.filter(bureau_id=bureau_id, active=True, kind=InspectorKind.ENFORCEMENT).count()
    inspected = (
        task_model()
        .objects.filter(bureau_id=bureau_id, draw__year=year, enterprise__tier="general")
        .counted()
        .values("enterprise_id")
        .distinct()
        .count()
    )
    return GeneralTarget(policy.general_per_inspector_per_year, officers, inspected)


def population_for(
    *,
    task: PlanTask,
    quarter: int,
    policy: QuotaPolicy,
    as_of: date,
    exceed: bool = False,
    risk_rule: RiskRule | None = None,
) -> Population:
    """Strata, exclusions and quotas of ``task`` for ``quarter`` of its plan's year under ``policy``.

    ``exceed``: a team lead draws the quarter's full target again beyond what earlier draws took.
    ``risk_rule``: the bureau's risk weight rule the draw records (read here when None).
    """
    bureau = task.plan.bureau
    year = task.plan.year
    found = candidates(task)
    weights = None
    if policy.use_risk_weights:
        found = list(found)
        weights = risk_weights(bureau, enterprise_ids=[row[0] for row in found], as_of=as_of, rule=risk_rule)
    return build_population(
        found,
        rules=rules_for(policy, task),
        year=year,
        quarter=quarter,
        tiers=task.tiers,
        inspections=inspections_this_year(bureau.pk, year),
        drawn_this_quarter=drawn_for_task(task, quarter),
        weights=weights,
        general_target=general_target(policy, bureau.pk, year),
        pending=pending_this_year(bureau.pk, year) if policy.yearly_cap is not None else None,
        exceed=exceed,
    )
