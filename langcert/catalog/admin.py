from django.contrib import admin

from langcert.catalog.models import Exam, JobLevelBand, JobRole, Language
from langcert.core.admin_audit import AuditedModelAdmin


@admin.register(Language)
class LanguageAdmin(AuditedModelAdmin):
    list_display = ["code", "name_en", "name_fr"]


@admin.register(Exam)
class ExamAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "language", "kind", "shows_test_day_photo", "is_active"]
    list_filter = ["kind", "language", "is_active", "shows_test_day_photo"]
    search_fields = ["name", "code"]


class JobRoleInline(admin.TabularInline):
    model = JobRole
    extra = 0


@admin.register(JobLevelBand)
class JobLevelBandAdmin(AuditedModelAdmin):
    list_display = ["level", "objective_en", "objective_fr", "position"]
    inlines = [JobRoleInline]
