from django.db.models import QuerySet

from langcert.catalog.models import Exam, JobRole


def active_exams() -> QuerySet[Exam]:
    return Exam.objects.filter(is_active=True).select_related("language")


def job_roles() -> QuerySet[JobRole]:
    return JobRole.objects.select_related("band")
