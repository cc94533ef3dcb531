from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.versions import VersionedForm
from enterprises.enums import POLLUTION_TYPES
from enterprises.models import CheckItem

from .conditions import BOOL_TAGS, CHOICE_TAGS, validate_conditions
from .enums import QuotaPreset
from .models import PlanTask, QuotaPolicy
from .plans import POLICY_EDITABLE, TASK_FIELDS

DATE = {"type": "date"}
TRISTATE = [("", pgettext_lazy("filter", "Any")), ("yes", _("Yes")), ("no", _("No"))]


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Plan name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _codes(text: str) -> list[str]:
    return [part for part in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if part]


class PlanTaskForm(VersionedForm, forms.ModelForm):
    """A task, with its targeting conditions as separate fields (assembled into ``tag_conditions``)."""

    division = forms.CharField(
        label=_("Administrative divisions"),
        required=False,
        help_text=_("Division codes, separated by commas; a county code covers its towns"),
    )
    industry = forms.CharField(
        label=_("Industries (GB/T 4754)"),
        required=False,
        help_text=_("Industry codes (e.g. C, 26, 2614), separated by commas"),
    )
    pollution = forms.MultipleChoiceField(
        label=_("Pollution types"), required=False, choices=POLLUTION_TYPES, widget=forms.CheckboxSelectMultiple
    )
    positive_list = forms.ChoiceField(label=BOOL_TAGS["positive_list"], required=False, choices=TRISTATE)
    city_controlled_key = forms.ChoiceField(label=BOOL_TAGS["city_controlled_key"], required=False, choices=TRISTATE)

    class Meta:
        model = PlanTask
        # the service's fields but the conditions (assembled from the fields above), and the items
        fields = ["check_items", *(name for name in TASK_FIELDS if name != "tag_conditions")]
        widgets = {
            "check_items": forms.CheckboxSelectMultiple,
            "draw_from": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "draw_until": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "inspect_from": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "inspect_until": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        }

    def __init__(self, *args, bureau, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["check_items"].queryset = CheckItem.objects.filter(bureau=bureau, active=True)
        for tag, (label, enum) in CHOICE_TAGS.items():
            self.fields[tag] = forms.MultipleChoiceField(
                label=label, required=False, choices=enum.choices, widget=forms.CheckboxSelectMultiple
            )
        conditions = self.instance.tag_conditions if self.instance.pk else {}
        for tag, value in conditions.items():
            if tag in ("division", "industry"):
                self.initial[tag] = ", ".join(value)
            elif tag in BOOL_TAGS:
                self.initial[tag] = "yes" if value else "no"
            else:
                self.initial[tag] = value

    def targeting_fields(self):
        return [self[name] for name in ("division", "industry", "pollution", *CHOICE_TAGS, *BOOL_TAGS)]

    def clean(self):
        data = super().clean()
        raw: dict = {}
        for tag in ("division", "industry"):
            if codes := _codes(data.get(tag) or ""):
                raw[tag] = codes
        for tag in ("pollution", *CHOICE_TAGS):
            if data.get(tag):
                raw[tag] = list(data[tag])
        for tag in BOOL_TAGS:
            if data.get(tag) in ("yes", "no"):
                raw[tag] = data[tag] == "yes"
        try:
            data["tag_conditions"] = validate_conditions(raw)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "check_items"}
        fields["tag_conditions"] = self.cleaned_data["tag_conditions"]
        return fields


class QuotaPolicyForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = QuotaPolicy
        fields = list(POLICY_EDITABLE)  # the preset's rules and the draw's settings
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class PresetForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Preset"), choices=[c for c in QuotaPreset.choices if c[0] != QuotaPreset.CUSTOM]
    )


class DrawCreateForm(forms.Form):
    quarter = forms.TypedChoiceField(
        label=_("Quarter"), coerce=int, choices=[(q, _("Quarter %(q)s") % {"q": q}) for q in range(1, 5)]
    )
    inspect_from = forms.DateField(
        label=_("Inspections from"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        help_text=_("Empty: the quarter's days within the task's inspection period"),
    )
    inspect_until = forms.DateField(label=_("Inspections until"), required=False, widget=forms.DateInput(attrs=DATE))
    exceed_reason = forms.CharField(
        label=_("Reason to draw beyond the quarter's quota"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Empty: a further draw in the quarter takes only what remains of its quota. A team lead's reason "
            "(audited, shown on the draw and the dashboard) draws the full quota again."
        ),
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("inspect_from")) != bool(data.get("inspect_until")):
            raise ValidationError(_("Give both dates of the inspection period, or neither."))
        return data


class CeremonyForm(forms.Form):
    witnesses = forms.CharField(
        label=_("Witnesses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One name (and unit) a line"),
    )
    witness_input = forms.CharField(
        label=_("Witness input"),
        max_length=200,
        help_text=_("Typed in at the ceremony: digits drawn by the witnesses, or a named public lottery result"),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, widget=forms.Textarea(attrs={"rows": 2}))


class PlanFilingForm(VersionedForm):
    """The day the annual plan was filed with the higher authority (seed 003: 报上级环保部门备案)."""

    filed_on = forms.DateField(
        label=_("Filed with the higher authority on"),
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        help_text=_("Can be corrected later; every change is in the audit trail"),
    )
