from django.contrib import admin

from langcert.core.audit import record_event


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin changes write the same audit rows as the services do."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_event(
            actor=request.user,
            action="admin.change" if change else "admin.add",
            target=obj,
            request=request,
            data={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):
        record_event(actor=request.user, action="admin.delete", target=obj, request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_event(actor=request.user, action="admin.delete", target=obj, request=request)
        super().delete_queryset(request, queryset)
