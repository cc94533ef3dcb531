"""Forms: they read and check what was typed; the services decide and write."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.enums import Role
from core.versions import VersionedForm
from enterprises.models import Division, Industry

from .enums import CertificateStatus, ExpertKind, InspectorKind
from .models import Expert, Inspector, LeavePeriod


def _label(model, name):
    return model._meta.get_field(name).verbose_name


class Form(forms.Form):
    """A form whose labels carry no trailing colon (the layout puts labels above fields)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class IndustryChoiceMixin:
    """Industries shown as an indented tree: section, division, group, class."""

    def label_from_instance(self, obj):
        depth = 0 if obj.code.isalpha() else len(obj.code) - 1
        return "\u3000" * depth + f"{obj.code} {obj.name}"


class IndustryMultipleChoiceField(IndustryChoiceMixin, forms.ModelMultipleChoiceField):
    pass


class IndustryChoiceField(IndustryChoiceMixin, forms.ModelChoiceField):
    pass


def divisions_for(bureau):
    """The divisions a bureau works in: its own division and those below it (all when it has none)."""
    divisions = Division.objects.order_by("code")
    if bureau is not None and bureau.division_code:
        divisions = divisions.filter(code__startswith=bureau.division_code)
    return divisions


class DivisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class InspectorForm(VersionedForm, Form):
    code = forms.CharField(label=_label(Inspector, "code"), max_length=20)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    kind = forms.ChoiceField(label=_label(Inspector, "kind"), choices=InspectorKind.choices)
    unit = forms.CharField(label=_label(Inspector, "unit"), max_length=100, required=False)
    phone = forms.CharField(label=_label(Inspector, "phone"), max_length=40, required=False)
    certificate_number = forms.CharField(label=_label(Inspector, "certificate_number"), max_length=40, required=False)
    certificate_valid_from = forms.DateField(
        label=_label(Inspector, "certificate_valid_from"), required=False, widget=DateInput()
    )
    certificate_valid_until = forms.DateField(
        label=_label(Inspector, "certificate_valid_until"), required=False, widget=DateInput()
    )
    specialties = IndustryMultipleChoiceField(
        label=_label(Inspector, "specialties"),
        queryset=Industry.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    specialty_note = forms.CharField(label=_label(Inspector, "specialty_note"), max_length=200, required=False)
    region = DivisionChoiceField(
        label=_label(Inspector, "region"), queryset=Division.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args, bureau=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = divisions_for(bureau)
        self.fields["unit"].widget.attrs["list"] = "unit-options"

    @staticmethod
    def initial_for(inspector: Inspector) -> dict:
        initial = {
            name: getattr(inspector, name)
            for name in InspectorForm.base_fields
            if name not in ("specialties", "version")
        }
        initial["specialties"] = list(inspector.specialties.all())
        return initial


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


class AccountForm(VersionedForm, Form):
    prefix = "account"

    user = AccountChoiceField(
        label=_("Login account"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("The account with the inspector role he logs in with, to see his own assignments."),
    )

    def __init__(self, *args, bureau=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(memberships__bureau=bureau, memberships__role=Role.INSPECTOR)
            .distinct()
            .order_by("username")
        )


class TransferForm(Form):
    prefix = "transfer"

    on = forms.DateField(label=_("Date of the transfer"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("e.g. transferred to the city bureau, retired")
    )


class ReactivateForm(Form):
    prefix = "reactivate"

    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class LeaveForm(Form):
    prefix = "leave"

    start = forms.DateField(label=_("First day"), widget=DateInput())
    end = forms.DateField(label=_("Last day"), widget=DateInput())
    reason = forms.CharField(label=_label(LeavePeriod, "reason"), max_length=100, required=False)


class ConflictForm(Form):
    prefix = "conflict"

    enterprise = forms.CharField(
        label=_("Enterprise"),
        max_length=200,
        help_text=_("Its unified social credit code, or its name (or a unique part of it)."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("e.g. a relative works there"))


class ConflictWithdrawForm(Form):
    prefix = "withdraw"

    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=200)


ACTIVE_CHOICES = [("", _("All")), ("1", _("Active")), ("0", _("Transferred / inactive"))]


class InspectorFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Name, staff code or certificate number"))
    unit = forms.ChoiceField(label=_label(Inspector, "unit"), required=False)
    kind = forms.ChoiceField(label=_label(Inspector, "kind"), choices=[("", _("All")), *InspectorKind.choices])
    active = forms.ChoiceField(label=_("Status"), choices=ACTIVE_CHOICES, required=False)
    certificate = forms.ChoiceField(
        label=_("Certificate"), choices=[("", _("All")), *CertificateStatus.choices], required=False
    )
    region = DivisionChoiceField(
        label=_label(Inspector, "region"), queryset=Division.objects.none(), required=False, empty_label=_("All")
    )
    specialty = IndustryChoiceField(
        label=_("Specialty"), queryset=Industry.objects.order_by("code"), required=False, empty_label=_("All")
    )

    def __init__(self, *args, bureau=None, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False
        self.fields["unit"].choices = [("", _("All")), *((unit, unit) for unit in units)]
        self.fields["region"].queryset = divisions_for(bureau)


class ImportForm(Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB; at most %(max)s MB).")
                % {"size": round(upload.size / 1048576, 1), "max": round(settings.IMPORT_MAX_BYTES / 1048576, 1)}
            )
        return upload


class ExpertForm(VersionedForm, Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    kind = forms.ChoiceField(label=_label(Expert, "kind"), choices=ExpertKind.choices)
    organisation = forms.CharField(label=_label(Expert, "organisation"), max_length=120)
    title = forms.CharField(label=_label(Expert, "title"), max_length=60, required=False)
    phone = forms.CharField(label=_label(Expert, "phone"), max_length=40, required=False)
    region = DivisionChoiceField(
        label=_label(Expert, "region"), queryset=Division.objects.none(), required=False, empty_label="—"
    )
    industries = IndustryMultipleChoiceField(
        label=_label(Expert, "industries"),
        queryset=Industry.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("An expert listed for a division or group also covers the classes below it."),
    )

    def __init__(self, *args, bureau=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = divisions_for(bureau)

    @staticmethod
    def initial_for(expert: Expert) -> dict:
        initial = {
            name: getattr(expert, name) for name in ExpertForm.base_fields if name not in ("industries", "version")
        }
        initial["industries"] = list(expert.industries.all())
        return initial


class ExpertFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Name or organisation"))
    kind = forms.ChoiceField(label=_label(Expert, "kind"), choices=[("", _("All")), *ExpertKind.choices])
    region = DivisionChoiceField(
        label=_label(Expert, "region"), queryset=Division.objects.none(), required=False, empty_label=_("All")
    )
    industry = IndustryChoiceField(
        label=_("Industry"),
        queryset=Industry.objects.order_by("code"),
        required=False,
        empty_label=_("All"),
        help_text=_("Experts listed for this industry or a broader one."),
    )
    active = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), ("1", _("Active")), ("0", _("Inactive"))], required=False
    )

    def __init__(self, *args, bureau=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False
        self.fields["region"].queryset = divisions_for(bureau)
