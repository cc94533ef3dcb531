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
