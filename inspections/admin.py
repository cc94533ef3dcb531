"""Read-only admin views: every change goes through the services (and the audit trail)."""

from django.contrib import admin

from .models import Attachment, CheckIn, Evaluation, InspectionResult, ItemFinding, OutcomeChange


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FindingInline(admin.TabularInline):
    model = ItemFinding
    extra = 0
    can_delete = False
    readonly_fields = ["check_item", "compliant", "finding", "legal_basis"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InspectionResult)
class InspectionResultAdmin(ReadOnlyAdmin):
    list_display = ["task", "outcome", "inspected_on", "due_date", "late", "confidential", "approved_at"]
    list_filter = ["outcome", "late", "confidential"]
    search_fields = ["task__number", "task__enterprise__name"]
    list_select_related = ["task"]
    inlines = [FindingInline]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["task", "at", "method", "confirmed_by_name"]
    list_filter = ["method"]
    search_fields = ["task__number"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "result", "content_type", "size", "uploaded_at", "removed_at"]
    exclude = ["file"]


@admin.register(OutcomeChange)
class OutcomeChangeAdmin(ReadOnlyAdmin):
    list_display = ["result", "kind", "old_outcome", "new_outcome", "case_number", "at"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["task", "rating", "at"]
    list_filter = ["rating"]
