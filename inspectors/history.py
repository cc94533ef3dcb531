"""The audit trail of one inspector or expert, as readable rows for its page."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import AuditEntry
from enterprises.models import Division

from .enums import ExpertKind, InspectorKind
from .models import Conflict, Expert, Inspector, LeavePeriod

HISTORY_LIMIT = 200

ACTION_LABELS = {
    "inspectors.inspector_created": _("Added to the registry"),
    "inspectors.inspector_updated": _("Changed"),
    "inspectors.inspector_transferred": _("Transferred (inactive)"),
    "inspectors.inspector_reactivated": _("Active again"),
    "inspectors.inspector_account_linked": _("Login account changed"),
    "inspectors.leave_added": _("Leave recorded"),
    "inspectors.leave_removed": _("Leave removed"),
    "inspectors.conflict_declared": _("Conflict of interest declared"),
    "inspectors.conflict_withdrawn": _("Conflict of interest withdrawn"),
    "inspectors.expert_created": _("Added to the pool"),
    "inspectors.expert_updated": _("Changed"),
    "inspectors.expert_deactivated": _("Taken out of the pool"),
    "inspectors.expert_reactivated": _("Back in the pool"),
}


def _labels() -> dict[str, str]:
    labels = {}
    for model in (Expert, Conflict, LeavePeriod, Inspector):  # later models win on shared names
        for model_field in model._meta.get_fields():
            if hasattr(model_field, "verbose_name"):
                labels[model_field.name] = model_field.verbose_name
    labels.update(
        {
            "name": pgettext_lazy("person", "Name"),
            "user": _("Login account"),
            "specialties": _("specialties"),
            "industries": pgettext_lazy("expert", "industries"),
            "enterprise": _("USCC"),
            "enterprise_name": _("enterprise"),
            "start": _("first day"),
            "end": _("last day"),
        }
    )
    return labels


@dataclass
class Change:
    label: str
    before: str | None
    after: str | None


@dataclass
class HistoryRow:
    entry: AuditEntry
    label: str
    changes: list[Change]
    note: str


def _text(value, key: str = "", regions: dict | None = None) -> str:
    if key == "kind":
        value = dict([*InspectorKind.choices, *ExpertKind.choices]).get(value, value)
    elif key == "region" and value and regions:
        value = regions.get(value, value)
    if value is None or value in ("", []):
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def history_rows(obj) -> list[HistoryRow]:
    """The latest audit entries about ``obj`` (newest first), with their before/after values labelled."""
    entries = AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("-id")
    labels = _labels()
    entries = list(entries[:HISTORY_LIMIT])
    region_codes = {
        value
        for entry in entries
        for side in ("before", "after")
        if isinstance((entry.data or {}).get(side), dict)
        for key, value in entry.data[side].items()
        if key == "region" and value
    }
    regions = dict(Division.objects.filter(code__in=region_codes).values_list("code", "name")) if region_codes else {}
    rows = []
    for entry in entries:
        data = entry.data or {}
        before, after = data.get("before") or {}, data.get("after") or {}
        changes = [
            Change(
                label=str(labels.get(key, key)),
                before=_text(before[key], key, regions) if key in before else None,
                after=_text(after[key], key, regions) if key in after else None,
            )
            for key in dict.fromkeys([*before, *after])
            if key != "id"
        ]
        note = data.get("reason") or ""
        if data.get("source") == "import":
            note = str(_("Imported from %(file)s") % {"file": data.get("file") or "—"})
        label = str(ACTION_LABELS.get(entry.action, entry.action))
        rows.append(HistoryRow(entry=entry, label=label, changes=changes, note=note))
    return rows
