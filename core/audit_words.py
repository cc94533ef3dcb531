"""The audit trail in words: one label per action code, and an entry's object by its model's name.

A person reading the trail never sees a dotted code (``publication.batch_published``) or an
``app.model id`` string: an action without words here reads as a generic "entry" (the code only in a
title attribute), an object as its model's verbose name and its recorded name. A new audit action adds
its words to ``ACTIONS`` (docs/CONVENTIONS.md, "State changes").
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

ACTIONS = {
    # core
    "calendar.day_set": _("Calendar day set"),
    "calendar.day_removed": _("Calendar day removed"),
    "calendar.year_loaded": _("Calendar year loaded"),
    "demo.seeded": _("Demo data loaded"),
    "notifications.preferences_changed": _("E-mail preferences changed"),
    # enterprises
    "enterprises.enterprise_created": _("Enterprise registered"),
    "enterprises.enterprise_updated": _("Enterprise updated"),
    "enterprises.enterprise_status_changed": _("Enterprise status changed"),
    "enterprises.record_added": _("Enterprise record added"),
    "enterprises.inspection_recorded": _("Published result put on the enterprise's record"),
    "enterprises.inspection_record_changed": _("Published result on the enterprise's record corrected"),
    "enterprises.checkitem_created": _("Check item created"),
    "enterprises.checkitem_updated": _("Check item updated"),
    "enterprises.checkitem_deactivated": _("Check item deactivated"),
    "enterprises.checkitem_reactivated": _("Check item reactivated"),
    "enterprises.risk_rule_changed": _("Risk weight rule changed"),
    # inspectors
    "inspectors.inspector_created": _("Inspector registered"),
    "inspectors.inspector_updated": _("Inspector updated"),
    "inspectors.inspector_transferred": _("Inspector transferred"),
    "inspectors.inspector_reactivated": _("Inspector reactivated"),
    "inspectors.inspector_account_linked": _("Inspector's account linked"),
    "inspectors.imported": _("Inspectors imported"),
    "inspectors.leave_added": _("Leave recorded"),
    "inspectors.leave_removed": _("Leave removed"),
    "inspectors.conflict_declared": _("Conflict of interest declared"),
    "inspectors.conflict_withdrawn": _("Conflict of interest withdrawn"),
    "inspectors.expert_created": _("Expert registered"),
    "inspectors.expert_updated": _("Expert updated"),
    "inspectors.expert_deactivated": _("Expert deactivated"),
    "inspectors.expert_reactivated": _("Expert reactivated"),
    # sampling
    "sampling.plan_created": _("Plan created"),
    "sampling.plan_status_set": _("Plan status changed"),
    "sampling.task_created": _("Plan task created"),
    "sampling.task_updated": _("Plan task updated"),
    "sampling.policy_updated": _("Quota policy updated"),
    "sampling.policy_preset_applied": _("Quota policy preset applied"),
    "sampling.plan_filed": _("Plan filing with the higher authority recorded"),
    "sampling.step_refused": _("Draw step refused: an inspector may not take part"),
    "draw.created": _("Draw prepared (pool frozen)"),
    "draw.executed": _("Draw held"),
    "draw.execute_failed": _("Draw attempt failed"),
    "draw.approved": _("Draw approved and locked"),
    "draw.rejected": _("Draw rejected"),
    "draw.cancelled": _("Draw cancelled"),
    "draw.list_viewed": _("Confidential draw list viewed"),
    "draw.enterprise_substituted": _("Enterprise substituted"),
    "draw.inspector_substituted": _("Inspector substituted"),
    "draw.substitution_proposed": _("Substitution proposed"),
    "draw.substitution_approved": _("Substitution approved"),
    # inspections
    "inspections.task_viewed": _("Confidential task viewed"),
    "inspections.task_list_viewed": _("Confidential task list viewed"),
    "inspections.notice_issued": _("Inspection notice issued"),
    "inspections.checkin_confirmed": _("Arrival confirmed by the enterprise"),
    "inspections.checkin_recorded_manually": _("Arrival recorded from a paper record signed by the enterprise"),
    "inspections.result_recorded": _("Result recorded"),
    "inspections.result_edited": _("Result edited"),
    "inspections.result_approved": _("Result approved"),
    "inspections.result_exempted": _("Result approved as confidential"),
    "inspections.outcome_changed": _("Outcome changed after follow-up"),
    "inspections.outcome_confirmed": _("Outcome confirmed after follow-up"),
    "inspections.result_corrected": _("Outcome corrected"),
    # followup
    "followup.policy_updated": _("Follow-up settings changed"),
    "followup.rectification_ordered": _("Rectification ordered"),
    "followup.file_added": _("Follow-up file attached"),
    "followup.visit_recorded": _("Follow-up visit recorded"),
    "followup.case_opened": _("Case opened"),
    "followup.case_filed": _("Case filed"),
    "followup.case_decided": _("Penalty decided"),
    "followup.case_closed": _("Case closed"),
    "followup.transfer_sent": _("Case transferred"),
    "followup.transfer_received": _("Transfer receipt recorded"),
    "followup.transfer_closed": _("Transfer concluded"),
    "inspections.attachment_added": _("Evidence attached"),
    "inspections.attachment_removed": _("Evidence removed"),
    "inspections.evaluation_submitted": _("Enterprise evaluation submitted"),
    "inspections.result_recorded_without_arrival": _("Result recorded without arrival"),
    "inspections.offsite_check_recorded": _("Off-site check recorded"),
    "inspections.step_refused": _("Inspection step refused: an inspector may not take part"),
    "inspections.evaluation_recorded_on_paper": _("Enterprise evaluation recorded from a signed paper form"),
    "inspections.objection_filed": _("Objection filed by the enterprise"),
    "inspections.objection_upheld": _("Objection upheld"),
    "inspections.objection_rejected": _("Objection rejected"),
    # publication
    "publication.published": _("Result published"),
    "publication.batch_published": _("Results published together"),
    "publication.exempted": _("Exempted from publication"),
    "publication.outcome_updated": _("Published outcome updated"),
    "publication.objection_marked": _("Objection shown on the published result"),
    "publication.reminders_sent": _("Publication reminders sent"),
}

# Models that moved apps keep their old label in the entries written before the move.
MOVED = {
    "sampling.inspectiontask": "inspections.inspectiontask",
    "sampling.taskmember": "inspections.taskmember",
    "sampling.substitution": "inspections.substitution",
    "disclosure.publication": "inspections.publication",
    "disclosure.exemption": "inspections.exemption",
    "disclosure.reminder": "inspections.reminder",
}

GENERIC_ACTION = pgettext_lazy("audit trail", "Entry")


def action_words(code: str) -> str:
    """The action in words; a code without words reads as a generic entry, never as the code."""
    return str(ACTIONS.get(code, GENERIC_ACTION))


def known_action(code: str) -> bool:
    return code in ACTIONS


def model_words(object_type: str) -> str:
    """The model's verbose name for an entry's ``object_type`` ('' when none is known)."""
    if not object_type:
        return ""
    label = MOVED.get(object_type, object_type)
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return pgettext("audit trail", "Record")
    return str(model._meta.verbose_name)


def object_words(object_type: str, object_repr: str) -> str:
    """'检查任务：JA-2026-0001 · 某企业' — the kind of object and its recorded name."""
    kind = model_words(object_type)
    if kind and object_repr:
        return pgettext("audit trail object", "%(kind)s: %(name)s") % {"kind": kind, "name": object_repr}
    return kind or object_repr
