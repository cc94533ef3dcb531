"""Every state change of quota policies, plans and plan tasks (the year's plan of draws).

Services are keyword-only, run in one transaction, check the current state inside it, refuse with a
:class:`~core.errors.DomainError` a user can read, and write the audit entry in the same transaction.
Draws are in :mod:`sampling.draws`.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import versions
from core.access import has_role
from core.audit import audit_log
from core.enums import Role
from core.errors import DomainError
from core.models import Bureau
from core.public_cache import bump_public_version

from .conditions import validate_conditions
from .enums import JointKind, PlanStatus, QuotaPreset
from .models import Plan, PlanTask, QuotaPolicy
from .presets import PRESET_FIELDS, PRESETS

DRAW_RUNNERS = (Role.TEAM_LEAD, Role.ADMIN)


CENT = Decimal("0.01")


def _require(actor, bureau, *roles) -> None:
    if not has_role(actor, bureau, *roles):
        raise PermissionDenied


def _full_clean(obj, exclude=()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise DomainError(" ".join(f"{' '.join(v)}" for v in exc.message_dict.values())) from exc


def quarter_dates(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * quarter - 2
    last_month = first_month + 2
    return date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])


def quota_policy_apply_preset(*, actor, bureau: Bureau, year: int, preset: str) -> QuotaPolicy:
    """Create or reset the bureau's policy for ``year`` with a seed bureau's preset."""
    _require(actor, bureau, *DRAW_RUNNERS)
    if preset not in PRESETS:
        raise DomainError(_("Unknown preset."))
    with transaction.atomic():
        policy = QuotaPolicy.objects.select_for_update().filter(bureau=bureau, year=year).first()
        before = _policy_data(policy) if policy else None
        if policy is None:
            policy = QuotaPolicy(bureau=bureau, year=year)
        for name, value in PRESETS[preset].items():
            setattr(policy, name, value)
        policy.preset = preset
        _full_clean(policy, exclude=["bureau"])
        policy.save()
        after = _policy_data(policy)
        if before != after:
            audit_log(
                actor=actor,
                action="sampling.policy_preset_applied",
                obj=policy,
                data={"before": before, "after": after},
            )
        return policy


POLICY_EDITABLE = (
    *PRESET_FIELDS,
    "team_size",
    "max_per_inspector",
    "quarters",
    "notes",
)


def quota_policy_version(policy: QuotaPolicy) -> str:
    """The version of the policy as stored now, for its edit form (core/versions.py)."""
    return versions.version(policy, _policy_data(QuotaPolicy.objects.get(pk=policy.pk)))


def quota_policy_update(*, actor, policy: QuotaPolicy, version: str | None = None, **fields) -> QuotaPolicy:
    """Change some of a policy's values; the preset becomes "custom" when a preset value changes.

    ``version``: that of the edit form; a change since then refuses with ``core.versions.EditConflict``.
    """
    _require(actor, policy.bureau, *DRAW_RUNNERS)
    unknown = set(fields) - set(POLICY_EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        policy = QuotaPolicy.objects.select_for_update().get(pk=policy.pk)
        before = _policy_data(policy)
        for name, value in fields.items():
            setattr(policy, name, value)
        if policy.preset != QuotaPreset.CUSTOM and any(
            getattr(policy, name) != value for name, value in PRESETS[policy.preset].items()
        ):
            policy.preset = QuotaPreset.CUSTOM
        _full_clean(policy, exclude=["bureau"])
        after = _policy_data(policy)
        if before == after:
            return policy
        versions.check(policy, before, version)
        policy.save(update_fields=[*fields, "preset", "updated_at"])
        audit_log(actor=actor, action="sampling.policy_updated", obj=policy, data={"before": before, "after": after})
        return policy


def _policy_data(policy: QuotaPolicy) -> dict:
    data = {name: getattr(policy, name) for name in POLICY_EDITABLE}
    for name in ("key_ratio", "special_ratio", "general_ratio"):
        data[name] = str(Decimal(data[name]).quantize(CENT))
    data["preset"] = policy.preset
    return data


def plan_create(*, actor, bureau: Bureau, year: int, name: str, description: str = "") -> Plan:
    """A new plan numbered ``{short name}抽查〔{year}〕{n}号`` with the next free n of the bureau's year."""
    _require(actor, bureau, *DRAW_RUNNERS)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A plan needs a name."))
    if not 2000 <= int(year) <= 2100:
        raise DomainError(_("The year must be between 2000 and 2100."))
    with transaction.atomic():
        Bureau.objects.select_for_update().get(pk=bureau.pk)  # serialises numbering within the bureau
        seq = (Plan.objects.filter(bureau=bureau, year=year).aggregate(m=Max("seq"))["m"] or 0) + 1
        plan = Plan.objects.create(
            bureau=bureau, year=year, seq=seq, name=name, description=description.strip(), created_by=actor
        )
        audit_log(actor=actor, action="sampling.plan_created", obj=plan, data={"number": plan.number, "name": name})
        return plan


def plan_set_status(*, actor, plan: Plan, status: str) -> Plan:
    """Put a draft plan in force, or close a plan in force."""
    _require(actor, plan.bureau, *DRAW_RUNNERS)
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.status == status:
            return plan
        if status not in PlanStatus.transitions()[plan.status]:
            raise DomainError(
                _("A plan that is %(current)s cannot become %(target)s.")
                % {"current": plan.get_status_display(), "target": PlanStatus(status).label}
            )
        if status == PlanStatus.ACTIVE and not plan.tasks.exists():
            raise DomainError(_("Add at least one task before putting the plan in force."))
        before = plan.status
        plan.status = status
        plan.save(update_fields=["status"])
        audit_log(actor=actor, action="sampling.plan_status_set", obj=plan, data={"before": before, "after": status})
        transaction.on_commit(bump_public_version)  # the public site's plan and bureau choices
        return plan


TASK_FIELDS = (
    "name",
    "include_special",
    "include_key",
    "include_general",
    "tag_conditions",
    "ratio_override",
    "draw_from",
    "draw_until",
    "inspect_from",
    "inspect_until",
    "joint_kind",
    "joint_units",
    "add_expert",
)


def _task_rules(task: PlanTask, check_items) -> None:
    task.name = (task.name or "").strip()
    if not task.name:
        raise DomainError(_("A task needs a name."))
    if not task.tiers:
        raise DomainError(_("Choose at least one tier."))
    try:
        task.tag_conditions = validate_conditions(task.tag_conditions)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    if task.draw_until < task.draw_from:
        raise DomainError(_("The draw period ends before it starts."))
    if task.inspect_until < task.inspect_from:
        raise DomainError(_("The inspection period ends before it starts."))
    year = task.plan.year
    if not (task.inspect_from.year == year == task.inspect_until.year):
        raise DomainError(_("The inspection period must lie in the plan's year %(year)s.") % {"year": year})
    if task.joint_kind == JointKind.NONE:
        task.joint_units = ""
    elif not task.joint_units.strip():
        raise DomainError(_("Name the joint units of a joint inspection."))
    if not check_items:
        raise DomainError(_("Choose at least one inspection item."))
    if any(item.bureau_id != task.plan.bureau_id for item in check_items):
        raise DomainError(_("An inspection item belongs to another bureau."))
    _full_clean(task, exclude=["plan", "check_items", "seq"])


def _task_data(task: PlanTask, check_items) -> dict:
    data = {name: getattr(task, name) for name in TASK_FIELDS}
    data["ratio_override"] = None if task.ratio_override is None else str(task.ratio_override)
    for name in ("draw_from", "draw_until", "inspect_from", "inspect_until"):
        data[name] = data[name].isoformat()
    data["check_items"] = sorted(item.code for item in check_items)
    return data


def plan_task_create(*, actor, plan: Plan, check_items, **fields) -> PlanTask:
    """Add a task to a plan (the fields of :data:`TASK_FIELDS`; ``check_items`` a list of CheckItem)."""
    _require(actor, plan.bureau, *DRAW_RUNNERS)
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"unknown task fields: {sorted(unknown)}")
    check_items = list(check_items)
    with transaction.atomic():
        plan = Plan.objects.select_for_update().select_related("bureau").get(pk=plan.pk)
        if plan.status == PlanStatus.CLOSED:
            raise DomainError(_("This plan is closed."))
        task = PlanTask(plan=plan, **fields)
        _task_rules(task, check_items)
        task.seq = (plan.tasks.aggregate(m=Max("seq"))["m"] or 0) + 1
        task.save()
        task.check_items.set(check_items)
        audit_log(
            actor=actor,
            action="sampling.task_created",
            obj=task,
            bureau=plan.bureau,
            data={"after": _task_data(task, check_items)},
        )
        return task


def plan_task_version(task: PlanTask) -> str:
    """The version of the plan task as stored now, for its edit form (core/versions.py)."""
    task = PlanTask.objects.get(pk=task.pk)
    return versions.version(task, _task_data(task, task.check_items.all()))


def plan_task_update(*, actor, task: PlanTask, check_items=None, version: str | None = None, **fields) -> PlanTask:
    """Change a task. Draws already made keep what they froze; later draws use the new values.

    ``version``: that of the edit form; a change since then refuses with ``core.versions.EditConflict``.
    """
    _require(actor, task.plan.bureau, *DRAW_RUNNERS)
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"unknown task fields: {sorted(unknown)}")
    with transaction.atomic():
        task = PlanTask.objects.select_for_update().select_related("plan__bureau").get(pk=task.pk)
        if task.plan.status == PlanStatus.CLOSED:
            raise DomainError(_("This plan is closed."))
        old_items = list(task.check_items.all())
        before = _task_data(task, old_items)
        items = old_items if check_items is None else list(check_items)
        for name, value in fields.items():
            setattr(task, name, value)
        _task_rules(task, items)
        after = _task_data(task, items)
        if before == after:
            return task
        versions.check(task, before, version)
        task.save(update_fields=list(TASK_FIELDS))
        if check_items is not None:
            task.check_items.set(items)
        audit_log(
            actor=actor,
            action="sampling.task_updated",
            obj=task,
            bureau=task.plan.bureau,
            data={"before": before, "after": after},
        )
        return task


FILING_FIELDS = ("filed_on",)


def plan_record_filing(*, actor, plan: Plan, filed_on: date | None, version: str | None = None) -> Plan:
    """Record the day the annual plan was filed with the higher authority (seed 003: 每年12月底前 … 报上级环保部门备案).

    A team lead or an administrator; the same day again is a no-op; a correction is audited with the old day.
    ``version``: that of the filing form (core/versions.py); a day recorded since then refuses with ``EditConflict``.
    """
    _require(actor, plan.bureau, *DRAW_RUNNERS)
    if filed_on is None:
        raise InvalidPlanFields({"filed_on": _("Give the day the plan was filed.")})
    if filed_on > timezone.localdate():
        raise InvalidPlanFields({"filed_on": _("The filing date cannot be in the future.")})
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        versions.check(plan, versions.model_values(plan, FILING_FIELDS), version)
        if plan.filed_on == filed_on:
            return plan
        before = plan.filed_on
        plan.filed_on = filed_on
        plan.save(update_fields=["filed_on"])
        audit_log(
            actor=actor,
            action="sampling.plan_filed",
            obj=plan,
            data={"before": {"filed_on": before}, "after": {"filed_on": filed_on}, "number": plan.number},
        )
        return plan


class InvalidPlanFields(DomainError):
    """Refused values by field name, so a form shows them next to its fields."""

    def __init__(self, errors: dict[str | None, str]):
        self.errors = errors
        super().__init__(" ".join(errors.values()))
