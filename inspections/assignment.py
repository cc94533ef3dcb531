"""The inspection tasks of an approved draw: their creation and the substitutions made afterwards.

:func:`tasks_create_for_draw` is what sampling's draw approval calls, through :mod:`sampling.tasks`, in
its own transaction: one task per selected enterprise, with the team the draw recorded. After that a
change to the list is a substitution — :func:`draw_substitute_enterprise` takes the next enterprise
of the stratum's recorded reserve, :func:`draw_substitute_inspector` the next eligible inspector in
the enterprise's recorded candidate order — each with a reason, in one transaction, audited. Both are
made only by a second team lead approving another lead's proposal (:mod:`inspections.substitutions`,
which calls them inside its own transaction with the locked :class:`SubstitutionRequest`).
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core import bulk
from core.access import has_role
from core.audit import actor_display, audit_log
from core.enums import Role
from core.errors import DomainError
from core.jobs import job_submit
from core.public_cache import bump_public_version
from enterprises.enums import EnterpriseStatus, Tier
from enterprises.models import CheckItem, Enterprise
from inspectors.models import Inspector
from inspectors.queries import available_inspectors
from sampling.draws import current_list, expert_for, pool_member_ids, team_order
from sampling.enums import DrawStatus
from sampling.models import Draw, DrawData, DrawEntry

from .enums import InspectionTaskStatus, MemberRole, SubstitutionKind, SubstitutionRequestStatus
from .models import InspectionTask, Substitution, SubstitutionRequest, TaskMember
from .transitions import task_cas


def _task_prefix(draw: Draw) -> str:
    return f"{draw.bureau.code.upper()}{draw.year}-{draw.task.plan.seq}-{draw.task.seq}-Q{draw.quarter}-{draw.seq}"


def _items_for(items: list[CheckItem], tier: str) -> list[CheckItem]:
    """The task's inspection items that apply to the enterprise's tier (all of them if none does)."""
    return [item for item in items if item.applies_to(tier)] or items


def _tiers_and_industries(draw: Draw, wanted: set[int]) -> dict[int, tuple[str, int | None]]:
    """{enterprise id: (tier, industry id)} of ``wanted``: through the draw's selected entries, which hold all
    of them but the replacements made at approval (a province's 13,000 ids make a slow ``IN`` list)."""
    found = {
        pk: (tier, industry)
        for pk, tier, industry in DrawEntry.objects.filter(draw=draw, selected=True)
        .order_by()
        .values_list("enterprise_id", "enterprise__tier", "enterprise__industry_id")
        if pk in wanted
    }
    missing = wanted - found.keys()
    if missing:
        found.update(
            (pk, (tier, industry))
            for pk, tier, industry in Enterprise.objects.filter(pk__in=missing).values_list("pk", "tier", "industry_id")
        )
    return found


TASK_FIELDS_ROW = (
    "bureau_id",
    "draw_id",
    "enterprise_id",
    "number",
    "stratum",
    "status",
    "planned_start",
    "planned_end",
    "joint_kind",
    "joint_units",
    "created_at",
    "cancelled_at",
    "cancel_reason",
)


MEMBER_FIELDS_ROW = ("task_id", "inspector_id", "expert_id", "role", "position", "active", "replaced_at")


def tasks_create_for_draw(draw: Draw, *, listing: tuple | None = None) -> int:
    """The inspection tasks of an approved draw, from its selected entries (no need to read the pool).

    ``listing``: the list as it stands, :func:`sampling.draws.current_list`'s answer, when the approval has it.
    """
    plan_task = draw.task
    items = list(plan_task.check_items.all())
    # The list as it stands after the changes recorded at the ceremony and approval (sampling.draws.current_list).
    if listing is None:
        listing = current_list(draw, DrawData.objects.values_list("result", flat=True).get(draw=draw))
    listed, teams, ids = listing
    # The enterprises' tiers choose their items, their industries the expert: read only if they matter (a
    # province's 13,354 rows of the registry take a few hundred milliseconds to fetch when not in memory).
    if plan_task.add_expert or len({tuple(_items_for(items, tier)) for tier in Tier.values}) > 1:
        found = _tiers_and_industries(draw, {ids[uscc] for _label, uscc in listed})
    else:
        found = defaultdict(lambda: (Tier.GENERAL.value, None))  # any tier: each gets the same items
    # (stratum, the USCC as recorded, enterprise id, tier, industry id), in the recorded order
    selected = [(label, uscc, ids[uscc], *found[ids[uscc]]) for label, uscc in listed]
    inspector_ids = dict(Inspector.objects.filter(bureau_id=draw.bureau_id).values_list("code", "pk"))
    prefix = _task_prefix(draw)
    now = timezone.now()
    assigned = InspectionTaskStatus.ASSIGNED.value
    joint_kind, joint_units = plan_task.joint_kind, plan_task.joint_units
    task_ids = bulk.insert_returning_ids(
        InspectionTask,
        TASK_FIELDS_ROW,
        [
            (
                draw.bureau_id,
                draw.pk,
                pk,
                f"{prefix}-{n:04d}",
                label,
                assigned,
                draw.inspect_from,
                draw.inspect_until,
                joint_kind,
                joint_units,
                now,
                None,
                "",
            )
            for n, (label, _uscc, pk, _tier, _industry) in enumerate(selected, start=1)
        ],
    )
    members, links = [], []
    lead, member, expert_role = MemberRole.LEAD.value, MemberRole.MEMBER.value, MemberRole.EXPERT.value
    items_by_tier: dict[str, list[int]] = {}
    experts: dict[int, list] = {}
    for task_id, (_label, uscc, _pk, tier, industry_id) in zip(task_ids, selected, strict=True):
        for position, code in enumerate(teams[uscc]):
            members.append(
                (task_id, inspector_ids[code], None, lead if position == 0 else member, position, True, None)
            )
        if plan_task.add_expert:
            expert = expert_for(draw, uscc, industry_id, experts)
            if expert is not None:
                members.append((task_id, None, expert.pk, expert_role, draw.team_size, True, None))
        if tier not in items_by_tier:
            items_by_tier[tier] = [item.pk for item in _items_for(items, tier)]
        links.extend((task_id, item_id) for item_id in items_by_tier[tier])
    bulk.insert(TaskMember, MEMBER_FIELDS_ROW, members)
    bulk.insert(InspectionTask.check_items.through, ("inspectiontask_id", "checkitem_id"), links)
    # Each inspector put on a team is told by e-mail (a job, after the approval commits).
    job_submit(kind="inspections.notify_team", params={"draw_id": draw.pk}, bureau=draw.bureau)
    return len(task_ids)


def _require_approval(actor, approval: SubstitutionRequest, task: InspectionTask, kind: str) -> None:
    """A substitution is made only for an open proposal of this kind on this task, by a team lead who did not
    propose it (the caller, :func:`inspections.substitutions.substitution_approve`, holds the proposal's lock)."""
    if not isinstance(approval, SubstitutionRequest) or not has_role(actor, task.bureau, Role.TEAM_LEAD):
        raise PermissionDenied
    if approval.task_id != task.pk or approval.kind != kind or approval.status != SubstitutionRequestStatus.PROPOSED:
        raise PermissionDenied
    if approval.proposed_by_id == actor.pk:
        raise DomainError(_("You proposed this substitution: another team lead must approve it."))


def _locked_task_and_draw(task: InspectionTask) -> tuple[InspectionTask, Draw]:
    task = InspectionTask.objects.select_related("draw__bureau", "draw__task__plan", "enterprise").get(pk=task.pk)
    draw = Draw.objects.select_for_update(of=("self",)).select_related("bureau", "task__plan").get(pk=task.draw_id)
    task.refresh_from_db(fields=["status"])
    if draw.status != DrawStatus.APPROVED:
        raise DomainError(_("Substitutions are made in approved draws only."))
    if task.status != InspectionTaskStatus.ASSIGNED:
        raise DomainError(
            _("Only a task not yet started can be changed (this one is %(status)s).")
            % {"status": task.get_status_display()}
        )
    return task, draw


def _workload(draw: Draw) -> dict[int, int]:
    """{inspector id: current tasks} within the draw (cancelled tasks and replaced members do not count)."""
    rows = (
        TaskMember.objects.filter(task__draw=draw, active=True, inspector__isnull=False)
        .exclude(task__status=InspectionTaskStatus.CANCELLED)
        .values_list("inspector_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def _next_inspectors(draw: Draw, data: DrawData, uscc: str, *, needed: int, skip: set[str]) -> tuple[list[str], list]:
    """The next ``needed`` inspectors for ``uscc`` in ticket order, skipping the excluded, the
    unavailable (now), those at the workload cap and ``skip``. Returns ``(codes, skipped)``."""
    pool = data.inspectors["pool"]
    excluded = {code for e, code in data.inspectors["exclusions"] if e == uscc}
    available = {i.code for i in available_inspectors(draw.bureau, draw.inspect_from, draw.inspect_until)}
    ids = dict(Inspector.objects.filter(bureau_id=draw.bureau_id, code__in=pool).values_list("code", "pk"))
    load = _workload(draw)
    chosen, skipped = [], []
    for code in team_order(draw, uscc, pool):
        if len(chosen) == needed:
            break
        if code in skip:
            continue
        why = (
            "excluded"
            if code in excluded
            else "unavailable"
            if code not in available
            else "workload"
            if load.get(ids[code], 0) >= draw.max_per_inspector
            else None
        )
        if why:
            skipped.append([code, why])
        else:
            chosen.append(code)
    return chosen, skipped


def _still_eligible(draw: Draw, enterprise: Enterprise) -> str | None:
    """Why a reserve enterprise may not replace another now, or None."""
    if enterprise.status not in EnterpriseStatus.drawable():
        return "not_operating"
    if draw.policy.get("exclude_positive_list") and enterprise.positive_list:
        return "positive_list"
    counted = InspectionTask.objects.filter(enterprise=enterprise, draw__year=draw.year).counted()
    if counted.filter(draw__task_id=draw.task_id, draw__quarter=draw.quarter).exists():
        return "drawn_this_quarter"
    cap = draw.policy.get("yearly_cap")
    if cap is not None and counted.count() >= cap:
        return "yearly_cap"
    return None


def _next_from_reserve(draw: Draw, data: DrawData, task: InspectionTask) -> tuple[Enterprise, str, list]:
    """The first enterprise of the reserve that may replace ``task``'s: its own stratum's reserve first,
    then the tier's other stratum's, in the recorded order. Returns ``(enterprise, stratum, skipped)``."""
    ids = pool_member_ids(json.loads(data.pool_json), data.member_ids)
    used = set(InspectionTask.objects.filter(draw=draw).values_list("enterprise_id", flat=True))
    tier = task.stratum.split("/")[1]
    strata = sorted(
        (s for s in data.result["strata"] if s["label"].split("/")[1] == tier),
        key=lambda s: s["label"] != task.stratum,  # its own stratum first, then the tier's other one
    )
    skipped = []
    for stratum in strata:
        for uscc in stratum["reserve"]:
            if ids[uscc] in used:
                continue
            candidate = Enterprise.objects.get(pk=ids[uscc])
            why = _still_eligible(draw, candidate)
            if why:
                skipped.append([uscc, why])
                continue
            return candidate, stratum["label"], skipped
    raise DomainError(
        _("The reserve of %(stratum)s is exhausted: no enterprise can replace this one.") % {"stratum": task.stratum}
    )


def _replacement_task(draw: Draw, task: InspectionTask, enterprise: Enterprise, stratum: str, team: list[str]):
    """The new task of a substituted enterprise: the old task's period and joint units, its tier's items, ``team``."""
    count = InspectionTask.objects.filter(draw=draw).count()
    new_task = InspectionTask.objects.create(
        bureau_id=draw.bureau_id,
        draw=draw,
        enterprise=enterprise,
        number=f"{_task_prefix(draw)}-{count + 1:04d}",
        stratum=stratum,
        planned_start=task.planned_start,
        planned_end=task.planned_end,
        joint_kind=task.joint_kind,
        joint_units=task.joint_units,
    )
    new_task.check_items.set(_items_for(list(draw.task.check_items.all()), enterprise.tier))
    inspector_ids = dict(Inspector.objects.filter(bureau_id=draw.bureau_id, code__in=team).values_list("code", "pk"))
    TaskMember.objects.bulk_create(
        TaskMember(
            task=new_task,
            inspector_id=inspector_ids[code],
            role=MemberRole.LEAD if position == 0 else MemberRole.MEMBER,
            position=position,
        )
        for position, code in enumerate(team)
    )
    if draw.task.add_expert:
        expert = expert_for(draw, enterprise.uscc, enterprise.industry_id, {})
        if expert is not None:
            TaskMember.objects.create(task=new_task, expert=expert, role=MemberRole.EXPERT, position=draw.team_size)
    return new_task


def _notify_new_members(actor, draw: Draw, members) -> None:
    """The inspectors a substitution put on a team are told by e-mail (a job, after commit)."""
    job_submit(
        kind="inspections.notify_team",
        params={"member_ids": sorted(member.pk for member in members)},
        bureau=draw.bureau,
        actor=actor,
    )


def draw_substitute_enterprise(
    *, actor, task: InspectionTask, reason: str, approval: SubstitutionRequest
) -> Substitution:
    """Replace a task's enterprise (closed, suspended…) by the next one of its stratum's reserve.

    The reserve is taken in the recorded order; enterprises already used or no longer eligible are
    skipped (and listed in the substitution's details). The old task is cancelled and a new one is
    created with a team in ticket order for the new enterprise.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the substitution."))
    with transaction.atomic():
        task, draw = _locked_task_and_draw(task)
        _require_approval(actor, approval, task, SubstitutionKind.ENTERPRISE)
        data = DrawData.objects.get(draw=draw)
        new_enterprise, new_label, skipped = _next_from_reserve(draw, data, task)
        team, skipped_inspectors = _next_inspectors(draw, data, new_enterprise.uscc, needed=draw.team_size, skip=set())
        if len(team) < draw.team_size:
            raise DomainError(
                _("Not enough eligible inspectors for %(name)s (%(uscc)s): found %(found)s of %(needed)s.")
                % {
                    "name": new_enterprise.name,
                    "uscc": new_enterprise.uscc,
                    "found": len(team),
                    "needed": draw.team_size,
                }
            )
        task_cas(
            task,
            InspectionTaskStatus.ASSIGNED,
            InspectionTaskStatus.CANCELLED,
            cancelled_at=timezone.now(),
            cancel_reason=reason[:255],
        )
        new_task = _replacement_task(draw, task, new_enterprise, new_label, team)
        _notify_new_members(actor, draw, new_task.members.filter(inspector__isnull=False))
        details = {"team": team, "skipped_enterprises": skipped, "skipped_inspectors": skipped_inspectors}
        transaction.on_commit(bump_public_version)  # the public draw page lists substitutions and tasks
        substitution = Substitution.objects.create(
            draw=draw,
            kind=SubstitutionKind.ENTERPRISE,
            task=task,
            new_task=new_task,
            old_enterprise=task.enterprise,
            new_enterprise=new_enterprise,
            reason=reason,
            details=details,
            actor=actor,
            actor_name=actor_display(actor),
        )
        audit_log(
            actor=actor,
            action="draw.enterprise_substituted",
            obj=draw,
            data={
                "task": task.number,
                "new_task": new_task.number,
                "before": task.enterprise.uscc,
                "after": new_enterprise.uscc,
                "reason": reason,
                **details,
            },
        )
        return substitution


def draw_substitute_inspector(
    *, actor, task: InspectionTask, inspector: Inspector, reason: str, approval: SubstitutionRequest
) -> Substitution:
    """Replace one inspector of a task's team by the next eligible one in ticket order for its enterprise."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the substitution."))
    with transaction.atomic():
        task, draw = _locked_task_and_draw(task)
        _require_approval(actor, approval, task, SubstitutionKind.INSPECTOR)
        member = task.members.filter(inspector=inspector, active=True).first()
        if member is None:
            raise DomainError(_("%(name)s is not on this team.") % {"name": inspector})
        data = DrawData.objects.get(draw=draw)
        current = set(task.members.filter(inspector__isnull=False).values_list("inspector__code", flat=True))
        chosen, skipped = _next_inspectors(draw, data, task.enterprise.uscc, needed=1, skip=current)
        if not chosen:
            raise DomainError(
                _("No other eligible inspector for %(name)s (%(uscc)s).")
                % {"name": task.enterprise.name, "uscc": task.enterprise.uscc}
            )
        replacement = Inspector.objects.get(bureau_id=draw.bureau_id, code=chosen[0])
        now = timezone.now()
        TaskMember.objects.filter(pk=member.pk).update(active=False, replaced_at=now)
        new_member = TaskMember.objects.create(
            task=task, inspector=replacement, role=member.role, position=member.position
        )
        _notify_new_members(actor, draw, [new_member])
        transaction.on_commit(bump_public_version)  # the public draw page lists substitutions
        substitution = Substitution.objects.create(
            draw=draw,
            kind=SubstitutionKind.INSPECTOR,
            task=task,
            old_inspector=inspector,
            new_inspector=replacement,
            reason=reason,
            details={"skipped_inspectors": skipped},
            actor=actor,
            actor_name=actor_display(actor),
        )
        audit_log(
            actor=actor,
            action="draw.inspector_substituted",
            obj=draw,
            data={
                "task": task.number,
                "before": inspector.code,
                "after": replacement.code,
                "reason": reason,
                "skipped_inspectors": skipped,
            },
        )
        return substitution
