from django.contrib import admin

from .models import AuditEntry, Bureau, CalendarDay, CalendarYear, Job, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "kind", "parent"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "bureau", "role"]
    list_filter = ["role", "bureau"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "actor_name", "action", "object_repr"]
    list_filter = ["action"]
    search_fields = ["object_repr", "object_id", "actor_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "loaded_at"]

    def has_change_permission(self, request, obj=None):
        return False  # edited through the audited calendar page


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def has_change_permission(self, request, obj=None):
        return False  # edited through the audited calendar page

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]
