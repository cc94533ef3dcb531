"""Forms of the follow-up pages. They only parse input; rules and state changes are in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.versions import VersionedForm
from inspections.forms import AttachmentForm, DateInput

from .enums import Conclusion, PenaltyCategory

RECTIFIED_CHOICES = [("yes", "已整改"), ("no", "未整改")]


class PolicyForm(VersionedForm):
    rectification_working_days = forms.IntegerField(
        label=_("Working days to rectify"),
        min_value=1,
        max_value=250,
        help_text=_("Counted on the working-day calendar from the day after the inspection"),
    )
    authority_uscc = forms.CharField(
        label=_("The bureau's unified social credit code"),
        max_length=40,
        required=False,
        help_text=_("处罚机关统一社会信用代码 of the penalty exchange file"),
    )


class EvidenceForm(AttachmentForm):
    pass


class VisitForm(forms.Form):
    rectified = forms.ChoiceField(label=_("Found at the visit"), choices=RECTIFIED_CHOICES, widget=forms.RadioSelect)
    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput())
    findings = forms.CharField(label=_("What the visit found"), widget=forms.Textarea(attrs={"rows": 3}))


class CaseFileForm(forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=80)
    filed_on = forms.DateField(label=_("Filed on"), widget=DateInput())
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 2}))
    violation_type = forms.CharField(label=_("Type of violation"), max_length=200, required=False)
    violation_facts = forms.CharField(
        label=_("Facts of the violation"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CaseDecideForm(forms.Form):
    decision_number = forms.CharField(label=_("Penalty decision number"), max_length=100)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())
    penalty_category = forms.ChoiceField(label=_("Kind of penalty"), choices=[("", "—"), *PenaltyCategory.choices])
    penalty_content = forms.CharField(label=_("Penalty"), widget=forms.Textarea(attrs={"rows": 2}))
    penalty_basis = forms.CharField(
        label=_("Legal basis of the penalty"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Empty: the case's legal basis"),
    )
    fine = forms.DecimalField(label=_("Fine (yuan)"), required=False, max_digits=14, decimal_places=2)


class CaseCloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), widget=DateInput())
    conclusion = forms.ChoiceField(label=_("Conclusion"), choices=[("", "—"), *Conclusion.choices])
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when no violation was found"),
    )


class TransferSendForm(forms.Form):
    department = forms.CharField(label=_("Receiving department"), max_length=120)
    transferred_on = forms.DateField(label=_("Transferred on"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason for the transfer"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransferReceiveForm(forms.Form):
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=80)
    received_by_name = forms.CharField(label=_("Received by"), max_length=60)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())


class TransferCloseForm(forms.Form):
    concluded_on = forms.DateField(label=_("Concluded on"), widget=DateInput())
    conclusion = forms.ChoiceField(label=_("Conclusion"), choices=[("", "—"), *Conclusion.choices])
    note = forms.CharField(label=_("What the department found"), widget=forms.Textarea(attrs={"rows": 2}))


class PenaltyExportForm(forms.Form):
    """A quarter of a year, or a date range (of the penalty decisions)."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")], initial="xlsx")

    def clean(self):
        data = super().clean()
        year, quarter, start, end = data.get("year"), data.get("quarter"), data.get("date_from"), data.get("date_to")
        if year and quarter:
            return data
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end is before the start."))
            return data
        if year or quarter:
            self.add_error("quarter" if year else "year", _("Give both the year and the quarter."))
        elif start or end:
            self.add_error("date_to" if start else "date_from", _("Give both ends of the range."))
        else:
            raise forms.ValidationError(_("Choose a quarter or a date range."))
        return data
