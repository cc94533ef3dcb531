"""Edit forms never overwrite silently: each carries the version of the row it was rendered from.

A version is ``"<audit id>-<digest>"``: the digest of the form's editable values of the row as stored
(:func:`digest`), and the id of the last audit entry about the row at that moment (to tell afterwards
what changed and who changed it). The edit form (:class:`VersionedForm`) holds it in a hidden field; the
owning service, inside its transaction and after locking the row, calls :func:`check` with the row's
values as stored now and the version the form was rendered from, and raises :class:`EditConflict` if the
values differ. A change elsewhere on the row (its status, say) does not refuse an edit of other fields.

The view catches the conflict and calls :func:`refuse`: the form keeps what the user typed, its version
moves to the current one (submitting again then overwrites, knowingly), and the page lists the audit
entries written since the form was opened, field by field (old → new) with the person who made them
(``includes/conflict.html``, status 409).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .audit import field_digest
from .audit_words import action_words
from .errors import DomainError
from .models import AuditEntry

FIELD = "version"


def digest(values: Mapping) -> str:
    """A digest of the editable values (JSON-canonical: dates, decimals and ids as text)."""
    return field_digest(dict(values))


def model_values(obj, names) -> dict:
    """``{name: value}`` of ``obj``'s fields ``names`` (a related row by its id; many-to-many by sorted ids)."""
    values = {}
    for name in names:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(getattr(obj, name).values_list("pk", flat=True)) if obj.pk else []
        else:
            values[name] = getattr(obj, field.attname)
    return values


def _entries(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def last_entry_id(obj) -> int:
    if obj is None or obj.pk is None:
        return 0
    return _entries(obj).order_by("-id").values_list("id", flat=True).first() or 0


def version(obj, values: Mapping) -> str:
    """The version of ``obj`` whose editable values are ``values`` (``obj``: the row the audit trail names)."""
    return f"{last_entry_id(obj)}-{digest(values)}"


def _parse(token: str) -> tuple[int, str]:
    since, _sep, value = (token or "").partition("-")
    try:
        return max(int(since), 0), value
    except ValueError:
        return 0, value


@dataclass
class Change:
    entry: AuditEntry
    fields: list  # [(field label, old, new)]

    @property
    def action(self) -> str:
        return action_words(self.entry.action)


class EditConflict(DomainError):
    """The row changed since the form was rendered; nothing was written."""

    def __init__(self, *, obj, since: int, current: str):
        super().__init__(
            _(
                "Someone else changed this since you opened the form. Nothing of yours was saved: your entries "
                "are kept below, beside what changed meanwhile. Check them and submit again to replace the other "
                "change."
            )
        )
        self.obj, self.since, self.current = obj, since, current


def check(obj, values: Mapping, expected: str | None) -> None:
    """Raise :class:`EditConflict` unless ``values`` (as stored now, row locked) match version ``expected``.

    ``expected`` None (or empty): the caller is no edit form (an import, a command), nothing to compare.
    """
    if not expected:
        return
    since, expected_digest = _parse(expected)
    if expected_digest != digest(values):
        raise EditConflict(obj=obj, since=since, current=version(obj, values))


def _shown(value, field=None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return pgettext("conflict value", "yes") if value else pgettext("conflict value", "no")
    choices = dict(getattr(field, "choices", None) or ()) if field is not None else {}
    if not isinstance(value, dict | list) and value in choices:
        return str(choices[value])
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes_since(form, obj, since: int) -> list[Change]:
    """The audit entries about ``obj`` after entry ``since``, each with the changed fields of ``form`` (old → new).

    Fields are named by the form's labels and their values by its choices; a key of the audit data that is
    no field of the form (a status, a due date) is left out.
    """
    changes = []
    if obj is None:  # the row was deleted meanwhile
        return changes
    for entry in _entries(obj).filter(id__gt=since).select_related(None).order_by("id"):
        data = entry.data or {}
        before = form.audit_values(data.get("before") or {})
        after = form.audit_values(data.get("after") or {})
        fields = []
        for name in dict.fromkeys([*before, *after]):
            field = form.fields.get(name)
            if field is None or name == FIELD:
                continue
            old, new = _shown(before.get(name), field), _shown(after.get(name), field)
            if old == new:  # entries that record the whole row name every field
                continue
            fields.append((form.change_label(name), old, new))
        changes.append(Change(entry=entry, fields=fields))
    return changes


def refuse(form: forms.Form, conflict: EditConflict, *, described_by: forms.Form | None = None) -> None:
    """Keep what the user typed, move the form to the current version and attach the changes to show.

    ``described_by``: the form whose fields name the changes, when ``form`` shows fewer (an approval form
    refused because the result it approves was edited is described by the result form).
    """
    data = form.data.copy()
    data[form.add_prefix(FIELD)] = conflict.current
    form.data = data
    form.conflict = conflict
    form.changes = changes_since(described_by or form, conflict.obj, conflict.since)
    form.add_error(None, str(conflict))


class VersionedForm(forms.Form):
    """An edit form that carries the version of the row it was rendered from (a hidden field)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    conflict = None
    changes = ()

    def set_version(self, token: str) -> None:
        """The version shown in a new form (a bound form keeps the one it was submitted with)."""
        self.fields[FIELD].initial = token

    def audit_values(self, values: dict) -> dict:
        """An audit entry's before/after as ``{form field name: value}`` (forms whose data nest override it)."""
        return values

    def change_label(self, name: str) -> str:
        """How the conflict page names field ``name``."""
        return str(self.fields[name].label or name)

    submitted_version = None

    def _clean_fields(self):
        """The version leaves ``cleaned_data`` (which views pass on to services as fields) for ``submitted_version``."""
        super()._clean_fields()
        self.submitted_version = self.cleaned_data.pop(FIELD, None) or None


def status(form) -> int:
    """The status of an edit page: 409 when it shows a conflict."""
    return 409 if getattr(form, "conflict", None) else 200
