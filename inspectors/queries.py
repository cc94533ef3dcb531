"""Reads of the inspector registry used by other apps (the draw engine): a fixed, small number of queries.

An inspector is *available* for an inspection period [start, end] (both days included) when he is
active, holds an enforcement certificate valid on every day of the period, and has no leave period
sharing a day with it.
"""

from datetime import date
from typing import NamedTuple

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from enterprises.models import Enterprise, Industry

from .models import Conflict, Expert, Inspector, LeavePeriod


def available_inspectors(bureau, start: date, end: date) -> list[Inspector]:
    """Active inspectors of ``bureau`` certified for every day of [start, end] and not on leave then.

    Ordered by staff code; only their id, code and name are loaded (1 query).
    """
    return list(
        Inspector.objects.for_bureau(bureau)
        .active()
        .certified_between(start, end)
        .not_on_leave_between(start, end)
        .only("id", "code", "name")
        .order_by("code")
    )


class Availability(NamedTuple):
    """The bureau's inspectors split by :func:`availability`, each list in staff code order."""

    available: list[tuple[int, str, str]]  # (id, code, name)
    unavailable: list[tuple[int, str, str, str]]  # (id, code, name, reason)


def _reasons(start: date, end: date, *, active, inactive_since, inactive_reason, certificate, leaves) -> list[str]:
    """Why an inspector cannot inspect on [start, end] (empty if he can): the one statement of the rule."""
    number, valid_from, valid_until = certificate
    found = []
    if not active:
        if inactive_since:
            found.append(
                _("Inactive since %(date)s (%(reason)s)")
                % {"date": inactive_since.isoformat(), "reason": inactive_reason or "—"}
            )
        else:
            found.append(_("Inactive"))
    if not (number and valid_from and valid_until):
        found.append(_("No enforcement certificate on record"))
    else:
        if valid_from > start:
            found.append(_("Certificate valid only from %(date)s") % {"date": valid_from.isoformat()})
        if valid_until < end:
            if valid_until < start:
                found.append(_("Certificate expired on %(date)s") % {"date": valid_until.isoformat()})
            else:
                found.append(
                    _("Certificate expires on %(date)s, before the end of the period")
                    % {"date": valid_until.isoformat()}
                )
    found.extend(
        _("On leave from %(start)s to %(end)s") % {"start": leave_start.isoformat(), "end": leave_end.isoformat()}
        for leave_start, leave_end in leaves
    )
    return found


def _leaves(periods, start: date, end: date) -> dict[int, list[tuple[date, date]]]:
    """{inspector id: [(start, end)…]} of the leave ``periods`` overlapping [start, end], earliest first."""
    found: dict[int, list[tuple[date, date]]] = {}
    for inspector_id, leave_start, leave_end in (
        periods.overlapping(start, end).order_by("start").values_list("inspector_id", "start", "end")
    ):
        found.setdefault(inspector_id, []).append((leave_start, leave_end))
    return found


def availability(bureau, start: date, end: date) -> Availability:
    """Every inspector of ``bureau``, available for [start, end] or not, with the reasons why not (2 queries).

    The rules are those of :func:`available_inspectors` (tested to agree), applied in Python so that a
    draw learns who is in its pool and why the others are not from one read of the registry. The reasons
    are translated into the active language and joined with "; " when there are several.
    """
    leave_by_inspector = _leaves(LeavePeriod.objects.filter(inspector__bureau=bureau), start, end)
    available, unavailable = [], []
    for pk, code, name, active, inactive_since, inactive_reason, number, valid_from, valid_until in (
        Inspector.objects.for_bureau(bureau)
        .order_by("code")
        .values_list(
            "pk",
            "code",
            "name",
            "active",
            "inactive_since",
            "inactive_reason",
            "certificate_number",
            "certificate_valid_from",
            "certificate_valid_until",
        )
    ):
        found = _reasons(
            start,
            end,
            active=active,
            inactive_since=inactive_since,
            inactive_reason=inactive_reason,
            certificate=(number, valid_from, valid_until),
            leaves=leave_by_inspector.get(pk, []),
        )
        if found:
            unavailable.append((pk, code, name, "; ".join(found)))
        else:
            available.append((pk, code, name))
    return Availability(available, unavailable)


def unavailability_reasons(bureau, start: date, end: date) -> dict[int, str]:
    """{inspector id: why he cannot be drawn for [start, end]} for every unavailable inspector (2 queries)."""
    return {pk: reason for pk, _code, _name, reason in availability(bureau, start, end).unavailable}


def conflict_reason(reason: str, declared_on: date) -> str:
    return _("Recused from this enterprise (回避) since %(date)s: %(reason)s") % {
        "date": declared_on.isoformat(),
        "reason": reason,
    }


def unavailable_reasons(inspector_ids, enterprise_id: int, start: date, end: date | None = None) -> dict[int, str]:
    """{inspector id: why he may not inspect ``enterprise_id`` on [start, end]} for those of ``inspector_ids`` who
    may not (3 queries): inactive, no certificate valid on every day, on leave on one of the days, or recused.

    The rule every step re-checks (the ceremony, approval, check-in, result entry): the same reasons as
    :func:`availability`, plus a declared conflict of interest with the enterprise.
    """
    end = end or start
    ids = list(inspector_ids)
    leaves = _leaves(LeavePeriod.objects.filter(inspector_id__in=ids), start, end)
    conflicts = {
        inspector_id: (reason, declared_on)
        for inspector_id, reason, declared_on in Conflict.objects.filter(
            inspector_id__in=ids, enterprise_id=enterprise_id
        ).values_list("inspector_id", "reason", "declared_on")
    }
    found = {}
    for pk, active, inactive_since, inactive_reason, number, valid_from, valid_until in Inspector.objects.filter(
        pk__in=ids
    ).values_list(
        "pk",
        "active",
        "inactive_since",
        "inactive_reason",
        "certificate_number",
        "certificate_valid_from",
        "certificate_valid_until",
    ):
        reasons = _reasons(
            start,
            end,
            active=active,
            inactive_since=inactive_since,
            inactive_reason=inactive_reason,
            certificate=(number, valid_from, valid_until),
            leaves=leaves.get(pk, []),
        )
        if pk in conflicts:
            reasons.append(conflict_reason(*conflicts[pk]))
        if reasons:
            found[pk] = "; ".join(reasons)
    return found


def conflict_reasons(bureau) -> dict[tuple[int, int], str]:
    """{(enterprise id, inspector id): :func:`conflict_reason`} of every declared conflict in ``bureau`` (1 query)."""
    return {
        (enterprise_id, inspector_id): conflict_reason(reason, declared_on)
        for enterprise_id, inspector_id, reason, declared_on in Conflict.objects.filter(
            inspector__bureau=bureau
        ).values_list("enterprise_id", "inspector_id", "reason", "declared_on")
    }


def conflict_pairs(bureau) -> set[tuple[int, int]]:
    """{(enterprise id, inspector id)} of every declared conflict of interest in ``bureau`` (1 query)."""
    return set(Conflict.objects.filter(inspector__bureau=bureau).values_list("enterprise_id", "inspector_id"))


def industry_with_ancestors(industry_id: int) -> list[int]:
    """The industry's id and its ancestors' ids, nearest first (1 query; GB/T 4754 has 4 levels)."""
    row = (
        Industry.objects.filter(pk=industry_id)
        .values_list("pk", "parent_id", "parent__parent_id", "parent__parent__parent_id")
        .first()
    )
    return [pk for pk in row or () if pk is not None]


def industry_with_descendants(industry_id: int) -> set[int]:
    """The industry's id and every id below it in the tree (1 query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Industry.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [industry_id]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, []))
    return found


def experts_for_industry(bureau, industry_id: int) -> list[Expert]:
    """Active experts of ``bureau`` covering the industry: listed for it or for one of its ancestors (3 queries).

    An expert for 26 (chemical raw materials) covers 2614 (organic chemicals). Ordered by name.
    """
    ids = industry_with_ancestors(industry_id)
    if not ids:
        return []
    return list(
        Expert.objects.for_bureau(bureau)
        .active()
        .filter(industries__in=ids)
        .distinct()
        .select_related("region")
        .prefetch_related(Prefetch("industries", queryset=Industry.objects.order_by("code")))
        .order_by("name", "id")
    )


def enterprise_matches(bureau, text: str, limit: int = 5) -> list[Enterprise]:
    """Enterprises of ``bureau`` the user may mean by ``text``: by USCC or full name exactly, else by part of
    the name (at most ``limit`` + 1, so a caller can tell "too many"). One or two queries."""
    text = text.strip()
    if not text:
        return []
    enterprises = Enterprise.objects.for_bureau(bureau)
    exact = list(enterprises.filter(Q(uscc=text.upper()) | Q(name=text))[:2])
    if len(exact) == 1:
        return exact
    return list(enterprises.filter(name__icontains=text).order_by("name", "id")[: limit + 1])
