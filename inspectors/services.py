"""Every state change of the inspector registry and the expert pool.

Services are keyword-only, run in one transaction, check the current state inside it, raise
:class:`core.errors.DomainError` with a message a user can read, treat a repeated change as a no-op,
and write the audit entry in the same transaction. Leave periods and declared conflicts are audited
on their inspector, so the inspector's page shows its whole history.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import versions
from core.audit import audit_log
from core.errors import DomainError
from core.excel import Sheet
from core.imports import (
    ImportStart,
    sheet_unpack,
    upload_finish,
    upload_finished,
    upload_read,
    upload_result,
    upload_submit,
)
from core.models import Membership
from enterprises.models import Division, Enterprise, Industry

from . import spreadsheet
from .enums import ExpertKind, InspectorKind
from .models import Conflict, Expert, Inspector, InspectorImport, LeavePeriod

# Inspector fields a registry editor sets (besides the specialties, a many-to-many).
INSPECTOR_FIELDS = (
    "code",
    "name",
    "kind",
    "unit",
    "phone",
    "certificate_number",
    "certificate_valid_from",
    "certificate_valid_until",
    "specialty_note",
    "region",
)
EXPERT_FIELDS = ("name", "kind", "organisation", "title", "phone", "region")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")


class InvalidFields(DomainError):
    """Refused values, by field name: ``errors = {"code": "…", …}`` (``None`` = the form as a whole)."""

    def __init__(self, errors: dict[str | None, str]):
        self.errors = errors
        super().__init__(" ".join(errors.values()))


# --- helpers -------------------------------------------------------------------------------------


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _strip(values: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


def validate_inspector_values(values: dict) -> dict[str, str]:
    """Rules on one inspector's own values (no database): {field: message} of what is wrong.

    Shared by the services and the spreadsheet import, so a form and a file obey the same rules.
    """
    errors: dict[str, str] = {}
    for name in ("code", "name"):
        if not values.get(name):
            errors[name] = _("This value is required.")
    code = values.get("code") or ""
    if code and "code" not in errors and not CODE_RE.match(code):
        errors["code"] = _("Use letters, digits, - and _ only.")
    for name in ("code", "name", "unit", "phone", "certificate_number", "specialty_note"):
        text = values.get(name) or ""
        limit = _max_length(Inspector, name)
        if len(text) > limit and name not in errors:
            errors[name] = _("At most %(max)s characters (this has %(length)s).") % {"max": limit, "length": len(text)}
    if "kind" in values and values["kind"] not in InspectorKind.values:
        errors["kind"] = _("Unknown kind of staff.")
    number = values.get("certificate_number") or ""
    valid_from, valid_until = values.get("certificate_valid_from"), values.get("certificate_valid_until")
    if number:
        for name, value in (("certificate_valid_from", valid_from), ("certificate_valid_until", valid_until)):
            if not value:
                errors.setdefault(name, _("Give the certificate's validity (from and until)."))
    if (valid_from or valid_until) and not number:
        errors.setdefault("certificate_number", _("Give the certificate number, or leave its dates empty."))
    if valid_from and valid_until and valid_until < valid_from:
        errors.setdefault("certificate_valid_until", _("The certificate cannot end before it starts."))
    return errors


def _inspector_state(inspector: Inspector, specialties: Iterable[Industry]) -> dict:
    """An inspector's editable values as JSON-native data for the audit trail."""
    state = {name: getattr(inspector, name) for name in INSPECTOR_FIELDS if name != "region"}
    for name in ("certificate_valid_from", "certificate_valid_until"):
        state[name] = state[name].isoformat() if state[name] else None
    state["region"] = inspector.region.code if inspector.region_id else None
    state["specialties"] = sorted(industry.code for industry in specialties)
    return state


def _diff(before: dict, after: dict) -> dict:
    changed = [key for key in after if before.get(key) != after[key]]
    return {"before": {k: before.get(k) for k in changed}, "after": {k: after[k] for k in changed}}


def _changed_fields(values: dict, obj, fields: Iterable[str] = INSPECTOR_FIELDS) -> list[str]:
    """The ``fields`` whose value in ``values`` differs from the object's (the region compared by id)."""
    changed = []
    for name in fields:
        if name == "region":
            if (values["region"].pk if values["region"] else None) != obj.region_id:
                changed.append(name)
        elif values[name] != getattr(obj, name):
            changed.append(name)
    return changed


def _unique_errors(bureau, values: dict, *, exclude_pk=None) -> dict[str, str]:
    """Staff code and certificate number are unique in a bureau's registry: {field: message} of clashes."""
    others = Inspector.objects.filter(bureau=bureau)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    errors: dict[str, str] = {}
    holder = others.filter(code=values["code"]).first() if values.get("code") else None
    if holder:
        errors["code"] = _("The staff code %(code)s is already used by %(name)s.") % {
            "code": values["code"],
            "name": holder.name,
        }
    number = values.get("certificate_number")
    if number:
        holder = others.filter(certificate_number=number).first()
        if holder:
            errors["certificate_number"] = _("The certificate %(number)s is already recorded for %(inspector)s.") % {
                "number": number,
                "inspector": holder,
            }
    return errors


def _locked_inspector(inspector: Inspector) -> Inspector:
    return Inspector.objects.select_for_update(of=("self",)).select_related("region", "bureau").get(pk=inspector.pk)


# --- inspectors ----------------------------------------------------------------------------------


def inspector_create(
    *,
    actor,
    bureau,
    code: str,
    name: str,
    kind: str = InspectorKind.ENFORCEMENT,
    unit: str = "",
    phone: str = "",
    certificate_number: str = "",
    certificate_valid_from: date | None = None,
    certificate_valid_until: date | None = None,
    specialties: Iterable[Industry] = (),
    specialty_note: str = "",
    region: Division | None = None,
) -> Inspector:
    values = _strip(
        {
            "code": code,
            "name": name,
            "kind": kind,
            "unit": unit,
            "phone": phone,
            "certificate_number": certificate_number,
            "certificate_valid_from": certificate_valid_from,
            "certificate_valid_until": certificate_valid_until,
            "specialty_note": specialty_note,
            "region": region,
        }
    )
    specialties = list(specialties)
    with transaction.atomic():
        errors = _unique_errors(bureau, values) | validate_inspector_values(values)
        if errors:
            raise InvalidFields(errors)
        try:
            with transaction.atomic():
                inspector = Inspector.objects.create(bureau=bureau, **values)
        except IntegrityError as exc:  # a concurrent writer took the code or certificate a moment ago
            raise InvalidFields({"code": _("This staff code or certificate number was just taken.")}) from exc
        inspector.specialties.set(specialties)
        audit_log(
            actor=actor,
            action="inspectors.inspector_created",
            obj=inspector,
            data={"after": _inspector_state(inspector, specialties)},
        )
    return inspector


def inspector_version(inspector: Inspector) -> str:
    """The version of the inspector's editable values as stored now, for the edit form (core/versions.py)."""
    inspector = Inspector.objects.select_related("region").get(pk=inspector.pk)
    return versions.version(inspector, _inspector_state(inspector, inspector.specialties.all()))


def inspector_update(*, actor, inspector: Inspector, version: str | None = None, **changes) -> Inspector:
    """Change some of an inspector's values (``INSPECTOR_FIELDS`` and ``specialties``).

    Only the fields that really change are saved and audited (before/after); nothing changed is a no-op.
    ``version``: that of the edit form; a change since then refuses with ``core.versions.EditConflict``.
    """
    unknown = set(changes) - {*INSPECTOR_FIELDS, "specialties"}
    if unknown:
        raise TypeError(f"inspector_update() got unexpected fields: {sorted(unknown)}")
    new_specialties = list(changes.pop("specialties")) if "specialties" in changes else None
    with transaction.atomic():
        current = _locked_inspector(inspector)
        old_specialties = list(current.specialties.all())
        before = _inspector_state(current, old_specialties)
        values = {name: getattr(current, name) for name in INSPECTOR_FIELDS}
        values.update(_strip(changes))
        changed = _changed_fields(values, current)
        errors = validate_inspector_values(values)
        if "code" in changed or "certificate_number" in changed:
            errors = _unique_errors(current.bureau, values, exclude_pk=current.pk) | errors
        if errors:
            raise InvalidFields(errors)
        specialties_changed = new_specialties is not None and {i.pk for i in new_specialties} != {
            i.pk for i in old_specialties
        }
        if not changed and not specialties_changed:
            return current
        versions.check(current, before, version)
        for name in changed:
            setattr(current, name, values[name])
        if changed:
            try:
                with transaction.atomic():
                    current.save(update_fields=changed)
            except IntegrityError as exc:
                raise InvalidFields({"code": _("This staff code or certificate number was just taken.")}) from exc
        if specialties_changed:
            current.specialties.set(new_specialties)
        after = _inspector_state(current, new_specialties if specialties_changed else old_specialties)
        audit_log(actor=actor, action="inspectors.inspector_updated", obj=current, data=_diff(before, after))
    return current


def inspector_transfer(*, actor, inspector: Inspector, on: date, reason: str) -> Inspector:
    """Record that the inspector left (transfer, retirement, certificate withdrawn): inactive, never deleted."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidFields({"reason": _("Give the reason (e.g. transferred to another unit).")})
    if len(reason) > _max_length(Inspector, "inactive_reason"):
        raise InvalidFields({"reason": _("The reason is too long.")})
    if on is None:
        raise InvalidFields({"on": _("Give the date of the transfer.")})
    if on > timezone.localdate():
        raise InvalidFields({"on": _("Record a transfer once it has happened; the date cannot be in the future.")})
    with transaction.atomic():
        current = _locked_inspector(inspector)
        if not current.active:
            return current
        current.active, current.inactive_since, current.inactive_reason = False, on, reason
        current.save(update_fields=["active", "inactive_since", "inactive_reason"])
        audit_log(
            actor=actor,
            action="inspectors.inspector_transferred",
            obj=current,
            data={
                "before": {"active": True},
                "after": {"active": False, "inactive_since": on.isoformat(), "inactive_reason": reason},
            },
        )
    return current


def inspector_reactivate(*, actor, inspector: Inspector, reason: str = "") -> Inspector:
    """Bring a transferred inspector back into the registry (e.g. returned to the bureau)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        current = _locked_inspector(inspector)
        if current.active:
            return current
        before = {
            "active": False,
            "inactive_since": current.inactive_since.isoformat() if current.inactive_since else None,
            "inactive_reason": current.inactive_reason,
        }
        current.active, current.inactive_since, current.inactive_reason = True, None, ""
        current.save(update_fields=["active", "inactive_since", "inactive_reason"])
        audit_log(
            actor=actor,
            action="inspectors.inspector_reactivated",
            obj=current,
            data={"before": before, "after": {"active": True}, "reason": reason},
        )
    return current


def _account_values(inspector: Inspector) -> dict:
    return {"user": inspector.user.get_username() if inspector.user_id else None}


def inspector_account_version(inspector: Inspector) -> str:
    """The version of the inspector's linked account as stored now, for its form (core/versions.py)."""
    return versions.version(inspector, _account_values(Inspector.objects.select_related("user").get(pk=inspector.pk)))


def inspector_link_account(*, actor, inspector: Inspector, user, version: str | None = None) -> Inspector:
    """Link the inspector to the login account he uses (to see his own assignments); ``None`` unlinks.

    ``version``: that of the form; an account linked or unlinked since refuses (``core.versions.EditConflict``).
    """
    with transaction.atomic():
        current = _locked_inspector(inspector)
        if current.user_id == (user.pk if user is not None else None):
            return current
        versions.check(current, _account_values(current), version)
        if user is not None:
            if not Membership.objects.filter(user=user, bureau=current.bureau).exists():
                raise InvalidFields({"user": _("This account has no role in the bureau.")})
            other = Inspector.objects.filter(user=user).exclude(pk=current.pk).first()
            if other is not None:
                raise InvalidFields(
                    {"user": _("This account is already linked to %(inspector)s.") % {"inspector": other}}
                )
        before = current.user.get_username() if current.user_id else None
        current.user = user
        try:
            with transaction.atomic():
                current.save(update_fields=["user"])
        except IntegrityError as exc:
            raise InvalidFields({"user": _("This account was just linked to another inspector.")}) from exc
        audit_log(
            actor=actor,
            action="inspectors.inspector_account_linked",
            obj=current,
            data={"before": {"user": before}, "after": {"user": user.get_username() if user is not None else None}},
        )
    return current


# --- leave ---------------------------------------------------------------------------------------


def _leave_data(leave: LeavePeriod) -> dict:
    return {"id": leave.pk, "start": leave.start.isoformat(), "end": leave.end.isoformat(), "reason": leave.reason}


def leave_add(*, actor, inspector: Inspector, start: date, end: date, reason: str = "") -> LeavePeriod:
    """A leave period (both days included). It may not overlap another period of the same inspector."""
    reason = (reason or "").strip()
    if start is None or end is None:
        raise InvalidFields({None: _("Give the first and the last day of the leave.")})
    if end < start:
        raise InvalidFields({"end": _("The leave cannot end before it starts.")})
    if len(reason) > _max_length(LeavePeriod, "reason"):
        raise InvalidFields({"reason": _("The reason is too long.")})
    with transaction.atomic():
        current = _locked_inspector(inspector)  # serialises leave changes of this inspector
        same = LeavePeriod.objects.filter(inspector=current, start=start, end=end).first()
        if same is not None:
            return same
        clash = LeavePeriod.objects.filter(inspector=current).overlapping(start, end).order_by("start").first()
        if clash is not None:
            raise InvalidFields(
                {
                    None: _("This overlaps the leave from %(start)s to %(end)s already recorded.")
                    % {"start": clash.start.isoformat(), "end": clash.end.isoformat()}
                }
            )
        leave = LeavePeriod.objects.create(inspector=current, start=start, end=end, reason=reason)
        audit_log(actor=actor, action="inspectors.leave_added", obj=current, data={"after": _leave_data(leave)})
    return leave


def leave_remove(*, actor, leave: LeavePeriod) -> None:
    with transaction.atomic():
        _locked_inspector(leave.inspector)
        current = LeavePeriod.objects.filter(pk=leave.pk).select_related("inspector").first()
        if current is None:
            return
        audit_log(
            actor=actor, action="inspectors.leave_removed", obj=current.inspector, data={"before": _leave_data(current)}
        )
        current.delete()


# --- conflicts of interest (回避) ----------------------------------------------------------------


def _conflict_data(conflict: Conflict) -> dict:
    return {
        "enterprise": conflict.enterprise.uscc,
        "enterprise_name": conflict.enterprise.name,
        "reason": conflict.reason,
        "declared_on": conflict.declared_on.isoformat(),
    }


def conflict_declare(*, actor, inspector: Inspector, enterprise: Enterprise, reason: str) -> Conflict:
    """The inspector is recused from the enterprise: no draw will send him there."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidFields({"reason": _("Give the reason for the recusal (e.g. a relative works there).")})
    if len(reason) > _max_length(Conflict, "reason"):
        raise InvalidFields({"reason": _("The reason is too long.")})
    if enterprise.bureau_id != inspector.bureau_id:
        raise InvalidFields({"enterprise": _("The enterprise belongs to another bureau's registry.")})
    with transaction.atomic():
        current = _locked_inspector(inspector)
        existing = Conflict.objects.filter(inspector=current, enterprise=enterprise).first()
        if existing is not None:
            return existing
        conflict = Conflict.objects.create(
            inspector=current, enterprise=enterprise, reason=reason, declared_on=timezone.localdate()
        )
        audit_log(
            actor=actor, action="inspectors.conflict_declared", obj=current, data={"after": _conflict_data(conflict)}
        )
    return conflict


def conflict_withdraw(*, actor, conflict: Conflict, reason: str) -> None:
    """Withdraw a declared conflict (e.g. the relative left the enterprise). The reason is audited."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidFields({"reason": _("Give the reason for withdrawing the recusal.")})
    with transaction.atomic():
        _locked_inspector(conflict.inspector)
        current = Conflict.objects.filter(pk=conflict.pk).select_related("inspector", "enterprise").first()
        if current is None:
            return
        audit_log(
            actor=actor,
            action="inspectors.conflict_withdrawn",
            obj=current.inspector,
            data={"before": _conflict_data(current), "reason": reason},
        )
        current.delete()


# --- experts -------------------------------------------------------------------------------------


def _validate_expert_values(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("name", "organisation"):
        if not values.get(name):
            errors[name] = _("This value is required.")
    for name in ("name", "organisation", "title", "phone"):
        text = values.get(name) or ""
        limit = _max_length(Expert, name)
        if len(text) > limit and name not in errors:
            errors[name] = _("At most %(max)s characters (this has %(length)s).") % {"max": limit, "length": len(text)}
    if values.get("kind") not in ExpertKind.values:
        errors["kind"] = _("Unknown kind of expert.")
    return errors


def _expert_state(expert: Expert, industries: Iterable[Industry]) -> dict:
    state = {name: getattr(expert, name) for name in EXPERT_FIELDS if name != "region"}
    state["region"] = expert.region.code if expert.region_id else None
    state["industries"] = sorted(industry.code for industry in industries)
    state["active"] = expert.active
    return state


def _check_expert_unique(bureau, values: dict, *, exclude_pk=None) -> None:
    same = Expert.objects.filter(bureau=bureau, name=values["name"], organisation=values["organisation"])
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise InvalidFields({"name": _("This expert of this organisation is already in the pool.")})


def expert_create(
    *,
    actor,
    bureau,
    name: str,
    kind: str,
    organisation: str,
    title: str = "",
    phone: str = "",
    region: Division | None = None,
    industries: Iterable[Industry] = (),
) -> Expert:
    values = _strip(
        {"name": name, "kind": kind, "organisation": organisation, "title": title, "phone": phone, "region": region}
    )
    errors = _validate_expert_values(values)
    if errors:
        raise InvalidFields(errors)
    industries = list(industries)
    with transaction.atomic():
        _check_expert_unique(bureau, values)
        expert = Expert.objects.create(bureau=bureau, **values)
        expert.industries.set(industries)
        data = {"after": _expert_state(expert, industries)}
        audit_log(actor=actor, action="inspectors.expert_created", obj=expert, data=data)
    return expert


def expert_version(expert: Expert) -> str:
    """The version of the expert's editable values as stored now, for the edit form (core/versions.py)."""
    expert = Expert.objects.select_related("region").get(pk=expert.pk)
    return versions.version(expert, _expert_editable(_expert_state(expert, expert.industries.all())))


def _expert_editable(state: dict) -> dict:
    """The values of the edit form (whether the expert is in the pool is changed elsewhere)."""
    return {name: value for name, value in state.items() if name != "active"}


def expert_update(*, actor, expert: Expert, version: str | None = None, **changes) -> Expert:
    """Change an expert's values; a change since the edit form's ``version`` refuses (core/versions.py)."""
    unknown = set(changes) - {*EXPERT_FIELDS, "industries"}
    if unknown:
        raise TypeError(f"expert_update() got unexpected fields: {sorted(unknown)}")
    new_industries = list(changes.pop("industries")) if "industries" in changes else None
    with transaction.atomic():
        current = Expert.objects.select_for_update(of=("self",)).select_related("region", "bureau").get(pk=expert.pk)
        old_industries = list(current.industries.all())
        before = _expert_state(current, old_industries)
        values = {name: getattr(current, name) for name in EXPERT_FIELDS}
        values.update(_strip(changes))
        errors = _validate_expert_values(values)
        if errors:
            raise InvalidFields(errors)
        changed = _changed_fields(values, current, EXPERT_FIELDS)
        industries_changed = new_industries is not None and {i.pk for i in new_industries} != {
            i.pk for i in old_industries
        }
        if not changed and not industries_changed:
            return current
        versions.check(current, _expert_editable(before), version)
        if "name" in changed or "organisation" in changed:
            _check_expert_unique(current.bureau, values, exclude_pk=current.pk)
        for name in changed:
            setattr(current, name, values[name])
        if changed:
            current.save(update_fields=changed)
        if industries_changed:
            current.industries.set(new_industries)
        after = _expert_state(current, new_industries if industries_changed else old_industries)
        audit_log(actor=actor, action="inspectors.expert_updated", obj=current, data=_diff(before, after))
    return current


def _expert_set_active(*, actor, expert: Expert, active: bool, action: str) -> Expert:
    with transaction.atomic():
        updated = Expert.objects.filter(pk=expert.pk, active=not active).update(active=active)
        current = Expert.objects.get(pk=expert.pk)
        if updated:
            data = {"before": {"active": not active}, "after": {"active": active}}
            audit_log(actor=actor, action=action, obj=current, data=data)
    return current


def expert_deactivate(*, actor, expert: Expert) -> Expert:
    """Take an expert out of the pool (kept on record; no longer proposed for draws)."""
    return _expert_set_active(actor=actor, expert=expert, active=False, action="inspectors.expert_deactivated")


def expert_reactivate(*, actor, expert: Expert) -> Expert:
    return _expert_set_active(actor=actor, expert=expert, active=True, action="inspectors.expert_reactivated")


# --- spreadsheet import --------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}; row None: the whole file

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        if self.errors:
            return _("The file was not imported: %(count)s problems were found. Nothing was changed.") % {
                "count": len(self.errors)
            }
        return _("%(created)s inspectors added, %(updated)s updated, %(unchanged)s unchanged.") % {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
        }

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ImportResult":
        """The result as ``as_dict`` stored it on a finished upload."""
        return cls(
            created=data.get("created", []),
            updated=data.get("updated", []),
            unchanged=data.get("unchanged", 0),
            errors=data.get("errors", []),
        )


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Row:
    """One row of the file, resolved against the registry."""

    number: int
    values: dict  # all INSPECTOR_FIELDS, as they will be after the import
    specialties: list[Industry] | None  # None: the file has no specialties column
    target: Inspector | None  # the inspector with this staff code, if any


class _Importer:
    """The steps of :func:`inspectors_import`: read references, check every row, then write in bulk."""

    def __init__(self, *, actor, bureau, sheet: Sheet, filename: str):
        self.actor, self.bureau, self.sheet, self.filename = actor, bureau, sheet, filename
        self.header = spreadsheet.match_header(sheet.header)
        self.errors: list[dict] = list(self.header.errors)
        self.parsed = [] if self.errors else spreadsheet.parse_rows(sheet, self.header)
        if not self.errors and not self.parsed:
            self.errors.append({"row": None, "column": "", "message": _("The sheet has no data rows.")})
        self.rows: list[_Row] = []
        self.result = ImportResult()

    def title(self, key: str) -> str:
        return self.header.titles.get(key) or spreadsheet.column_title(key)

    def error(self, row: int | None, key: str, message: str) -> None:
        self.errors.append({"row": row, "column": self.title(key) if key else "", "message": message, "key": key})

    def rejected(self) -> ImportResult:
        """The result of a refused file: every problem, in row and column order."""
        order = {column.key: i for i, column in enumerate(spreadsheet.IMPORT_COLUMNS)}
        self.errors.sort(key=lambda e: (e["row"] or 0, order.get(e.get("key", ""), len(order))))
        return ImportResult(errors=[{k: e[k] for k in ("row", "column", "message")} for e in self.errors])

    # -- reading (a fixed number of queries, whatever the number of rows) --

    def load_references(self) -> None:
        self.industries = {industry.code: industry for industry in Industry.objects.all()}
        self.industry_by_id = {industry.pk: industry for industry in self.industries.values()}
        self.divisions_by_code: dict[str, Division] = {}
        self.divisions_by_name: dict[str, list[Division]] = {}
        texts = sorted({row.values["region"] for row in self.parsed if row.values.get("region")})
        for chunk in _chunks(texts):
            for division in Division.objects.filter(Q(code__in=chunk) | Q(name__in=chunk)):
                self.divisions_by_code[division.code] = division
                self.divisions_by_name.setdefault(division.name, []).append(division)

    def load_registry(self) -> None:
        """The bureau's inspectors (locked until the import commits) and their specialties."""
        self.existing = {
            inspector.code: inspector
            for inspector in Inspector.objects.select_for_update(of=("self",))
            .filter(bureau=self.bureau)
            .select_related("region")
        }
        self.existing_numbers = {inspector.pk: inspector.certificate_number for inspector in self.existing.values()}
        self.through = Inspector.specialties.through
        self.specialty_ids: dict[int, set[int]] = {}
        self.link_ids: dict[tuple[int, int], int] = {}
        links = self.through.objects.filter(inspector__bureau=self.bureau)
        for link_id, inspector_id, industry_id in links.values_list("pk", "inspector_id", "industry_id"):
            self.specialty_ids.setdefault(inspector_id, set()).add(industry_id)
            self.link_ids[inspector_id, industry_id] = link_id

    # -- checking --

    def resolve_region(self, text: str, number: int):
        if text in self.divisions_by_code:
            return self.divisions_by_code[text]
        matches = self.divisions_by_name.get(text, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            message = _("Several administrative divisions are named %(value)s: write the code.")
        else:
            message = _("No administrative division has the code or name %(value)s.")
        self.error(number, "region", message % {"value": text})
        return None

    def check_rows(self) -> None:
        seen_codes: dict[str, int] = {}
        for parsed in self.parsed:
            number, bad = parsed.row, set(parsed.errors)
            for key, message in parsed.errors.items():
                self.error(number, key, message)
            values = {k: v for k, v in parsed.values.items() if k not in bad}
            specialties = None
            if "specialties" in values:
                unknown = [code for code in values.pop("specialties") if code not in self.industries]
                if unknown:
                    self.error(
                        number, "specialties", _("Unknown industry codes: %(codes)s.") % {"codes": "、".join(unknown)}
                    )
                    bad.add("specialties")
                else:
                    specialties = [self.industries[code] for code in parsed.values["specialties"]]
            if "region" in values:
                text = values["region"]
                values["region"] = self.resolve_region(text, number) if text else None
                if text and values["region"] is None:
                    bad.add("region")
            code = values.get("code", "")
            if code in seen_codes:
                message = _("The staff code %(code)s is already on row %(row)s.") % {
                    "code": code,
                    "row": seen_codes[code],
                }
                self.error(number, "code", message)
                bad.add("code")
            elif code:
                seen_codes[code] = number
            target = self.existing.get(code)
            if target is not None:
                full = {name: getattr(target, name) for name in INSPECTOR_FIELDS}
            else:
                full = dict.fromkeys(INSPECTOR_FIELDS, "") | {
                    "kind": InspectorKind.ENFORCEMENT,
                    "region": None,
                    "certificate_valid_from": None,
                    "certificate_valid_until": None,
                }
            full.update({k: v for k, v in values.items() if k not in bad})
            for key, message in validate_inspector_values(full).items():
                if key not in bad:
                    self.error(number, key, message)
            self.rows.append(_Row(number=number, values=full, specialties=specialties, target=target))

    def check_certificates(self) -> None:
        """A certificate belongs to one person: check the registry as it will be after the import."""
        in_file = {row.values["code"] for row in self.rows}
        holders: dict[str, list[tuple[str, int | None]]] = {}
        for inspector in self.existing.values():
            if inspector.certificate_number and inspector.code not in in_file:
                holders.setdefault(inspector.certificate_number, []).append((inspector.code, None))
        for row in self.rows:
            if row.values["certificate_number"]:
                holders.setdefault(row.values["certificate_number"], []).append((row.values["code"], row.number))
        for number, held_by in holders.items():
            for code, row_number in held_by:
                if row_number is None or len(held_by) < 2:
                    continue
                others = "、".join(
                    _("row %(row)s") % {"row": r} if r else _("%(code)s in the registry") % {"code": c}
                    for c, r in held_by
                    if (c, r) != (code, row_number)
                )
                message = _("The certificate %(number)s is also given for %(others)s.")
                self.error(row_number, "certificate_number", message % {"number": number, "others": others})

    # -- writing (bulk; then one audit entry per inspector that really changed) --

    def write(self) -> None:
        to_create: list[tuple[Inspector, list[Industry]]] = []
        to_update: list[Inspector] = []
        update_fields: set[str] = set()
        changes: list[tuple[Inspector, dict, list[Industry], bool]] = []  # inspector, before, specialties, changed?
        for row in self.rows:
            if row.target is None:
                to_create.append((Inspector(bureau=self.bureau, **row.values), row.specialties or []))
                continue
            target = row.target
            old_ids = self.specialty_ids.get(target.pk, set())
            old = sorted((self.industry_by_id[i] for i in old_ids), key=lambda industry: industry.code)
            changed = _changed_fields(row.values, target)
            specialties_changed = row.specialties is not None and {i.pk for i in row.specialties} != old_ids
            if not changed and not specialties_changed:
                self.result.unchanged += 1
                continue
            before = _inspector_state(target, old)
            for name in changed:
                setattr(target, name, row.values[name])
            if changed:
                to_update.append(target)
                update_fields.update(changed)
            changes.append((target, before, row.specialties if specialties_changed else old, specialties_changed))

        if to_update:
            # Certificates may move between inspectors of the file: free the changed ones first.
            moved = [target.pk for target in to_update if target.certificate_number != self.existing_numbers[target.pk]]
            for chunk in _chunks(moved):
                Inspector.objects.filter(pk__in=chunk).update(certificate_number="")
            Inspector.objects.bulk_update(to_update, sorted(update_fields), batch_size=500)
        created = [inspector for inspector, _specialties in to_create]
        Inspector.objects.bulk_create(created, batch_size=500)
        if any(inspector.pk is None for inspector in created):  # backends that do not return ids
            ids = dict(Inspector.objects.filter(bureau=self.bureau).values_list("code", "pk"))
            for inspector in created:
                inspector.pk = ids[inspector.code]
        removed: list[int] = []
        added = []
        for target, _before, specialties, specialties_changed in changes:
            if specialties_changed:
                old_ids, new_ids = self.specialty_ids.get(target.pk, set()), {i.pk for i in specialties}
                removed.extend(self.link_ids[target.pk, i] for i in old_ids - new_ids)
                added.extend(self.through(inspector_id=target.pk, industry_id=i) for i in sorted(new_ids - old_ids))
        for inspector, specialties in to_create:
            added.extend(self.through(inspector_id=inspector.pk, industry_id=i.pk) for i in specialties)
        for chunk in _chunks(removed):
            self.through.objects.filter(pk__in=chunk).delete()
        self.through.objects.bulk_create(added, batch_size=500)

        source = {"source": "import", "file": self.filename}
        for inspector, specialties in to_create:
            data = {"after": _inspector_state(inspector, specialties), **source}
            audit_log(actor=self.actor, action="inspectors.inspector_created", obj=inspector, data=data)
            self.result.created.append(inspector.code)
        for target, before, specialties, _specialties_changed in changes:
            data = {**_diff(before, _inspector_state(target, specialties)), **source}
            audit_log(actor=self.actor, action="inspectors.inspector_updated", obj=target, data=data)
            self.result.updated.append(target.code)
        if self.result.created or self.result.updated:
            audit_log(
                actor=self.actor,
                action="inspectors.imported",
                bureau=self.bureau,
                object_repr=self.filename,
                data={
                    "file": self.filename,
                    "rows": len(self.rows),
                    "created": self.result.created,
                    "updated": self.result.updated,
                    "unchanged": self.result.unchanged,
                },
            )


def inspectors_import(
    *,
    actor,
    bureau,
    sheet: Sheet,
    filename: str = "",
    progress: Callable[[int, str], None] | None = None,
    _record: InspectorImport | None = None,
) -> ImportResult:
    """Import a sheet of inspectors (columns: :mod:`inspectors.spreadsheet`): all rows or none.

    Every problem is returned in the result with its spreadsheet row (the header is row 1) and column
    title, and then nothing is written. Rows are matched to the registry by staff code: new codes are
    added, known ones updated in the columns the file has; each change is audited with its before/after
    values. Reads and writes are in bulk: the only per-row queries are the audit entries of the rows that
    really change. A second import of the same file changes nothing.
    """
    importer = _Importer(actor=actor, bureau=bureau, sheet=sheet, filename=filename)
    if importer.errors:
        return _finished(_record, importer.rejected())
    if progress:
        progress(10, _("Checking %(count)s rows") % {"count": len(importer.parsed)})
    importer.load_references()
    with transaction.atomic():
        if _record is not None and upload_finished(_record):
            return ImportResult.from_dict(upload_result(_record))
        importer.load_registry()
        importer.check_rows()
        importer.check_certificates()
        if importer.errors:
            return _finished(_record, importer.rejected())
        try:
            with transaction.atomic():
                importer.write()
        except IntegrityError:  # another writer took a code or certificate meanwhile
            message = _("The registry changed while importing; import the file again.")
            return _finished(_record, ImportResult(errors=[{"row": None, "column": "", "message": message}]))
        upload_finish(_record, importer.result.as_dict())
    return importer.result


def _finished(record: InspectorImport | None, result: ImportResult) -> ImportResult:
    upload_finish(record, result.as_dict())
    return result


def inspector_import_start(*, actor, bureau, upload) -> ImportStart:
    """Import an uploaded .xlsx (a Django ``UploadedFile``) into ``bureau``'s inspector registry.

    The file is read once, here. A file of more than ``IMPORT_INLINE_MAX_ROWS`` rows is kept (as read) for
    a background job (``inspectors.import``); a smaller one is imported at once (see ``inspectors_import``).
    A file that cannot be read raises DomainError; row errors are returned in the result.
    """
    data, sheet = upload_read(upload)
    if len(sheet) > settings.IMPORT_INLINE_MAX_ROWS:
        job = upload_submit(
            InspectorImport,
            kind="inspectors.import",
            actor=actor,
            bureau=bureau,
            data=data,
            filename=upload.name,
            sheet=sheet,
            rows=len(sheet),
            params={"language": translation.get_language()},
        )
        return ImportStart(job=job)
    return ImportStart(result=inspectors_import(actor=actor, bureau=bureau, sheet=sheet, filename=upload.name))


def inspector_import_run(*, record: InspectorImport, progress=None) -> ImportResult:
    """Run a submitted import from its kept sheet (the job handler's body). A finished import returns its result."""
    if record.finished_at is not None:
        return ImportResult.from_dict(upload_result(record))
    return inspectors_import(
        actor=record.uploaded_by,
        bureau=record.bureau,
        sheet=sheet_unpack(record.sheet),
        filename=record.filename,
        progress=progress,
        _record=record,
    )
