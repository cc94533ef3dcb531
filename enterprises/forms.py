"""Forms of the enterprise registry. They check input; the services make the changes."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.versions import VersionedForm

from .enums import (
    POLLUTION_TYPES,
    ConstructionStatus,
    CreditRating,
    EnterpriseStatus,
    MonitoringType,
    PerformanceGrade,
    PermitCategory,
    ProductionCycle,
    RecordKind,
    Scale,
    Tier,
)
from .models import RISK_RULE_LIMITS, CheckItem, Division, Enterprise, Industry, RiskRule
from .services import CHECKITEM_FIELDS, EDITABLE_FIELDS, tier_conflict
from .uscc import normalise_uscc, uscc_error

DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _any(choices):
    return [("", _("Any")), *choices]


def division_choices(bureau) -> list[tuple[str, str]]:
    """The divisions of the bureau's area (its division code and below), else every division."""
    rows = list(Division.objects.order_by("code").values_list("code", "name"))
    prefix = (bureau.division_code or "") if bureau else ""
    local = [row for row in rows if prefix and row[0].startswith(prefix)]
    return [(code, f"{code} {name}") for code, name in (local or rows)]


def section_first_industry_choices() -> list[tuple[str, str]]:
    """Sections, then each section's divisions, groups and classes, in the standard's order."""
    rows = list(Industry.objects.values_list("code", "name", "parent__code"))
    children: dict[str | None, list] = {}
    for code, name, parent in rows:
        children.setdefault(parent, []).append((code, name))
    out: list[tuple[str, str]] = []

    def walk(parent, depth):
        for code, name in sorted(children.get(parent, [])):
            out.append((code, f"{'— ' * depth}{code} {name}"))
            walk(code, depth + 1)

    walk(None, 0)
    return out


class EnterpriseFilterForm(forms.Form):
    """The list page's search and filters (every tag); also used by the export."""

    q = forms.CharField(label=_("Name or USCC"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=_any(Tier.choices), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=_any(EnterpriseStatus.choices), required=False)
    division = forms.ChoiceField(label=_("Region"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    pollution = forms.ChoiceField(label=_("Pollution type"), choices=_any(POLLUTION_TYPES), required=False)
    construction_status = forms.ChoiceField(
        label=_("Construction status"), choices=_any(ConstructionStatus.choices), required=False
    )
    scale = forms.ChoiceField(label=_("Production scale"), choices=_any(Scale.choices), required=False)
    production_cycle = forms.ChoiceField(
        label=_("Production cycle"), choices=_any(ProductionCycle.choices), required=False
    )
    monitoring_type = forms.ChoiceField(
        label=_("Monitoring type"), choices=_any(MonitoringType.choices), required=False
    )
    performance_grade = forms.ChoiceField(
        label=_("Performance grade"), choices=_any(PerformanceGrade.choices), required=False
    )
    permit_category = forms.ChoiceField(
        label=_("Permit category"), choices=_any(PermitCategory.choices), required=False
    )
    credit_rating = forms.ChoiceField(label=_("Credit rating"), choices=_any(CreditRating.choices), required=False)
    positive_list = forms.ChoiceField(
        label=_("Positive list"), choices=_any([("yes", _("On the list")), ("no", _("Not on it"))]), required=False
    )

    def __init__(self, *args, bureau=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = _any(division_choices(bureau))
        self.fields["industry"].choices = _any(section_first_industry_choices())

    def tags(self) -> dict:
        """The filters as ``EnterpriseQuerySet.tagged`` keywords (empty when the form is invalid)."""
        if not self.is_valid():
            return {}
        data = dict(self.cleaned_data)
        data.pop("q", None)
        positive = data.pop("positive_list", "")
        data["positive_list"] = {"yes": True, "no": False}.get(positive)
        return data

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        return queryset.search(self.cleaned_data["q"]).tagged(**self.tags())


class DivisionField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class EnterpriseForm(VersionedForm, forms.ModelForm):
    """Create or edit an enterprise. The tier must agree with the tier rule (checked here and in the service)."""

    class Meta:
        model = Enterprise
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "production_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"division": DivisionField}

    def __init__(self, *args, bureau=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].queryset = Industry.objects.order_by("code")
        divisions = Division.objects.order_by("code")
        if bureau is not None and bureau.division_code:
            local = divisions.filter(code__startswith=bureau.division_code)
            if local.exists():
                divisions = local
        self.fields["division"].queryset = divisions
        self.fields["tier"].help_text = _(
            "Special and general criteria win over key criteria; a city-controlled or higher key emitter is key "
            "unless special or general criteria apply."
        )

    def clean_uscc(self):
        code = normalise_uscc(self.cleaned_data.get("uscc"))
        message = uscc_error(code)
        if message:
            raise forms.ValidationError(message)
        return code

    def clean(self):
        data = super().clean()
        if data.get("tier"):
            message = tier_conflict(
                tier=data["tier"],
                special_criteria=data.get("special_criteria", False),
                general_criteria=data.get("general_criteria", False),
                key_criteria=data.get("key_criteria", False),
                city_controlled_key=data.get("city_controlled_key", False),
                positive_list=data.get("positive_list", False),
            )
            if message:
                self.add_error("tier", message)
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class EnterpriseCreateForm(EnterpriseForm):
    """Registering an enterprise also sets its current status (later changes are dated status changes)."""

    class Meta(EnterpriseForm.Meta):
        fields = [*EnterpriseForm.Meta.fields, "status", "status_since"]
        widgets = {**EnterpriseForm.Meta.widgets, "status_since": forms.DateInput(attrs={"type": "date"})}

    def clean_status_since(self):
        value = self.cleaned_data.get("status_since")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class StatusChangeForm(VersionedForm):
    status = forms.ChoiceField(label=_("New status"), choices=EnterpriseStatus.choices)
    effective_date = forms.DateField(label=_("Effective date"), **DATE_WIDGET)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def clean_effective_date(self):
        value = self.cleaned_data["effective_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("A status change cannot take effect in the future."))
        return value


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RecordKind.choices)
    date = forms.DateField(label=_("Date"), **DATE_WIDGET)
    description = forms.CharField(label=_("Description"), max_length=255)
    reference = forms.CharField(label=_("Reference"), max_length=80, required=False, help_text=_("e.g. a case number"))

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class CheckItemForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = CheckItem
        fields = list(CHECKITEM_FIELDS)
        labels = {"content": _("Inspection content"), "method": _("Inspection method")}
        widgets = {
            "legal_basis": forms.Textarea(attrs={"rows": 3}),
            "content": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, bureau=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.bureau = bureau

    def clean(self):
        data = super().clean()
        if not (data.get("applies_to_general") or data.get("applies_to_key") or data.get("applies_to_special")):
            self.add_error(None, _("A checklist item must apply to at least one tier."))
        code = data.get("code")
        bureau = self.bureau or getattr(self.instance, "bureau", None)
        if code and bureau is not None:
            others = CheckItem.objects.filter(bureau=bureau, code=code).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error(
                    "code", _("The code %(code)s is already used by another checklist item.") % {"code": code}
                )
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))


class RiskRuleForm(VersionedForm):
    """The bureau's risk weight rule (issue 16 item 3); labels are the model's, ranges its limits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        helps = {
            "window_years": _("Violations, complaints and penalties dated in these years before the draw count"),
            "records_cap": _("Each record counted adds one ticket"),
            "penalty_months": _("Counted back from the day of the draw"),
            "penalty_weight": _("0: no lowest weight"),
            "clean_streak": _(
                "Published results in a row that found no problem (未发现问题), with no penalty in the months above; "
                "0: the term is off"
            ),
            "clean_weight": _("The weight of such an enterprise is at most this"),
        }
        for name, (low, high) in RISK_RULE_LIMITS.items():
            self.fields[name] = forms.IntegerField(
                label=RiskRule._meta.get_field(name).verbose_name,
                min_value=low,
                max_value=high,
                help_text=helps.get(name, ""),
            )
        self.order_fields([*RISK_RULE_LIMITS, "version"])
