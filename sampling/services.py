"""Every state change of plans, quota policies, draws and the inspection tasks they create.

Services are keyword-only, run in one transaction, check the current state inside it, refuse with a
:class:`~core.errors.DomainError` a user can read, and write the audit entry in the same transaction.

The draw follows docs/draw-algorithm.md (``draw.algorithm``: ``ssj-draw-2`` for new draws):

1. :func:`draw_create` freezes the pool — strata, exclusions and quotas, the inspector pool and its
   excluded pairs — and publishes ``pool_hash``, ``inspectors_hash`` and the hash of a secret nonce.
2. :func:`draw_execute` takes the witness input typed at the ceremony, derives
   ``seed = SHA-256(pool_hash|nonce|witness_input)`` and computes selection and teams with
   :func:`sampling.algorithm.replay` on the very record that is published, so the record replays.
3. :func:`draw_approve` (a team lead who did not run it) locks it and creates the inspection tasks;
   :func:`draw_reject` keeps it on record with the reason.
4. After the lock, :func:`draw_substitute_enterprise` and :func:`draw_substitute_inspector` take the
   next candidate in the recorded order, with a reason.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import secrets
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import has_role
from core.audit import actor_display, audit_log
from core.enums import Role
from core.errors import DomainError
from core.models import Bureau
from core.public_cache import bump_public_version
from enterprises.enums import EnterpriseStatus
from enterprises.models import CheckItem, Enterprise
from inspectors.models import Inspector
from inspectors.queries import available_inspectors, experts_for_industry

from . import algorithm, bulk
from .conditions import validate_conditions
from .eligibility import policy_snapshot, population_for
from .enums import (
    DrawStatus,
    InspectionTaskStatus,
    JointKind,
    MemberRole,
    PlanStatus,
    QuotaPreset,
    SubstitutionKind,
)
from .models import (
    Draw,
    DrawData,
    DrawEntry,
    InspectionTask,
    Plan,
    PlanTask,
    QuotaPolicy,
    Substitution,
    TaskMember,
)
from .presets import PRESET_FIELDS, PRESETS
from .staffing import freeze_inspectors

DRAW_RUNNERS = (Role.TEAM_LEAD, Role.ADMIN)
RESERVE_ROWS_MIN = 10
CENT = Decimal("0.01")
EXPERT_LABEL = "expert"


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


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- quota policies


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


def quota_policy_update(*, actor, policy: QuotaPolicy, **fields) -> QuotaPolicy:
    """Change some of a policy's values; the preset becomes "custom" when a preset value changes."""
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
        policy.save(update_fields=[*fields, "preset", "updated_at"])
        audit_log(actor=actor, action="sampling.policy_updated", obj=policy, data={"before": before, "after": after})
        return policy


def _policy_data(policy: QuotaPolicy) -> dict:
    data = {name: getattr(policy, name) for name in POLICY_EDITABLE}
    for name in ("key_ratio", "special_ratio", "general_ratio"):
        data[name] = str(Decimal(data[name]).quantize(CENT))
    data["preset"] = policy.preset
    return data


# --------------------------------------------------------------------------- plans and tasks


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


def plan_task_update(*, actor, task: PlanTask, check_items=None, **fields) -> PlanTask:
    """Change a task. Draws already made keep what they froze; later draws use the new values."""
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


# --------------------------------------------------------------------------- draws: create


def default_inspection_window(task: PlanTask, quarter: int) -> tuple[date, date] | None:
    """The quarter's days within the task's inspection period, or None if they do not meet."""
    start, end = quarter_dates(task.plan.year, quarter)
    start, end = max(start, task.inspect_from), min(end, task.inspect_until)
    return (start, end) if start <= end else None


def draw_create(
    *,
    actor,
    task: PlanTask,
    quarter: int,
    inspect_from: date | None = None,
    inspect_until: date | None = None,
    today: date | None = None,
) -> Draw:
    """Freeze the pool of ``task`` for ``quarter``: strata, exclusions, quotas, inspectors and hashes.

    The nonce is secret until the ceremony; only its hash is shown. Nothing is drawn yet.
    """
    task = PlanTask.objects.select_related("plan__bureau").get(pk=task.pk)
    plan, bureau = task.plan, task.plan.bureau
    _require(actor, bureau, *DRAW_RUNNERS)
    today = today or timezone.localdate()
    if plan.status != PlanStatus.ACTIVE:
        raise DomainError(_("Put the plan in force before drawing."))
    if not 1 <= int(quarter) <= 4:
        raise DomainError(_("The quarter must be 1 to 4."))
    if not task.draw_from <= today <= task.draw_until:
        raise DomainError(
            _("This task's draws take place from %(start)s to %(end)s.")
            % {"start": task.draw_from.isoformat(), "end": task.draw_until.isoformat()}
        )
    if inspect_from is None or inspect_until is None:
        window = default_inspection_window(task, quarter)
        if window is None:
            raise DomainError(_("The task's inspection period does not meet quarter %(q)s.") % {"q": quarter})
        inspect_from, inspect_until = window
    if inspect_until < inspect_from:
        raise DomainError(_("The inspection period ends before it starts."))
    if inspect_from < task.inspect_from or inspect_until > task.inspect_until:
        raise DomainError(
            _("The inspections must take place within the task's period, %(start)s to %(end)s.")
            % {"start": task.inspect_from.isoformat(), "end": task.inspect_until.isoformat()}
        )
    policy = QuotaPolicy.objects.filter(bureau=bureau, year=plan.year).first()
    if policy is None:
        raise DomainError(_("There is no quota policy for %(year)s yet: apply a preset first.") % {"year": plan.year})

    try:
        with transaction.atomic():
            PlanTask.objects.select_for_update().get(pk=task.pk)  # one draw of a task is prepared at a time
            if Draw.objects.filter(task=task, quarter=quarter).open().exists():
                raise DomainError(
                    _("A draw of this task for quarter %(q)s is already open: run, approve, reject or cancel it first.")
                    % {"q": quarter}
                )
            population = population_for(task=task, quarter=quarter, policy=policy, as_of=today)
            drawn = population.total_quota
            if drawn == 0:
                raise DomainError(
                    _("Nothing to draw: every quota of this task is zero for quarter %(q)s.") % {"q": quarter}
                )
            strata = population.drawn_strata()
            pool_json = population.record_json()  # = algorithm.canonical_json(population.record_strata())
            uscc_of = {pk: uscc for s in strata for uscc, _w, pk in s.members}
            inspectors, staffing = freeze_inspectors(
                bureau=bureau,
                start=inspect_from,
                end=inspect_until,
                enterprises=uscc_of,
                team_size=policy.team_size,
                max_per_inspector=policy.max_per_inspector,
                drawn=drawn,
            )
            if len(inspectors["pool"]) < policy.team_size:
                raise DomainError(
                    _(
                        "Only %(n)s inspectors are available from %(start)s to %(end)s, "
                        "and a team needs %(size)s. Nothing was saved."
                    )
                    % {
                        "n": len(inspectors["pool"]),
                        "start": inspect_from.isoformat(),
                        "end": inspect_until.isoformat(),
                        "size": policy.team_size,
                    }
                )
            nonce = secrets.token_hex(32)
            seq = (Draw.objects.filter(task=task, quarter=quarter).aggregate(m=Max("seq"))["m"] or 0) + 1
            draw = Draw.objects.create(
                bureau=bureau,
                task=task,
                year=plan.year,
                quarter=quarter,
                seq=seq,
                inspect_from=inspect_from,
                inspect_until=inspect_until,
                policy=policy_snapshot(policy),
                conditions=task.tag_conditions,
                quotas=population.quotas(),
                pool_hash=_sha256(pool_json),
                member_count=len(uscc_of),
                excluded_count=len(population.exclusions),
                inspectors_hash=_sha256(algorithm.canonical_json(inspectors)),
                team_size=inspectors["team_size"],
                max_per_inspector=inspectors["max_per_inspector"],
                nonce=nonce,
                nonce_hash=algorithm.nonce_hash(nonce),
                created_by=actor,
                created_by_name=actor_display(actor),
            )
            DrawData.objects.create(
                draw=draw,
                pool_json=pool_json,
                member_ids={s.label: [pk for _u, _w, pk in s.members] for s in strata},
                exclusions=population.exclusions,
                inspectors=inspectors,
                staffing=staffing,
            )
            audit_log(
                actor=actor,
                action="draw.created",
                obj=draw,
                data={
                    "after": DrawStatus.CREATED,
                    "pool_hash": draw.pool_hash,
                    "inspectors_hash": draw.inspectors_hash,
                    "nonce_hash": draw.nonce_hash,
                    "members": draw.member_count,
                    "excluded": draw.excluded_count,
                    "quotas": {q["label"]: q["quota"] for q in draw.quotas},
                },
            )
            return draw
    except IntegrityError as exc:  # a concurrent creation for the same task and quarter won
        raise DomainError(_("A draw of this task for quarter %(q)s is already open.") % {"q": quarter}) from exc


def draw_cancel(*, actor, draw: Draw, reason: str) -> Draw:
    """Cancel a draw whose ceremony has not taken place (e.g. the registry was corrected)."""
    _require(actor, draw.bureau, *DRAW_RUNNERS)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for cancelling."))
    with transaction.atomic():
        updated = Draw.objects.filter(pk=draw.pk, status=DrawStatus.CREATED).update(
            status=DrawStatus.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason
        )
        draw = Draw.objects.get(pk=draw.pk)
        if not updated:
            if draw.status == DrawStatus.CANCELLED:
                return draw
            raise DomainError(_("Only a draw awaiting its ceremony can be cancelled."))
        audit_log(
            actor=actor,
            action="draw.cancelled",
            obj=draw,
            data={"before": DrawStatus.CREATED, "after": DrawStatus.CANCELLED, "reason": reason},
        )
        return draw


# --------------------------------------------------------------------------- draws: the ceremony


def draw_record(draw: Draw, data: DrawData, seed: str) -> dict:
    """The record of the draw for ``seed`` in the draw's own algorithm (what :func:`algorithm.replay` reads)."""
    return {
        "algorithm": draw.algorithm,
        "seed": seed,
        "strata": json.loads(data.pool_json),
        "inspectors": data.inspectors,
    }


def draw_execute(*, actor, draw: Draw, witness_input: str, witnesses: str) -> Draw:
    """Hold the ceremony: derive the seed from the witness input, draw enterprises and teams.

    If an enterprise cannot be staffed, nothing is saved (the attempt is written to the audit trail)
    and the error names the enterprise.
    """
    _require(actor, draw.bureau, *DRAW_RUNNERS)
    witness_input = (witness_input or "").strip()
    witnesses = "\n".join(line.strip() for line in (witnesses or "").splitlines() if line.strip())
    if not witness_input:
        raise DomainError(_("Type the witness input announced at the ceremony."))
    if len(witness_input) > 200:
        raise DomainError(_("The witness input is limited to 200 characters."))
    if not witnesses:
        raise DomainError(_("Record the names of the witnesses."))
    try:
        with transaction.atomic():
            # Locks the draw only; its number (in the audit entry) needs the task, plan and bureau.
            draw = (
                Draw.objects.select_for_update(of=("self",))
                .select_related("bureau", "task__plan__bureau")
                .get(pk=draw.pk)
            )
            if draw.status == DrawStatus.DRAWN and draw.witness_input == witness_input:
                return draw  # the same ceremony submitted twice
            if draw.status != DrawStatus.CREATED:
                raise DomainError(
                    _("This draw has already been run or closed (%(status)s).") % {"status": draw.get_status_display()}
                )
            data = DrawData.objects.defer("exclusions", "staffing").get(draw=draw)
            seed = algorithm.derive_seed(draw.pool_hash, draw.nonce, witness_input)
            record = draw_record(draw, data, seed)
            result = algorithm.replay(record)
            now = timezone.now()
            draw.status = DrawStatus.DRAWN
            draw.witness_input = witness_input
            draw.witnesses = witnesses
            draw.seed = seed
            draw.executed_by = actor
            draw.executed_by_name = actor_display(actor)
            draw.executed_at = now
            draw.selected_count = len(result["teams"])
            draw.save(
                update_fields=[
                    "status",
                    "witness_input",
                    "witnesses",
                    "seed",
                    "executed_by",
                    "executed_by_name",
                    "executed_at",
                    "selected_count",
                ]
            )
            data.result = result
            data.save(update_fields=["result"])
            ids = _member_ids(record["strata"], data.member_ids)
            bulk.insert(DrawEntry, ENTRY_FIELDS_ROW, _entries(draw, ids, result))
            audit_log(
                actor=actor,
                action="draw.executed",
                obj=draw,
                data={
                    "before": DrawStatus.CREATED,
                    "after": DrawStatus.DRAWN,
                    "seed": seed,
                    "witness_input": witness_input,
                    "witnesses": witnesses,
                    "selected": draw.selected_count,
                    "result_hash": _sha256(algorithm.canonical_json(result)),
                },
            )
            return draw
    except algorithm.UnstaffableError as exc:
        enterprise = Enterprise.objects.filter(bureau_id=draw.bureau_id, uscc=exc.enterprise_id).first()
        name = enterprise.name if enterprise else exc.enterprise_id
        with transaction.atomic():
            audit_log(
                actor=actor,
                action="draw.execute_failed",
                obj=draw,
                data={
                    "witness_input": witness_input,
                    "witnesses": witnesses,
                    "enterprise": exc.enterprise_id,
                    "found": exc.found,
                    "needed": exc.needed,
                },
            )
        raise DomainError(
            _(
                "Not enough eligible inspectors for %(name)s (%(uscc)s): found %(found)s of %(needed)s. "
                "Nothing was saved. Add inspectors or lower the workload cap, then cancel this draw and prepare "
                "a new one."
            )
            % {"name": name, "uscc": exc.enterprise_id, "found": exc.found, "needed": exc.needed}
        ) from exc


def _member_ids(strata: list[dict], member_ids: dict[str, list[int]]) -> dict[str, int]:
    """{USCC: enterprise id} of every member of the frozen pool (``strata`` as in the record)."""
    found: dict[str, int] = {}
    for stratum in strata:
        found.update(zip((m["id"] for m in stratum["members"]), member_ids[stratum["label"]], strict=True))
    return found


ENTRY_FIELDS_ROW = ("draw_id", "stratum", "enterprise_id", "position", "selected")


def _entries(draw: Draw, ids: dict[str, int], result: dict) -> list[tuple]:
    """Rows of :data:`ENTRY_FIELDS_ROW`: the selected of each stratum and the head of its reserve."""
    rows = []
    for stratum in result["strata"]:
        label, selected = stratum["label"], stratum["selected"]
        reserve = stratum["reserve"][: max(len(selected), RESERVE_ROWS_MIN)]
        count = len(selected)
        rows.extend(
            (draw.pk, label, ids[uscc], position, position <= count)
            for position, uscc in enumerate([*selected, *reserve], start=1)
        )
    return rows


# --------------------------------------------------------------------------- draws: approval


def _check_second_lead(actor, draw: Draw) -> None:
    _require(actor, draw.bureau, Role.TEAM_LEAD)
    if actor.pk in draw.runners():
        raise DomainError(_("You ran this draw: another team lead must approve or reject it."))


def draw_approve(*, actor, draw: Draw) -> Draw:
    """Approve and lock a drawn list, and create its inspection tasks. Exactly one approval wins."""
    draw = Draw.objects.select_related("bureau", "task__plan").get(pk=draw.pk)
    _check_second_lead(actor, draw)
    with transaction.atomic():
        updated = Draw.objects.filter(pk=draw.pk, status=DrawStatus.DRAWN).update(
            status=DrawStatus.APPROVED,
            approved_by=actor,
            approved_by_name=actor_display(actor),
            approved_at=timezone.now(),
        )
        if not updated:
            current = Draw.objects.get(pk=draw.pk)
            if current.status == DrawStatus.APPROVED and current.approved_by_id == actor.pk:
                return current
            if current.status == DrawStatus.APPROVED:
                raise DomainError(
                    _("This draw has already been approved by %(name)s.") % {"name": current.approved_by_name}
                )
            raise DomainError(_("Only a drawn list awaiting approval can be approved."))
        draw = Draw.objects.select_related("bureau", "task__plan").get(pk=draw.pk)
        created = _create_tasks(draw)
        audit_log(
            actor=actor,
            action="draw.approved",
            obj=draw,
            data={"before": DrawStatus.DRAWN, "after": DrawStatus.APPROVED, "tasks": created},
        )
        transaction.on_commit(bump_public_version)  # the public list of draws and its year choices
        return draw


def _task_prefix(draw: Draw) -> str:
    return f"{draw.bureau.code.upper()}{draw.year}-{draw.task.plan.seq}-{draw.task.seq}-Q{draw.quarter}-{draw.seq}"


def _items_for(items: list[CheckItem], tier: str) -> list[CheckItem]:
    """The task's inspection items that apply to the enterprise's tier (all of them if none does)."""
    return [item for item in items if item.applies_to(tier)] or items


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


def _create_tasks(draw: Draw) -> int:
    """The inspection tasks of an approved draw, from its selected entries (no need to read the pool)."""
    result = DrawData.objects.values_list("result", flat=True).get(draw=draw)
    plan_task = draw.task
    items = list(plan_task.check_items.all())
    order = {stratum["label"]: i for i, stratum in enumerate(result["strata"])}
    selected_in = {stratum["label"]: stratum["selected"] for stratum in result["strata"]}
    rows = sorted(
        DrawEntry.objects.filter(draw=draw, selected=True).values_list(
            "stratum", "position", "enterprise_id", "enterprise__tier", "enterprise__industry_id"
        ),
        key=lambda row: (order[row[0]], row[1]),
    )
    # (stratum, the USCC as recorded, enterprise id, tier, industry id), in the recorded order
    selected = [(label, selected_in[label][pos - 1], pk, tier, industry) for label, pos, pk, tier, industry in rows]
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
    teams = result["teams"]
    for task_id, (_label, uscc, _pk, tier, industry_id) in zip(task_ids, selected, strict=True):
        for position, code in enumerate(teams[uscc]):
            members.append(
                (task_id, inspector_ids[code], None, lead if position == 0 else member, position, True, None)
            )
        if plan_task.add_expert:
            expert = _expert_for(draw, uscc, industry_id, experts)
            if expert is not None:
                members.append((task_id, None, expert.pk, expert_role, draw.team_size, True, None))
        if tier not in items_by_tier:
            items_by_tier[tier] = [item.pk for item in _items_for(items, tier)]
        links.extend((task_id, item_id) for item_id in items_by_tier[tier])
    bulk.insert(TaskMember, MEMBER_FIELDS_ROW, members)
    bulk.insert(InspectionTask.check_items.through, ("inspectiontask_id", "checkitem_id"), links)
    return len(task_ids)


def _expert_for(draw: Draw, uscc: str, industry_id: int | None, cache: dict[int, list]):
    """The expert of the enterprise's industry first in ``ticket(seed, "expert", uscc, expert id)`` order.

    Not part of ``ssj-draw-1`` (experts assist, they are not drawn inspectors), but reproducible from
    the seed. ``cache`` keeps the experts per industry across one approval.
    """
    if industry_id is None:
        return None
    if industry_id not in cache:
        cache[industry_id] = experts_for_industry(draw.bureau, industry_id)
    if not cache[industry_id]:
        return None
    return min(cache[industry_id], key=lambda e: (algorithm.ticket(draw.seed, EXPERT_LABEL, uscc, e.pk), e.pk))


def draw_reject(*, actor, draw: Draw, reason: str) -> Draw:
    """Reject a drawn list; it stays on record with the reason. A new draw needs a new seed."""
    draw = Draw.objects.select_related("bureau").get(pk=draw.pk)
    _check_second_lead(actor, draw)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for rejecting the draw."))
    with transaction.atomic():
        updated = Draw.objects.filter(pk=draw.pk, status=DrawStatus.DRAWN).update(
            status=DrawStatus.REJECTED,
            rejected_by=actor,
            rejected_by_name=actor_display(actor),
            rejected_at=timezone.now(),
            rejection_reason=reason,
        )
        current = Draw.objects.get(pk=draw.pk)
        if not updated:
            if current.status == DrawStatus.REJECTED and current.rejected_by_id == actor.pk:
                return current
            raise DomainError(_("Only a drawn list awaiting approval can be rejected."))
        audit_log(
            actor=actor,
            action="draw.rejected",
            obj=current,
            data={"before": DrawStatus.DRAWN, "after": DrawStatus.REJECTED, "reason": reason},
        )
        return current


# --------------------------------------------------------------------------- substitutions


def _locked_task(task: InspectionTask) -> tuple[InspectionTask, Draw]:
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


def _team_order(draw: Draw, uscc: str, pool: list[str]):
    """The enterprise's published candidate order under the draw's algorithm (lazy: take what is needed)."""
    return algorithm.candidate_order(draw.algorithm, draw.seed, uscc, pool)


def _next_inspectors(draw: Draw, data: DrawData, uscc: str, *, needed: int, skip: set[str]) -> tuple[list[str], list]:
    """The next ``needed`` inspectors for ``uscc`` in ticket order, skipping the excluded, the
    unavailable (now), those at the workload cap and ``skip``. Returns ``(codes, skipped)``."""
    pool = data.inspectors["pool"]
    excluded = {code for e, code in data.inspectors["exclusions"] if e == uscc}
    available = {i.code for i in available_inspectors(draw.bureau, draw.inspect_from, draw.inspect_until)}
    ids = dict(Inspector.objects.filter(bureau_id=draw.bureau_id, code__in=pool).values_list("code", "pk"))
    load = _workload(draw)
    chosen, skipped = [], []
    for code in _team_order(draw, uscc, pool):
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


def draw_substitute_enterprise(*, actor, task: InspectionTask, reason: str) -> Substitution:
    """Replace a task's enterprise (closed, suspended…) by the next one of its stratum's reserve.

    The reserve is taken in the recorded order; enterprises already used or no longer eligible are
    skipped (and listed in the substitution's details). The old task is cancelled and a new one is
    created with a team in ticket order for the new enterprise.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the substitution."))
    with transaction.atomic():
        task, draw = _locked_task(task)
        _require(actor, draw.bureau, *DRAW_RUNNERS)
        data = DrawData.objects.get(draw=draw)
        ids = _member_ids(json.loads(data.pool_json), data.member_ids)
        used = set(InspectionTask.objects.filter(draw=draw).values_list("enterprise_id", flat=True))
        tier = task.stratum.split("/")[1]
        strata = sorted(
            (s for s in data.result["strata"] if s["label"].split("/")[1] == tier),
            key=lambda s: s["label"] != task.stratum,  # its own stratum first, then the tier's other one
        )
        skipped, new_enterprise, new_label = [], None, None
        for stratum in strata:
            for uscc in stratum["reserve"]:
                if ids[uscc] in used:
                    continue
                candidate = Enterprise.objects.get(pk=ids[uscc])
                why = _still_eligible(draw, candidate)
                if why:
                    skipped.append([uscc, why])
                    continue
                new_enterprise, new_label = candidate, stratum["label"]
                break
            if new_enterprise:
                break
        if new_enterprise is None:
            raise DomainError(
                _("The reserve of %(stratum)s is exhausted: no enterprise can replace this one.")
                % {"stratum": task.stratum}
            )
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
        now = timezone.now()
        InspectionTask.objects.filter(pk=task.pk, status=InspectionTaskStatus.ASSIGNED).update(
            status=InspectionTaskStatus.CANCELLED, cancelled_at=now, cancel_reason=reason[:255]
        )
        count = InspectionTask.objects.filter(draw=draw).count()
        new_task = InspectionTask.objects.create(
            bureau_id=draw.bureau_id,
            draw=draw,
            enterprise=new_enterprise,
            number=f"{_task_prefix(draw)}-{count + 1:04d}",
            stratum=new_label,
            planned_start=task.planned_start,
            planned_end=task.planned_end,
            joint_kind=task.joint_kind,
            joint_units=task.joint_units,
        )
        new_task.check_items.set(_items_for(list(draw.task.check_items.all()), new_enterprise.tier))
        inspector_ids = dict(
            Inspector.objects.filter(bureau_id=draw.bureau_id, code__in=team).values_list("code", "pk")
        )
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
            expert = _expert_for(draw, new_enterprise.uscc, new_enterprise.industry_id, {})
            if expert is not None:
                TaskMember.objects.create(task=new_task, expert=expert, role=MemberRole.EXPERT, position=draw.team_size)
        details = {"team": team, "skipped_enterprises": skipped, "skipped_inspectors": skipped_inspectors}
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


def draw_substitute_inspector(*, actor, task: InspectionTask, inspector: Inspector, reason: str) -> Substitution:
    """Replace one inspector of a task's team by the next eligible one in ticket order for its enterprise."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the substitution."))
    with transaction.atomic():
        task, draw = _locked_task(task)
        _require(actor, draw.bureau, *DRAW_RUNNERS)
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
        TaskMember.objects.create(task=task, inspector=replacement, role=member.role, position=member.position)
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


# --------------------------------------------------------------------------- views of confidential lists


def draw_record_view(*, actor, draw: Draw, what: str) -> None:
    """Write that ``actor`` saw the confidential list of ``draw`` (as a page, PDF or JSON)."""
    with transaction.atomic():
        audit_log(actor=actor, action="draw.list_viewed", obj=draw, data={"what": what, "status": draw.status})
