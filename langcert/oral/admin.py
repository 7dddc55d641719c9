from django.contrib import admin

from langcert.core.admin_audit import AuditedModelAdmin
from langcert.oral.models import Availability, Booking, EvaluatorProfile, InterviewScore, Prompt


@admin.register(EvaluatorProfile)
class EvaluatorProfileAdmin(AuditedModelAdmin):
    list_display = ["user", "meeting_link"]
    filter_horizontal = ["languages"]
    raw_id_fields = ["user"]


@admin.register(Availability)
class AvailabilityAdmin(AuditedModelAdmin):
    list_display = ["evaluator", "language", "repeat", "first_date", "last_date", "start_time",
                    "end_time", "time_zone"]
    list_filter = ["language", "repeat"]


@admin.register(Booking)
class BookingAdmin(AuditedModelAdmin):
    list_display = ["entry", "evaluator", "starts_at", "status", "reminder_sent_at"]
    list_filter = ["status", "language"]
    raw_id_fields = ["entry", "evaluator", "booked_by"]


@admin.register(Prompt)
class PromptAdmin(AuditedModelAdmin):
    list_display = ["part", "level", "language", "job_family", "text"]
    list_filter = ["language", "part", "level"]
    search_fields = ["text", "job_family"]


@admin.register(InterviewScore)
class InterviewScoreAdmin(AuditedModelAdmin):
    list_display = ["booking", "scored_by", "scored_at"]
    raw_id_fields = ["booking", "scored_by"]
