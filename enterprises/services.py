"""State changes of the enterprise registry and the checklist, the tier rule, and risk weights.

Every change runs in one transaction with its audit entry (``core.audit``); a refused change raises
``core.errors.DomainError`` with a message the user can read; repeating a change is a no-op.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import bulk, versions
from core.access import has_role
from core.audit import actor_display, audit_log, audit_log_many
from core.enums import Role
from core.errors import DomainError
from core.excel import Sheet, SpreadsheetError, read_sheet
from core.imports import (
    ImportStart,
    sheet_unpack,
    upload_finish,
    upload_finished,
    upload_read,
    upload_result,
    upload_submit,
)
from core.models import AuditEntry, Bureau

from . import spreadsheet
from .enums import EnterpriseStatus, RecordKind, Tier
from .models import (
    RISK_RULE_FIELDS,
    RISK_RULE_LIMITS,
    CheckItem,
    Enterprise,
    EnterpriseImport,
    EnterpriseRecord,
    EnterpriseStatusChange,
    InspectionRecord,
    RiskRule,
)
from .uscc import normalise_uscc, uscc_error

# ---------------------------------------------------------------------------------------------------
# The tier rule

TIER_VALUES = frozenset(Tier.values)


def classify_tier(*, special_criteria: bool, general_criteria: bool, key_criteria: bool, city_controlled_key: bool):
    """The tier an enterprise's criteria put it in (DESIGN §3 rule 1; seeds 002, 003, 004).

    - City-controlled-and-above key emitters are key (002, 003): ``city_controlled_key`` is a key criterion.
    - Where the key criteria conflict with the special or the general criteria, the special and the general
      criteria win (004): special criteria → special; otherwise general criteria → general.
    - Special wins over general (the closer supervision; the seeds do not rank the two).
    - Nothing met → general, the tier of every other pollution source.
    """
    if special_criteria:
        return Tier.SPECIAL
    if general_criteria:
        return Tier.GENERAL
    if key_criteria or city_controlled_key:
        return Tier.KEY
    return Tier.GENERAL


def tier_conflict(
    *,
    tier: str,
    special_criteria: bool,
    general_criteria: bool,
    key_criteria: bool,
    city_controlled_key: bool,
    positive_list: bool,
) -> str | None:
    """Why ``tier`` breaks the tier rule for these criteria, or None if it agrees.

    The chosen tier counts as meeting its own criteria (staff who file an enterprise as key need not also
    tick "meets the key criteria"); positive-list membership counts as a general criterion (004: the
    positive list is part of the general tier).
    """
    expected = classify_tier(
        special_criteria=special_criteria or tier == Tier.SPECIAL,
        general_criteria=general_criteria or positive_list,
        key_criteria=key_criteria or tier == Tier.KEY,
        city_controlled_key=city_controlled_key,
    )
    if expected == tier:
        return None
    if expected == Tier.SPECIAL:
        return _("It meets the special-tier criteria, which win over the others: its tier must be special.")
    if expected == Tier.GENERAL:
        return _(
            "It meets the general-tier criteria (the positive list counts as one), which win over the key "
            "criteria: its tier must be general."
        )
    if city_controlled_key and not key_criteria:
        return _(
            "A city-controlled or higher key emitter is in the key tier unless it meets the special or the "
            "general criteria."
        )
    return _("It meets the key-tier criteria and neither the special nor the general ones: its tier must be key.")


def resolve_tier(*, tier: str | None, **criteria) -> str:
    """The tier to store: ``tier`` if it agrees with the rule (DomainError otherwise), or the rule's tier."""
    if not tier:
        return classify_tier(
            special_criteria=criteria["special_criteria"],
            general_criteria=criteria["general_criteria"] or criteria["positive_list"],
            key_criteria=criteria["key_criteria"],
            city_controlled_key=criteria["city_controlled_key"],
        )
    if tier not in TIER_VALUES:
        raise DomainError(_("Unknown tier."))
    message = tier_conflict(tier=tier, **criteria)
    if message:
        raise DomainError(message)
    return tier


# ---------------------------------------------------------------------------------------------------
# Enterprises

EDITABLE_FIELDS = (
    "name",
    "uscc",
    "address",
    "phone",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "contact_email",
    "environmental_officer",
    "division",
    "authority",
    "river_basin",
    "longitude",
    "latitude",
    "industry",
    "pollutes_water",
    "pollutes_air",
    "pollutes_noise",
    "pollutes_solid",
    "production_start",
    "products_and_scale",
    "permit_number",
    "permit_category",
    "tier",
    "key_criteria",
    "special_criteria",
    "general_criteria",
    "city_controlled_key",
    "construction_status",
    "scale",
    "production_cycle",
    "monitoring_type",
    "performance_grade",
    "credit_rating",
    "positive_list",
    "notes",
)
CREATE_ONLY_FIELDS = ("status", "status_since")
TIER_INPUTS = ("tier", *spreadsheet.TIER_FIELDS[1:])


def validate_uscc(value) -> str:
    """The normalised code, or DomainError naming the code and what is wrong with it."""
    code = normalise_uscc(value)
    message = uscc_error(code)
    if message:
        raise DomainError(message)
    return code


def _audit_value(value):
    """A value as the audit trail keeps it (related rows by their code, not their id)."""
    if hasattr(value, "code"):
        return value.code
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def _snapshot(enterprise, names) -> dict:
    return {name: _audit_value(getattr(enterprise, name)) for name in names}


def _check_fields(fields: dict, allowed) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")


def _full_clean(enterprise) -> None:
    try:
        enterprise.full_clean(exclude=["bureau"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        messages = [f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items()]
        raise DomainError(" ".join(messages)) from exc


def _uscc_taken(bureau, uscc, *, exclude_pk=None):
    qs = Enterprise.objects.filter(bureau=bureau, uscc=uscc)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    other = qs.first()
    if other is not None:
        raise DomainError(
            _("USCC %(code)s is already registered in this bureau for %(name)s.") % {"code": uscc, "name": other.name}
        )


def enterprise_create(*, actor, bureau, **fields) -> Enterprise:
    """Register an enterprise. ``tier`` may be omitted: it then follows from the criteria."""
    _check_fields(fields, EDITABLE_FIELDS + CREATE_ONLY_FIELDS)
    fields["uscc"] = validate_uscc(fields.get("uscc"))
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        raise DomainError(_("The name is required."))
    enterprise = Enterprise(bureau=bureau, **fields)
    enterprise.tier = resolve_tier(
        tier=fields.get("tier"), **{name: getattr(enterprise, name) for name in spreadsheet.TIER_FIELDS[1:]}
    )
    if enterprise.status not in EnterpriseStatus.values:
        raise DomainError(_("Unknown status."))
    if enterprise.status_since and enterprise.status_since > timezone.localdate():
        raise DomainError(_("The status cannot take effect in the future."))
    _full_clean(enterprise)
    try:
        with transaction.atomic():
            _uscc_taken(bureau, enterprise.uscc)
            enterprise.save()
            audit_log(
                actor=actor,
                action="enterprises.enterprise_created",
                obj=enterprise,
                data={"after": _snapshot(enterprise, (*EDITABLE_FIELDS, *CREATE_ONLY_FIELDS))},
            )
    except IntegrityError as exc:  # registered meanwhile by someone else
        raise DomainError(_("USCC %(code)s is already registered in this bureau.") % {"code": enterprise.uscc}) from exc
    return enterprise


def enterprise_update(*, actor, enterprise, version: str | None = None, **fields) -> Enterprise:
    """Change an enterprise's registry fields (not its status: see ``enterprise_change_status``).

    Only the fields that really change are written and audited (before/after); no change, no entry.
    ``version``: that of the edit form (core/versions.py); a change since then refuses with ``EditConflict``.
    The tier rule is checked whenever the tier or one of its criteria changes.
    """
    _check_fields(fields, EDITABLE_FIELDS)
    if "uscc" in fields:
        fields["uscc"] = validate_uscc(fields["uscc"])
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise DomainError(_("The name is required."))
    try:
        with transaction.atomic():
            current = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
            changed = []
            for name, value in fields.items():
                model_field = Enterprise._meta.get_field(name)
                if model_field.is_relation:
                    old, new = getattr(current, model_field.attname), value.pk if value is not None else None
                else:
                    old, new = getattr(current, name), model_field.to_python(value)
                if old != new:
                    changed.append(name)
            if not changed:
                return current
            versions.check(current, versions.model_values(current, EDITABLE_FIELDS), version)
            before = _snapshot(current, changed)
            for name in changed:
                setattr(current, name, fields[name])
            if set(changed) & set(TIER_INPUTS):
                current.tier = resolve_tier(
                    tier=current.tier, **{name: getattr(current, name) for name in spreadsheet.TIER_FIELDS[1:]}
                )
            if "uscc" in changed:
                _uscc_taken(current.bureau_id, current.uscc, exclude_pk=current.pk)
            _full_clean(current)
            current.save(update_fields=[*changed, "updated_at"])
            audit_log(
                actor=actor,
                action="enterprises.enterprise_updated",
                obj=current,
                data={"before": before, "after": _snapshot(current, changed)},
            )
    except IntegrityError as exc:
        raise DomainError(_("USCC %(code)s is already registered in this bureau.") % {"code": fields["uscc"]}) from exc
    return current


STATUS_FIELDS = ("status", "status_since")


def enterprise_change_status(
    *, actor, enterprise, status: str, effective_date: date, reason: str = "", version: str | None = None
) -> EnterpriseStatusChange | None:
    """Record a dated status change (operating, suspended, closed, relocated); the history is kept for ever.

    Same status: no-op (returns None). The date may not lie in the future, nor before the last change.
    ``version``: that of the status form (core/versions.py, over :data:`STATUS_FIELDS`); a status changed since
    then refuses with ``EditConflict``.
    """
    if status not in EnterpriseStatus.values:
        raise DomainError(_("Unknown status."))
    if effective_date > timezone.localdate():
        raise DomainError(_("A status change cannot take effect in the future."))
    with transaction.atomic():
        current = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        versions.check(current, versions.model_values(current, STATUS_FIELDS), version)
        if current.status == status:
            return None
        last = current.status_changes.aggregate(last=Max("effective_date"))["last"]
        if last and effective_date < last:
            raise DomainError(
                _("The last status change took effect on %(date)s; a new one cannot take effect earlier.")
                % {"date": last.isoformat()}
            )
        before = {"status": current.status, "status_since": _audit_value(current.status_since)}
        change = EnterpriseStatusChange.objects.create(
            enterprise=current,
            old_status=current.status,
            new_status=status,
            effective_date=effective_date,
            reason=reason.strip(),
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        current.status, current.status_since = status, effective_date
        current.save(update_fields=["status", "status_since", "updated_at"])
        audit_log(
            actor=actor,
            action="enterprises.enterprise_status_changed",
            obj=current,
            data={
                "before": before,
                "after": {"status": status, "status_since": effective_date.isoformat()},
                "reason": change.reason,
            },
        )
    enterprise.status, enterprise.status_since = status, effective_date
    return change


def enterprise_record_add(
    *, actor, enterprise, kind: str, date: date, description: str, reference: str = ""
) -> EnterpriseRecord:
    """Put a violation, complaint or administrative penalty on an enterprise's record (it feeds its risk)."""
    if kind not in RecordKind.values:
        raise DomainError(_("Unknown kind of record."))
    if date > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."))
    description = (description or "").strip()
    if not description:
        raise DomainError(_("The description is required."))
    with transaction.atomic():
        current = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        record = EnterpriseRecord.objects.create(
            enterprise=current,
            kind=kind,
            date=date,
            description=description[:255],
            reference=(reference or "").strip()[:80],
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_log(
            actor=actor,
            action="enterprises.record_added",
            obj=current,
            data={
                "after": {
                    "record": record.pk,
                    "kind": kind,
                    "date": date.isoformat(),
                    "description": record.description,
                    "reference": record.reference,
                }
            },
        )
    return record


def inspection_record_set(
    *, actor, enterprise: Enterprise, task_id: int, number: str, inspected_on: date, published_on: date, clean: bool
) -> tuple[InspectionRecord, bool]:
    """Keep a published inspection result on the enterprise's record (it feeds the clean-inspection term of the
    risk weight): created the first time, ``clean`` changed when the published outcome is corrected.

    Called by ``inspections.publication`` in the transaction that publishes the result or changes its public
    outcome (the task is locked there, so one task's row is written by one transaction at a time). The same
    facts again change nothing and write no entry. Audited on the enterprise: ``enterprises.inspection_recorded``
    (the row's facts) or ``enterprises.inspection_record_changed`` (``clean`` before/after). Returns
    ``(record, changed)``. Reads nothing but the record (the entry's bureau is the enterprise's bureau id).
    """
    bureau = Bureau(pk=enterprise.bureau_id)  # the entry keeps the id only: no query
    with transaction.atomic():
        record = InspectionRecord.objects.select_for_update().filter(task_id=task_id).first()
        now = timezone.now()
        if record is None:
            record = InspectionRecord.objects.create(
                enterprise=enterprise,
                task_id=task_id,
                number=number[:40],
                inspected_on=inspected_on,
                published_on=published_on,
                clean=clean,
                recorded_at=now,
                updated_at=now,
            )
            audit_log(
                actor=actor,
                action="enterprises.inspection_recorded",
                obj=enterprise,
                bureau=bureau,
                data={
                    "after": {
                        "inspection_record": record.pk,
                        "task": task_id,
                        "number": record.number,
                        "inspected_on": inspected_on.isoformat(),
                        "published_on": published_on.isoformat(),
                        "clean": clean,
                    }
                },
            )
            return record, True
        if record.enterprise_id != enterprise.pk:
            raise DomainError(_("This inspection is on the record of another enterprise."))
        if record.clean == clean:
            return record, False
        record.clean, record.updated_at = clean, now
        record.save(update_fields=["clean", "updated_at"])
        audit_log(
            actor=actor,
            action="enterprises.inspection_record_changed",
            obj=enterprise,
            bureau=bureau,
            data={
                "inspection_record": record.pk,
                "task": task_id,
                "number": record.number,
                "before": {"clean": not clean},
                "after": {"clean": clean},
            },
        )
        return record, True


# ---------------------------------------------------------------------------------------------------
# Risk


def risk_weights(bureau, enterprise_ids=None, as_of: date | None = None, *, rule: RiskRule | None = None):
    """{enterprise id: integer weight ≥ 1} — the number of draw tickets each enterprise holds (ssj-draw-1).

    The rule is the bureau's published one (:class:`enterprises.models.RiskRule`, ``rule`` when given: a draw
    reads it once and records it). With the defaults (000: more often for violators, complaints and low
    credit; less often for good credit):

        weight = 1
               + min(violations + complaints + penalties dated in the 3 years up to ``as_of``, 3)
               + 1 if the credit rating is 警示 (warning), + 2 if it is 不良 (untrustworthy)

    so weights run from 1 (no record, good or no credit rating) to 6; a bureau may also set a lowest weight
    for an enterprise penalised in the last months. The clean-inspection term then caps it: an enterprise
    whose last 3 published inspection results (:class:`enterprises.models.InspectionRecord`) all found no
    problem (未发现问题), with no penalty on record in the last 12 months, holds 1 ticket whatever its older
    records and its credit rating say (issue 16 item 3: "three clean inspections: weight 1"). Records dated
    after ``as_of`` and results published after it do not count. One query (two without ``rule``).
    """
    as_of = as_of or timezone.localdate()
    rule = rule or RiskRule.of(bureau)
    qs = Enterprise.objects.filter(bureau=bureau)
    wanted = None
    if enterprise_ids is not None:
        wanted = set(enterprise_ids)
        if len(wanted) <= 500:
            qs = qs.filter(pk__in=wanted)
    rows = qs.with_risk_weight(as_of, rule=rule).values_list("pk", "risk_weight")
    return {pk: int(weight) for pk, weight in rows if wanted is None or pk in wanted}


def risk_rule_version(bureau) -> str:
    """The version of the bureau's rule an edit form carries (core/versions.py)."""
    rule = RiskRule.of(bureau)
    return versions.version(rule if rule.pk else None, rule.values())


def risk_rule_update(*, actor, bureau, version: str | None = None, **values) -> RiskRule:
    """The bureau's administrator changes its risk weight rule (draws prepared from now on apply it).

    ``values``: the parameters of :data:`enterprises.models.RISK_RULE_FIELDS` (all of them). Only the
    parameters that change are audited (before/after); no change, no entry. ``version``: that of the edit
    form; a change since then refuses with ``EditConflict``.
    """
    if not has_role(actor, bureau, Role.ADMIN):
        raise PermissionDenied
    if set(values) != set(RISK_RULE_FIELDS):
        raise TypeError(f"risk_rule_update takes exactly {RISK_RULE_FIELDS}")
    for name, (low, high) in RISK_RULE_LIMITS.items():
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            label = RiskRule._meta.get_field(name).verbose_name
            message = _("%(field)s: give a whole number from %(low)s to %(high)s.")
            raise DomainError(message % {"field": label, "low": low, "high": high})
    with transaction.atomic():
        Bureau.objects.select_for_update().get(pk=bureau.pk)  # the first change creates the row: one at a time
        rule = RiskRule.of(bureau)
        current = rule.values()
        changed = [name for name in RISK_RULE_FIELDS if current[name] != values[name]]
        if not changed:
            return rule
        versions.check(rule if rule.pk else None, current, version)
        for name in changed:
            setattr(rule, name, values[name])
        rule.updated_by, rule.updated_by_name, rule.updated_at = actor, actor_display(actor), timezone.now()
        rule.save()
        audit_log(
            actor=actor,
            action="enterprises.risk_rule_changed",
            obj=rule,
            bureau=bureau,
            data={
                "before": {name: current[name] for name in changed},
                "after": {name: values[name] for name in changed},
            },
        )
    return rule


def risk_rule_history(bureaus) -> dict[int, list]:
    """{bureau id: [(time, [(parameter's name, old, new)])]}, newest first: the changes of the bureaus' rules
    as the audit trail has them (one query)."""
    history: dict[int, list] = {}
    entries = (
        AuditEntry.objects.filter(action="enterprises.risk_rule_changed", bureau__in=bureaus)
        .order_by("-id")
        .values_list("bureau_id", "created_at", "data")
    )
    for bureau_id, created_at, data in entries:
        before, after = data.get("before") or {}, data.get("after") or {}
        changes = [
            (RiskRule._meta.get_field(name).verbose_name, before.get(name), after[name])
            for name in RISK_RULE_FIELDS
            if name in after
        ]
        history.setdefault(bureau_id, []).append((created_at, changes))
    return history


# ---------------------------------------------------------------------------------------------------
# Checklist

CHECKITEM_FIELDS = (
    "code",
    "name",
    "category",
    "legal_basis",
    "content",
    "method",
    "applies_to_general",
    "applies_to_key",
    "applies_to_special",
    "order",
)


def _check_item_rules(item: CheckItem) -> None:
    for name in ("code", "name", "legal_basis", "content", "method"):
        setattr(item, name, (getattr(item, name) or "").strip())
    if not (item.code and item.name and item.legal_basis and item.content and item.method):
        raise DomainError(_("Code, item, legal basis, content and method are all required."))
    if not (item.applies_to_general or item.applies_to_key or item.applies_to_special):
        raise DomainError(_("A checklist item must apply to at least one tier."))
    try:
        item.full_clean(exclude=["bureau"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise DomainError(" ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc


def _check_item_code_free(bureau_id, code, exclude_pk=None):
    qs = CheckItem.objects.filter(bureau_id=bureau_id, code=code)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise DomainError(_("The code %(code)s is already used by another checklist item.") % {"code": code})


def checkitem_create(*, actor, bureau, **fields) -> CheckItem:
    """Add an item to the bureau's checklist (抽查事项清单)."""
    _check_fields(fields, CHECKITEM_FIELDS)
    item = CheckItem(bureau=bureau, **fields)
    _check_item_rules(item)
    try:
        with transaction.atomic():
            _check_item_code_free(bureau.pk, item.code)
            item.save()
            audit_log(
                actor=actor,
                action="enterprises.checkitem_created",
                obj=item,
                data={"after": {name: getattr(item, name) for name in CHECKITEM_FIELDS}},
            )
    except IntegrityError as exc:
        raise DomainError(
            _("The code %(code)s is already used by another checklist item.") % {"code": item.code}
        ) from exc
    return item


def checkitem_update(*, actor, item, version: str | None = None, **fields) -> CheckItem:
    """Change a checklist item; before/after of the changed fields are audited; no change, no entry.

    ``version``: that of the edit form (core/versions.py); a change since then refuses with ``EditConflict``.
    """
    _check_fields(fields, CHECKITEM_FIELDS)
    with transaction.atomic():
        current = CheckItem.objects.select_for_update().get(pk=item.pk)
        before_all = {name: getattr(current, name) for name in CHECKITEM_FIELDS}
        for name, value in fields.items():
            setattr(current, name, value)
        _check_item_rules(current)
        changed = [name for name in CHECKITEM_FIELDS if getattr(current, name) != before_all[name]]
        if not changed:
            return current
        versions.check(current, before_all, version)
        if "code" in changed:
            _check_item_code_free(current.bureau_id, current.code, exclude_pk=current.pk)
        current.save(update_fields=changed)
        audit_log(
            actor=actor,
            action="enterprises.checkitem_updated",
            obj=current,
            data={
                "before": {name: before_all[name] for name in changed},
                "after": {name: getattr(current, name) for name in changed},
            },
        )
    return current


def _checkitem_set_active(*, actor, item, active: bool, action: str) -> CheckItem:
    with transaction.atomic():
        current = CheckItem.objects.select_for_update().get(pk=item.pk)
        if current.active == active:
            return current
        current.active = active
        current.save(update_fields=["active"])
        audit_log(
            actor=actor,
            action=action,
            obj=current,
            data={"before": {"active": not active}, "after": {"active": active}},
        )
    item.active = active
    return current


def checkitem_deactivate(*, actor, item) -> CheckItem:
    """Withdraw an item from the checklist (kept on record, never deleted). Repeating it is a no-op."""
    return _checkitem_set_active(actor=actor, item=item, active=False, action="enterprises.checkitem_deactivated")


def checkitem_reactivate(*, actor, item) -> CheckItem:
    return _checkitem_set_active(actor=actor, item=item, active=True, action="enterprises.checkitem_reactivated")


# ---------------------------------------------------------------------------------------------------
# Spreadsheet import

ERRORS_SHOWN = 1000
BATCH = 2000


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}; row 1 is the header

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return ngettext(
                "Nothing was imported: %(count)s error was found. Correct it and upload the file again.",
                "Nothing was imported: %(count)s errors were found. Correct them and upload the file again.",
                len(self.errors),
            ) % {"count": len(self.errors)}
        return _(
            "Imported %(rows)s rows: %(created)s enterprises created, %(updated)s updated, %(unchanged)s unchanged."
        ) % {"rows": self.rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    @classmethod
    def from_dict(cls, data: dict) -> "ImportResult":
        """The result as ``as_dict`` stored it on a finished upload."""
        names = ("rows", "created", "updated", "unchanged", "status_changes")
        return cls(**{name: data.get(name, 0) for name in names}, errors=data.get("errors", []))

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "status_changes": self.status_changes,
            "error_count": len(self.errors),
            "errors": self.errors[:ERRORS_SHOWN],
        }


def read_import_file(data: bytes) -> Sheet:
    """The sheet of a file's bytes, or DomainError saying why it cannot be read (size, format, zip bomb…)."""
    try:
        sheet = read_sheet(data, max_bytes=settings.IMPORT_MAX_BYTES)
    except SpreadsheetError as exc:
        raise DomainError(str(exc)) from exc
    _require_rows(sheet)
    return sheet


def _require_rows(sheet: Sheet) -> int:
    """The number of data rows (DomainError if none)."""
    rows = sum(1 for row in sheet.rows if row)
    if not rows:
        raise DomainError(_("The sheet has column titles but no data rows."))
    return rows


def enterprise_import_start(*, actor, bureau, upload, inline: bool = False) -> ImportStart:
    """Import an uploaded .xlsx (a Django ``UploadedFile`` or ``File``) into ``bureau``'s registry.

    The file is read once, here. A file of more than ``IMPORT_INLINE_MAX_ROWS`` rows is kept (as read) for
    a background job (``enterprises.import``), unless ``inline``; a smaller one is imported at once (see
    ``enterprises_import_sheet``). A file that cannot be read raises DomainError; row errors are returned.
    """
    data, sheet = upload_read(upload)
    rows = _require_rows(sheet)
    if not inline and rows > settings.IMPORT_INLINE_MAX_ROWS:
        job = upload_submit(
            EnterpriseImport,
            kind="enterprises.import",
            actor=actor,
            bureau=bureau,
            data=data,
            filename=upload.name,
            sheet=sheet,
            rows=rows,
        )
        return ImportStart(job=job)
    result = enterprises_import_sheet(
        actor=actor, bureau=bureau, sheet=sheet, filename=upload.name, sha256=hashlib.sha256(data).hexdigest()
    )
    return ImportStart(result=result)


def enterprises_import(
    *, actor, bureau, data: bytes, filename: str = "", progress: Callable[[int, str], None] | None = None
) -> ImportResult:
    """Import a file's bytes into ``bureau``'s registry at once: all rows or none (tests and benchmarks)."""
    if progress:
        progress(2, _("Reading the file…"))
    return enterprises_import_sheet(
        actor=actor,
        bureau=bureau,
        sheet=read_import_file(data),
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        progress=progress,
    )


def enterprises_import_sheet(
    *,
    actor,
    bureau,
    sheet: Sheet,
    filename: str = "",
    sha256: str = "",
    progress: Callable[[int, str], None] | None = None,
    _record: EnterpriseImport | None = None,
) -> ImportResult:
    """Import a read sheet: every row is checked first and every error is collected (row, column, message).

    With any error nothing is written. Otherwise, in one transaction: rows whose USCC is registered in the
    bureau update that enterprise (only changed fields; one audit entry each with before/after; a status
    change becomes a dated ``EnterpriseStatusChange``), the other rows are created in bulk, and one summary
    audit entry records the import. A constant number of queries per batch of rows, none per row.
    """
    lookups = spreadsheet.Lookups.load()

    def parse_progress(done, total):
        if progress:
            progress(
                5 + int(60 * done / max(total, 1)),
                _("Checking row %(row)s of %(total)s…") % {"row": done, "total": total},
            )

    parsed = spreadsheet.parse_sheet(sheet, lookups, progress=parse_progress)
    result = ImportResult(rows=sum(1 for row in sheet.rows if row))
    if parsed.header_failed:
        result.errors = parsed.errors
        upload_finish(_record, result.as_dict())
        return result
    if progress:
        progress(70, _("Checking against the registry…"))
    try:
        with transaction.atomic():
            if _record is not None and upload_finished(_record):
                return ImportResult.from_dict(upload_result(_record))
            plan = _plan(actor=actor, bureau=bureau, parsed=parsed, lookups=lookups, filename=filename)
            result.errors = _sorted_errors(parsed.errors + plan.errors)
            if not result.errors:
                if progress:
                    progress(80, _("Writing…"))
                _apply(actor=actor, bureau=bureau, plan=plan, result=result, filename=filename, sha256=sha256)
                upload_finish(_record, result.as_dict())
    except IntegrityError as exc:
        raise DomainError(
            _(
                "The registry changed while the file was being imported (the same USCC was registered meanwhile). "
                "Nothing was imported; upload the file again."
            )
        ) from exc
    if result.errors:
        upload_finish(_record, result.as_dict())
    return result


def _sorted_errors(errors: list[dict]) -> list[dict]:
    order = {title: index for index, title in enumerate(spreadsheet.HEADER)}
    return sorted(errors, key=lambda e: (e["row"], order.get(e["column"], -1)))


@dataclass
class _Plan:
    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    update_fields: set = field(default_factory=set)
    audits: list = field(default_factory=list)
    status_changes: list = field(default_factory=list)
    unchanged: int = 0
    errors: list = field(default_factory=list)


@dataclass
class _PlanContext:
    """What the second pass needs besides the rows: the matched enterprises (locked) and the row defaults."""

    filename: str
    actor_user: object
    now: object
    today: date
    existing_ids: dict[str, int]  # USCC -> enterprise id, for the whole bureau
    current: dict[int, Enterprise]  # the matched enterprises, locked
    last_change: dict[int, date]  # enterprise id -> date of its last status change
    codes: dict[str, dict[int, str]]  # division_id / industry_id -> {pk: code}, for the audit trail
    new_defaults: dict
    tiers: dict = field(default_factory=dict)  # (tier cell, criteria…) -> the rule's answer, for new rows

    def shown(self, name, value):
        """A value as the audit trail keeps it (divisions and industries by code)."""
        if name in self.codes:
            return self.codes[name].get(value)
        return _audit_value(value)


TIER_COLUMN = "企业分类"


def _plan(*, actor, bureau, parsed, lookups, filename: str) -> _Plan:
    """Second pass, inside the transaction: match rows to enterprises by USCC, check the tier rule and the
    status dates, and work out what to create and what changes (nothing is written yet)."""
    context = _plan_context(actor=actor, bureau=bureau, parsed=parsed, lookups=lookups, filename=filename)
    plan = _Plan()
    for row in parsed.rows:
        pk = context.existing_ids.get(row.uscc)
        if pk is None:
            _plan_create(plan, context, row)
        else:
            _plan_update(plan, context, row, context.current[pk])
    return plan


def _plan_context(*, actor, bureau, parsed, lookups, filename: str) -> _PlanContext:
    now = timezone.now()
    existing_ids = dict(Enterprise.objects.filter(bureau=bureau).values_list("uscc", "pk"))
    matched_ids = [existing_ids[row.uscc] for row in parsed.rows if row.uscc in existing_ids]
    last_change: dict[int, date] = {}
    if matched_ids:
        last_change = dict(
            EnterpriseStatusChange.objects.filter(enterprise__bureau=bureau)
            .values("enterprise_id")
            .annotate(last=Max("effective_date"))
            .values_list("enterprise_id", "last")
        )
    return _PlanContext(
        filename=filename,
        actor_user=actor if getattr(actor, "is_authenticated", False) else None,
        now=now,
        today=timezone.localdate(),
        existing_ids=existing_ids,
        current=_lock_enterprises(bureau, matched_ids),
        last_change=last_change,
        codes={
            "division_id": {pk: code for code, pk in lookups.division_by_code.items()},
            "industry_id": {pk: code for code, pk in lookups.industry_by_code.items()},
        },
        new_defaults={
            **{f.attname: f.get_default() for f in Enterprise._meta.concrete_fields if not f.primary_key},
            "bureau_id": bureau.pk,
            "created_at": now,
            "updated_at": now,
        },
    )


def _lock_enterprises(bureau, ids: list[int]) -> dict[int, Enterprise]:
    """The enterprises ``ids`` of ``bureau``, locked until the import commits."""
    current: dict[int, Enterprise] = {}
    if len(ids) > 2000:  # most of the registry: one pass over the bureau beats many IN lists
        wanted = set(ids)
        for enterprise in Enterprise.objects.select_for_update().filter(bureau=bureau).iterator(chunk_size=5000):
            if enterprise.pk in wanted:
                current[enterprise.pk] = enterprise
    else:
        for start in range(0, len(ids), 500):
            for enterprise in Enterprise.objects.select_for_update().filter(pk__in=ids[start : start + 500]):
                current[enterprise.pk] = enterprise
    return current


def _plan_create(plan: _Plan, context: _PlanContext, row) -> None:
    """A row with a new USCC: the enterprise to create, its tier from the rule (computed once per criteria)."""
    new = {**context.new_defaults, **row.values}
    criteria_names = spreadsheet.TIER_FIELDS[1:]
    criteria = (row.tier, *(new[name] for name in criteria_names))
    tier = context.tiers.get(criteria)
    if tier is None:
        try:
            tier = resolve_tier(tier=row.tier, **dict(zip(criteria_names, criteria[1:], strict=True)))
        except DomainError as exc:
            tier = DomainError(str(exc))
        context.tiers[criteria] = tier
    if isinstance(tier, DomainError):
        plan.errors.append(spreadsheet.error(row.row, TIER_COLUMN, str(tier)))
        return
    new["tier"] = tier
    plan.create.append(new)


def _plan_update(plan: _Plan, context: _PlanContext, row, enterprise: Enterprise) -> None:
    """A row with a registered USCC: the changed fields, tier and status, with their audit data."""
    values = row.values
    new_status = values.get("status", enterprise.status)
    status_changed = new_status != enterprise.status
    before, after = {}, {}
    for name, value in values.items():
        if name in ("uscc", "status") or (name == "status_since" and status_changed):
            continue
        old = getattr(enterprise, name)
        if old != value:
            before[name], after[name] = context.shown(name, old), context.shown(name, value)
            setattr(enterprise, name, value)
    if set(after) & set(TIER_INPUTS) or row.tier:
        try:
            _plan_tier(enterprise, row, before, after)
        except DomainError as exc:
            plan.errors.append(spreadsheet.error(row.row, TIER_COLUMN, str(exc)))
            return
    if status_changed:
        change = _plan_status_change(plan, context, row, enterprise, new_status, before, after)
        if change is None:
            return
        plan.status_changes.append(change)
    if not after:
        plan.unchanged += 1
        return
    enterprise.updated_at = context.now
    plan.update_fields.update(after)
    plan.update.append(enterprise)
    plan.audits.append(
        (
            enterprise,
            {
                "before": {_field_name(k): v for k, v in before.items()},
                "after": {_field_name(k): v for k, v in after.items()},
                "source": "import",
                "file": context.filename,
            },
        )
    )


def _plan_tier(enterprise: Enterprise, row, before: dict, after: dict) -> None:
    """Apply the tier rule to an updated enterprise (DomainError if the row's tier breaks it)."""
    criteria = {name: getattr(enterprise, name) for name in spreadsheet.TIER_FIELDS[1:]}
    tier = resolve_tier(tier=row.tier or enterprise.tier, **criteria)
    if tier != enterprise.tier:
        before["tier"], after["tier"] = enterprise.tier, tier
        enterprise.tier = tier


def _plan_status_change(plan: _Plan, context: _PlanContext, row, enterprise, new_status, before, after):
    """The dated status change a row makes, or None (and the row's error added) if it predates the last one."""
    effective = row.values.get("status_since") or context.today
    last = context.last_change.get(enterprise.pk)
    if last and effective < last:
        plan.errors.append(
            spreadsheet.error(
                row.row,
                "状态起始日期",
                _("The last status change took effect on %(date)s; a new one cannot take effect earlier.")
                % {"date": last.isoformat()},
            )
        )
        return None
    change = EnterpriseStatusChange(
        enterprise_id=enterprise.pk,
        old_status=enterprise.status,
        new_status=new_status,
        effective_date=effective,
        reason=(_("Spreadsheet import %(file)s") % {"file": context.filename})[:255],
        recorded_by=context.actor_user,
        recorded_at=context.now,
    )
    before["status"], after["status"] = enterprise.status, new_status
    before["status_since"], after["status_since"] = (
        context.shown("status_since", enterprise.status_since),
        str(effective),
    )
    enterprise.status, enterprise.status_since = new_status, effective
    return change


def _apply(*, actor, bureau, plan: _Plan, result: ImportResult, filename: str, sha256: str) -> None:
    """Write a checked plan: bulk inserts and updates in batches, status changes, audit entries."""
    to_create, to_update, changes = plan.create, plan.update, plan.status_changes
    update_fields = plan.update_fields
    result.unchanged = plan.unchanged
    fields = bulk.columns(Enterprise)
    bulk.insert(Enterprise, fields, [tuple(row[name] for name in fields) for row in to_create])
    bulk.update_rows(Enterprise, to_update, {*update_fields, "updated_at"})
    if changes:
        EnterpriseStatusChange.objects.bulk_create(changes, batch_size=BATCH)
    result.created, result.updated, result.status_changes = len(to_create), len(to_update), len(changes)
    entries = [("enterprises.enterprise_updated", enterprise, data) for enterprise, data in plan.audits]
    entries.append(
        (
            "enterprises.import",
            None,
            {
                "file": filename,
                "sha256": sha256,
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "status_changes": result.status_changes,
            },
        )
    )
    audit_log_many(actor=actor, bureau=bureau, entries=entries)


def _field_name(attname: str) -> str:
    return attname.removesuffix("_id") if attname in ("division_id", "industry_id") else attname


def enterprise_import_run(*, record: EnterpriseImport, progress=None) -> ImportResult:
    """Run a submitted import from its kept sheet (the job handler's body). A finished import returns its result."""
    if record.finished_at is not None:
        return ImportResult.from_dict(upload_result(record))
    if progress:
        progress(2, _("Reading the file…"))
    return enterprises_import_sheet(
        actor=record.uploaded_by or "import",
        bureau=record.bureau,
        sheet=sheet_unpack(record.sheet),
        filename=record.filename,
        sha256=record.sha256,
        progress=progress,
        _record=record,
    )
