from django.db.models import QuerySet

from langcert.catalog.models import JobRole


def job_roles() -> QuerySet[JobRole]:
    return JobRole.objects.select_related("band")
