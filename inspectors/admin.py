"""Read-only admin: every change goes through the audited pages (services)."""

from django.contrib import admin

from .models import Conflict, Expert, Inspector, InspectorImport, LeavePeriod


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LeaveInline(admin.TabularInline):
    model = LeavePeriod
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Inspector)
class InspectorAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "bureau", "kind", "unit", "certificate_valid_until", "active"]
    list_filter = ["bureau", "kind", "active"]
    search_fields = ["code", "name", "certificate_number"]
    inlines = [LeaveInline]


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    list_display = ["inspector", "enterprise", "reason", "declared_on"]
    search_fields = ["inspector__name", "enterprise__name", "enterprise__uscc"]


@admin.register(Expert)
class ExpertAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "kind", "bureau", "active"]
    list_filter = ["bureau", "kind", "active"]
    search_fields = ["name", "organisation"]


@admin.register(InspectorImport)
class InspectorImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "bureau", "rows", "uploaded_by", "uploaded_at", "finished_at"]
    exclude = ["sheet"]
