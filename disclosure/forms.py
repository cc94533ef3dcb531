from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from inspections.publication import REASON_MAX


class ExemptionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for not publishing"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("State secrets, national security or public security (recorded, never published)."),
    )


class BatchForm(forms.Form):
    """The checkboxes of the dashboard: ids of tasks to publish (scoped to the bureau by the view)."""

    task = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)

    def __init__(self, *args, task_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].choices = [(pk, pk) for pk in task_ids]


class GsxtExportForm(forms.Form):
    """The period of the GSXT results exchange file: a quarter, or a range of publication dates."""

    FORMATS = [("xlsx", "Excel (.xlsx)"), ("csv", "CSV")]

    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (1, "Q1"), (2, "Q2"), (3, "Q3"), (4, "Q4")],
    )
    date_from = forms.DateField(label=_("Published from"), required=False, widget=forms.DateInput({"type": "date"}))
    date_to = forms.DateField(label=_("Published until"), required=False, widget=forms.DateInput({"type": "date"}))
    format = forms.ChoiceField(label=_("File"), choices=FORMATS, initial="xlsx")

    def clean(self):
        data = super().clean()
        year, quarter = data.get("year"), data.get("quarter")
        start, end = data.get("date_from"), data.get("date_to")
        if quarter and not year:
            self.add_error("year", _("Give the year of the quarter."))
        elif year and quarter:
            if start or end:
                self.add_error("date_from", _("Choose a quarter or a range of dates, not both."))
            else:
                first = date(year, 3 * quarter - 2, 1)
                data["start"] = first
                data["end"] = date(year, 3 * quarter, 31 if quarter in (1, 4) else 30)
        elif start or end:
            if not start:
                self.add_error("date_from", _("Give the first day."))
            elif not end:
                self.add_error("date_to", _("Give the last day."))
            elif end < start:
                self.add_error("date_to", _("The last day is before the first."))
            else:
                data["start"], data["end"] = start, end
        elif not self.errors:
            self.add_error("quarter", _("Choose a quarter or a range of dates."))
        return data
