"""Forms of the inspection pages. They only parse input; rules and state changes are in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.errors import DomainError
from core.versions import VersionedForm
from inspectors.models import Inspector

from . import uploads
from .enums import InspectionTaskStatus, Outcome, Rating, SubstitutionKind, SubstitutionReason
from .services import FindingInput

COMPLIANT_CHOICES = [("yes", _("Complies")), ("no", _("Does not comply"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked (type by content, size) as it is cleaned."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": uploads.ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        errors = []
        for upload in cleaned:
            try:
                uploads.check_upload(upload)
            except DomainError as exc:
                errors.append(str(exc))
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ResultForm(VersionedForm):
    """One block per check item (complies?, finding, legal basis), then the overall outcome and the rest."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *((v, n) for v, n in Outcome.choices if v != Outcome.UNREACHABLE)]
    )
    inspected_on = forms.DateField(
        label=_("Inspected on"), widget=DateInput(), help_text=_("The day the on-site inspection ended")
    )
    summary = forms.CharField(label=_("Summary"), required=False, max_length=4000, widget=forms.Textarea({"rows": 3}))
    joint_units = forms.CharField(
        label=_("Joint units"),
        required=False,
        max_length=255,
        help_text=_("Other units or departments that took part, separated by 、"),
    )
    confidential = forms.BooleanField(
        label=_("Confidential: touches state secrets, national or public security (never published)"), required=False
    )
    confidentiality_reason = forms.CharField(
        label=_("Reason for confidentiality"), required=False, max_length=4000, widget=forms.Textarea({"rows": 2})
    )
    files = MultipleFileField(
        label=_("Photos and documents"), help_text=_("JPEG, PNG or PDF, at most 10 MB each; several at once")
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            prefix = f"item-{item.pk}"
            self.fields[f"{prefix}-compliant"] = forms.ChoiceField(
                label=_("Result"), choices=COMPLIANT_CHOICES, widget=forms.RadioSelect
            )
            self.fields[f"{prefix}-finding"] = forms.CharField(
                label=_("Finding"), required=False, max_length=4000, widget=forms.Textarea({"rows": 2})
            )
            self.fields[f"{prefix}-legal_basis"] = forms.CharField(
                label=_("Legal basis"),
                required=False,
                max_length=4000,
                initial=item.legal_basis,
                widget=forms.Textarea({"rows": 2}),
            )

    @staticmethod
    def initial_from(result, items) -> dict:
        if result is None:
            return {}
        initial = {
            name: getattr(result, name)
            for name in ("outcome", "inspected_on", "summary", "joint_units", "confidential", "confidentiality_reason")
        }
        for finding in result.findings.all():
            prefix = f"item-{finding.check_item_id}"
            initial[f"{prefix}-compliant"] = "yes" if finding.compliant else "no"
            initial[f"{prefix}-finding"] = finding.finding
            initial[f"{prefix}-legal_basis"] = finding.legal_basis
        return initial

    def audit_values(self, values: dict) -> dict:
        """A result's audit data with its findings as the form's item fields (core/versions.py)."""
        flat = {name: value for name, value in values.items() if name != "findings"}
        for item_id, finding in (values.get("findings") or {}).items():
            prefix = f"item-{item_id}"
            if "compliant" in finding:
                flat[f"{prefix}-compliant"] = "yes" if finding["compliant"] else "no"
            flat[f"{prefix}-finding"] = finding.get("finding")
            flat[f"{prefix}-legal_basis"] = finding.get("legal_basis")
        return flat

    def change_label(self, name: str) -> str:
        item = next((item for item in self.items if name.startswith(f"item-{item.pk}-")), None)
        label = str(self.fields[name].label)
        return f"{item.name} · {label}" if item is not None else label

    def item_blocks(self):
        """[(item, compliant, finding, legal basis)] as bound fields, for the template."""
        return [
            (
                item,
                self[f"item-{item.pk}-compliant"],
                self[f"item-{item.pk}-finding"],
                self[f"item-{item.pk}-legal_basis"],
            )
            for item in self.items
        ]

    def findings(self) -> dict[int, FindingInput]:
        data = self.cleaned_data
        return {
            item.pk: FindingInput(
                compliant=data[f"item-{item.pk}-compliant"] == "yes",
                finding=data.get(f"item-{item.pk}-finding", ""),
                legal_basis=data.get(f"item-{item.pk}-legal_basis", ""),
            )
            for item in self.items
        }


class AttachmentForm(forms.Form):
    files = MultipleFileField(
        label=_("Photos and documents"), help_text=_("JPEG, PNG or PDF, at most 10 MB each; several at once")
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError(_("Choose at least one file."))
        return files


def _scan_field(label):
    return forms.FileField(
        label=label,
        help_text=_("JPEG, PNG or PDF, at most 10 MB"),
        required=False,  # the service refuses a missing scan, next to this field
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
    )


class ManualCheckInForm(forms.Form):
    """The arrival at an enterprise without a registered contact, from the paper record it signed."""

    at = forms.DateTimeField(label=_("Arrival"), widget=DateTimeInput())
    received_by = forms.CharField(label=_("Received by"), max_length=60)
    scan = _scan_field(_("Scan of the paper record signed by the enterprise"))
    reason = forms.CharField(label=pgettext_lazy("paper record", "Note"), max_length=255, required=False)


class PaperEvaluationForm(forms.Form):
    """The rating of an enterprise without a registered contact, from the paper form it signed."""

    rating = forms.TypedChoiceField(label=_("Rating"), choices=[("", "—"), *Rating.choices], coerce=int)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea({"rows": 3}))
    scan = _scan_field(_("Scan of the paper form signed by the enterprise"))


class NoArrivalForm(forms.Form):
    """未能入企检查: entry refused, or the enterprise cannot be reached at its registered address."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *((v, n) for v, n in Outcome.choices if v in Outcome.without_arrival())]
    )
    attempted_at = forms.DateTimeField(label=_("Time of the attempt"), widget=DateTimeInput())
    place = forms.CharField(label=_("Place of the attempt"), max_length=255)
    members = forms.TypedMultipleChoiceField(
        label=_("Inspectors present"), coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )
    witness = forms.CharField(label=_("Witness"), max_length=60, required=False)
    summary = forms.CharField(
        label=_("What happened"), required=False, max_length=4000, widget=forms.Textarea({"rows": 3})
    )
    files = MultipleFileField(
        label=_("Photos and documents"), help_text=_("A witness or at least one photo or document is required")
    )

    def __init__(self, *args, team=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [
            (m.pk, f"{m.inspector.name}（{m.inspector.code}）") for m in team if m.inspector_id
        ]


class ApproveForm(VersionedForm):
    """Carries the version of the result shown: a result edited since refuses the approval."""

    confidential = forms.BooleanField(
        label=_("Confidential: touches state secrets, national or public security (never published)"), required=False
    )
    confidentiality_reason = forms.CharField(
        label=_("Reason for confidentiality"), required=False, max_length=4000, widget=forms.Textarea({"rows": 2})
    )


class OutcomeChangeForm(forms.Form):
    new_outcome = forms.ChoiceField(
        label=_("Result of the follow-up"),
        widget=forms.RadioSelect,
        choices=[
            (Outcome.NO_PROBLEM, _("No violation confirmed: change to 未发现问题")),
            (Outcome.PENDING_FOLLOW_UP, _("Case filed: the outcome stays 发现问题待后续处理")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea({"rows": 2}))
    case_number = forms.CharField(label=_("Case number"), max_length=80, required=False)


class ArrivalForm(forms.Form):
    confirmed_by_name = forms.CharField(
        label=_("Your name"), max_length=60, help_text=_("The person of the enterprise receiving the inspectors")
    )
    code = forms.CharField(
        label=_("Code sent to the enterprise"),
        max_length=12,
        required=False,  # an enterprise without a registered contact files without one (the service decides)
        help_text=_("The code sent to the enterprise's registered contact. Never ask the inspectors for it."),
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class EvaluationForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with this inspection?"),
        choices=Rating.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=1000, widget=forms.Textarea({"rows": 3})
    )
    code = forms.CharField(
        label=_("Code sent to the enterprise"),
        max_length=12,
        required=False,  # an enterprise without a registered contact files without one (the service decides)
        help_text=_("The code sent to the enterprise's registered contact. Never ask the inspectors for it."),
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class TaskFilterForm(forms.Form):
    q = forms.CharField(label=_("Enterprise or task number"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *InspectionTaskStatus.choices]
    )
    draw = forms.TypedChoiceField(
        label=pgettext_lazy("batch", "Draw"), required=False, coerce=int, empty_value=None, choices=[]
    )
    late = forms.ChoiceField(
        label=_("Deadline"), required=False, choices=[("", _("All")), ("1", _("Late or recorded late"))]
    )

    def __init__(self, *args, draws=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["draw"].choices = [("", _("All")), *((d.pk, d.number) for d in draws)]


class SubstitutionProposalForm(forms.Form):
    """A team lead's proposal to replace a task's enterprise, or (with ``inspector``) one of its inspectors."""

    reason_code = forms.ChoiceField(label=_("Reason"), choices=())
    note = forms.CharField(label=_("Explanation"), max_length=255, required=False)

    def __init__(self, *args, task, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [
            (code, label) for code, label in SubstitutionReason.choices if code in SubstitutionReason.for_kind(kind)
        ]
        if kind == SubstitutionKind.INSPECTOR:
            self.fields["inspector"] = forms.ModelChoiceField(
                label=_("Inspector to replace"),
                queryset=Inspector.objects.filter(task_memberships__task=task, task_memberships__active=True).order_by(
                    "code"
                ),
            )


class OffsiteCheckForm(forms.Form):
    """An off-site check (非现场检查) of a positive-list unit: the rules are :func:`services.offsite_check_record`'s."""

    # Not required here: the service names every missing or refused value at once, each next to its field.
    checked_on = forms.DateField(label=_("Checked on"), widget=DateInput(), required=False)
    method = forms.CharField(
        label=_("Method"),
        max_length=120,
        required=False,
        help_text=_("e.g. automatic monitoring data, video, documents"),
    )
    notes = forms.CharField(
        label=_("What was checked and found"), required=False, max_length=4000, widget=forms.Textarea({"rows": 4})
    )


class OffsiteFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=int, choices=[(q, f"Q{q}") for q in range(1, 5)])
    state = forms.ChoiceField(
        label=_("Off-site check"),
        required=False,
        choices=[("", pgettext_lazy("filter", "Any")), ("missing", _("Not recorded")), ("done", _("Recorded"))],
    )


class ObjectionForm(forms.Form):
    filed_by_name = forms.CharField(
        label=_("Your name"), max_length=60, help_text=_("The person filing the objection for the enterprise")
    )
    text = forms.CharField(
        label=_("Your objection"),
        max_length=4000,
        widget=forms.Textarea({"rows": 6}),
        help_text=_("What in the published result is wrong, and why."),
    )
    files = MultipleFileField(
        label=_("Supporting documents (optional)"),
        required=False,
        help_text=_("Photos (JPEG, PNG) or PDF documents, at most 10 MB each and 10 in all."),
    )
    code = forms.CharField(
        label=_("Code sent to the enterprise"),
        max_length=12,
        required=False,  # an enterprise without a registered contact files without one (the service decides)
        help_text=_("The code sent to the enterprise's registered contact. Never ask the inspectors for it."),
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ObjectionUpholdForm(forms.Form):
    """Shown beside :class:`ObjectionRejectForm` on one page: its own ids (the field names stay plain)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_uphold_%s")
        super().__init__(*args, **kwargs)

    outcome = forms.ChoiceField(label=_("Corrected outcome"), choices=[("", "—"), *Outcome.choices])
    reason = forms.CharField(label=_("Reasons for the decision"), max_length=4000, widget=forms.Textarea({"rows": 3}))


class ObjectionRejectForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_reject_%s")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(
        label=_("Reasons for the rejection"),
        max_length=4000,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("Shown to the enterprise on its objection page."),
    )
