from django.contrib import admin

from langcert.core.admin_audit import AuditedModelAdmin
from langcert.verification.models import Organisation, OrganisationMember


class MemberInline(admin.TabularInline):
    model = OrganisationMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "country", "status", "created_at"]
    list_filter = ["status", "kind", "country"]
    search_fields = ["name", "website"]
    inlines = [MemberInline]
