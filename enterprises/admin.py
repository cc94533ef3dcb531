"""Read-mostly admin: registry changes go through the audited pages; nothing here deletes."""

from django.contrib import admin

from .models import (
    CheckItem,
    Division,
    Enterprise,
    EnterpriseImport,
    EnterpriseRecord,
    EnterpriseStatusChange,
    Industry,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "bureau", "tier", "status", "division", "industry"]
    list_filter = ["bureau", "tier", "status"]
    search_fields = ["name", "uscc"]


@admin.register(EnterpriseStatusChange)
class EnterpriseStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "old_status", "new_status", "effective_date", "recorded_by"]


@admin.register(EnterpriseRecord)
class EnterpriseRecordAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "kind", "date", "description"]
    list_filter = ["kind"]


@admin.register(CheckItem)
class CheckItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "bureau", "active"]
    list_filter = ["bureau", "active"]


@admin.register(EnterpriseImport)
class EnterpriseImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "bureau", "rows", "uploaded_by", "uploaded_at", "finished_at"]
    exclude = ["sheet"]


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False
