from django.db.models import QuerySet

from langcert.catalog.models import JobRole


def job_target_levels() -> dict[str, str]:
    """The target level the job grid suggests, for each job (by id), for the enrolment page."""
    return {str(job.pk): job.band.level for job in job_roles()}


def job_roles() -> QuerySet[JobRole]:
    return JobRole.objects.select_related("band")
