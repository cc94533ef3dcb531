"""Template helpers other apps' pages use to show inspections."""

from django import template
from django.utils.translation import pgettext

from inspections.enums import InspectionTaskStatus, SubstitutionKind
from inspections.forms import SubstitutionProposalForm
from inspections.models import InspectionTask

register = template.Library()
PAST_LIMIT = 20


@register.simple_tag
def past_inspections(enterprise, limit=PAST_LIMIT):
    """The enterprise's inspections that have taken place (never the confidential ones still to come),
    newest first, with their results: one query.
    """
    return list(
        InspectionTask.objects.filter(enterprise=enterprise)
        .exclude(status__in=[*InspectionTaskStatus.before_inspection(), InspectionTaskStatus.CANCELLED])
        .select_related("result")
        .order_by("-planned_start", "-id")[:limit]
    )


@register.inclusion_tag("inspections/_substitution_controls.html", takes_context=True)
def substitution_controls(context, task, proposals):
    """A draw row's substitution controls: the open proposal (approve / reject, or withdraw for its proposer)
    or, for a team lead (never the administrator), the forms to propose one. The inspector to replace is
    chosen among the task's members (read by the page as ``task.member_list``), so a row costs no query.

    The draw page (``sampling/_draw_rows.html``) passes plain values, not models: ``task`` (pk, status,
    member_list), ``proposals`` {task id: (pk, kind_label, inspector, reason_label, note, proposed_by_id,
    proposed_by_name, proposed_at)}, ``can_propose`` and ``viewer_id`` (the user's id when a proposal is on the
    page), and caches the rows under the digest of those: read nothing else here (not the request)."""
    is_lead = bool(context.get("can_propose"))  # the draw page's: a team lead of the draw's bureau
    proposal = proposals.get(task.pk)
    shown = is_lead and task.status == InspectionTaskStatus.ASSIGNED
    selects = {}
    if shown and proposal is None:
        selects = {
            "enterprise_reasons": _reason_select(context, SubstitutionKind.ENTERPRISE, task),
            "inspector_reasons": _reason_select(context, SubstitutionKind.INSPECTOR, task),
        }
    return {
        "task": task,
        "members": task.member_list,
        "proposal": proposal,
        "shown": shown,
        "is_proposer": proposal is not None and proposal.proposed_by_id == context.get("viewer_id"),
        **selects,
        "csrf_token": context.get("csrf_token"),
    }


def _reason_select(context, kind, task) -> str:
    """The reason's <select> of a proposal form: the same on every row of the page (the reasons of ``kind``, no
    id), so rendered once per page render (a draw page shows up to 200 rows; rendering the widget for each row
    was most of the page's time)."""
    cache = context.render_context.get("ssj_reason_selects")
    if cache is None:
        cache = context.render_context["ssj_reason_selects"] = {}
    if kind not in cache:
        form = SubstitutionProposalForm(task=task.pk, kind=kind, auto_id=False)
        cache[kind] = str(form["reason_code"])
    return cache[kind]


@register.filter
def team_role(role: str) -> str:
    """A team member's role in the words of the inspection notice (组长, 组员, 专家), on every page."""
    return {
        "lead": pgettext("team role", "Team leader"),
        "member": pgettext("team role", "Team member"),
        "expert": pgettext("team role", "Expert"),
    }.get(role, role)
