"""An evaluator with a window tomorrow, and a candidate whose written test is sent."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from langcert.catalog.models import Language
from langcert.core.roles import Role
from langcert.delivery.models import Attempt
from langcert.oral import selectors, services
from langcert.oral.models import EvaluatorProfile


@pytest.fixture
def evaluator(make_user):
    user = make_user(Role.EVALUATOR, time_zone="Europe/London")
    profile = EvaluatorProfile.objects.create(user=user, meeting_link="https://meet.example/ed")
    profile.languages.add(Language.objects.get(code="en"))
    return profile


@pytest.fixture
def tomorrow_window(evaluator):
    day = (timezone.now() + timedelta(days=1)).astimezone(timezone.get_current_timezone()).date()
    return services.availability_add(
        actor=evaluator.user, evaluator=evaluator, language=Language.objects.get(code="en"),
        repeat="once", first_date=day, last_date=None, start_time=time(10, 0),
        end_time=time(12, 0))


@pytest.fixture
def sent_entry(ready_attempt):
    ready_attempt.status = Attempt.Status.SUBMITTED
    ready_attempt.submitted_at = timezone.now()
    ready_attempt.save()
    return ready_attempt.entry


def first_free(entry):
    today = timezone.now().date()
    return selectors.free_slots(entry.session.exam.language, today, today + timedelta(days=3))[0]
