"""Every state change of a draw, following the published algorithm (docs/draw-algorithm.md).

Services are keyword-only, run in one transaction, check the current state inside it, refuse with a
:class:`~core.errors.DomainError` a user can read, and write the audit entry in the same transaction.

1. :func:`draw_create` freezes the pool — strata, exclusions and quotas, the inspector pool and its
   excluded pairs — and publishes ``pool_hash``, ``inspectors_hash`` and the hash of a secret nonce.
2. :func:`draw_execute` takes the witness input typed at the ceremony, derives
   ``seed = SHA-256(pool_hash|nonce|witness_input)`` and computes selection and teams with
   :func:`sampling.algorithm.replay` on the very record that is published, so the record replays.
   The algorithm is the draw's own (``draw.algorithm``: ``ssj-draw-2`` for new draws; see
   docs/draw-algorithm.md).
3. :func:`draw_approve` (a team lead who did not run it) locks it and has the inspections app create
   its inspection tasks in the same transaction (:mod:`sampling.tasks`); :func:`draw_reject` keeps it
   on record with the reason.

After the lock the tasks belong to the inspections app: substitutions (the next candidate in the
recorded order) are :mod:`inspections.assignment`'s, which reads the record through
:func:`pool_member_ids`, :func:`team_order` and :func:`expert_for`.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import secrets
from collections import Counter
from datetime import date
from operator import itemgetter

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import bulk
from core.access import has_role
from core.audit import actor_display, audit_log, audit_refusal, recorded_digests, state_key
from core.enums import Role
from core.errors import DomainError, StepRefused
from core.jobs import job_submit
from core.models import Bureau
from core.public_cache import bump_public_version
from enterprises.enums import EnterpriseStatus, Tier
from enterprises.models import Enterprise, RiskRule
from inspectors.queries import availability, conflict_reasons, experts_for_industry

from . import algorithm, tasks
from .eligibility import policy_snapshot, population_for
from .enums import DrawChangeReason, DrawStatus, DrawStep, PlanStatus
from .models import Draw, DrawChange, DrawData, DrawEntry, PlanTask, QuotaPolicy
from .plans import DRAW_RUNNERS, _require, quarter_dates
from .staffing import freeze_inspectors

RESERVE_ROWS_MIN = 10
# The audit action of a ceremony or approval refused because an inspector may no longer inspect an enterprise
# and no eligible replacement is left (written on its own after the step rolled back; see core.audit).
STEP_REFUSED = "sampling.step_refused"


EXPERT_LABEL = "expert"
_USCC, _ID = itemgetter(0), itemgetter(2)  # of a stratum's (uscc, weight, enterprise id) members


def _cycle_collection_paused(service):
    """Run ``service`` with Python's cyclic garbage collector paused (reference counting still frees everything).

    A province draw holds hundreds of thousands of small objects (its pool's members, their JSON) and makes as
    many more: the collector's full passes over them cost a draw 250 to 350 ms and find nothing to collect
    (none of them form cycles). The collector is enabled again afterwards if it was before.
    """

    @functools.wraps(service)
    def paused(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return service(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_inspection_window(task: PlanTask, quarter: int) -> tuple[date, date] | None:
    """The quarter's days within the task's inspection period, or None if they do not meet."""
    start, end = quarter_dates(task.plan.year, quarter)
    start, end = max(start, task.inspect_from), min(end, task.inspect_until)
    return (start, end) if start <= end else None


def _inspection_window(task: PlanTask, quarter: int, today: date, inspect_from, inspect_until) -> tuple[date, date]:
    """Check that ``task`` may be drawn today for ``quarter``; the inspection period (the quarter's by default)."""
    if task.plan.status != PlanStatus.ACTIVE:
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
    return inspect_from, inspect_until


def _freeze_inspectors(*, bureau, policy: QuotaPolicy, start: date, end: date, uscc_of: dict, drawn: int):
    """The inspector pool and its excluded pairs for the enterprises ``uscc_of``; refuse a pool too small."""
    inspectors, staffing = freeze_inspectors(
        bureau=bureau,
        start=start,
        end=end,
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
                "start": start.isoformat(),
                "end": end.isoformat(),
                "size": policy.team_size,
            }
        )
    return inspectors, staffing


@_cycle_collection_paused
def draw_create(
    *,
    actor,
    task: PlanTask,
    quarter: int,
    inspect_from: date | None = None,
    inspect_until: date | None = None,
    today: date | None = None,
    exceed_reason: str = "",
) -> Draw:
    """Freeze the pool of ``task`` for ``quarter``: strata, exclusions, quotas, inspectors and hashes.

    The nonce is secret until the ceremony; only its hash is shown. Nothing is drawn yet.

    The yearly cap counts, besides the inspections of the year, the selections of the bureau's drawn
    draws awaiting approval; a further draw of the task in the quarter draws only what remains of the
    quarter's target (:func:`sampling.quota.build_population`), or nothing, with the reason. A team lead
    may draw the full target again by writing ``exceed_reason``, which is audited and shown on the draw
    and on the dashboard.
    """
    task = PlanTask.objects.select_related("plan__bureau").get(pk=task.pk)
    plan, bureau = task.plan, task.plan.bureau
    _require(actor, bureau, *DRAW_RUNNERS)
    exceed_reason = (exceed_reason or "").strip()
    if exceed_reason and not has_role(actor, bureau, Role.TEAM_LEAD):
        raise DomainError(_("Only a team lead may draw beyond the quarter's quota."))
    today = today or timezone.localdate()
    inspect_from, inspect_until = _inspection_window(task, quarter, today, inspect_from, inspect_until)
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
            # read once: the weights are computed by the rule the draw records
            risk_rule = RiskRule.of(bureau) if policy.use_risk_weights else None
            population = population_for(
                task=task,
                quarter=quarter,
                policy=policy,
                as_of=today,
                exceed=bool(exceed_reason),
                risk_rule=risk_rule,
            )
            if population.total_quota == 0:
                raise _nothing_to_draw(population, quarter)
            exceeded = population.total_quota > population.total_within
            strata = population.drawn_strata()
            uscc_of = {}
            for stratum in strata:
                uscc_of.update(zip(map(_ID, stratum.members), map(_USCC, stratum.members), strict=True))
            inspectors, staffing = _freeze_inspectors(
                bureau=bureau,
                policy=policy,
                start=inspect_from,
                end=inspect_until,
                uscc_of=uscc_of,
                drawn=population.total_quota,
            )
            draw, frozen = _draw_save(
                actor=actor,
                task=task,
                quarter=quarter,
                window=(inspect_from, inspect_until),
                policy=policy,
                risk_rule=risk_rule,
                population=population,
                strata=strata,
                member_count=len(uscc_of),
                inspectors=inspectors,
                staffing=staffing,
                exceed_reason=exceed_reason if exceeded else "",
            )
            data = {
                "after": DrawStatus.CREATED,
                "pool_hash": draw.pool_hash,
                "inspectors_hash": draw.inspectors_hash,
                "nonce_hash": draw.nonce_hash,
                "members": draw.member_count,
                "excluded": draw.excluded_count,
                "quotas": {q["label"]: q["quota"] for q in draw.quotas},
            }
            if exceeded:
                data["quota_exceeded"] = {
                    "reason": exceed_reason,
                    "within": population.total_within,
                    "drawn": population.total_quota,
                    "targets": {tier: list(pair) for tier, pair in population.tier_targets().items()},
                }
            audit_log(actor=actor, action="draw.created", obj=draw, data=data, state=[draw, frozen])
            return draw
    except IntegrityError as exc:  # a concurrent creation for the same task and quarter won
        raise DomainError(_("A draw of this task for quarter %(q)s is already open.") % {"q": quarter}) from exc


def _nothing_to_draw(population, quarter: int) -> DomainError:
    """The refusal of a draw with no quota: naming, per tier, the target and what earlier draws took of it."""
    taken = [
        _("%(tier)s: %(already)s of %(target)s already drawn")
        % {"tier": Tier(tier).label, "already": already, "target": target}
        for tier, (target, already) in population.tier_targets().items()
        if already
    ]
    if not taken:
        return DomainError(_("Nothing to draw: every quota of this task is zero for quarter %(q)s.") % {"q": quarter})
    return DomainError(
        _(
            "Nothing left to draw: quarter %(q)s's quota of this task is already drawn (%(taken)s). "
            "A team lead may draw beyond it only by giving the reason."
        )
        % {"q": quarter, "taken": "; ".join(taken)}
    )


def _draw_save(
    *,
    actor,
    task: PlanTask,
    quarter: int,
    window,
    policy,
    risk_rule=None,
    population,
    strata,
    member_count: int,
    inspectors,
    staffing,
    exceed_reason,
) -> tuple[Draw, DrawData]:
    """The draw row with its published hashes and secret nonce, and its frozen pool (:class:`DrawData`)."""
    pool_json = population.record_json()  # = algorithm.canonical_json(population.record_strata())
    nonce = secrets.token_hex(32)
    seq = (Draw.objects.filter(task=task, quarter=quarter).aggregate(m=Max("seq"))["m"] or 0) + 1
    draw = Draw.objects.create(
        bureau=task.plan.bureau,
        task=task,
        year=task.plan.year,
        quarter=quarter,
        seq=seq,
        inspect_from=window[0],
        inspect_until=window[1],
        policy=policy_snapshot(policy, risk_rule),
        conditions=task.tag_conditions,
        quotas=population.quotas(),
        pool_hash=_sha256(pool_json),
        member_count=member_count,
        excluded_count=len(population.exclusions),
        inspectors_hash=algorithm.inspectors_hash(inspectors),
        team_size=inspectors["team_size"],
        max_per_inspector=inspectors["max_per_inspector"],
        nonce=nonce,
        nonce_hash=algorithm.nonce_hash(nonce),
        created_by=actor,
        created_by_name=actor_display(actor),
        quota_exceed_reason=exceed_reason,
    )
    # By id: the draw returned does not keep the megabytes of its frozen pool (draw.data reads them if asked).
    bulk.insert_large(
        DrawData,
        {
            "draw_id": draw.pk,
            "pool_json": pool_json,
            "member_ids": {s.label: list(map(_ID, s.members)) for s in strata},
            "exclusions": population.exclusions,
            "inspectors": inspectors,
            "staffing": staffing,
            "result": None,
        },
    )
    return draw, DrawData(draw_id=draw.pk)  # what the audit entry reads back


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
            state=[draw],
        )
        return draw


def draw_record(draw: Draw, data: DrawData, seed: str) -> dict:
    """The record of the draw for ``seed`` in the draw's own algorithm (what :func:`algorithm.replay` reads)."""
    return algorithm.make_record(
        algorithm=draw.algorithm, seed=seed, strata=json.loads(data.pool_json), inspectors=data.inspectors
    )


def _ceremony_inputs(witness_input: str, witnesses: str) -> tuple[str, str]:
    """The witness input and the witnesses' names (one a line) as recorded, or a refusal naming what is missing."""
    witness_input = (witness_input or "").strip()
    witnesses = "\n".join(line.strip() for line in (witnesses or "").splitlines() if line.strip())
    if not witness_input:
        raise DomainError(_("Type the witness input announced at the ceremony."))
    if len(witness_input) > 200:
        raise DomainError(_("The witness input is limited to 200 characters."))
    if not witnesses:
        raise DomainError(_("Record the names of the witnesses."))
    return witness_input, witnesses


@_cycle_collection_paused
def draw_execute(*, actor, draw: Draw, witness_input: str, witnesses: str) -> Draw:
    """Hold the ceremony: derive the seed from the witness input, draw enterprises and teams.

    If an enterprise cannot be staffed, nothing is saved (the attempt is written to the audit trail)
    and the error names the enterprise.
    """
    _require(actor, draw.bureau, *DRAW_RUNNERS)
    witness_input, witnesses = _ceremony_inputs(witness_input, witnesses)
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
            result, entry_ids = _replay_frozen(draw, data, seed)
            _drawn_save(
                actor=actor,
                draw=draw,
                data=data,
                seed=seed,
                entry_ids=entry_ids,
                result=result,
                witness_input=witness_input,
                witnesses=witnesses,
            )
            # No change is recorded before the ceremony: the list is the result, with the entries just written.
            changes, _listed = _recheck(draw, data, DrawStep.CEREMONY, listing=_listing(result, entry_ids, []))
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
                    "changes": change_audit(changes),
                },
                state=[draw, data],
                # The frozen pool (megabytes, guarded by a trigger) is not read back: its digests as created.
                carried={state_key(data): _frozen_digests(draw, data)},
            )
            # The other team leads are told by e-mail that the list waits for one of them (after commit).
            job_submit(
                kind="sampling.notify_draw_approval", params={"draw_id": draw.pk}, bureau=draw.bureau, actor=actor
            )
            return draw
    except algorithm.UnstaffableError as exc:
        _execute_failed(actor=actor, draw=draw, exc=exc, witness_input=witness_input, witnesses=witnesses)
    except StepRefused as exc:
        audit_refusal(actor=actor, action=STEP_REFUSED, refusal=exc)  # the ceremony rolled back: on its own
        raise


def _frozen_digests(draw: Draw, data: DrawData) -> dict:
    """The digests of the draw's frozen data as its creation's audit entry recorded them (see core.audit)."""
    created = recorded_digests(data, action="draw.created", about=draw)
    return {name: created[name] for name in DrawData.FROZEN_FIELDS if name in created}


def _replay_frozen(draw: Draw, data: DrawData, seed: str) -> tuple[dict, dict[str, int]]:
    """The result of the draw's record for ``seed`` (:func:`algorithm.replay` on the very record that is
    published) and ``{uscc: enterprise id}`` of the enterprises that get entries. The record and the ids
    of the whole pool (a province's run to hundreds of thousands of objects) are let go before anything
    is saved."""
    record = draw_record(draw, data, seed)
    result = algorithm.replay(record)
    ids = pool_member_ids(record["strata"], data.member_ids)
    return result, {uscc: ids[uscc] for uscc in _entry_usccs(result)}


def _drawn_save(
    *,
    actor,
    draw: Draw,
    data: DrawData,
    seed: str,
    entry_ids: dict[str, int],
    result: dict,
    witness_input: str,
    witnesses: str,
) -> None:
    """Store the ceremony's outcome: the draw drawn with its seed, the result, the entries in recorded order
    (``entry_ids``: the enterprise id of each USCC that gets an entry)."""
    draw.status = DrawStatus.DRAWN
    draw.witness_input = witness_input
    draw.witnesses = witnesses
    draw.seed = seed
    draw.executed_by = actor
    draw.executed_by_name = actor_display(actor)
    draw.executed_at = timezone.now()
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
    bulk.update_large(DrawData, data.pk, {"result": result})
    bulk.insert(DrawEntry, ENTRY_FIELDS_ROW, _entries(draw, entry_ids, result))


def _execute_failed(*, actor, draw: Draw, exc, witness_input: str, witnesses: str):
    """Write the failed ceremony to the audit trail (nothing else was saved) and refuse, naming the enterprise."""
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


def pool_member_ids(strata: list[dict], member_ids: dict[str, list[int]]) -> dict[str, int]:
    """{USCC: enterprise id} of every member of the frozen pool (``strata`` as in the record)."""
    found: dict[str, int] = {}
    for stratum in strata:
        found.update(zip(map(_MEMBER_ID, stratum["members"]), member_ids[stratum["label"]], strict=True))
    return found


_MEMBER_ID = itemgetter("id")
ENTRY_FIELDS_ROW = ("draw_id", "stratum", "enterprise_id", "position", "selected")


def _entry_lists(result: dict):
    """Per stratum of the result: its label, the number selected, and the USCCs that have entries in order
    (the selected, then the head of the reserve: as many as were selected, at least ten)."""
    for stratum in result["strata"]:
        selected = stratum["selected"]
        yield stratum["label"], len(selected), [*selected, *stratum["reserve"][: max(len(selected), RESERVE_ROWS_MIN)]]


def _entry_usccs(result: dict):
    for _label, _count, usccs in _entry_lists(result):
        yield from usccs


def _entries(draw: Draw, ids: dict[str, int], result: dict) -> list[tuple]:
    """Rows of :data:`ENTRY_FIELDS_ROW`: the selected of each stratum and the head of its reserve."""
    rows = []
    for label, count, usccs in _entry_lists(result):
        rows.extend(
            (draw.pk, label, ids[uscc], position, position <= count) for position, uscc in enumerate(usccs, start=1)
        )
    return rows


def _check_second_lead(actor, draw: Draw) -> None:
    _require(actor, draw.bureau, Role.TEAM_LEAD)
    if actor.pk in draw.runners():
        raise DomainError(_("You ran this draw: another team lead must approve or reject it."))


@_cycle_collection_paused
def draw_approve(*, actor, draw: Draw) -> Draw:
    """Approve and lock a drawn list, and create its inspection tasks. Exactly one approval wins.

    Approvals of a bureau take turns on the bureau's row: each re-checks, after the previous one
    committed, the yearly cap and the quarter's quota, and the availability of every team member; the
    changes this makes to the list are recorded (:class:`DrawChange`, see :func:`_recheck`).
    """
    draw = Draw.objects.select_related("bureau", "task__plan").get(pk=draw.pk)
    _check_second_lead(actor, draw)
    try:
        return _approve(actor, draw)
    except StepRefused as exc:
        audit_refusal(actor=actor, action=STEP_REFUSED, refusal=exc)  # the approval rolled back: on its own
        raise


def _approve(actor, draw: Draw) -> Draw:
    with transaction.atomic():
        # Approvals of a bureau take turns: the next one counts the tasks the previous one created.
        list(Bureau.objects.select_for_update().filter(pk=draw.bureau_id).values_list("pk", flat=True))
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
        _quota_recheck(draw)
        # The result is all a re-check reads unless it replaces someone (then the inspectors, on first use).
        data = DrawData.objects.only("draw", "result").get(draw=draw)
        changes, listing = _recheck(draw, data, DrawStep.APPROVAL)
        created = tasks.ledger().create_for_draw(draw, listing=listing)
        audit_log(
            actor=actor,
            action="draw.approved",
            obj=draw,
            data={
                "before": DrawStatus.DRAWN,
                "after": DrawStatus.APPROVED,
                "tasks": created,
                "changes": change_audit(changes),
            },
            state=[draw],
        )
        transaction.on_commit(bump_public_version)  # the public list of draws and its year choices
        return draw


def expert_for(draw: Draw, uscc: str, industry_id: int | None, cache: dict[int, list]):
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
            state=[current],
        )
        return current


def team_order(draw: Draw, uscc: str, pool: list[str]):
    """The enterprise's published candidate order under the draw's algorithm (lazy: take what is needed)."""
    return algorithm.candidate_order(draw.algorithm, draw.seed, uscc, pool)


def draw_record_view(*, actor, draw: Draw, what: str) -> None:
    """Write that ``actor`` saw the confidential list of ``draw`` (as a page, PDF or JSON)."""
    with transaction.atomic():
        audit_log(actor=actor, action="draw.list_viewed", obj=draw, data={"what": what, "status": draw.status})


# --------------------------------------------------------------------------- re-checks before the tasks exist
#
# The pool is frozen and hashed at creation, so the ceremony replays it exactly; what changed in the
# registries since (a conflict declared, a leave, a certificate, an enterprise that reached the yearly cap
# through another approval) is applied afterwards as recorded changes (:class:`DrawChange`), each by the
# published rule and with the reason, so the public can replay who replaced whom from the seed:
#
# * a team member who may no longer inspect the enterprise is replaced by the next eligible inspector in
#   the enterprise's published candidate order (not excluded in the record, available now, under the
#   workload cap) — at the ceremony and again at approval;
# * at approval, under the bureau's lock, an enterprise whose inspections this year already reach the
#   cap is not given a task: the next enterprise of its stratum's recorded reserve that is operating and
#   under the cap replaces it, with a team in its candidate order.
#
# When no replacement is eligible the step is refused with the reason and nothing is saved.


class _Availability:
    """Who may inspect which enterprise now, over the draw's inspection period: the rule of
    :mod:`inspectors.queries` (``availability`` and the declared conflicts), read once (2 + 1 queries)."""

    def __init__(self, draw: Draw):
        found = availability(draw.bureau, draw.inspect_from, draw.inspect_until)
        self.ids = {code: pk for pk, code, _name in found.available}
        self.ids.update({code: pk for pk, code, _name, _reason in found.unavailable})
        self.names = {code: name for _pk, code, name in found.available}
        self.names.update({code: name for _pk, code, name, _reason in found.unavailable})
        self.why = {code: reason for _pk, code, _name, reason in found.unavailable}
        self.conflicts = conflict_reasons(draw.bureau)

    def reason(self, code: str, enterprise_id: int) -> str | None:
        """Why ``code`` may not inspect the enterprise now, or None."""
        if code not in self.ids:
            return _("No longer in the inspector registry")
        found = [self.why[code]] if code in self.why else []
        if (enterprise_id, self.ids[code]) in self.conflicts:
            found.append(self.conflicts[enterprise_id, self.ids[code]])
        return "; ".join(found) or None


def current_list(draw: Draw, result: dict) -> tuple[list[tuple[str, str]], dict[str, list[str]], dict[str, int]]:
    """The drawn list as it stands: ``[(stratum, uscc)]`` in the recorded order, ``{uscc: team codes}`` and
    ``{uscc: enterprise id}`` (of the entries and replacements): the ceremony's result with the recorded
    :class:`DrawChange` rows applied in order (2 queries)."""
    recorded = {stratum["label"]: stratum["selected"] + stratum["reserve"] for stratum in result["strata"]}
    ids = {
        recorded[label][position - 1]: pk
        for label, position, pk in DrawEntry.objects.filter(draw=draw).values_list(
            "stratum", "position", "enterprise_id"
        )
    }
    return _listing(result, ids, DrawChange.objects.filter(draw=draw).order_by("id"))


def _listing(result: dict, ids: dict[str, int], changes) -> tuple[list, dict, dict]:
    """:func:`current_list` from the result, the entries' ``{uscc: enterprise id}`` and the recorded changes."""
    listed = [(stratum["label"], uscc) for stratum in result["strata"] for uscc in stratum["selected"]]
    teams = {uscc: list(codes) for uscc, codes in result["teams"].items()}
    for change in changes:
        if change.kind == DrawChange.ENTERPRISE:
            listed = [(change.stratum, change.new) if uscc == change.old else (s, uscc) for s, uscc in listed]
            teams.pop(change.old, None)
            teams[change.new] = list(change.details["team"])
            ids[change.new] = change.details["enterprise_id"]
        else:
            teams[change.uscc] = [change.new if code == change.old else code for code in teams[change.uscc]]
    return listed, teams, ids


def _next_inspectors(draw, data, uscc, enterprise_id, *, needed, skip, teams, checker) -> tuple[list[str], list]:
    """The next ``needed`` codes in the enterprise's published candidate order that are not in ``skip``,
    not excluded by the record, available now and under the workload cap; and those passed over, with why."""
    excluded = {code for e, code in data.inspectors["exclusions"] if e == uscc}
    load = Counter(code for team in teams.values() for code in team)
    chosen, skipped = [], []
    for code in team_order(draw, uscc, data.inspectors["pool"]):
        if len(chosen) == needed:
            break
        if code in skip:
            continue
        if code in excluded:
            skipped.append([code, "excluded"])
        elif checker.reason(code, enterprise_id):
            skipped.append([code, "unavailable"])
        elif load[code] >= draw.max_per_inspector:
            skipped.append([code, "workload"])
        else:
            chosen.append(code)
    return chosen, skipped


def _replace_unavailable(draw, data, listed, teams, ids, checker, step) -> list[DrawChange]:
    """Replace every team member who may no longer inspect his enterprise (see the section's comment)."""
    changes = []
    for label, uscc in listed:
        for code in list(teams[uscc]):
            why = checker.reason(code, ids[uscc])
            if not why:
                continue
            chosen, skipped = _next_inspectors(
                draw, data, uscc, ids[uscc], needed=1, skip=set(teams[uscc]), teams=teams, checker=checker
            )
            if not chosen:
                name = Enterprise.objects.get(pk=ids[uscc]).name
                raise StepRefused(
                    _(
                        "%(code)s %(inspector)s may no longer inspect %(name)s (%(uscc)s): %(reason)s. "
                        "No other inspector of the draw's pool is eligible for it (a team needs %(size)s): "
                        "nothing was saved."
                    )
                    % {
                        "code": code,
                        "inspector": checker.names.get(code, ""),
                        "name": name,
                        "uscc": uscc,
                        "reason": why,
                        "size": draw.team_size,
                    },
                    obj=draw,
                    step=step,
                    day=timezone.localdate(),
                    enterprise=(uscc, name),
                    inspectors=[(code, checker.names.get(code, ""), why)],
                    draw_id=draw.pk,
                )
            teams[uscc] = [chosen[0] if c == code else c for c in teams[uscc]]
            changes.append(
                DrawChange(
                    draw=draw,
                    step=step,
                    kind=DrawChange.INSPECTOR,
                    stratum=label,
                    uscc=uscc,
                    old=code,
                    new=chosen[0],
                    reason=DrawChangeReason.UNAVAILABLE,
                    details={"because": why, "skipped_inspectors": skipped},
                )
            )
    return changes


def _inspections_this_year(draw: Draw, enterprise_ids) -> dict[int, int]:
    """{enterprise id: inspection tasks this year not cancelled} for ``enterprise_ids`` (1 query)."""
    rows = (
        tasks.task_model()
        .objects.filter(enterprise_id__in=list(enterprise_ids), draw__year=draw.year)
        .counted()
        .order_by()
        .values_list("enterprise_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def _next_in_reserve(draw, result, label, used, ids, cap) -> tuple[Enterprise | None, list]:
    """The first enterprise of the stratum's recorded reserve not on the list, operating and under the cap."""
    reserve = next(stratum["reserve"] for stratum in result["strata"] if stratum["label"] == label)
    skipped = []
    for uscc in reserve:
        if uscc in used:
            continue
        if uscc in ids:  # the head of the reserve has entries
            enterprise = Enterprise.objects.get(pk=ids[uscc])
        else:
            enterprise = Enterprise.objects.get(bureau_id=draw.bureau_id, uscc=uscc)
        if enterprise.status not in EnterpriseStatus.drawable():
            skipped.append([uscc, "not_operating"])
        elif _inspections_this_year(draw, [enterprise.pk]).get(enterprise.pk, 0) >= cap:
            skipped.append([uscc, "yearly_cap"])
        else:
            return enterprise, skipped
    return None, skipped


def _replace_capped(draw, data, listed, teams, ids, checker) -> list[DrawChange]:
    """Replace every listed enterprise whose inspections this year reach the cap (see the section's comment)."""
    cap = draw.policy.get("yearly_cap")
    if cap is None:
        return []
    counts = _inspections_this_year(draw, [ids[uscc] for _s, uscc in listed])
    used = {uscc for _s, uscc in listed}
    changes = []
    for index, (label, uscc) in enumerate(listed):
        count = counts.get(ids[uscc], 0)
        if count < cap:
            continue
        replacement, skipped = _next_in_reserve(draw, data.result, label, used, ids, cap)
        if replacement is None:
            name = Enterprise.objects.get(pk=ids[uscc]).name
            raise DomainError(
                _(
                    "%(name)s (%(uscc)s) already has %(count)s inspections this year (cap %(cap)s) and the reserve "
                    "of %(stratum)s has no eligible enterprise left to replace it: nothing was approved."
                )
                % {"name": name, "uscc": uscc, "count": count, "cap": cap, "stratum": label}
            )
        used.add(replacement.uscc)
        team_before = teams.pop(uscc)
        team, skipped_inspectors = _next_inspectors(
            draw,
            data,
            replacement.uscc,
            replacement.pk,
            needed=draw.team_size,
            skip=set(),
            teams=teams,
            checker=checker,
        )
        if len(team) < draw.team_size:
            raise DomainError(
                _(
                    "Not enough eligible inspectors for %(name)s (%(uscc)s), which replaces an enterprise at the "
                    "yearly cap: found %(found)s of %(needed)s. Nothing was approved."
                )
                % {"name": replacement.name, "uscc": replacement.uscc, "found": len(team), "needed": draw.team_size}
            )
        teams[replacement.uscc] = team
        ids[replacement.uscc] = replacement.pk
        listed[index] = (label, replacement.uscc)
        changes.append(
            DrawChange(
                draw=draw,
                step=DrawStep.APPROVAL,
                kind=DrawChange.ENTERPRISE,
                stratum=label,
                uscc=replacement.uscc,
                old=uscc,
                new=replacement.uscc,
                reason=DrawChangeReason.YEARLY_CAP,
                details={
                    "enterprise_id": replacement.pk,
                    "count": count,
                    "cap": cap,
                    "team": team,
                    "team_before": team_before,
                    "skipped_enterprises": skipped,
                    "skipped_inspectors": skipped_inspectors,
                },
            )
        )
    return changes


def _recheck(draw: Draw, data: DrawData, step: str, listing=None) -> tuple[list[DrawChange], tuple]:
    """Re-check the drawn list at ``step`` and record the changes (inside the step's transaction).

    ``listing`` is :func:`current_list`'s answer when the caller has it. Returns the changes and the list as
    it stands after them (what :func:`current_list` reads once they are saved)."""
    listed, teams, ids = listing if listing is not None else current_list(draw, data.result)
    checker = _Availability(draw)
    changes = _replace_capped(draw, data, listed, teams, ids, checker) if step == DrawStep.APPROVAL else []
    changes += _replace_unavailable(draw, data, listed, teams, ids, checker, step)
    DrawChange.objects.bulk_create(changes)
    return changes, (listed, teams, ids)


def change_audit(changes: list[DrawChange]) -> list[dict]:
    return [
        {
            "kind": c.kind,
            "stratum": c.stratum,
            "uscc": c.uscc,
            "before": c.old,
            "after": c.new,
            "reason": c.reason,
            **c.details,
        }
        for c in changes
    ]


def _quota_recheck(draw: Draw) -> None:
    """Refuse an approval that would take the task's quarter beyond its target (unless a lead's reason was given):
    only if other draws of the task were approved for the quarter after this one was prepared."""
    if draw.quota_exceed_reason:
        return
    targets = {q["tier"]: (q["target"], q["already"]) for q in draw.quotas if "target" in q}
    if not targets:
        return  # prepared before the targets were recorded
    strata = (
        tasks.task_model()
        .objects.filter(draw__task_id=draw.task_id, draw__quarter=draw.quarter)
        .exclude(draw=draw)
        .counted()
        .values_list("stratum", flat=True)
    )
    now = Counter(label.split("/")[1] for label in strata)
    for tier, (target, before) in targets.items():
        drawn = sum(q["quota"] for q in draw.quotas if q["tier"] == tier and q.get("in_record"))
        if now[tier] > before and now[tier] + drawn > target:
            raise DomainError(
                _(
                    "Approving would exceed quarter %(q)s's quota of this task for %(tier)s: target %(target)s, "
                    "%(now)s drawn by other draws since this one was prepared (%(before)s then), %(drawn)s in this "
                    "one. Reject it and prepare a new draw."
                )
                % {
                    "q": draw.quarter,
                    "tier": tier,
                    "target": target,
                    "now": now[tier],
                    "before": before,
                    "drawn": drawn,
                }
            )
