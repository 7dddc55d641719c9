from django.contrib import admin

from langcert.centres.models import Candidate, Centre, Entry, Session
from langcert.core.admin_audit import AuditedModelAdmin


@admin.register(Centre)
class CentreAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "city", "country", "time_zone", "language"]
    list_filter = ["country", "language"]
    search_fields = ["name", "code", "city"]
    filter_horizontal = ["staff"]


@admin.register(Session)
class SessionAdmin(AuditedModelAdmin):
    list_display = ["code", "exam", "centre", "opens_at", "closes_at", "results_release_at"]
    list_filter = ["exam", "centre"]
    search_fields = ["code"]
    date_hierarchy = "opens_at"


@admin.register(Candidate)
class CandidateAdmin(AuditedModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "centre", "language"]
    list_filter = ["centre", "language", "gender"]
    search_fields = ["last_name", "first_name", "email"]
    raw_id_fields = ["account"]


@admin.register(Entry)
class EntryAdmin(AuditedModelAdmin):
    list_display = ["id_number", "candidate", "session", "target_level", "photo_consent",
                    "created_at"]
    list_filter = ["session__exam", "session__centre", "target_level", "photo_consent"]
    search_fields = ["id_number", "candidate__last_name"]
    exclude = ["secret_hash"]
    raw_id_fields = ["candidate", "session", "enrolled_by"]
