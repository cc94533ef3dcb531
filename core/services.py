"""State changes of the shared pieces: the working-day calendar."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from . import versions
from .audit import audit_log
from .enums import CalendarDayKind
from .errors import DomainError
from .models import CalendarDay, CalendarYear


def _day_values(row: CalendarDay | None) -> dict:
    return {"kind": row.kind, "name": row.name} if row is not None else {}


def calendar_day_version(day: date | None) -> str:
    """The version of ``day``'s entry as stored now (no entry: the version of an empty one), for the form."""
    row = CalendarDay.objects.filter(date=day).first() if day is not None else None
    return versions.version(row, _day_values(row))


def calendar_day_set(*, actor, day: date, kind: str, name: str = "", version: str | None = None) -> CalendarDay:
    """Mark ``day`` as a holiday or a make-up working day (replacing what it was).

    ``version``: that of the form (:func:`calendar_day_version`: the entry it showed, or none for a new day);
    an entry set or changed since refuses with ``core.versions.EditConflict``.
    """
    if kind not in CalendarDayKind.values:
        raise DomainError(_("Unknown kind of day."))
    if kind == CalendarDayKind.WORKDAY and day.weekday() < 5:
        raise DomainError(
            _("%(day)s is a weekday already; only a Saturday or Sunday can be a make-up working day.") % {"day": day}
        )
    if kind == CalendarDayKind.HOLIDAY and day.weekday() >= 5:
        raise DomainError(_("%(day)s is a weekend day and is not worked anyway.") % {"day": day})
    with transaction.atomic():
        existing = CalendarDay.objects.select_for_update().filter(date=day).first()
        before = {"kind": existing.kind, "name": existing.name} if existing else None
        if existing and before == {"kind": kind, "name": name}:
            return existing
        versions.check(existing, _day_values(existing), version)
        if existing:
            existing.kind, existing.name = kind, name
            existing.save(update_fields=["kind", "name"])
            obj = existing
        else:
            obj = CalendarDay.objects.create(date=day, kind=kind, name=name)
        audit_log(
            actor=actor,
            action="calendar.day_set",
            obj=obj,
            data={"before": before, "after": {"kind": kind, "name": name}},
        )
        return obj


def calendar_day_remove(*, actor, day: date) -> None:
    with transaction.atomic():
        existing = CalendarDay.objects.select_for_update().filter(date=day).first()
        if existing is None:
            return
        audit_log(
            actor=actor,
            action="calendar.day_removed",
            obj=existing,
            data={"before": {"kind": existing.kind, "name": existing.name}},
        )
        existing.delete()


def calendar_year_mark_loaded(*, actor, year: int, source: str) -> CalendarYear:
    """Record that ``year``'s State Council notice is fully entered: its dates stop being provisional."""
    with transaction.atomic():
        obj, created = CalendarYear.objects.get_or_create(year=year, defaults={"source": source})
        if created:
            audit_log(actor=actor, action="calendar.year_loaded", obj=obj, data={"source": source})
        return obj
